// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCleanupRevisions: superseded revisions go once superseded longer than
// the retention; the current revision never does, and a deleted secret
// keeps its last value until the secret itself is purged.
func TestCleanupRevisions(t *testing.T) {
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		u.put("ns", "live", "l1") // superseded at t0
		u.put("ns", "del", "d1")  // superseded at t0
		u.put("ns", "live", "l2")
		u.put("ns", "del", "d2")
		u.clock.Advance(2 * time.Hour)
		u.put("ns", "live", "l3") // l2 superseded at t0+2h
		if err := u.s.Delete(u.ctx, "ns", "del", 0); err != nil {
			t.Fatal(err)
		}
		u.clock.Advance(90 * time.Minute)
		in := CleanupInput{Retention: Retention{Revisions: dur(time.Hour)}}
		plan, err := u.s.PlanCleanup(u.ctx, in)
		if err != nil || plan != (CleanupPlan{Revisions: 3}) {
			t.Fatalf("PlanCleanup = %+v, %v; want l1, l2 and d1", plan, err)
		}
		res, err := u.open().Cleanup(u.ctx, in)
		if err != nil || res != plan {
			t.Fatalf("Cleanup = %+v, %v; want %+v", res, err, plan)
		}
		s := u.open()
		for _, c := range []struct {
			name string
			rev  int64
			want string
		}{{"live", 1, ""}, {"live", 2, ""}, {"live", 3, "l3"}, {"del", 1, ""}, {"del", 2, "d2"}} {
			got, err := s.Get(u.ctx, "ns", c.name, GetOptions{Revision: c.rev})
			if c.want == "" && !errors.Is(err, ErrNotFound) || c.want != "" && (err != nil || string(got.Value) != c.want) {
				t.Fatalf("%s@%d after cleanup: %q, %v", c.name, c.rev, got.Value, err)
			}
		}
		evs := allEvents(t, s, EventFilter{Operations: []string{OpPurged}})
		counts := map[string]string{}
		for _, e := range evs {
			if e.Reason != ReasonRevisionCleanup {
				t.Fatalf("purge event %+v", e)
			}
			counts[e.Name] = e.Metadata["count"]
		}
		if counts["live"] != "2" || counts["del"] != "1" {
			t.Fatalf("purge events: %+v", evs)
		}
		if plan, _ := s.PlanCleanup(u.ctx, in); plan != (CleanupPlan{}) {
			t.Fatalf("plan after cleanup = %+v", plan)
		}
	})
}

// TestCleanupDeletedSecrets: a tombstoned secret is purged once deleted
// longer than the retention, with a final deleted_cleanup event; its name
// can then be used again.
func TestCleanupDeletedSecrets(t *testing.T) {
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		u.put("ns", "a", "v1")
		u.put("ns", "a", "v2")
		if err := u.s.Delete(u.ctx, "ns", "a", 0); err != nil {
			t.Fatal(err)
		}
		in := CleanupInput{Namespace: "ns", Retention: Retention{DeletedSecrets: dur(24 * time.Hour)}}
		u.clock.Advance(24 * time.Hour)
		if plan, err := u.s.PlanCleanup(u.ctx, in); err != nil || plan != (CleanupPlan{}) {
			t.Fatalf("plan within retention = %+v, %v", plan, err)
		}
		u.clock.Advance(time.Second)
		if plan, err := u.s.PlanCleanup(u.ctx, in); err != nil || plan != (CleanupPlan{Secrets: 1}) {
			t.Fatalf("plan past retention = %+v, %v", plan, err)
		}
		if res, err := u.s.Cleanup(u.ctx, in); err != nil || res != (CleanupResult{Secrets: 1}) {
			t.Fatalf("Cleanup = %+v, %v", res, err)
		}
		if keys := u.keys(secretDir("ns", "a")); len(keys) != 0 {
			t.Fatalf("left after purge: %v", keys)
		}
		evs := allEvents(t, u.s, EventFilter{Namespace: "ns", Name: "a", Operations: []string{OpDeleted}})
		if len(evs) != 2 || evs[1].Reason != ReasonDeletedCleanup || evs[1].Revision != 3 {
			t.Fatalf("deleted events: %+v", evs)
		}
		sec := u.put("ns", "a", "again")
		if sec.Revision != 1 {
			t.Fatalf("re-created after purge at revision %d", sec.Revision)
		}
	})
}

