package backend_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

func dur(d time.Duration) *time.Duration { return &d }

func testCleanup(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	ctx := h.Ctx
	h.CreateKV(1)
	objOf := map[string]string{}
	putTracked := func(in backend.PutInput) {
		snap := backendtest.RawObjects(t, h.Tg.Raw)
		in.Namespace = "cl"
		h.Put(in)
		objOf[in.Name] = backendtest.LargestNew(t, snap, backendtest.RawObjects(t, h.Tg.Raw))
	}
	big := func() []byte { return backendtest.RandomBytes(4096) }
	live := big()
	putTracked(backend.PutInput{Name: "exp", Value: big(), Expiry: backend.Expiry{Set: true, TTL: time.Hour}})
	putTracked(backend.PutInput{Name: "renew", Value: big(), Expiry: backend.Expiry{Set: true, TTL: time.Hour}})
	putTracked(backend.PutInput{Name: "del", Value: big()})
	putTracked(backend.PutInput{Name: "live", Value: live})
	putTracked(backend.PutInput{Name: "rev", Value: big()})
	revVals := [][]byte{nil, big(), big()}
	h.Put(backend.PutInput{Namespace: "cl", Name: "rev", Value: revVals[1]})
	h.Put(backend.PutInput{Namespace: "cl", Name: "rev", Value: revVals[2]})
	if err := h.S.Delete(ctx, backend.DeleteInput{Namespace: "cl", Name: "del"}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	h.Clock.Advance(time.Hour + time.Second)

	all := backend.Retention{ExpiredSecrets: dur(24 * time.Hour), DeletedSecrets: dur(24 * time.Hour),
		Revisions: dur(24 * time.Hour), AuditEvents: dur(24 * time.Hour)}
	if plan, err := h.S.PlanCleanup(ctx, backend.CleanupInput{Retention: all}); err != nil || plan != (backend.CleanupPlan{}) {
		t.Fatalf("PlanCleanup within retention = %+v, %v", plan, err)
	}
	if res, err := h.S.Cleanup(ctx, backend.CleanupInput{}); err != nil || res != (backend.CleanupResult{}) {
		t.Fatalf("Cleanup with no retention = %+v, %v", res, err)
	}

	// Phase 1: expired and deleted secrets.
	h.Clock.Advance(25 * time.Hour)
	secretsOnly := backend.CleanupInput{Retention: backend.Retention{ExpiredSecrets: dur(24 * time.Hour), DeletedSecrets: dur(24 * time.Hour)}}
	plan, err := h.Fresh().PlanCleanup(ctx, secretsOnly)
	if err != nil || plan != (backend.CleanupPlan{Secrets: 3}) {
		t.Fatalf("PlanCleanup(secrets) = %+v, %v; want 3 secrets", plan, err)
	}
	// A secret renewed between plan and apply is not purged.
	h.Put(backend.PutInput{Namespace: "cl", Name: "renew", Expiry: backend.Expiry{Set: true, TTL: time.Hour}})
	res, err := h.S.Cleanup(ctx, secretsOnly)
	if err != nil || res != (backend.CleanupResult{Secrets: 2}) {
		t.Fatalf("Cleanup(secrets) = %+v, %v; want 2 secrets", res, err)
	}
	after := backendtest.RawObjects(t, h.Tg.Raw)
	for name, key := range objOf {
		_, present := after[key]
		if gone := name == "exp" || name == "del"; gone == present {
			t.Fatalf("after cleanup, revision object of %s present = %v", name, present)
		}
	}
	s := h.Fresh()
	for _, name := range []string{"exp", "del"} {
		_, err := s.Get(ctx, "cl", name, backend.GetOptions{})
		backendtest.ExpectErr(t, err, backend.ErrNotFound, "Get of purged "+name)
		_, err = s.Get(ctx, "cl", name, backend.GetOptions{Revision: 1})
		backendtest.ExpectErr(t, err, backend.ErrNotFound, "Get revision 1 of purged "+name)
	}
	h.ExpectValue(s, "cl", "live", live)
	h.ExpectValue(s, "cl", "rev", revVals[2])
	if _, err := s.Get(ctx, "cl", "renew", backend.GetOptions{}); err != nil {
		t.Fatalf("renewed secret after cleanup: %v", err)
	}
	expEvents := backendtest.AllEvents(t, s, backend.EventFilter{Namespace: "cl", Name: "exp", Operations: []string{backend.OpDeleted}})
	if len(expEvents) != 1 || expEvents[0].Reason != backend.ReasonExpiredCleanup || expEvents[0].Actor != backendtest.Actor {
		t.Fatalf("events for the expired secret = %+v, want one deleted with reason %s", expEvents, backend.ReasonExpiredCleanup)
	}
	delEvents := backendtest.AllEvents(t, s, backend.EventFilter{Namespace: "cl", Name: "del", Operations: []string{backend.OpPurged, backend.OpDeleted}})
	if len(delEvents) != 2 || delEvents[1].Reason != backend.ReasonDeletedCleanup {
		t.Fatalf("events for the deleted secret = %+v, want the delete and one with reason %s", delEvents, backend.ReasonDeletedCleanup)
	}
	if plan, err := s.PlanCleanup(ctx, secretsOnly); err != nil || plan != (backend.CleanupPlan{}) {
		t.Fatalf("PlanCleanup after Cleanup = %+v, %v", plan, err)
	}
	if res, err := s.Cleanup(ctx, secretsOnly); err != nil || res != (backend.CleanupResult{}) {
		t.Fatalf("second Cleanup = %+v, %v", res, err)
	}
	// A purged name can be created again.
	h.Put(backend.PutInput{Namespace: "cl", Name: "exp", Value: []byte("again"), IfRevision: -1})
	h.ExpectValue(h.Fresh(), "cl", "exp", []byte("again"))

	// A deleted secret with two values: revision cleanup may drop the older
	// one, but the value below the tombstone stays until the deleted-secret
	// retention, so that a mistaken delete is recoverable.
	h.PutValue("cl", "tomb", "tomb-1")
	h.PutValue("cl", "tomb", "tomb-2")
	if err := h.S.Delete(ctx, backend.DeleteInput{Namespace: "cl", Name: "tomb"}); err != nil {
		t.Fatalf("Delete: %v", err)
	}

	// Phase 2: superseded revisions (rev has 2, renew 1, tomb 1); current
	// ones stay.
	h.Clock.Advance(25 * time.Hour)
	revOnly := backend.CleanupInput{Retention: backend.Retention{Revisions: dur(24 * time.Hour)}}
	if plan, err := h.Fresh().PlanCleanup(ctx, revOnly); err != nil || plan != (backend.CleanupPlan{Revisions: 4}) {
		t.Fatalf("PlanCleanup(revisions) = %+v, %v; want 4 revisions", plan, err)
	}
	if res, err := h.S.Cleanup(ctx, revOnly); err != nil || res != (backend.CleanupResult{Revisions: 4}) {
		t.Fatalf("Cleanup(revisions) = %+v, %v", res, err)
	}
	if got := h.Get(h.Fresh(), "cl", "tomb", 2); string(got.Value) != "tomb-2" {
		t.Fatalf("value below the tombstone after revision cleanup = %q", got.Value)
	}
	_, err = h.Fresh().Get(ctx, "cl", "tomb", backend.GetOptions{Revision: 1})
	backendtest.ExpectErr(t, err, backend.ErrNotFound, "superseded revision 1 of the deleted secret")
	s = h.Fresh()
	for _, rev := range []int64{1, 2} {
		_, err := s.Get(ctx, "cl", "rev", backend.GetOptions{Revision: rev})
		backendtest.ExpectErr(t, err, backend.ErrNotFound, fmt.Sprintf("purged revision %d", rev))
	}
	if got := h.Get(s, "cl", "rev", 3); !bytes.Equal(got.Value, revVals[2]) {
		t.Fatalf("current revision changed by cleanup")
	}
	h.ExpectValue(s, "cl", "live", live)
	_, err = s.Get(ctx, "cl", "renew", backend.GetOptions{})
	backendtest.ExpectErr(t, err, backend.ErrExpired, "renewed secret a day later (expired, not purged)")
	if _, present := backendtest.RawObjects(t, h.Tg.Raw)[objOf["live"]]; !present {
		t.Fatalf("the live secret's only revision was removed")
	}
	if plan, err := s.PlanCleanup(ctx, revOnly); err != nil || plan != (backend.CleanupPlan{}) {
		t.Fatalf("PlanCleanup(revisions) after Cleanup = %+v, %v", plan, err)
	}

	// Phase 3: audit events older than the retention.
	h.Clock.Advance(25 * time.Hour)
	cutoff := h.Clock.Now().Add(-24 * time.Hour)
	old := 0
	for _, e := range backendtest.AllEvents(t, s, backend.EventFilter{}) {
		if e.Time.Before(cutoff) {
			old++
		}
	}
	if old < 10 {
		t.Fatalf("only %d old events to purge", old)
	}
	h.Clock.Advance(time.Second)
	h.PutValue("cl", "fresh", "f")
	auditOnly := backend.CleanupInput{Retention: backend.Retention{AuditEvents: dur(24 * time.Hour)}}
	if plan, err := h.Fresh().PlanCleanup(ctx, auditOnly); err != nil || plan != (backend.CleanupPlan{Events: old}) {
		t.Fatalf("PlanCleanup(audit) = %+v, %v; want %d events", plan, err, old)
	}
	if res, err := h.S.Cleanup(ctx, auditOnly); err != nil || res != (backend.CleanupResult{Events: old}) {
		t.Fatalf("Cleanup(audit) = %+v, %v; want %d events", res, err, old)
	}
	left := backendtest.AllEvents(t, h.Fresh(), backend.EventFilter{})
	sawFresh, sawPurge := false, false
	for _, e := range left {
		if e.Time.Before(h.Clock.Now().Add(-24 * time.Hour)) {
			t.Fatalf("event older than the retention left: %+v", e)
		}
		sawFresh = sawFresh || (e.Operation == backend.OpCreated && e.Name == "fresh")
		sawPurge = sawPurge || (e.Operation == backend.OpPurged && e.Reason == backend.ReasonAuditCleanup)
	}
	if !sawFresh || !sawPurge {
		t.Fatalf("after audit cleanup: fresh event %v, purge event %v; events %v", sawFresh, sawPurge, eventOps(left))
	}
	if plan, err := h.Fresh().PlanCleanup(ctx, auditOnly); err != nil || plan != (backend.CleanupPlan{}) {
		t.Fatalf("PlanCleanup(audit) after Cleanup = %+v, %v", plan, err)
	}
}

func testCleanupScope(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	ctx := h.Ctx
	h.CreateKV(1)
	for _, ns := range []string{"one", "one-2", "two"} {
		for i := 0; i < 3; i++ {
			h.Put(backend.PutInput{Namespace: ns, Name: fmt.Sprintf("e%d", i), Value: []byte("v"), Expiry: backend.Expiry{Set: true, TTL: time.Minute}})
		}
		h.PutValue(ns, "live", "l")
	}
	h.Clock.Advance(48 * time.Hour)
	in := backend.CleanupInput{Namespace: "one", Retention: backend.Retention{ExpiredSecrets: dur(time.Hour)}}
	if plan, err := h.S.PlanCleanup(ctx, in); err != nil || plan != (backend.CleanupPlan{Secrets: 3}) {
		t.Fatalf("PlanCleanup(one) = %+v, %v", plan, err)
	}
	if res, err := h.S.Cleanup(ctx, in); err != nil || res != (backend.CleanupResult{Secrets: 3}) {
		t.Fatalf("Cleanup(one) = %+v, %v", res, err)
	}
	for _, ns := range []string{"one", "one-2", "two"} {
		names := backendtest.SecretNames(backendtest.AllSecrets(t, h.Fresh(), backend.ListInput{Namespace: ns}))
		want := []string{"e0", "e1", "e2", "live"}
		if ns == "one" {
			want = []string{"live"}
		}
		if !slices.Equal(names, want) {
			t.Fatalf("after Cleanup(one), %s lists %v, want %v", ns, names, want)
		}
	}
	in.Namespace = ""
	if res, err := h.S.Cleanup(ctx, in); err != nil || res != (backend.CleanupResult{Secrets: 6}) {
		t.Fatalf("Cleanup(all namespaces) = %+v, %v", res, err)
	}
}
