// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// TestCleanupRevisions: superseded revisions go once superseded longer than
// the retention; the current revision never does, and a deleted secret
// keeps its last value until the secret itself is purged.
func TestCleanupRevisions(t *testing.T) {
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		u.CreateKV(1)
		u.PutValue("ns", "live", "l1") // superseded at t0
		u.PutValue("ns", "del", "d1")  // superseded at t0
		u.PutValue("ns", "live", "l2")
		u.PutValue("ns", "del", "d2")
		u.Clock.Advance(2 * time.Hour)
		u.PutValue("ns", "live", "l3") // l2 superseded at t0+2h
		if err := u.S.Delete(u.Ctx, backend.DeleteInput{Namespace: "ns", Name: "del"}); err != nil {
			t.Fatal(err)
		}
		u.Clock.Advance(90 * time.Minute)
		in := backend.CleanupInput{Retention: backend.Retention{Revisions: dur(time.Hour)}}
		plan, err := u.S.PlanCleanup(u.Ctx, in)
		if err != nil || plan != (backend.CleanupPlan{Revisions: 3}) {
			t.Fatalf("PlanCleanup = %+v, %v; want l1, l2 and d1", plan, err)
		}
		res, err := u.MustOpen().Cleanup(u.Ctx, in)
		if err != nil || res != plan {
			t.Fatalf("Cleanup = %+v, %v; want %+v", res, err, plan)
		}
		s := u.MustOpen()
		for _, c := range []struct {
			name string
			rev  int64
			want string
		}{{"live", 1, ""}, {"live", 2, ""}, {"live", 3, "l3"}, {"del", 1, ""}, {"del", 2, "d2"}} {
			got, err := s.Get(u.Ctx, "ns", c.name, backend.GetOptions{Revision: c.rev})
			if c.want == "" && !errors.Is(err, backend.ErrNotFound) || c.want != "" && (err != nil || string(got.Value) != c.want) {
				t.Fatalf("%s@%d after cleanup: %q, %v", c.name, c.rev, got.Value, err)
			}
		}
		evs := backendtest.AllEvents(t, s, backend.EventFilter{Operations: []string{backend.OpPurged}})
		counts := map[string]string{}
		for _, e := range evs {
			if e.Reason != backend.ReasonRevisionCleanup {
				t.Fatalf("purge event %+v", e)
			}
			counts[e.Name] = e.Metadata["count"]
		}
		if counts["live"] != "2" || counts["del"] != "1" {
			t.Fatalf("purge events: %+v", evs)
		}
		if plan, _ := s.PlanCleanup(u.Ctx, in); plan != (backend.CleanupPlan{}) {
			t.Fatalf("plan after cleanup = %+v", plan)
		}
	})
}

// TestCleanupDeletedSecrets: a tombstoned secret is purged once deleted
// longer than the retention, with a final deleted_cleanup event; its name
// can then be used again.
func TestCleanupDeletedSecrets(t *testing.T) {
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		u.CreateKV(1)
		u.PutValue("ns", "a", "v1")
		u.PutValue("ns", "a", "v2")
		if err := u.S.Delete(u.Ctx, backend.DeleteInput{Namespace: "ns", Name: "a"}); err != nil {
			t.Fatal(err)
		}
		in := backend.CleanupInput{Namespace: "ns", Retention: backend.Retention{DeletedSecrets: dur(24 * time.Hour)}}
		// Retentions are measured against the clock less the skew margin.
		u.Clock.Advance(24*time.Hour + backend.ClockSkewMargin)
		if plan, err := u.S.PlanCleanup(u.Ctx, in); err != nil || plan != (backend.CleanupPlan{}) {
			t.Fatalf("plan within retention = %+v, %v", plan, err)
		}
		u.Clock.Advance(time.Second)
		if plan, err := u.S.PlanCleanup(u.Ctx, in); err != nil || plan != (backend.CleanupPlan{Secrets: 1}) {
			t.Fatalf("plan past retention = %+v, %v", plan, err)
		}
		if res, err := u.S.Cleanup(u.Ctx, in); err != nil || res != (backend.CleanupResult{Secrets: 1}) {
			t.Fatalf("Cleanup = %+v, %v", res, err)
		}
		if keys := u.Keys(backend.SecretDir("ns", "a")); len(keys) != 0 {
			t.Fatalf("left after purge: %v", keys)
		}
		evs := backendtest.AllEvents(t, u.S, backend.EventFilter{Namespace: "ns", Name: "a", Operations: []string{backend.OpDeleted}})
		if len(evs) != 2 || evs[1].Reason != backend.ReasonDeletedCleanup || evs[1].Revision != 3 {
			t.Fatalf("deleted events: %+v", evs)
		}
		sec := u.PutValue("ns", "a", "again")
		if sec.Revision != 1 {
			t.Fatalf("re-created after purge at revision %d", sec.Revision)
		}
	})
}

