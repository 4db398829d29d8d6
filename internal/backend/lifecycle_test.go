// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// A write that finds nothing to do on a store that does not exist, or
// whose input is refused, creates nothing: no object, no directory, no
// probe. It returns what it would on an empty store (ErrNotFound, or an
// empty result).
func TestWriteOnMissingStoreCreatesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	day := 24 * time.Hour
	bad := -time.Hour
	notFound := func(err error) bool { return errors.Is(err, backend.ErrNotFound) }
	refused := func(err error) bool {
		var v *backend.ValidationError
		return errors.As(err, &v)
	}
	ok := func(err error) bool { return err == nil }
	ops := []struct {
		name string
		want func(error) bool
		run  func(s *backend.Store) error
	}{
		{"Delete", notFound, func(s *backend.Store) error {
			return s.Delete(ctx, backend.DeleteInput{Namespace: "ns", Name: "x"})
		}},
		{"Delete invalid", refused, func(s *backend.Store) error {
			return s.Delete(ctx, backend.DeleteInput{Namespace: "ns", Name: "bad/name"})
		}},
		{"RetireKeyVersion", notFound, func(s *backend.Store) error { return s.RetireKeyVersion(ctx, 1) }},
		{"RetireKeyVersion invalid", refused, func(s *backend.Store) error { return s.RetireKeyVersion(ctx, 0) }},
		{"RewrapKeyVersion", notFound, func(s *backend.Store) error { return s.RewrapKeyVersion(ctx, 1) }},
		{"RewrapKeyVersion invalid", refused, func(s *backend.Store) error { return s.RewrapKeyVersion(ctx, -1) }},
		{"ReactivateKeyVersion", notFound, func(s *backend.Store) error {
			_, err := s.ReactivateKeyVersion(ctx, 1, nil)
			return err
		}},
		{"ReactivateKeyVersion invalid", refused, func(s *backend.Store) error {
			_, err := s.ReactivateKeyVersion(ctx, 0, nil)
			return err
		}},
		{"RotateSecret", notFound, func(s *backend.Store) error {
			_, err := s.RotateSecret(ctx, backend.RotateSecretInput{Namespace: "ns", Name: "x"})
			return err
		}},
		{"RotateSecret invalid", refused, func(s *backend.Store) error {
			_, err := s.RotateSecret(ctx, backend.RotateSecretInput{Namespace: "ns", Name: "bad/name"})
			return err
		}},
		{"Rotate", ok, func(s *backend.Store) error {
			res, err := s.Rotate(ctx, backend.RotateInput{Namespace: "ns"})
			if err == nil && res != (backend.RotateResult{}) {
				t.Errorf("Rotate of a missing store: %+v, want an empty result", res)
			}
			return err
		}},
		{"Rotate invalid", refused, func(s *backend.Store) error {
			_, err := s.Rotate(ctx, backend.RotateInput{Namespace: "bad/ns"})
			return err
		}},
		{"Cleanup", ok, func(s *backend.Store) error {
			res, err := s.Cleanup(ctx, backend.CleanupInput{Retention: backend.Retention{DeletedSecrets: &day, AuditEvents: &day}})
			if err == nil && res != (backend.CleanupResult{}) {
				t.Errorf("Cleanup of a missing store: %+v, want an empty result", res)
			}
			return err
		}},
		{"Cleanup invalid", refused, func(s *backend.Store) error {
			_, err := s.Cleanup(ctx, backend.CleanupInput{Retention: backend.Retention{DeletedSecrets: &bad}})
			return err
		}},
		{"RecordRead", ok, func(s *backend.Store) error {
			return s.RecordRead(ctx, backend.Secret{Namespace: "ns", Name: "x", Revision: 1})
		}},
		{"RecordRead invalid", refused, func(s *backend.Store) error {
			return s.RecordRead(ctx, backend.Secret{Namespace: "ns", Name: "bad/name", Revision: 1})
		}},
	}
	for _, kind := range backendtest.UnitTargetKinds() {
		for _, op := range ops {
			t.Run(kind.Name+"/"+op.name, func(t *testing.T) {
				t.Parallel()
				tg := kind.New(t)
				s := openNewStore(t, tg.Opts)
				if err := op.run(s); !op.want(err) {
					t.Errorf("%s on a missing store: %v", op.name, err)
				}
				if got := backendtest.RawObjects(t, tg.Raw); len(got) != 0 {
					t.Errorf("%s on a missing store wrote %v", op.name, got)
				}
				expectExists(t, s, false, "after "+op.name)
			})
		}
	}
	for _, op := range ops {
		t.Run("missing directory/"+op.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "absent", "store")
			s, err := backend.Open(ctx, backend.Options{BucketURL: backendtest.FileURL(dir), RootKey: backendtest.RandomRootKey()})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			if err := op.run(s); !op.want(err) {
				t.Errorf("%s on a missing directory: %v", op.name, err)
			}
			if _, err := os.Stat(filepath.Dir(dir)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s on a missing directory created it (stat: %v)", op.name, err)
			}
		})
	}
}

