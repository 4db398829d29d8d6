package backend

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestEventsAcrossDays: filters, both orders and pagination over events
// spread across several day directories agree with a reference computed
// from the full log.
func TestEventsAcrossDays(t *testing.T) {
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		for i := 0; i < 24; i++ {
			u.clock.Advance(5 * time.Hour)
			ns := []string{"a", "b", "a-b"}[i%3]
			name := fmt.Sprintf("s%d", i%4)
			switch {
			case i%5 == 4:
				if err := u.s.Delete(u.ctx, ns, name, 0); err != nil && !errors.Is(err, ErrNotFound) {
					t.Fatal(err)
				}
			case i%7 == 6:
				sec := u.put(ns, name, "v")
				if err := u.s.RecordRead(u.ctx, sec); err != nil {
					t.Fatal(err)
				}
			default:
				u.put(ns, name, fmt.Sprint(i))
			}
		}
		u.clock.Advance(time.Hour)
		u.kv(2)
		s := u.open()
		full := allEvents(t, s, EventFilter{})
		if len(full) < 25 || !slices.IsSortedFunc(full, func(a, b Event) int { return a.Time.Compare(b.Time) }) {
			t.Fatalf("full log: %d events, sorted %v", len(full), slices.IsSortedFunc(full, func(a, b Event) int { return a.Time.Compare(b.Time) }))
		}
		days := map[string]bool{}
		for _, e := range full {
			days[e.Time.Format("20060102")] = true
		}
		if len(days) < 4 {
			t.Fatalf("events span %d days, want several", len(days))
		}
		since, until := full[5].Time, full[len(full)-6].Time
		for _, ns := range []string{"", "a", "a-b"} {
			for _, name := range []string{"", "s1"} {
				if ns == "" && name != "" {
					continue
				}
				for _, ops := range [][]string{nil, {OpUpdated}, {OpDeleted, OpRead}} {
					for _, tr := range [][2]time.Time{{}, {since, time.Time{}}, {time.Time{}, until}, {since, until}} {
						var want []Event
						for _, e := range full {
							if (ns == "" || e.Namespace == ns) && (name == "" || e.Name == name) && (ops == nil || slices.Contains(ops, e.Operation)) &&
								(tr[0].IsZero() || !e.Time.Before(tr[0])) && (tr[1].IsZero() || e.Time.Before(tr[1])) {
								want = append(want, e)
							}
						}
						for _, desc := range []bool{false, true} {
							for _, limit := range []int{1, 3, 1000} {
								f := EventFilter{Namespace: ns, Name: name, Operations: ops, Since: tr[0], Until: tr[1], Descending: desc, Limit: limit}
								got := allEvents(t, s, f)
								w := slices.Clone(want)
								if desc {
									slices.Reverse(w)
								}
								if !sameEvents(got, w) {
									t.Fatalf("%+v: got %d events, want %d", f, len(got), len(w))
								}
							}
						}
					}
				}
			}
		}
	})
}

func sameEvents(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID {
			return false
		}
	}
	return true
}

// TestListEventsReadsOnlyMatching: a filtered query reads entries of the
// matching events only, whatever the size of the rest of the log.
func TestListEventsReadsOnlyMatching(t *testing.T) {
	u := newUnit(t, "mem")
	ib, b := newInstrumented(u.raw)
	u.opts = Options{Bucket: b}
	u.s = u.open()
	u.kv(1)
	for i := 0; i < 300; i++ {
		u.put("big", fmt.Sprintf("s%03d", i), "v")
	}
	for i := 0; i < 3; i++ {
		u.put("small", "x", "v")
	}
	if err := u.s.Delete(u.ctx, "big", "s007", 0); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    EventFilter
		want int
	}{
		{EventFilter{Namespace: "small"}, 3},
		{EventFilter{Namespace: "small", Name: "x", Descending: true}, 3},
		{EventFilter{Namespace: "big", Name: "s007"}, 2},
		{EventFilter{Operations: []string{OpDeleted}}, 1},
		{EventFilter{Namespace: "big", Operations: []string{OpDeleted}}, 1},
		{EventFilter{Namespace: "big", Limit: 5, Descending: true}, 5},
	} {
		ib.resetCounts()
		page, err := u.s.ListEvents(u.ctx, c.f)
		counts := ib.resetCounts()
		if err != nil || len(page.Events) != c.want {
			t.Fatalf("%+v: %d events, %v", c.f, len(page.Events), err)
		}
		// One GET per entry returned (at most one more to know there is a
		// next page), one LIST for the days and one per day directory.
		if counts.Get > c.want+1 || counts.List > 3 || counts.Write != 0 {
			t.Fatalf("%+v returned %d events with %+v requests", c.f, c.want, counts)
		}
	}
}

