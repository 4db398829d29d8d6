// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// renewal is one acknowledged renewal: the revision it wrote and the value
// that revision must read back.
type renewal struct {
	rev   int64
	value string
}

// lostExpiryOnly reports whether err is an expiry-only renewal p refused
// because the secret was purged first (a value is required to create it).
func lostExpiryOnly(err error, p backend.PutInput) bool {
	var ve *backend.ValidationError
	return p.Value == nil && errors.As(err, &ve) && ve.Field == backend.FieldValue
}

// TestTrustCleanupRacesRenewal renews expired secrets (alternately with a
// new value and with a later expiry only), each from its own store and
// goroutine, while two more stores run Cleanup with a zero expired-secret
// retention over and over. A renewal may lose its race (the secret was
// purged first), but once acknowledged it is never purged: every
// acknowledged revision reads back with its value, and each secret's
// current value is its last acknowledged one. Secrets nobody renews are
// purged, so the cleanups did run against the renewals.
func TestTrustCleanupRacesRenewal(t *testing.T) {
	t.Parallel()
	backendtest.ForEach(t, backendtest.UnitTargetKinds(), func(t *testing.T, h *backendtest.Harness) {
		ctx := h.Ctx
		h.CreateKV(1)
		const writers, rounds, cleaners, idle = 6, 12, 2, 4
		name := func(i int) string { return fmt.Sprintf("renewed-%d", i) }
		for i := 0; i < writers; i++ {
			h.Put(backend.PutInput{Namespace: "rr", Name: name(i), Value: []byte("seed"), Expiry: backend.Expiry{Set: true, TTL: time.Second}})
		}
		for i := 0; i < idle; i++ {
			h.Put(backend.PutInput{Namespace: "rr", Name: fmt.Sprintf("idle-%d", i), Value: []byte("seed"), Expiry: backend.Expiry{Set: true, TTL: time.Second}})
		}
		// Every seeded secret is now expired longer than the retention
		// plus the skew margin; a renewal's expiry is a day away.
		h.Clock.Advance(time.Hour)
		in := backend.CleanupInput{Namespace: "rr", Retention: backend.Retention{ExpiredSecrets: dur(0)}}

		acked := make([][]renewal, writers)
		lost := make([]int, writers)
		errs := make(chan error, writers+cleaners)
		stop := make(chan struct{})
		var writing, cleaning sync.WaitGroup
		var mu sync.Mutex
		purged := 0
		start := make(chan struct{})
		for c := 0; c < cleaners; c++ {
			s := h.Fresh()
			cleaning.Add(1)
			go func() {
				defer cleaning.Done()
				<-start
				for {
					res, err := s.Cleanup(ctx, in)
					if err != nil {
						errs <- fmt.Errorf("cleanup: %w", err)
						return
					}
					mu.Lock()
					purged += res.Secrets
					mu.Unlock()
					select {
					case <-stop:
						return
					default:
					}
				}
			}()
		}
		for i := 0; i < writers; i++ {
			s := h.Fresh()
			writing.Add(1)
			go func() {
				defer writing.Done()
				<-start
				value := "seed"
				for r := 0; r < rounds; r++ {
					p := backend.PutInput{Namespace: "rr", Name: name(i), Expiry: backend.Expiry{Set: true, TTL: 24 * time.Hour}}
					v := value
					if r%2 == 1 {
						v = fmt.Sprintf("w%d-r%d", i, r)
						p.Value = []byte(v)
					}
					sec, err := s.Put(ctx, p)
					switch {
					case err == nil:
						value = v
						acked[i] = append(acked[i], renewal{sec.Revision, v})
					case errors.Is(err, backend.ErrConcurrentModification) || lostExpiryOnly(err, p):
						// Lost to a purge: nothing was acknowledged.
						lost[i]++
					default:
						errs <- fmt.Errorf("renewing %s: %w", name(i), err)
						return
					}
				}
			}()
		}
		close(start)
		writing.Wait()
		close(stop)
		cleaning.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if t.Failed() {
			t.FailNow()
		}
		// One last cleanup after the writers are done purges nothing
		// acknowledged either.
		if _, err := h.Fresh().Cleanup(ctx, in); err != nil {
			t.Fatalf("final Cleanup: %v", err)
		}

		s := h.Fresh()
		for i := 0; i < writers; i++ {
			if len(acked[i]) == 0 {
				t.Logf("%s: every renewal lost to a purge", name(i))
				continue
			}
			last := acked[i][len(acked[i])-1]
			cur, err := s.Get(ctx, "rr", name(i), backend.GetOptions{})
			if err != nil || cur.Revision != last.rev || string(cur.Value) != last.value {
				t.Errorf("%s after the race = revision %d %q, %v; want the last acknowledged renewal, revision %d %q",
					name(i), cur.Revision, cur.Value, err, last.rev, last.value)
			}
			for _, a := range acked[i] {
				got, err := s.Get(ctx, "rr", name(i), backend.GetOptions{Revision: a.rev})
				if err != nil || string(got.Value) != a.value {
					t.Errorf("%s acknowledged revision %d reads %q, %v; want %q", name(i), a.rev, got.Value, err, a.value)
				}
			}
		}
		for i := 0; i < idle; i++ {
			_, err := s.Get(ctx, "rr", fmt.Sprintf("idle-%d", i), backend.GetOptions{Revision: 1})
			backendtest.ExpectErr(t, err, backend.ErrNotFound, "an expired secret nobody renewed")
		}
		t.Logf("%d secrets purged; renewals lost to a purge: %v", purged, lost)
	})
}

