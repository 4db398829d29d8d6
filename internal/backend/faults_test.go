// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// TestInstrumentedBucket checks the wrapper itself: counts, each fault kind,
// and that IfNotExist conflicts keep their FailedPrecondition code.
func TestInstrumentedBucket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inner := backendtest.OpenRaw(t, "mem://")
	ib, b := backendtest.NewFaultBucket(inner)
	create := &blob.WriterOptions{IfNotExist: true}
	if err := b.WriteAll(ctx, "a", []byte("1"), create); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteAll(ctx, "a", []byte("2"), create); gcerrors.Code(err) != gcerrors.FailedPrecondition {
		t.Fatalf("second create-only write: %v (code %v), want FailedPrecondition", err, gcerrors.Code(err))
	}
	if _, err := b.ReadAll(ctx, "missing"); gcerrors.Code(err) != gcerrors.NotFound {
		t.Fatalf("read of a missing key: %v", err)
	}
	ib.Arm(backendtest.FaultWrite, 2)
	if err := b.WriteAll(ctx, "b", []byte("b"), create); err != nil {
		t.Fatalf("first write after arming: %v", err)
	}
	if err := b.WriteAll(ctx, "c", []byte("c"), create); !errors.Is(err, backendtest.ErrInjected) && gcerrors.Code(err) != gcerrors.Internal {
		t.Fatalf("second write after arming: %v, want the injected fault", err)
	}
	if fired, seen := ib.Disarm(); !fired || seen != 2 {
		t.Fatalf("fired %v after %d writes", fired, seen)
	}
	if ok, _ := inner.Exists(ctx, "c"); ok {
		t.Fatalf("a failed write stored its object")
	}
	ib.Arm(backendtest.FaultWriteStored, 1)
	if err := b.WriteAll(ctx, "d", []byte("d"), create); err == nil {
		t.Fatalf("stored-then-failed write reported success")
	}
	ib.Disarm()
	if ok, _ := inner.Exists(ctx, "d"); !ok {
		t.Fatalf("the stored-then-failed write did not store its object")
	}
	ib.Arm(backendtest.FaultList, 1)
	if _, _, err := b.ListPage(ctx, blob.FirstPageToken, 10, nil); err == nil {
		t.Fatalf("armed list succeeded")
	}
	ib.Disarm()
	ib.Arm(backendtest.FaultDeleteDone, 1)
	if err := b.Delete(ctx, "d"); err == nil {
		t.Fatalf("armed delete succeeded")
	}
	ib.Disarm()
	if ok, _ := inner.Exists(ctx, "d"); ok {
		t.Fatalf("delete-done fault left the object")
	}
	objs, _, err := b.ListPage(ctx, blob.FirstPageToken, 10, nil)
	if err != nil || len(objs) != 2 || objs[0].Key != "a" || objs[1].Key != "b" {
		t.Fatalf("list = %v, %v", objs, err)
	}
	c := ib.ResetCounts()
	if c.Write != 5 || c.Get != 1 || c.List != 2 || c.Delete != 1 {
		t.Fatalf("counts = %+v", c)
	}
	ib.DropIfNotExist()
	if err := b.WriteAll(ctx, "a", []byte("3"), create); err != nil {
		t.Fatalf("with IfNotExist dropped, the overwrite failed: %v", err)
	}
}

