// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// TestTrustCleanupClockSkew runs Cleanup on a host whose clock is
// backend.ClockSkewMargin ahead of the writer's: an expired secret, a
// deleted secret, a superseded revision and audit events whose retention
// has been reached, but not passed, by the writer's clock are neither
// counted nor purged; one second later by both clocks they are, and the
// plan and the purge agree.
func TestTrustCleanupClockSkew(t *testing.T) {
	t.Parallel()
	backendtest.ForEach(t, backendtest.UnitTargetKinds(), func(t *testing.T, h *backendtest.Harness) {
		ctx := h.Ctx
		h.CreateKV(1)
		t0 := h.Clock.Now()
		// Every retention below ends at t0+24h by the writer's clock.
		h.Put(backend.PutInput{Namespace: "sk", Name: "exp", Value: []byte("exp"), Expiry: backend.Expiry{Set: true, TTL: time.Hour}})
		h.PutValue("sk", "del", "del")
		if err := h.S.Delete(ctx, backend.DeleteInput{Namespace: "sk", Name: "del"}); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		h.PutValue("sk", "rev", "rev-1")
		h.PutValue("sk", "rev", "rev-2")
		in := backend.CleanupInput{Retention: backend.Retention{
			ExpiredSecrets: dur(23 * time.Hour), DeletedSecrets: dur(24 * time.Hour),
			Revisions: dur(24 * time.Hour), AuditEvents: dur(24 * time.Hour),
		}}
		events := len(backendtest.AllEvents(t, h.S, backend.EventFilter{}))

		h.Clock.Advance(24 * time.Hour)
		ahead := backendtest.NewClockAt(t0.Add(24*time.Hour + backend.ClockSkewMargin))
		cs := h.MustOpen(func(o *backend.Options) { o.Now = ahead.Now })
		if plan, err := cs.PlanCleanup(ctx, in); err != nil || plan != (backend.CleanupPlan{}) {
			t.Errorf("PlanCleanup %s ahead, at the retention by the writer's clock = %+v, %v; want nothing", backend.ClockSkewMargin, plan, err)
		}
		if res, err := cs.Cleanup(ctx, in); err != nil || res != (backend.CleanupResult{}) {
			t.Errorf("Cleanup %s ahead, at the retention by the writer's clock = %+v, %v; want nothing", backend.ClockSkewMargin, res, err)
		}
		s := h.Fresh()
		if _, err := s.Get(ctx, "sk", "exp", backend.GetOptions{}); err == nil {
			t.Errorf("Get of the expired secret succeeded")
		} else {
			backendtest.ExpectErr(t, err, backend.ErrExpired, "Get of the expired secret within its retention")
		}
		if got := h.Get(s, "sk", "del", 1); string(got.Value) != "del" {
			t.Errorf("deleted secret's last value = %q", got.Value)
		}
		if got := h.Get(s, "sk", "rev", 1); string(got.Value) != "rev-1" {
			t.Errorf("superseded revision = %q", got.Value)
		}
		if n := len(backendtest.AllEvents(t, s, backend.EventFilter{Since: t0, Until: t0.Add(time.Second)})); n < events {
			t.Errorf("%d audit events of the writes remain, want %d", n, events)
		}
		if t.Failed() {
			t.FailNow()
		}

		// One second later, the retention has passed by the writer's clock.
		h.Clock.Advance(time.Second)
		ahead.Advance(time.Second)
		plan, err := cs.PlanCleanup(ctx, in)
		if err != nil || plan.Secrets != 2 || plan.Revisions != 1 || plan.Events < events {
			t.Fatalf("PlanCleanup past the retention = %+v, %v; want 2 secrets, 1 revision, at least %d events", plan, err, events)
		}
		res, err := cs.Cleanup(ctx, in)
		if err != nil || res != plan {
			t.Fatalf("Cleanup past the retention = %+v, %v; want the plan %+v", res, err, plan)
		}
		s = h.Fresh()
		for _, name := range []string{"exp", "del"} {
			_, err := s.Get(ctx, "sk", name, backend.GetOptions{Revision: 1})
			backendtest.ExpectErr(t, err, backend.ErrNotFound, "Get of purged "+name)
		}
		_, err = s.Get(ctx, "sk", "rev", backend.GetOptions{Revision: 1})
		backendtest.ExpectErr(t, err, backend.ErrNotFound, "superseded revision past its retention")
		h.ExpectValue(s, "sk", "rev", []byte("rev-2"))
	})
}