// renewOrClean is a helper process of TestTrustProcessCleanupRacesRenewal:
// a writer renews its secret cfg.Rounds times, alternately with a new
// value and with a later expiry only, then leaves a done file; a cleaner
// runs Cleanup with a zero expired-secret retention until every writer is
// done.
func renewOrClean(ctx context.Context, cfg helperConfig, s *backend.Store, res helperResult) (helperResult, error) {
	if cfg.ID >= cfg.Writers {
		in := backend.CleanupInput{Namespace: raceNamespace, Retention: backend.Retention{ExpiredSecrets: dur(0)}}
		for {
			done, err := os.ReadDir(filepath.Join(cfg.SyncDir, "done"))
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return res, err
			}
			if len(done) >= cfg.Writers {
				return res, nil
			}
			if _, err := os.Stat(filepath.Join(cfg.SyncDir, abortFile)); err == nil {
				return res, errors.New("another process failed")
			}
			r, err := s.Cleanup(ctx, in)
			if err != nil {
				return res, fmt.Errorf("cleanup: %w", err)
			}
			res.Attempts = append(res.Attempts, attempt{Phase: "cleanup", OK: true, Revision: int64(r.Secrets)})
		}
	}
	name := fmt.Sprintf("renewed-%d", cfg.ID)
	value := "seed"
	for r := 0; r < cfg.Rounds; r++ {
		p := backend.PutInput{Namespace: raceNamespace, Name: name, Expiry: backend.Expiry{Set: true, TTL: 24 * time.Hour}}
		v := value
		if r%2 == 1 {
			v = fmt.Sprintf("p%d-r%d", cfg.ID, r)
			p.Value = []byte(v)
		}
		sec, err := s.Put(ctx, p)
		a := attempt{Phase: "renew", Round: r, OK: err == nil, Revision: sec.Revision, Value: v}
		switch {
		case err == nil:
			value = v
		case errors.Is(err, backend.ErrConcurrentModification) || lostExpiryOnly(err, p):
			a.Err = "lost"
		default:
			return res, fmt.Errorf("renewing %s: %w", name, err)
		}
		res.Attempts = append(res.Attempts, a)
	}
	dir := filepath.Join(cfg.SyncDir, "done")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return res, err
	}
	return res, os.WriteFile(filepath.Join(dir, strconv.Itoa(cfg.ID)), nil, 0o600)
}

// TestTrustProcessCleanupRacesRenewal is TestTrustCleanupRacesRenewal
// with OS processes on one file:// directory: writer processes renew
// secrets that expired two hours ago while cleaner processes purge expired
// secrets with a zero retention. Every acknowledged renewal reads back;
// secrets nobody renews are purged.
func TestTrustProcessCleanupRacesRenewal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	const writers, cleaners, rounds, idle = 4, 2, 10, 3
	bucketURL := backendtest.FileURL(t.TempDir())
	root := backendtest.RandomRootKey()
	ctx := context.Background()
	// Seeded two hours ago by the real clock, with a one-second TTL.
	past := func() time.Time { return time.Now().Add(-2 * time.Hour) }
	seed, err := backend.Open(ctx, backend.Options{BucketURL: bucketURL, RootKey: root, Now: past})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer seed.Close()
	if _, err := seed.CreateKeyVersion(ctx, 1, nil); err != nil {
		t.Fatalf("CreateKeyVersion: %v", err)
	}
	names := []string{}
	for i := 0; i < writers; i++ {
		names = append(names, fmt.Sprintf("renewed-%d", i))
	}
	for i := 0; i < idle; i++ {
		names = append(names, fmt.Sprintf("idle-%d", i))
	}
	for _, n := range names {
		if _, err := seed.Put(ctx, backend.PutInput{Namespace: raceNamespace, Name: n, Value: []byte("seed"), Expiry: backend.Expiry{Set: true, TTL: time.Second}}); err != nil {
			t.Fatalf("Put %s: %v", n, err)
		}
	}

	results := runProcessesWith(t, "renew", writers+cleaners, rounds, bucketURL, root, func(c *helperConfig) { c.Writers = writers })
	s, err := backend.Open(ctx, backend.Options{BucketURL: bucketURL, RootKey: root})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if _, err := s.Cleanup(ctx, backend.CleanupInput{Namespace: raceNamespace, Retention: backend.Retention{ExpiredSecrets: dur(0)}}); err != nil {
		t.Fatalf("final Cleanup: %v", err)
	}
	purged, lost := 0, 0
	for _, r := range results {
		var last *attempt
		for i, a := range r.Attempts {
			switch {
			case a.Phase == "cleanup":
				purged += int(a.Revision)
			case !a.OK:
				lost++
			default:
				last = &r.Attempts[i]
				name := fmt.Sprintf("renewed-%d", r.ID)
				got, err := s.Get(ctx, raceNamespace, name, backend.GetOptions{Revision: a.Revision})
				if err != nil || string(got.Value) != a.Value {
					t.Errorf("%s acknowledged revision %d reads %q, %v; want %q", name, a.Revision, got.Value, err, a.Value)
				}
			}
		}
		if last != nil {
			name := fmt.Sprintf("renewed-%d", r.ID)
			cur, err := s.Get(ctx, raceNamespace, name, backend.GetOptions{})
			if err != nil || cur.Revision != last.Revision || string(cur.Value) != last.Value {
				t.Errorf("%s after the race = revision %d %q, %v; want the last acknowledged renewal, revision %d %q",
					name, cur.Revision, cur.Value, err, last.Revision, last.Value)
			}
		}
	}
	for i := 0; i < idle; i++ {
		_, err := s.Get(ctx, raceNamespace, fmt.Sprintf("idle-%d", i), backend.GetOptions{Revision: 1})
		backendtest.ExpectErr(t, err, backend.ErrNotFound, "an expired secret nobody renewed")
	}
	t.Logf("%d secrets purged by the cleaner processes, %d renewals lost to a purge", purged, lost)
}