// TestConditionalWritesUnsupported: a bucket that silently ignores
// create-only writes is refused at the first write (Open writes nothing),
// whether it is new or already holds a store.
func TestConditionalWritesUnsupported(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := backendtest.RandomRootKey()

	ib, b := backendtest.NewFaultBucket(backendtest.OpenRaw(t, "mem://"))
	ib.DropIfNotExist()
	s, err := backend.Open(ctx, backend.Options{Bucket: b, RootKey: root})
	if err != nil {
		t.Fatalf("Open (which writes nothing) of a bucket that ignores IfNotExist: %v", err)
	}
	_, err = s.CreateKeyVersion(ctx, 1, nil)
	backendtest.ExpectErr(t, err, backend.ErrConditionalWritesUnsupported, "first write into a new bucket that ignores IfNotExist")
	if ok, err := s.Exists(ctx); ok || err != nil {
		t.Fatalf("a refused first write created the store (Exists: %t, %v)", ok, err)
	}
	_ = s.Close()

	inner := backendtest.OpenRaw(t, "mem://")
	good, err := backend.Open(ctx, backend.Options{Bucket: inner, RootKey: root})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, err := good.CreateKeyVersion(ctx, 1, nil); err != nil {
		t.Fatalf("CreateKeyVersion: %v", err)
	}
	_ = good.Close()
	ib, b = backendtest.NewFaultBucket(inner)
	ib.DropIfNotExist()
	s, err = backend.Open(ctx, backend.Options{Bucket: b, RootKey: root})
	if err != nil {
		t.Fatalf("Open (which writes nothing) of an existing store whose bucket ignores IfNotExist: %v", err)
	}
	defer s.Close()
	_, err = s.Put(ctx, backend.PutInput{Namespace: "ns", Name: "a", Value: []byte("v")})
	backendtest.ExpectErr(t, err, backend.ErrConditionalWritesUnsupported, "first write into an existing store whose bucket ignores IfNotExist")
	// Still refused on the next write: a failed probe is not remembered as
	// passed.
	_, err = s.Put(ctx, backend.PutInput{Namespace: "ns", Name: "a", Value: []byte("v")})
	backendtest.ExpectErr(t, err, backend.ErrConditionalWritesUnsupported, "second write into an existing store whose bucket ignores IfNotExist")
}

// checker opens a new store on h's bucket that reads its objects without
// the faults of h.Tg.Faults.
func checker(h *backendtest.Harness) *backend.Store {
	h.T.Helper()
	return h.MustOpen(func(o *backend.Options) { o.Bucket, o.Concurrency = h.Tg.Raw, 0 })
}

type secretID struct{ ns, name string }

// verifyAcked fails unless every acknowledged value reads exactly, and the
// current revision of each has its audit event (fail closed).
func verifyAcked(t *testing.T, s *backend.Store, acked map[secretID][]byte, maybe map[secretID][]byte, what string) {
	t.Helper()
	ctx := context.Background()
	for id, want := range acked {
		got, err := s.Get(ctx, id.ns, id.name, backend.GetOptions{})
		if err != nil {
			t.Fatalf("%s: acknowledged %s/%s unreadable: %v", what, id.ns, id.name, err)
		}
		if string(got.Value) != string(want) {
			if alt, ok := maybe[id]; !ok || string(got.Value) != string(alt) {
				t.Fatalf("%s: %s/%s reads %q, acknowledged %q", what, id.ns, id.name, got.Value, want)
			}
		}
		found := false
		for _, ev := range backendtest.AllEvents(t, s, backend.EventFilter{Namespace: id.ns, Name: id.name}) {
			found = found || ev.Revision == got.Revision
		}
		if !found {
			t.Fatalf("%s: current revision %d of %s/%s has no audit event", what, got.Revision, id.ns, id.name)
		}
	}
}

// faultSweep runs one scenario once per k = 1, 2, ..., each on a new
// Faulty harness, with the k-th request of the kind failing, until a run
// completes without the fault firing. It returns the number of runs in
// which the fault fired.
func faultSweep(t *testing.T, kind backendtest.FaultKind, maxK int, run func(t *testing.T, e *backendtest.Harness, k int) (fired bool)) int {
	t.Helper()
	firedRuns := 0
	for k := 1; ; k++ {
		if k > maxK {
			t.Fatalf("%s: the operation still made a matching request at k = %d", kind, maxK)
		}
		fired := false
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			fired = run(t, backendtest.New(t, backendtest.Faulty), k)
		})
		if t.Failed() {
			return firedRuns
		}
		if !fired {
			return firedRuns
		}
		firedRuns++
	}
}

