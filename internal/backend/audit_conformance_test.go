package backend_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

type wantEvent struct {
	op       string
	ns, name string
	rev      int64
	kv       int
	at       time.Time
}

func testAudit(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	ctx := h.Ctx
	var want []wantEvent
	values := map[string]bool{}
	step := func() time.Time { return h.Clock.Advance(time.Second) }

	at := step()
	h.CreateKV(1)
	want = append(want, wantEvent{backend.OpKeyVersionCreated, "", "", 0, 1, at})
	put := func(ns, name, op string, in backend.PutInput) backend.Secret {
		at := step()
		in.Namespace, in.Name = ns, name
		if in.Value != nil {
			values[string(in.Value)] = true
		}
		sec := h.Put(in)
		want = append(want, wantEvent{op, ns, name, sec.Revision, sec.KeyVersion, at})
		return sec
	}
	del := func(ns, name string, rev int64) {
		at := step()
		if err := h.S.Delete(ctx, backend.DeleteInput{Namespace: ns, Name: name}); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		want = append(want, wantEvent{backend.OpDeleted, ns, name, rev, -1, at})
	}
	read := func(ns, name string) {
		sec := h.Get(h.S, ns, name, 0)
		at := step()
		if err := h.S.RecordRead(ctx, sec); err != nil {
			t.Fatalf("RecordRead: %v", err)
		}
		want = append(want, wantEvent{backend.OpRead, ns, name, sec.Revision, sec.KeyVersion, at})
	}
	v := func() []byte { return []byte("audit-canary-" + backendtest.RandomHex(8)) }

	put("alpha", "x", backend.OpCreated, backend.PutInput{Value: v()})
	put("alpha", "y", backend.OpCreated, backend.PutInput{Value: v()})
	put("beta", "x", backend.OpCreated, backend.PutInput{Value: v()})
	put("alpha", "x", backend.OpUpdated, backend.PutInput{Value: v()})
	read("alpha", "x")
	put("alpha-2", "x", backend.OpCreated, backend.PutInput{Value: v()})
	put("beta", "x", backend.OpUpdated, backend.PutInput{Value: v(), Reason: "manual change"})
	del("alpha", "y", 2)
	put("alpha", "x", backend.OpUpdated, backend.PutInput{SetMetadata: true, Metadata: map[string]string{"k": "v"}})
	read("beta", "x")
	del("beta", "x", 3)
	put("alpha", "y", backend.OpCreated, backend.PutInput{Value: v()})
	put("alpha.z", "x", backend.OpCreated, backend.PutInput{Value: v()})
	put("alpha", "x", backend.OpUpdated, backend.PutInput{Expiry: backend.Expiry{Set: true, TTL: time.Hour}})

	s := h.Fresh()
	all := backendtest.AllEvents(t, s, backend.EventFilter{})
	if len(all) != len(want) {
		t.Fatalf("ListEvents returned %d events, want %d: %+v", len(all), len(want), all)
	}
	ids := map[string]bool{}
	for i, e := range all {
		w := want[i]
		if e.Operation != w.op || e.Namespace != w.ns || e.Name != w.name || e.Revision != w.rev ||
			(w.kv >= 0 && e.KeyVersion != w.kv) || !e.Time.Equal(w.at) || e.Actor != backendtest.Actor {
			t.Fatalf("event %d = %+v, want %+v", i, e, w)
		}
		if e.ID == "" || ids[e.ID] {
			t.Fatalf("event %d has an empty or repeated ID %q", i, e.ID)
		}
		ids[e.ID] = true
		for val := range values {
			if strings.Contains(fmt.Sprintf("%v", e), val) {
				t.Fatalf("event %d carries a secret value", i)
			}
		}
	}
	if all[7].Operation != backend.OpUpdated || all[7].Reason != "manual change" {
		t.Fatalf("reason not recorded: %+v", all[7])
	}

	// Every filter combination, both orders, paginated, equals the reference
	// filtered in memory.
	mid1, mid2 := want[4].at, want[10].at
	type nsName struct{ ns, name string }
	for _, sel := range []nsName{{"", ""}, {"alpha", ""}, {"alpha", "x"}, {"beta", "x"}, {"alpha-2", ""}, {"gamma", ""}, {"alpha", "nope"}} {
		for _, ops := range [][]string{nil, {backend.OpUpdated}, {backend.OpCreated, backend.OpDeleted}, {backend.OpRead, backend.OpKeyVersionCreated}} {
			for _, tr := range [][2]time.Time{{}, {mid1, time.Time{}}, {time.Time{}, mid2}, {mid1, mid2}} {
				var ref []backend.Event
				for _, e := range all {
					if (sel.ns == "" || e.Namespace == sel.ns) && (sel.name == "" || e.Name == sel.name) &&
						(ops == nil || slices.Contains(ops, e.Operation)) &&
						(tr[0].IsZero() || !e.Time.Before(tr[0])) && (tr[1].IsZero() || e.Time.Before(tr[1])) {
						ref = append(ref, e)
					}
				}
				for _, desc := range []bool{false, true} {
					wantIDs := eventIDs(ref)
					if desc {
						slices.Reverse(wantIDs)
					}
					for _, limit := range []int{2, backend.MaxEventLimit} {
						f := backend.EventFilter{Namespace: sel.ns, Name: sel.name, Operations: ops, Since: tr[0], Until: tr[1], Descending: desc, Limit: limit}
						got := backendtest.AllEvents(t, s, f)
						if !slices.Equal(eventIDs(got), wantIDs) {
							t.Fatalf("ListEvents(%+v) = %v, want %v", f, eventOps(got), eventOps(pick(all, wantIDs)))
						}
						for i := range got {
							if !reflect.DeepEqual(got[i], pick(all, wantIDs)[i]) {
								t.Fatalf("filtered event %+v differs from %+v", got[i], pick(all, wantIDs)[i])
							}
						}
					}
				}
			}
		}
	}
	// An empty or inverted time range is refused or empty, never everything.
	for _, tr := range [][2]time.Time{{mid2, mid1}, {mid1, mid1}} {
		page, err := s.ListEvents(ctx, backend.EventFilter{Since: tr[0], Until: tr[1]})
		if err != nil {
			backendtest.ExpectErr(t, err, backend.ErrInvalidArgument, "ListEvents with Until not after Since")
		} else if len(page.Events) != 0 {
			t.Fatalf("ListEvents with Until not after Since returned %d events", len(page.Events))
		}
	}
	// Default limit is 100; a first page of the default size is full.
	for i := 0; i < 100; i++ {
		if err := h.S.RecordRead(ctx, h.Get(h.S, "alpha", "x", 0)); err != nil {
			t.Fatalf("RecordRead: %v", err)
		}
	}
	page, err := s.ListEvents(ctx, backend.EventFilter{})
	if err != nil || len(page.Events) != 100 || page.NextPageToken == "" {
		t.Fatalf("default page: %d events, token %q, err %v", len(page.Events), page.NextPageToken, err)
	}
}

func eventIDs(evs []backend.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func eventOps(evs []backend.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = fmt.Sprintf("%s %s/%s r%d", e.Operation, e.Namespace, e.Name, e.Revision)
	}
	return out
}

func pick(all []backend.Event, ids []string) []backend.Event {
	byID := map[string]backend.Event{}
	for _, e := range all {
		byID[e.ID] = e
	}
	out := make([]backend.Event, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out
}