// TestCleanupResumesInterruptedPurge: a purge that fails after its purge
// tombstone leaves the secret deleted; the plan still counts it and the
// next Cleanup finishes it without a second event.
func TestCleanupResumesInterruptedPurge(t *testing.T) {
	u := newUnit(t, "mem")
	ib, b := newInstrumented(u.raw)
	u.opts = Options{Bucket: b}
	u.s = u.open()
	u.kv(1)
	if _, err := u.s.Put(u.ctx, PutInput{Namespace: "ns", Name: "exp", Value: []byte("v"), Expiry: Expiry{Set: true, TTL: time.Hour}}); err != nil {
		t.Fatal(err)
	}
	if _, err := u.s.Put(u.ctx, PutInput{Namespace: "ns", Name: "exp", SetMetadata: true, Metadata: map[string]string{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	u.clock.Advance(3 * time.Hour)
	in := CleanupInput{Retention: Retention{ExpiredSecrets: dur(time.Hour)}}
	ib.arm(faultDelete, 2)
	_, err := u.s.Cleanup(u.ctx, in)
	if fired, _ := ib.disarm(); !fired || err == nil {
		t.Fatalf("Cleanup with a failing delete = %v (fired %v)", err, fired)
	}
	s := u.open()
	if _, err := s.Get(u.ctx, "ns", "exp", GetOptions{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a half-purged secret = %v", err)
	}
	if plan, err := s.PlanCleanup(u.ctx, in); err != nil || plan != (CleanupPlan{Secrets: 1}) {
		t.Fatalf("plan after an interrupted purge = %+v, %v", plan, err)
	}
	if res, err := s.Cleanup(u.ctx, in); err != nil || res != (CleanupResult{Secrets: 1}) {
		t.Fatalf("resumed Cleanup = %+v, %v", res, err)
	}
	if keys := u.keys(secretDir("ns", "exp")); len(keys) != 0 {
		t.Fatalf("left after the resumed purge: %v", keys)
	}
	var reasons []string
	for _, e := range allEvents(t, s, EventFilter{Operations: []string{OpDeleted}}) {
		reasons = append(reasons, e.Reason)
	}
	if strings.Join(reasons, ",") != ReasonExpiredCleanup {
		t.Fatalf("deleted events: %v", reasons)
	}
}

// TestCleanupAuditEvents: events older than the retention are removed,
// counted by the plan, and recorded by one purged event with the count.
func TestCleanupAuditEvents(t *testing.T) {
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		for i := 0; i < 6; i++ {
			u.put("ns", "a"+strconv.Itoa(i), "v")
			u.clock.Advance(10 * time.Hour)
		}
		// Events at t0 .. t0+50h (plus the key version's at t0); now is
		// t0+60h. A 35h retention keeps the events of the last 35 hours.
		in := CleanupInput{Retention: Retention{AuditEvents: dur(35 * time.Hour)}}
		plan, err := u.s.PlanCleanup(u.ctx, in)
		if err != nil || plan != (CleanupPlan{Events: 4}) {
			t.Fatalf("PlanCleanup = %+v, %v", plan, err)
		}
		res, err := u.s.Cleanup(u.ctx, in)
		if err != nil || res != plan {
			t.Fatalf("Cleanup = %+v, %v", res, err)
		}
		s := u.open()
		var names []string
		for _, f := range []EventFilter{{}, {Namespace: "ns"}, {Namespace: "ns", Name: "a0"}, {Namespace: "ns", Name: "a5"}} {
			for _, e := range allEvents(t, s, f) {
				names = append(names, e.Operation+":"+e.Name)
			}
			names = append(names, "|")
		}
		want := "created:a3,created:a4,created:a5,purged:,|,created:a3,created:a4,created:a5,|,|,created:a5,|"
		if got := strings.Join(names, ","); got != want {
			t.Fatalf("events after cleanup:\n%s\nwant\n%s", got, want)
		}
		evs := allEvents(t, s, EventFilter{Operations: []string{OpPurged}})
		if len(evs) != 1 || evs[0].Reason != ReasonAuditCleanup || evs[0].Metadata["count"] != "4" {
			t.Fatalf("purged event: %+v", evs)
		}
		if plan, _ := s.PlanCleanup(u.ctx, in); plan != (CleanupPlan{}) {
			t.Fatalf("plan after cleanup = %+v", plan)
		}
	})
}

func TestCleanupValidation(t *testing.T) {
	u := newUnit(t, "mem")
	for _, in := range []CleanupInput{
		{Retention: Retention{ExpiredSecrets: dur(-time.Second)}},
		{Retention: Retention{AuditEvents: dur(-time.Hour)}},
		{Namespace: "a/b"},
	} {
		if _, err := u.s.PlanCleanup(u.ctx, in); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("PlanCleanup(%+v) = %v", in, err)
		}
		if _, err := u.s.Cleanup(u.ctx, in); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("Cleanup(%+v) = %v", in, err)
		}
	}
}