// TestCleanupResumesInterruptedPurge: a purge that fails after its purge
// tombstone leaves the secret deleted; the plan still counts it and the
// next Cleanup finishes it without a second event.
func TestCleanupResumesInterruptedPurge(t *testing.T) {
	t.Parallel()
	u := backendtest.New(t, backendtest.Mem)
	ib, b := backendtest.NewFaultBucket(u.Tg.Raw)
	u.Tg.Opts = backend.Options{Bucket: b}
	u.S = u.MustOpen()
	u.CreateKV(1)
	if _, err := u.S.Put(u.Ctx, backend.PutInput{Namespace: "ns", Name: "exp", Value: []byte("v"), Expiry: backend.Expiry{Set: true, TTL: time.Hour}}); err != nil {
		t.Fatal(err)
	}
	if _, err := u.S.Put(u.Ctx, backend.PutInput{Namespace: "ns", Name: "exp", SetMetadata: true, Metadata: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	u.Clock.Advance(3 * time.Hour)
	in := backend.CleanupInput{Retention: backend.Retention{ExpiredSecrets: dur(time.Hour)}}
	ib.Arm(backendtest.FaultDelete, 2)
	_, err := u.S.Cleanup(u.Ctx, in)
	if fired, _ := ib.Disarm(); !fired || err == nil {
		t.Fatalf("Cleanup with a failing delete = %v (fired %v)", err, fired)
	}
	s := u.MustOpen()
	if _, err := s.Get(u.Ctx, "ns", "exp", backend.GetOptions{}); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("Get of a half-purged secret = %v", err)
	}
	if plan, err := s.PlanCleanup(u.Ctx, in); err != nil || plan != (backend.CleanupPlan{Secrets: 1}) {
		t.Fatalf("plan after an interrupted purge = %+v, %v", plan, err)
	}
	if res, err := s.Cleanup(u.Ctx, in); err != nil || res != (backend.CleanupResult{Secrets: 1}) {
		t.Fatalf("resumed Cleanup = %+v, %v", res, err)
	}
	if keys := u.Keys(backend.SecretDir("ns", "exp")); len(keys) != 0 {
		t.Fatalf("left after the resumed purge: %v", keys)
	}
	var reasons []string
	for _, e := range backendtest.AllEvents(t, s, backend.EventFilter{Operations: []string{backend.OpDeleted}}) {
		reasons = append(reasons, e.Reason)
	}
	if strings.Join(reasons, ",") != backend.ReasonExpiredCleanup {
		t.Fatalf("deleted events: %v", reasons)
	}
}

// TestCleanupAuditEvents: events older than the retention are removed,
// counted by the plan, and recorded by one purged event with the count.
func TestCleanupAuditEvents(t *testing.T) {
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		u.CreateKV(1)
		for i := 0; i < 6; i++ {
			u.PutValue("ns", "a"+strconv.Itoa(i), "v")
			u.Clock.Advance(10 * time.Hour)
		}
		// Events at t0 .. t0+50h (plus the key version's at t0); now is
		// t0+60h. A 35h retention keeps the events of the last 35 hours.
		in := backend.CleanupInput{Retention: backend.Retention{AuditEvents: dur(35 * time.Hour)}}
		plan, err := u.S.PlanCleanup(u.Ctx, in)
		if err != nil || plan != (backend.CleanupPlan{Events: 4}) {
			t.Fatalf("PlanCleanup = %+v, %v", plan, err)
		}
		res, err := u.S.Cleanup(u.Ctx, in)
		if err != nil || res != plan {
			t.Fatalf("Cleanup = %+v, %v", res, err)
		}
		s := u.MustOpen()
		var names []string
		for _, f := range []backend.EventFilter{{}, {Namespace: "ns"}, {Namespace: "ns", Name: "a0"}, {Namespace: "ns", Name: "a5"}} {
			for _, e := range backendtest.AllEvents(t, s, f) {
				names = append(names, e.Operation+":"+e.Name)
			}
			names = append(names, "|")
		}
		want := "created:a3,created:a4,created:a5,purged:,|,created:a3,created:a4,created:a5,|,|,created:a5,|"
		if got := strings.Join(names, ","); got != want {
			t.Fatalf("events after cleanup:\n%s\nwant\n%s", got, want)
		}
		evs := backendtest.AllEvents(t, s, backend.EventFilter{Operations: []string{backend.OpPurged}})
		if len(evs) != 1 || evs[0].Reason != backend.ReasonAuditCleanup || evs[0].Metadata["count"] != "4" {
			t.Fatalf("purged event: %+v", evs)
		}
		if plan, _ := s.PlanCleanup(u.Ctx, in); plan != (backend.CleanupPlan{}) {
			t.Fatalf("plan after cleanup = %+v", plan)
		}
	})
}