func TestFaultsPut(t *testing.T) {
	t.Parallel()
	type op struct {
		name  string
		id    secretID
		input func() backend.PutInput
	}
	ops := []op{
		{"create", secretID{"f", "new"}, func() backend.PutInput {
			return backend.PutInput{Namespace: "f", Name: "new", Value: []byte("created value")}
		}},
		{"update", secretID{"f", "s1"}, func() backend.PutInput {
			return backend.PutInput{Namespace: "f", Name: "s1", Value: []byte("updated value")}
		}},
		{"metadata", secretID{"f", "s2"}, func() backend.PutInput {
			return backend.PutInput{Namespace: "f", Name: "s2", SetMetadata: true, Metadata: map[string]string{"k": "v"}}
		}},
	}
	for _, o := range ops {
		for _, kind := range []backendtest.FaultKind{backendtest.FaultWrite, backendtest.FaultWriteStored, backendtest.FaultList} {
			t.Run(o.name+"/"+kind.String(), func(t *testing.T) {
				fired := faultSweep(t, kind, 100, func(t *testing.T, e *backendtest.Harness, k int) bool {
					if _, err := e.S.CreateKeyVersion(e.Ctx, 1, nil); err != nil {
						t.Fatalf("CreateKeyVersion: %v", err)
					}
					acked := map[secretID][]byte{}
					for i := 0; i < 4; i++ {
						id := secretID{"f", fmt.Sprintf("s%d", i)}
						v := []byte(fmt.Sprintf("value %d", i))
						if _, err := e.S.Put(e.Ctx, backend.PutInput{Namespace: id.ns, Name: id.name, Value: v}); err != nil {
							t.Fatalf("setup Put: %v", err)
						}
						acked[id] = v
					}
					in := o.input()
					newValue := in.Value
					if newValue == nil {
						newValue = acked[o.id]
					}
					e.Clock.Advance(time.Second)
					e.Tg.Faults.Arm(kind, k)
					_, err := e.S.Put(e.Ctx, in)
					fired, _ := e.Tg.Faults.Disarm()
					if !fired && err != nil {
						t.Fatalf("Put without a fault: %v", err)
					}
					maybe := map[secretID][]byte{}
					if err == nil {
						acked[o.id] = newValue
					} else {
						maybe[o.id] = newValue
					}
					verifyAcked(t, checker(e), acked, maybe, "after the fault")
					if err != nil {
						// The unacknowledged write is either absent or complete.
						if got, gerr := checker(e).Get(e.Ctx, o.id.ns, o.id.name, backend.GetOptions{}); gerr != nil && !(o.name == "create" && errors.Is(gerr, backend.ErrNotFound)) {
							t.Fatalf("after a failed %s, Get = %v", o.name, gerr)
						} else if gerr == nil && o.name == "metadata" && got.Metadata["k"] != "v" && len(got.Metadata) != 0 {
							t.Fatalf("after a failed metadata update, metadata = %v", got.Metadata)
						}
						// A rerun converges.
						e.Clock.Advance(time.Second)
						if _, err := e.S.Put(e.Ctx, o.input()); err != nil {
							t.Fatalf("rerun of %s after the fault: %v", o.name, err)
						}
						acked[o.id] = newValue
						verifyAcked(t, checker(e), acked, nil, "after the rerun")
						if o.name == "metadata" {
							if got, _ := checker(e).Get(e.Ctx, o.id.ns, o.id.name, backend.GetOptions{}); got.Metadata["k"] != "v" {
								t.Fatalf("metadata after rerun = %v", got.Metadata)
							}
						}
					}
					return fired
				})
				if !t.Failed() && fired == 0 && kind != backendtest.FaultList {
					t.Fatalf("no fault fired: the %s made no matching request", o.name)
				}
				t.Logf("%s/%s: faults injected in %d runs", o.name, kind, fired)
			})
		}
	}
}