// TestCleanupChecksMarkersAgainstRecords: a purge rests on the
// authenticated record, not on its marker. A user's tombstone whose marker
// claims a purge in progress is neither purged at once (bypassing the
// deleted-secret retention) nor reported as deleted by Get.
func TestCleanupChecksMarkersAgainstRecords(t *testing.T) {
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		u.put("ns", "a", "keep me")
		if err := u.s.Delete(u.ctx, "ns", "a", 0); err != nil {
			t.Fatal(err)
		}
		dir := secretDir("ns", "a")
		forged := false
		for _, k := range u.keys(dir) {
			sk, ok := parseSecretKey(k)
			if !ok || sk.Marker == nil || sk.Marker.Flag != flagTombstone {
				continue
			}
			m := *sk.Marker
			m.Flag = flagPurging
			if err := u.raw.Delete(u.ctx, k); err != nil {
				t.Fatal(err)
			}
			writeRaw(t, u.raw, markerKey(dir, sk.Revision, m), nil)
			forged = true
		}
		if !forged {
			t.Fatalf("no tombstone marker in %v", u.keys(dir))
		}
		u.clock.Advance(48 * time.Hour)
		s := u.open()
		in := CleanupInput{Retention: Retention{Revisions: dur(time.Hour), ExpiredSecrets: dur(time.Hour)}}
		res, err := s.Cleanup(u.ctx, in)
		if !errors.Is(err, ErrIntegrity) || res.Secrets != 0 {
			t.Fatalf("Cleanup over a forged purge marker = %+v, %v; want the secret left alone with an integrity error", res, err)
		}
		if got := u.mustGet(s, "ns", "a", 1); string(got.Value) != "keep me" {
			t.Fatalf("revision 1 after Cleanup = %q", got.Value)
		}
		if _, err := s.Get(u.ctx, "ns", "a", GetOptions{}); !errors.Is(err, ErrIntegrity) {
			t.Fatalf("Get with a forged purge marker = %v, want an integrity error", err)
		}
	})
}

// TestCleanupRevisionsBehindDamagedCurrent: superseded revisions are not
// purged from behind a current revision whose value does not decrypt: they
// hold the last readable value. Other secrets are still cleaned up.
func TestCleanupRevisionsBehindDamagedCurrent(t *testing.T) {
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		u.put("ns", "a", "v1")
		u.put("ns", "b", "b1")
		u.put("ns", "a", "v2")
		u.put("ns", "b", "b2")
		u.clock.Advance(2 * time.Hour)
		key := recordKey(secretDir("ns", "a"), 2)
		bad := readRaw(t, u.raw, key)
		bad[len(bad)-1] ^= 1
		writeRaw(t, u.raw, key, bad)
		s := u.open()
		res, err := s.Cleanup(u.ctx, CleanupInput{Retention: Retention{Revisions: dur(time.Hour)}})
		if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), "ns/a") || res.Revisions != 1 {
			t.Fatalf("Cleanup with a damaged current revision = %+v, %v; want b's old revision purged and ns/a reported", res, err)
		}
		if got := u.mustGet(s, "ns", "a", 1); string(got.Value) != "v1" {
			t.Fatalf("revision 1 behind the damaged one = %q", got.Value)
		}
		if _, err := s.Get(u.ctx, "ns", "b", GetOptions{Revision: 1}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("b's superseded revision after Cleanup: %v", err)
		}
	})
}