func TestCleanupValidation(t *testing.T) {
	t.Parallel()
	u := backendtest.New(t, backendtest.Mem)
	for _, in := range []backend.CleanupInput{
		{Retention: backend.Retention{ExpiredSecrets: dur(-time.Second)}},
		{Retention: backend.Retention{AuditEvents: dur(-time.Hour)}},
		{Namespace: "a/b"},
	} {
		if _, err := u.S.PlanCleanup(u.Ctx, in); !errors.Is(err, backend.ErrInvalidArgument) {
			t.Fatalf("PlanCleanup(%+v) = %v", in, err)
		}
		if _, err := u.S.Cleanup(u.Ctx, in); !errors.Is(err, backend.ErrInvalidArgument) {
			t.Fatalf("Cleanup(%+v) = %v", in, err)
		}
	}
}

// TestCleanupChecksMarkersAgainstRecords: a purge rests on the
// authenticated record, not on its marker. A user's tombstone whose marker
// claims a purge in progress is neither purged at once (bypassing the
// deleted-secret retention) nor reported as deleted by Get.
func TestCleanupChecksMarkersAgainstRecords(t *testing.T) {
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		u.CreateKV(1)
		u.PutValue("ns", "a", "keep me")
		if err := u.S.Delete(u.Ctx, backend.DeleteInput{Namespace: "ns", Name: "a"}); err != nil {
			t.Fatal(err)
		}
		dir := backend.SecretDir("ns", "a")
		forged := false
		for _, k := range u.Keys(dir) {
			sk, ok := backend.ParseSecretKey(k)
			if !ok || sk.Marker == nil || sk.Marker.Flag != backend.FlagTombstone {
				continue
			}
			m := *sk.Marker
			m.Flag = backend.FlagPurging
			if err := u.Tg.Raw.Delete(u.Ctx, k); err != nil {
				t.Fatal(err)
			}
			backendtest.WriteRaw(t, u.Tg.Raw, backend.MarkerKey(dir, sk.Revision, m), nil)
			forged = true
		}
		if !forged {
			t.Fatalf("no tombstone marker in %v", u.Keys(dir))
		}
		u.Clock.Advance(48 * time.Hour)
		s := u.MustOpen()
		in := backend.CleanupInput{Retention: backend.Retention{Revisions: dur(time.Hour), ExpiredSecrets: dur(time.Hour)}}
		res, err := s.Cleanup(u.Ctx, in)
		if !errors.Is(err, backend.ErrIntegrity) || res.Secrets != 0 {
			t.Fatalf("Cleanup over a forged purge marker = %+v, %v; want the secret left alone with an integrity error", res, err)
		}
		if got := u.Get(s, "ns", "a", 1); string(got.Value) != "keep me" {
			t.Fatalf("revision 1 after Cleanup = %q", got.Value)
		}
		if _, err := s.Get(u.Ctx, "ns", "a", backend.GetOptions{}); !errors.Is(err, backend.ErrIntegrity) {
			t.Fatalf("Get with a forged purge marker = %v, want an integrity error", err)
		}
	})
}

// TestCleanupRevisionsBehindDamagedCurrent: superseded revisions are not
// purged from behind a current revision whose value does not decrypt: they
// hold the last readable value. Other secrets are still cleaned up.
func TestCleanupRevisionsBehindDamagedCurrent(t *testing.T) {
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		u.CreateKV(1)
		u.PutValue("ns", "a", "v1")
		u.PutValue("ns", "b", "b1")
		u.PutValue("ns", "a", "v2")
		u.PutValue("ns", "b", "b2")
		u.Clock.Advance(2 * time.Hour)
		key := backend.RecordKey(backend.SecretDir("ns", "a"), 2)
		bad := backendtest.ReadRaw(t, u.Tg.Raw, key)
		bad[len(bad)-1] ^= 1
		backendtest.WriteRaw(t, u.Tg.Raw, key, bad)
		s := u.MustOpen()
		res, err := s.Cleanup(u.Ctx, backend.CleanupInput{Retention: backend.Retention{Revisions: dur(time.Hour)}})
		if !errors.Is(err, backend.ErrIntegrity) || !strings.Contains(err.Error(), "ns/a") || res.Revisions != 1 {
			t.Fatalf("Cleanup with a damaged current revision = %+v, %v; want b's old revision purged and ns/a reported", res, err)
		}
		if got := u.Get(s, "ns", "a", 1); string(got.Value) != "v1" {
			t.Fatalf("revision 1 behind the damaged one = %q", got.Value)
		}
		if _, err := s.Get(u.Ctx, "ns", "b", backend.GetOptions{Revision: 1}); !errors.Is(err, backend.ErrNotFound) {
			t.Fatalf("b's superseded revision after Cleanup: %v", err)
		}
	})
}