// An audited read of an existing store writes its event objects and
// nothing else: no probe (a PUT, a refused PUT and a DELETE).
func TestRecordReadWritesOnlyEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tg, p := s3ViaProxy(t)
	opts := tg.Opts
	opts.RootKey = backendtest.RandomRootKey()
	w, err := backend.Open(ctx, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer w.Close()
	if _, err := w.CreateKeyVersion(ctx, 1, nil); err != nil {
		t.Fatalf("CreateKeyVersion: %v", err)
	}
	put, err := w.Put(ctx, backend.PutInput{Namespace: "ns", Name: "a", Value: []byte("value-a")})
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	s, err := backend.Open(ctx, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	sec, err := s.Get(ctx, "ns", "a", backend.GetOptions{})
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	before := backendtest.RawObjects(t, tg.Raw)
	p.resetCounts()
	if err := s.RecordRead(ctx, sec); err != nil {
		t.Fatalf("RecordRead: %v", err)
	}
	counts := p.requestCounts()
	after := backendtest.RawObjects(t, tg.Raw)
	var added []string
	for k := range after {
		if _, ok := before[k]; !ok {
			added = append(added, k)
		}
	}
	t.Logf("RecordRead of revision %d: %v, added %v", put.Revision, counts, added)
	if len(added) == 0 {
		t.Fatal("RecordRead wrote no event")
	}
	for _, k := range added {
		if !strings.HasPrefix(k, "v1/a/") {
			t.Errorf("RecordRead wrote %s, not an audit object", k)
		}
	}
	if counts["PUT"] != len(added) || counts["DELETE"] != 0 {
		t.Errorf("RecordRead made %v requests, want %d PUTs (its objects) and no DELETE", counts, len(added))
	}
}

// A Get on a store that does not exist costs at most two requests (the
// header LIST and the LIST that checks the bucket is empty), and so does
// Has. Concurrent Gets are run for the race detector; that they look
// without waiting for each other is stated by prepareRead.
func TestGetMissingStoreRequestCount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tg, p := s3ViaProxy(t)
	s := openNewStore(t, tg.Opts)
	p.resetCounts()
	if _, err := s.Get(ctx, "ns", "a", backend.GetOptions{}); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("Get: %v, want ErrNotFound", err)
	}
	counts := p.requestCounts()
	total := 0
	for _, n := range counts {
		total += n
	}
	t.Logf("Get on a missing store: %v", counts)
	if total > 2 {
		t.Errorf("Get on a missing store made %d requests (%v), want at most 2", total, counts)
	}
	p.resetCounts()
	if ok, err := s.Has(ctx, "ns", "a"); ok || err != nil {
		t.Fatalf("Has: %t, %v", ok, err)
	}
	if c := p.requestCounts(); c["LIST"] > 2 {
		t.Errorf("Has on a missing store made %v requests, want at most 2 LISTs", c)
	}
	// The plans of rotation and cleanup find nothing to do, from the same
	// two LISTs.
	p.resetCounts()
	if plan, err := s.PlanRotate(ctx, backend.RotateInput{}); err != nil || plan.Pending != 0 || len(plan.ByVersion) != 0 {
		t.Fatalf("PlanRotate: %+v, %v", plan, err)
	}
	if c := p.requestCounts(); c["LIST"] > 2 || len(c) > 1 {
		t.Errorf("PlanRotate on a missing store made %v requests, want at most 2 LISTs", c)
	}
	p.resetCounts()
	hour := time.Hour
	all := backend.Retention{ExpiredSecrets: &hour, DeletedSecrets: &hour, Revisions: &hour, AuditEvents: &hour}
	if plan, err := s.PlanCleanup(ctx, backend.CleanupInput{Retention: all}); err != nil || plan != (backend.CleanupPlan{}) {
		t.Fatalf("PlanCleanup: %+v, %v", plan, err)
	}
	if c := p.requestCounts(); c["LIST"] > 2 || len(c) > 1 {
		t.Errorf("PlanCleanup on a missing store made %v requests, want at most 2 LISTs", c)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Get(ctx, "ns", "a", backend.GetOptions{}); !errors.Is(err, backend.ErrNotFound) {
				t.Errorf("concurrent Get: %v", err)
			}
		}()
	}
	wg.Wait()
}

// A revision asked for by number that does not exist costs its GET only:
// no listing showed its key, so there is no second look at it.
func TestGetMissingRevisionRequestCount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tg, p := s3ViaProxy(t)
	s := openNewStore(t, tg.Opts)
	if _, err := s.CreateKeyVersion(ctx, 1, nil); err != nil {
		t.Fatalf("CreateKeyVersion: %v", err)
	}
	if _, err := s.Put(ctx, backend.PutInput{Namespace: "ns", Name: "a", Value: []byte("value-a")}); err != nil {
		t.Fatalf("Put: %v", err)
	}
	p.resetCounts()
	if _, err := s.Get(ctx, "ns", "a", backend.GetOptions{Revision: 5}); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("Get of revision 5: %v, want ErrNotFound", err)
	}
	counts := p.requestCounts()
	t.Logf("Get of a missing revision: %v", counts)
	if counts["GET"] != 1 || counts["HEAD"] != 0 || counts["LIST"] != 0 {
		t.Errorf("Get of a missing revision made %v requests, want one GET", counts)
	}
}

// openNewStore opens a Store on opts under a new random root key, for a
// bucket that holds no store yet; it is closed when the test ends.
func openNewStore(t *testing.T, opts backend.Options) *backend.Store {
	t.Helper()
	opts.RootKey = backendtest.RandomRootKey()
	s, err := backend.Open(t.Context(), opts)
	if err != nil {
		t.Fatalf("Open of a bucket without a store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