// TestTrustCleanupStaleListing: while one Cleanup holds a listing of an
// expired secret, another Cleanup purges it and a writer creates it again
// (its revision numbers start over). The first Cleanup then reads a record
// that disagrees with the marker it listed; that marker is gone, so the
// secret changed since the listing: the Cleanup leaves it alone and
// succeeds instead of reporting a forged record, and the new secret reads
// back.
func TestTrustCleanupStaleListing(t *testing.T) {
	t.Parallel()
	backendtest.ForEach(t, backendtest.UnitTargetKinds(), func(t *testing.T, h *backendtest.Harness) {
		ctx := h.Ctx
		h.CreateKV(1)
		h.Put(backend.PutInput{Namespace: "st", Name: "x", Value: []byte("old"), Expiry: backend.Expiry{Set: true, TTL: time.Second}})
		h.Clock.Advance(time.Hour)
		in := backend.CleanupInput{Namespace: "st", Retention: backend.Retention{ExpiredSecrets: dur(0)}}

		ib, b := backendtest.NewFaultBucket(h.Tg.Raw)
		stale := h.MustOpen(func(o *backend.Options) {
			*o = backend.Options{Bucket: b, RootKey: h.Root, Actor: backendtest.Actor, Now: h.Clock.Now}
		})
		other := h.Fresh()
		dir := backend.SecretDir("st", "x")
		var once sync.Once
		ib.BeforeGet(func(key string) {
			if len(key) < len(dir) || key[:len(dir)] != dir {
				return
			}
			once.Do(func() {
				if res, err := other.Cleanup(ctx, in); err != nil || res.Secrets != 1 {
					t.Errorf("the other Cleanup = %+v, %v; want 1 secret purged", res, err)
				}
				h.Clock.Advance(time.Second)
				if sec, err := h.S.Put(ctx, backend.PutInput{Namespace: "st", Name: "x", Value: []byte("new"), IfRevision: -1}); err != nil || sec.Revision != 1 {
					t.Errorf("creating the purged secret again = revision %d, %v; want revision 1", sec.Revision, err)
				}
			})
		})
		res, err := stale.Cleanup(ctx, in)
		ib.BeforeGet(nil)
		if err != nil || res.Secrets != 0 {
			t.Fatalf("Cleanup with a stale listing = %+v, %v; want nothing purged and no error", res, err)
		}
		h.ExpectValue(h.Fresh(), "st", "x", []byte("new"))
	})
}

// TestTrustCleanupForgedExpiryMarker: a live secret's marker forged to say
// it expired long ago stands in the bucket while Cleanup re-reads the
// record, so the disagreement is a forgery, not a change since the
// listing: Cleanup purges nothing, reports an integrity error, and the
// value stays readable.
func TestTrustCleanupForgedExpiryMarker(t *testing.T) {
	t.Parallel()
	backendtest.ForEach(t, backendtest.UnitTargetKinds(), func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		h.PutValue("fx", "a", "live")
		h.Clock.Advance(time.Hour)
		forgeMarker(t, h, "fx", "a", 1, func(m *backend.Marker) { m.Expires = m.Written + int64(time.Second) })
		in := backend.CleanupInput{Retention: backend.Retention{ExpiredSecrets: dur(0)}}
		res, err := h.Fresh().Cleanup(h.Ctx, in)
		if !errors.Is(err, backend.ErrIntegrity) || res.Secrets != 0 {
			t.Fatalf("Cleanup after a forged expiry marker = %+v, %v; want nothing purged and an integrity error", res, err)
		}
		if got := h.Get(h.Fresh(), "fx", "a", 1); string(got.Value) != "live" {
			t.Fatalf("the live secret reads %q", got.Value)
		}
	})
}