func TestFaultsRotate(t *testing.T) {
	t.Parallel()
	const n = 8
	for _, kind := range []backendtest.FaultKind{backendtest.FaultWrite, backendtest.FaultWriteStored, backendtest.FaultList} {
		t.Run(kind.String(), func(t *testing.T) {
			fired := faultSweep(t, kind, 200, func(t *testing.T, e *backendtest.Harness, k int) bool {
				if _, err := e.S.CreateKeyVersion(e.Ctx, 1, nil); err != nil {
					t.Fatalf("CreateKeyVersion: %v", err)
				}
				acked := map[secretID][]byte{}
				for i := 0; i < n; i++ {
					id := secretID{fmt.Sprintf("n%d", i%2), fmt.Sprintf("s%d", i)}
					v := []byte(fmt.Sprintf("value %d", i))
					if _, err := e.S.Put(e.Ctx, backend.PutInput{Namespace: id.ns, Name: id.name, Value: v}); err != nil {
						t.Fatalf("setup Put: %v", err)
					}
					acked[id] = v
				}
				if _, err := e.S.CreateKeyVersion(e.Ctx, 2, nil); err != nil {
					t.Fatalf("CreateKeyVersion(2): %v", err)
				}
				e.Clock.Advance(time.Second)
				e.Tg.Faults.Arm(kind, k)
				res, err := e.S.Rotate(e.Ctx, backend.RotateInput{})
				fired, _ := e.Tg.Faults.Disarm()
				if !fired {
					if err != nil || res.Rotated != n {
						t.Fatalf("Rotate without a fault = %+v, %v", res, err)
					}
				}
				verifyAcked(t, checker(e), acked, nil, "after the fault")
				e.Clock.Advance(time.Second)
				if res, err := e.S.Rotate(e.Ctx, backend.RotateInput{}); err != nil || res.Processed != n {
					t.Fatalf("rerun of Rotate = %+v, %v", res, err)
				}
				c := checker(e)
				verifyAcked(t, c, acked, nil, "after the rerun")
				plan, err := c.PlanRotate(e.Ctx, backend.RotateInput{})
				if err != nil || plan.Pending != 0 || plan.ByVersion[2] != n {
					t.Fatalf("PlanRotate after the rerun = %+v, %v", plan, err)
				}
				for id := range acked {
					sec, err := c.Get(e.Ctx, id.ns, id.name, backend.GetOptions{})
					if err != nil || sec.KeyVersion != 2 {
						t.Fatalf("%v after the rerun: key version %d, %v", id, sec.KeyVersion, err)
					}
					rotated := backendtest.AllEvents(t, c, backend.EventFilter{Namespace: id.ns, Name: id.name, Operations: []string{backend.OpRotated}})
					if !slices.ContainsFunc(rotated, func(ev backend.Event) bool { return ev.Revision == sec.Revision }) {
						t.Fatalf("%v: no rotated event for revision %d", id, sec.Revision)
					}
				}
				return fired
			})
			if !t.Failed() && fired < 2 {
				t.Fatalf("faults fired in only %d runs", fired)
			}
			t.Logf("%s: faults injected in %d runs", kind, fired)
		})
	}
}