// TestForgedEvents: an event a bucket writer forged, altered or moved is an
// integrity error that names it.
func TestForgedEvents(t *testing.T) {
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		u.put("ns", "a", "v")
		u.put("ns", "b", "v")
		s := u.open()
		entry := func(prefix string) (string, []byte) {
			for _, k := range u.keys(prefix) {
				if it, ok := parseAuditKey(k); ok && it.Op == OpCreated {
					return k, readRaw(t, u.raw, k)
				}
			}
			t.Fatalf("no created event under %s", prefix)
			return "", nil
		}
		key, orig := entry(auditSecretIndex("ns", "a"))
		it, _ := parseAuditKey(key)
		body := string(orig)

		// Altered actor: the MAC fails; the error names the event.
		writeRaw(t, u.raw, key, []byte(strings.Replace(body, `"actor":"unit@test"`, `"actor":"mallory!!"`, 1)))
		_, err := s.ListEvents(u.ctx, EventFilter{Namespace: "ns", Name: "a"})
		if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), it.ID) {
			t.Fatalf("altered event: %v", err)
		}
		// A forged MAC of the right length.
		forged := strings.Replace(body, `"mac":"`, `"mac":"`+strings.Repeat("0", 64), 1)
		forged = forged[:strings.Index(forged, `"mac":"`)+7+64] + `"}`
		writeRaw(t, u.raw, key, []byte(forged))
		if _, err := s.ListEvents(u.ctx, EventFilter{Namespace: "ns", Name: "a"}); !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), it.ID) {
			t.Fatalf("forged MAC: %v", err)
		}
		writeRaw(t, u.raw, key, orig)
		if _, err := s.ListEvents(u.ctx, EventFilter{Namespace: "ns", Name: "a"}); err != nil {
			t.Fatalf("restored: %v", err)
		}
		// A genuine event of a copied into b's index is caught too.
		keyB, _ := entry(auditSecretIndex("ns", "b"))
		writeRaw(t, u.raw, keyB[:strings.LastIndexByte(keyB, '/')+1]+key[strings.LastIndexByte(key, '/')+1:], orig)
		if _, err := s.ListEvents(u.ctx, EventFilter{Namespace: "ns", Name: "b"}); !errors.Is(err, ErrIntegrity) {
			t.Fatalf("event moved to another secret: %v", err)
		}
	})
}

// TestAuditFailClosed: when the audit write fails, the change is not made.
func TestAuditFailClosed(t *testing.T) {
	u := newUnit(t, "mem")
	ib, b := newInstrumented(u.raw)
	u.opts = Options{Bucket: b}
	u.s = u.open()
	u.kv(1)
	u.put("ns", "a", "v1")
	before := u.keys(prefixSecrets)
	ib.arm(faultWrite, 1)
	_, err := u.s.Put(u.ctx, PutInput{Namespace: "ns", Name: "a", Value: []byte("v2")})
	if fired, _ := ib.disarm(); !fired || err == nil {
		t.Fatalf("Put with a failing audit write = %v (fault fired %v)", err, fired)
	}
	if after := u.keys(prefixSecrets); !slices.Equal(after, before) {
		t.Fatalf("a revision was written although its audit event was not: %v", after)
	}
	if got := u.mustGet(u.open(), "ns", "a", 0); string(got.Value) != "v1" {
		t.Fatalf("value after the failed Put: %q", got.Value)
	}
}

// TestEventIDs: ids are unique and, for one process, follow write order.
func TestEventIDs(t *testing.T) {
	prev := ""
	seen := map[string]bool{}
	for i := 0; i < 10000; i++ {
		id := newID()
		if !validID(id) || seen[id] || id <= prev {
			t.Fatalf("id %d: %q after %q", i, id, prev)
		}
		if _, err := hex.DecodeString(id); err != nil {
			t.Fatal(err)
		}
		seen[id], prev = true, id
	}
}

// TestLostRaceWithdrawsEvents: a write that loses its create-only race
// leaves no event behind.
func TestLostRaceWithdrawsEvents(t *testing.T) {
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		u.put("ns", "a", "v1")
		// Revision 1 exists: a second writer of it loses.
		op := &writeOp{Key: recordKey(secretDir("ns", "a"), 1), Data: []byte("loser")}
		ev := Event{Operation: OpUpdated, Namespace: "ns", Name: "a", Revision: 1, KeyVersion: 1}
		if err := u.s.commitWithAudit(u.ctx, []Event{ev}, []*writeOp{op}); !errors.Is(err, ErrConcurrentModification) {
			t.Fatalf("losing write = %v", err)
		}
		for _, f := range []EventFilter{{Namespace: "ns", Name: "a"}, {Namespace: "ns"}, {}} {
			var ops []string
			for _, e := range allEvents(t, u.open(), f) {
				ops = append(ops, e.Operation)
			}
			if slices.Contains(ops, OpUpdated) {
				t.Fatalf("%+v: events after a lost race: %v", f, ops)
			}
		}
		if got := u.mustGet(u.s, "ns", "a", 0); string(got.Value) != "v1" {
			t.Fatalf("value after a lost race: %q", got.Value)
		}
	})
}
