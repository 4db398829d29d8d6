// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// storeCalls makes every call of the Store API once; each returns the
// call's error (nil on success). Put and Delete write to name.
func storeCalls(ctx context.Context, s *backend.Store, name string) map[string]func() error {
	return map[string]func() error{
		"Put": func() error {
			_, err := s.Put(ctx, backend.PutInput{Namespace: "ns", Name: name, Value: []byte("value of " + name)})
			return err
		},
		"Get":    func() error { _, err := s.Get(ctx, "ns", "seed", backend.GetOptions{}); return err },
		"Head":   func() error { _, err := s.Head(ctx, "ns", "seed"); return err },
		"Has":    func() error { _, err := s.Has(ctx, "ns", "seed"); return err },
		"List":   func() error { _, err := s.List(ctx, backend.ListInput{Namespace: "ns"}); return err },
		"Delete": func() error { return s.Delete(ctx, backend.DeleteInput{Namespace: "ns", Name: name}) },
		"ListEvents": func() error {
			_, err := s.ListEvents(ctx, backend.EventFilter{Limit: 5})
			return err
		},
		"RecordRead": func() error {
			return s.RecordRead(ctx, backend.Secret{Namespace: "ns", Name: "seed", Revision: 1, KeyVersion: 1})
		},
		"KeyVersions":      func() error { _, err := s.KeyVersions(ctx); return err },
		"CreateKeyVersion": func() error { _, err := s.CreateKeyVersion(ctx, 90, nil); return err },
		"RetireKeyVersion": func() error { return s.RetireKeyVersion(ctx, 91) },
		"RewrapKeyVersion": func() error { return s.RewrapKeyVersion(ctx, 1) },
		"PlanRotate":       func() error { _, err := s.PlanRotate(ctx, backend.RotateInput{}); return err },
		"Rotate":           func() error { _, err := s.Rotate(ctx, backend.RotateInput{}); return err },
		"PlanCleanup":      func() error { _, err := s.PlanCleanup(ctx, backend.CleanupInput{}); return err },
		"Cleanup":          func() error { _, err := s.Cleanup(ctx, backend.CleanupInput{}); return err },
	}
}

// TestTrustUseAfterClose: after Close, every call fails with ErrClosed
// and writes nothing, whether the store opened its bucket or was given
// one. Before, cached keys were zeroed in place and a Put sealed the value
// under an all-zero key.
func TestTrustUseAfterClose(t *testing.T) {
	t.Parallel()
	backendtest.ForEach(t, backendtest.UnitTargetKinds(), func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		h.PutValue("ns", "seed", "v")
		s := h.Fresh()
		// Use the store first, so that it caches its keys.
		h.ExpectValue(s, "ns", "seed", []byte("v"))
		if _, err := s.Put(h.Ctx, backend.PutInput{Namespace: "ns", Name: "warm", Value: []byte("w")}); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		before := backendtest.RawObjects(t, h.Tg.Raw)
		for name, call := range storeCalls(h.Ctx, s, "after-close") {
			if err := call(); !errors.Is(err, backend.ErrClosed) {
				t.Errorf("%s after Close: %v; want ErrClosed", name, err)
			}
		}
		if added := backendtest.NewObjects(before, backendtest.RawObjects(t, h.Tg.Raw)); len(added) != 0 {
			t.Errorf("calls after Close wrote %v", added)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

// TestTrustCloseRace runs every call from many goroutines while Close
// runs (go test -race checks that no call reads key material as Close
// clears it). Each call either completes as usual or fails with ErrClosed;
// every call that starts after Close returns fails with ErrClosed; and
// every value written reads back under the real keys.
func TestTrustCloseRace(t *testing.T) {
	t.Parallel()
	backendtest.ForEach(t, backendtest.UnitTargetKinds(), func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		h.PutValue("ns", "seed", "v")
		s := h.Fresh()
		var closed atomic.Bool
		var wg sync.WaitGroup
		errs := make(chan error, 1000)
		start := make(chan struct{})
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				calls := storeCalls(h.Ctx, s, fmt.Sprintf("g%d", g))
				for i := 0; ; i++ {
					after := closed.Load()
					for name, call := range calls {
						if name == "Delete" || name == "Rotate" || name == "Cleanup" {
							continue // keep the written values for the read-back check
						}
						err := call()
						switch {
						case errors.Is(err, backend.ErrClosed):
						case after:
							errs <- fmt.Errorf("%s started after Close returned: %w; want ErrClosed", name, err)
							return
						case err != nil && !errors.Is(err, backend.ErrNotFound) && !errors.Is(err, backend.ErrKeyVersionExists) &&
							!errors.Is(err, backend.ErrConcurrentModification):
							errs <- fmt.Errorf("%s while Close runs: %w", name, err)
							return
						}
					}
					if after {
						return
					}
				}
			}()
		}
		close(start)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		closed.Store(true)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		// Every written value is sealed under the real keys.
		fresh := h.Fresh()
		for _, sec := range backendtest.AllSecrets(t, fresh, backend.ListInput{Namespace: "ns"}) {
			want := "v"
			if sec.Name != "seed" {
				want = "value of " + sec.Name
			}
			h.ExpectValue(fresh, "ns", sec.Name, []byte(want))
		}
	})
}