func TestFaultsCleanup(t *testing.T) {
	t.Parallel()
	ret := func(d time.Duration) *time.Duration { return &d }
	retention := backend.Retention{ExpiredSecrets: ret(24 * time.Hour), DeletedSecrets: ret(24 * time.Hour),
		Revisions: ret(24 * time.Hour), AuditEvents: ret(24 * time.Hour)}
	for _, kind := range []backendtest.FaultKind{backendtest.FaultWrite, backendtest.FaultWriteStored, backendtest.FaultList, backendtest.FaultDelete, backendtest.FaultDeleteDone} {
		t.Run(kind.String(), func(t *testing.T) {
			fired := faultSweep(t, kind, 400, func(t *testing.T, e *backendtest.Harness, k int) bool {
				ctx := e.Ctx
				if _, err := e.S.CreateKeyVersion(ctx, 1, nil); err != nil {
					t.Fatalf("CreateKeyVersion: %v", err)
				}
				acked := map[secretID][]byte{}
				put := func(in backend.PutInput) {
					if _, err := e.S.Put(ctx, in); err != nil {
						t.Fatalf("setup Put: %v", err)
					}
					if in.Value != nil {
						acked[secretID{in.Namespace, in.Name}] = in.Value
					}
				}
				for i := 0; i < 3; i++ {
					put(backend.PutInput{Namespace: "c", Name: fmt.Sprintf("exp%d", i), Value: []byte("e"), Expiry: backend.Expiry{Set: true, TTL: time.Hour}})
					put(backend.PutInput{Namespace: "c", Name: fmt.Sprintf("del%d", i), Value: []byte("d")})
					put(backend.PutInput{Namespace: "c", Name: fmt.Sprintf("live%d", i), Value: []byte(fmt.Sprintf("old %d", i))})
					put(backend.PutInput{Namespace: "c", Name: fmt.Sprintf("live%d", i), Value: []byte(fmt.Sprintf("live %d", i))})
					if err := e.S.Delete(ctx, backend.DeleteInput{Namespace: "c", Name: fmt.Sprintf("del%d", i)}); err != nil {
						t.Fatalf("setup Delete: %v", err)
					}
				}
				gone := []secretID{}
				for id := range acked {
					if id.name[:3] != "liv" {
						gone = append(gone, id)
						delete(acked, id)
					}
				}
				e.Clock.Advance(50 * time.Hour)
				put(backend.PutInput{Namespace: "c", Name: "new", Value: []byte("new")})
				plan, err := e.S.PlanCleanup(ctx, backend.CleanupInput{Retention: retention})
				if err != nil || plan.Secrets != 6 || plan.Revisions != 3 || plan.Events == 0 {
					t.Fatalf("PlanCleanup = %+v, %v", plan, err)
				}

				e.Tg.Faults.Arm(kind, k)
				res, err := e.S.Cleanup(ctx, backend.CleanupInput{Retention: retention})
				fired, _ := e.Tg.Faults.Disarm()
				if !fired && (err != nil || res != plan) {
					t.Fatalf("Cleanup without a fault = %+v, %v; planned %+v", res, err, plan)
				}
				c := checker(e)
				verifyAcked(t, c, acked, nil, "after the fault")
				// An interrupted purge never brings back an older revision.
				for _, id := range gone {
					if sec, err := c.Get(ctx, id.ns, id.name, backend.GetOptions{}); err == nil || !(errors.Is(err, backend.ErrNotFound) || errors.Is(err, backend.ErrExpired)) {
						t.Fatalf("%v after an interrupted cleanup: Get = %q, %v; want not found or expired", id, sec.Value, err)
					}
				}

				e.Clock.Advance(time.Second)
				if _, err := e.S.Cleanup(ctx, backend.CleanupInput{Retention: retention}); err != nil {
					t.Fatalf("rerun of Cleanup: %v", err)
				}
				c = checker(e)
				verifyAcked(t, c, acked, nil, "after the rerun")
				if plan, err := c.PlanCleanup(ctx, backend.CleanupInput{Retention: retention}); err != nil || plan.Secrets != 0 || plan.Revisions != 0 {
					t.Fatalf("PlanCleanup after the rerun = %+v, %v", plan, err)
				}
				for _, id := range gone {
					if _, err := c.Get(ctx, id.ns, id.name, backend.GetOptions{}); !errors.Is(err, backend.ErrNotFound) {
						t.Fatalf("%v after cleanup: %v, want not found", id, err)
					}
					if id.name[:3] == "exp" {
						evs := backendtest.AllEvents(t, c, backend.EventFilter{Namespace: id.ns, Name: id.name, Operations: []string{backend.OpDeleted}})
						if len(evs) == 0 || evs[len(evs)-1].Reason != backend.ReasonExpiredCleanup {
							t.Fatalf("%v: deleted events %+v, want a final one with reason %s", id, evs, backend.ReasonExpiredCleanup)
						}
					}
				}
				for i := 0; i < 3; i++ {
					if _, err := c.Get(ctx, "c", fmt.Sprintf("live%d", i), backend.GetOptions{Revision: 1}); !errors.Is(err, backend.ErrNotFound) {
						t.Fatalf("superseded revision of live%d after cleanup: %v", i, err)
					}
				}
				return fired
			})
			if !t.Failed() && fired < 2 {
				t.Fatalf("faults fired in only %d runs", fired)
			}
			t.Logf("%s: faults injected in %d runs", kind, fired)
		})
	}
}
