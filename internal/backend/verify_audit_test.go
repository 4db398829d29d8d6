// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// Verify compares the three copies of each secret event (the global log,
// the namespace's index, the secret's index): deleting any one copy is
// reported against the log that lost it, even for a secret's newest event,
// which no chain link reveals; events an audit purge removed are not.
func TestVerifyAuditCopies(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		prefix, part string // the copy deleted: the first key under prefix with part
		object       string // the log reported
	}{
		{"v1/a/s/", "_created", "the audit log of secret app:prod/db"},
		{"v1/a/n/", "/created/", "the audit log of namespace app:prod"},
		{"v1/a/o/", "/created/", "the global audit log"},
	} {
		t.Run(tc.prefix, func(t *testing.T) {
			t.Parallel()
			bucket, s, clock := verifyStore(t)
			if _, err := s.Put(ctx, backend.PutInput{Namespace: "app:prod", Name: "db", Value: []byte("v")}); err != nil {
				t.Fatal(err)
			}
			clock.Step()
			if rep := verify(t, s); rep.Damaged() {
				t.Fatalf("intact store: %v", rep.Problems)
			}
			// The secret's only event, in the log of tc.prefix: the
			// global and namespace logs batch events per operation.
			key := firstKey(t, bucket, tc.prefix, tc.part)
			if err := bucket.Delete(ctx, key); err != nil {
				t.Fatal(err)
			}
			rep := verify(t, s)
			if len(rep.Problems) != 1 {
				t.Fatalf("after deleting %s: problems %v, want one", key, rep.Problems)
			}
			p := rep.Problems[0]
			if p.Kind != backend.VerifyAudit || p.Object != tc.object || !errors.Is(p.Err, backend.ErrAuditGap) ||
				!strings.Contains(p.Err.Error(), "created of secret app:prod/db, revision 1") {
				t.Errorf("after deleting %s: %s %q: %v; want audit %q, an audit gap naming the event", key, p.Kind, p.Object, p.Err, tc.object)
			}
		})
	}

	// A gap the secret's chain reveals is one problem of that log, not
	// one more for each of its events the query could not return.
	t.Run("gap", func(t *testing.T) {
		t.Parallel()
		bucket, s, clock := verifyStore(t)
		for _, v := range []string{"v1", "v2", "v3"} {
			if _, err := s.Put(ctx, backend.PutInput{Namespace: "app:prod", Name: "db", Value: []byte(v)}); err != nil {
				t.Fatal(err)
			}
			clock.Step()
		}
		if err := bucket.Delete(ctx, firstKey(t, bucket, "v1/a/s/", "_updated")); err != nil {
			t.Fatal(err)
		}
		rep := verify(t, s)
		if len(rep.Problems) != 1 || rep.Problems[0].Object != "the audit log of secret app:prod/db" || !errors.Is(rep.Problems[0].Err, backend.ErrAuditGap) {
			t.Errorf("after deleting an event in the middle of the chain: %v, want one gap in the secret's log", rep.Problems)
		}
	})

	t.Run("purged", func(t *testing.T) {
		t.Parallel()
		_, s, clock := verifyStore(t)
		if _, err := s.Put(ctx, backend.PutInput{Namespace: "app:prod", Name: "db", Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		zero := time.Duration(0)
		res, err := s.Cleanup(ctx, backend.CleanupInput{Retention: backend.Retention{AuditEvents: &zero}})
		if err != nil || res.Events == 0 {
			t.Fatalf("cleanup purged %d events: %v", res.Events, err)
		}
		if rep := verify(t, s); rep.Damaged() {
			t.Errorf("after an audit purge: %v", rep.Problems)
		}
	})
}

func verifyStore(t *testing.T) (*blob.Bucket, *backend.Store, *backendtest.Clock) {
	t.Helper()
	bucket := memblob.OpenBucket(nil)
	t.Cleanup(func() { _ = bucket.Close() })
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	clock := backendtest.NewClockAt(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s, err := backend.Open(context.Background(), backend.Options{
		Bucket: bucket, RootKey: base64.StdEncoding.EncodeToString(key), Actor: "test", Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.CreateKeyVersion(context.Background(), 1, nil); err != nil {
		t.Fatal(err)
	}
	return bucket, s, clock
}

func verify(t *testing.T, s *backend.Store) backend.VerifyReport {
	t.Helper()
	rep, err := s.Verify(context.Background(), backend.VerifyInput{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// firstKey is the first key under prefix that contains part.
func firstKey(t *testing.T, b *blob.Bucket, prefix, part string) string {
	t.Helper()
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(context.Background())
		if err != nil {
			t.Fatalf("no key under %s with %s: %v", prefix, part, err)
		}
		if strings.Contains(o.Key, part) {
			return o.Key
		}
	}
}

// An event written while Verify reads a log again is in the logs read
// again and not yet in the others: it is not reported as a gap, and only
// the copy really deleted is.
func TestVerifyAuditRecheckIgnoresNewEvents(t *testing.T) {
	ctx := context.Background()
	bucket, s, clock := verifyStore(t)
	for _, name := range []string{"db", "web"} {
		if _, err := s.Put(ctx, backend.PutInput{Namespace: "app:prod", Name: name, Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
		clock.Step()
	}
	// The global log's copy of db's event: the second reading reads that
	// log again, while web is updated and new is created.
	if err := bucket.Delete(ctx, firstKey(t, bucket, "v1/a/o/", "/created/")); err != nil {
		t.Fatal(err)
	}
	calls := 0
	backend.SetVerifyRecheckHook(t, func() {
		calls++
		for _, name := range []string{"web", "new"} {
			if _, err := s.Put(ctx, backend.PutInput{Namespace: "app:prod", Name: name, Value: []byte("v2")}); err != nil {
				t.Error(err)
			}
			clock.Step()
		}
	})
	rep := verify(t, s)
	if calls != 1 {
		t.Fatalf("the logs were read again %d times, want once", calls)
	}
	if len(rep.Problems) != 1 || rep.Problems[0].Object != "the global audit log" || !errors.Is(rep.Problems[0].Err, backend.ErrAuditGap) {
		t.Errorf("with events written between the readings: %v, want one gap in the global log", rep.Problems)
	}
}
