// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"
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
		if err := u.s.commitWithAudit(u.ctx, []Event{ev}, op); !errors.Is(err, ErrConcurrentModification) {
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

// TestAuditFailClosed: when the audit write of a change fails, the change
// is not made, and none of the change's audit objects stays behind in any
// index, even one that reached the bucket before its write reported the
// failure.
func TestAuditFailClosed(t *testing.T) {
	for _, kind := range []faultKind{faultWrite, faultWriteStored} {
		t.Run(kind.String(), func(t *testing.T) {
			for k := 1; k <= 3; k++ {
				u := newUnit(t, "mem")
				ib, b := newInstrumented(u.raw)
				u.opts = Options{Bucket: b}
				u.s = u.open()
				u.kv(1)
				u.put("ns", "a", "v1")
				before := u.keys(prefixSecrets)
				ib.arm(kind, k)
				_, err := u.s.Put(u.ctx, PutInput{Namespace: "ns", Name: "a", Value: []byte("v2")})
				if fired, _ := ib.disarm(); !fired || err == nil {
					t.Fatalf("k=%d: Put with a failing audit write = %v (fault fired %v)", k, err, fired)
				}
				if after := u.keys(prefixSecrets); !slices.Equal(after, before) {
					t.Fatalf("k=%d: a revision was written although its audit event was not: %v", k, after)
				}
				s := u.open()
				if got := u.mustGet(s, "ns", "a", 0); string(got.Value) != "v1" {
					t.Fatalf("k=%d: value after the failed Put: %q", k, got.Value)
				}
				for _, f := range []EventFilter{{Namespace: "ns", Name: "a"}, {Namespace: "ns"}, {}} {
					for _, e := range allEvents(t, s, f) {
						if e.Revision == 2 {
							t.Fatalf("k=%d: %+v: event %+v of the failed Put left behind", k, f, e)
						}
					}
				}
			}
		})
	}
}

// aheadEnv is a store on a bucket that can fail the k-th write, for
// TestAuditWrittenAhead.
type aheadEnv struct {
	ctx   context.Context
	clock *testClock
	inner *blob.Bucket
	ib    *instrumentedBucket
	b     *blob.Bucket
	opts  Options // of s, without the bucket
	s     *Store
}

func (e *aheadEnv) open(t *testing.T, b *blob.Bucket) *Store {
	t.Helper()
	o := e.opts
	o.Bucket = b
	s, err := Open(e.ctx, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// dataState hashes every object that is not part of the audit log or of
// the wrap budget: secrets, keyring and store header.
func (e *aheadEnv) dataState(t *testing.T) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	for _, prefix := range []string{prefixSecrets, prefixKeyring, prefixHeader} {
		it := e.inner.List(&blob.ListOptions{Prefix: prefix})
		for {
			o, err := it.Next(e.ctx)
			if err != nil {
				break
			}
			out[o.Key] = sha256.Sum256(readRaw(t, e.inner, o.Key))
		}
	}
	return out
}

func (e *aheadEnv) eventIDs(t *testing.T) map[string]Event {
	t.Helper()
	out := map[string]Event{}
	for _, ev := range allEvents(t, e.open(t, e.inner), EventFilter{}) {
		out[ev.ID] = ev
	}
	return out
}

// TestAuditWrittenAhead: for every mutation and every write k that fails,
// a change that reached the bucket (a secret, key version or store header
// object created, changed or removed) has its audit event: events are
// written ahead of the change, and a failed audit write stops it.
func TestAuditWrittenAhead(t *testing.T) {
	oldRoot, newRoot := randomRootKey(), randomRootKey()
	mutations := []struct {
		name string
		op   string
		pre  func(o *Options) // options of the store that runs the mutation
		run  func(e *aheadEnv) error
	}{
		{"put", OpUpdated, nil, func(e *aheadEnv) error {
			_, err := e.s.Put(e.ctx, PutInput{Namespace: "ns", Name: "a", Value: []byte("v3")})
			return err
		}},
		{"delete", OpDeleted, nil, func(e *aheadEnv) error { return e.s.Delete(e.ctx, "ns", "a", 0) }},
		{"create key version", OpKeyVersionCreated, nil, func(e *aheadEnv) error {
			_, err := e.s.CreateKeyVersion(e.ctx, 3, nil)
			return err
		}},
		{"retire key version", OpKeyVersionRetired, nil, func(e *aheadEnv) error { return e.s.RetireKeyVersion(e.ctx, 2) }},
		{"rewrap key version", OpKeyVersionRewraped, func(o *Options) {
			o.RootKey, o.PreviousRootKeys = newRoot, []string{oldRoot}
		}, func(e *aheadEnv) error { return e.s.RewrapKeyVersion(e.ctx, 1) }},
		{"rotate", OpRotated, nil, func(e *aheadEnv) error {
			_, err := e.s.Rotate(e.ctx, RotateInput{})
			return err
		}},
		{"cleanup", "", nil, func(e *aheadEnv) error {
			_, err := e.s.Cleanup(e.ctx, CleanupInput{Retention: Retention{ExpiredSecrets: dur(time.Hour), DeletedSecrets: dur(time.Hour), Revisions: dur(time.Hour)}})
			return err
		}},
	}
	for _, m := range mutations {
		for _, kind := range []faultKind{faultWrite, faultWriteStored} {
			t.Run(m.name+"/"+kind.String(), func(t *testing.T) {
				fired := 0
				for k := 1; ; k++ {
					if k > 50 {
						t.Fatalf("still writing at k = %d", k)
					}
					e := &aheadEnv{ctx: context.Background(), clock: newTestClock(), inner: openRaw(t, "mem://")}
					e.ib, e.b = newInstrumented(e.inner)
					e.opts = Options{RootKey: oldRoot, Actor: testActor, Now: e.clock.Now, Concurrency: 2}
					e.s = e.open(t, e.b)
					setupAheadStore(t, e)
					if m.pre != nil {
						m.pre(&e.opts)
						e.s = e.open(t, e.b)
					}
					data, events := e.dataState(t), e.eventIDs(t)
					e.ib.arm(kind, k)
					err := m.run(e)
					if ok, _ := e.ib.disarm(); !ok {
						if err != nil {
							t.Fatalf("%s without a fault: %v", m.name, err)
						}
						break
					}
					fired++
					if err == nil {
						continue // the failed write was retried or not needed
					}
					after := e.dataState(t)
					changed := len(after) != len(data)
					for key, h := range after {
						changed = changed || data[key] != h
					}
					if !changed {
						continue
					}
					var added []string
					for id, ev := range e.eventIDs(t) {
						if _, old := events[id]; !old && (m.op == "" || ev.Operation == m.op) {
							added = append(added, ev.Operation)
						}
					}
					if len(added) == 0 {
						t.Fatalf("k=%d: %s failed (%v) after changing the bucket, and no %q event was written", k, m.name, err, m.op)
					}
				}
				if fired == 0 {
					t.Fatalf("no fault fired")
				}
			})
		}
	}
}

// setupAheadStore writes, under key version 1: ns/a (two revisions), ns/b
// (expiring), ns/c (deleted); then creates version 2 (the primary) and
// moves the clock two days on.
func setupAheadStore(t *testing.T, e *aheadEnv) {
	t.Helper()
	if _, err := e.s.CreateKeyVersion(e.ctx, 1, nil); err != nil {
		t.Fatal(err)
	}
	for _, in := range []PutInput{
		{Namespace: "ns", Name: "a", Value: []byte("v1")},
		{Namespace: "ns", Name: "a", Value: []byte("v2")},
		{Namespace: "ns", Name: "b", Value: []byte("b"), Expiry: Expiry{Set: true, TTL: time.Hour}},
		{Namespace: "ns", Name: "c", Value: []byte("c")},
	} {
		if _, err := e.s.Put(e.ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.s.Delete(e.ctx, "ns", "c", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.CreateKeyVersion(e.ctx, 2, nil); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(48 * time.Hour)
}

// TestListEventsWindowNarrowed: a short time window inside a busy day
// lists the keys of the window (plus a bounded margin) in a bounded number
// of LISTs, not the whole day's index; batches whose events spread over
// several minutes are still found by a window that starts inside them.
func TestListEventsWindowNarrowed(t *testing.T) {
	t.Run("mem", func(t *testing.T) {
		ib, b := newInstrumented(openRaw(t, "mem://"))
		testWindowNarrowed(t, Options{Bucket: b}, ib, b, 3000)
	})
	// file:// by URL: the local path that reads each directory once.
	t.Run("file", func(t *testing.T) {
		dir := t.TempDir()
		testWindowNarrowed(t, Options{BucketURL: fileURL(dir)}, nil, openRaw(t, fileURL(dir)), 1200)
	})
}

// testWindowNarrowed runs TestListEventsWindowNarrowed on a store opened
// with o, with n events in the busy day; ib, when not nil, counts its
// requests; b lists its objects.
func testWindowNarrowed(t *testing.T, o Options, ib *instrumentedBucket, b *blob.Bucket, n int) {
	ctx := context.Background()
	clock := &testClock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	o.RootKey, o.Now = randomRootKey(), clock.Now
	s, err := Open(ctx, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	start := clock.Now()
	// One event a second, each its own batch, in one day.
	for i := 0; i < n; i++ {
		op := []string{OpKeyVersionCreated, OpKeyVersionRetired}[i%2]
		if err := s.appendEvents(ctx, []Event{{Operation: op, KeyVersion: i + 1}}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
	}
	for _, off := range []int{0, 1, 999, 1000, 1159, 1659, 2940} {
		if off >= n {
			continue
		}
		for _, desc := range []bool{false, true} {
			since := start.Add(time.Duration(off) * time.Second)
			f := EventFilter{Since: since, Until: since.Add(time.Minute), Descending: desc, Limit: 1000}
			q, err := s.newEventQuery(f)
			if err != nil {
				t.Fatal(err)
			}
			var c requestCounts
			if ib != nil {
				ib.resetCounts()
			}
			page, err := q.run(ctx)
			if ib != nil {
				c = ib.resetCounts()
			}
			if err != nil {
				t.Fatal(err)
			}
			want := min(60, n-off)
			if len(page.Events) != want || page.NextPageToken != "" {
				t.Fatalf("window at +%ds: %d events (token %q), want %d", off, len(page.Events), page.NextPageToken, want)
			}
			for i, e := range page.Events {
				k := i
				if desc {
					k = want - 1 - i
				}
				if !e.Time.Equal(since.Add(time.Duration(k) * time.Second)) {
					t.Fatalf("window at +%ds, desc %t: event %d at %s", off, desc, i, e.Time)
				}
			}
			// Two operation directories, each at most maxCoverPrefixes
			// LISTs, plus the LIST of the day's operation directories.
			if q.keysListed > 8*60 || c.List > 1+2*maxCoverPrefixes {
				t.Fatalf("a 1-minute window at +%ds listed %d keys in %d LISTs; the day has %d keys", off, q.keysListed, c.List, n)
			}
			if ib != nil {
				t.Logf("1-minute window at +%ds: %d keys listed, %d LISTs, %d GETs", off, q.keysListed, c.List, c.Get)
			}
		}
	}

	// One write whose events spread over ten minutes: its batches are split
	// per minute, and windows and pages inside them find every event.
	t0 := start.Add(2 * time.Hour)
	var evs []Event
	for i := 0; i < 300; i++ {
		evs = append(evs, Event{Operation: OpRotated, Namespace: "b", Name: fmt.Sprintf("s%03d", i), Revision: 2, KeyVersion: 2, Time: t0.Add(time.Duration(i) * 2 * time.Second)})
	}
	if err := s.appendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	batches := 0
	iter := b.List(&blob.ListOptions{Prefix: auditNamespaceIndex("b")})
	for {
		obj, err := iter.Next(ctx)
		if err != nil {
			break
		}
		if it, ok := parseAuditKey(obj.Key); ok {
			if it.Max-it.Min >= maxBatchSpan {
				t.Fatalf("batch %s spans %s", obj.Key, time.Duration(it.Max-it.Min))
			}
			batches++
		}
	}
	if batches != 10 {
		t.Fatalf("300 events over 10 minutes in %d namespace batches, want 10", batches)
	}
	for _, f := range []EventFilter{
		{Namespace: "b", Since: t0.Add(150 * time.Second), Until: t0.Add(170 * time.Second)},
		{Since: t0.Add(59 * time.Second), Until: t0.Add(61 * time.Second)},
		{Namespace: "b", Operations: []string{OpRotated}, Since: t0.Add(100 * time.Second), Until: t0.Add(400 * time.Second), Descending: true, Limit: 7},
		{Since: t0.Add(-30 * time.Second), Until: t0.Add(95 * time.Second), Limit: 9},
	} {
		got := allEvents(t, s, f)
		var want []string
		for i := 0; i < 300; i++ {
			if at := t0.Add(time.Duration(i) * 2 * time.Second); !at.Before(f.Since) && at.Before(f.Until) {
				want = append(want, fmt.Sprintf("s%03d", i))
			}
		}
		if f.Since.Before(t0) {
			want = nil // the window also holds key-version events; count rotations only
			for i := 0; i < 300 && t0.Add(time.Duration(i)*2*time.Second).Before(f.Until); i++ {
				want = append(want, fmt.Sprintf("s%03d", i))
			}
		}
		if f.Descending {
			slices.Reverse(want)
		}
		var names []string
		for _, e := range got {
			if e.Operation == OpRotated {
				names = append(names, e.Name)
			}
		}
		if !slices.Equal(names, want) {
			t.Fatalf("%+v: rotations %v, want %v", f, names, want)
		}
	}
}

// TestTimeCover: the prefixes match every time of the range, at most limit
// of them, and with room enough nothing outside the range.
func TestTimeCover(t *testing.T) {
	match := func(c []string, x int64) bool {
		k := fmt.Sprintf("%020d", x)
		for _, p := range c {
			if strings.HasPrefix(k, p) {
				return true
			}
		}
		return false
	}
	base := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC).UnixNano()
	for i := 0; i < 2000; i++ {
		lo := base + int64(i)*7919*int64(time.Millisecond)
		hi := lo + 1 + int64(i%97)*int64(time.Second) + int64(i)*int64(i)%1000
		for _, limit := range []int{1, 4, maxCoverPrefixes, 1000} {
			c := timeCover(lo, hi, limit)
			if len(c) > limit || len(c) == 0 {
				t.Fatalf("[%d, %d) limit %d: %d prefixes", lo, hi, limit, len(c))
			}
			for _, x := range []int64{lo, hi - 1, lo + (hi-lo)/2} {
				if !match(c, x) {
					t.Fatalf("[%d, %d) limit %d: %v misses %d", lo, hi, limit, c, x)
				}
			}
			if limit == 1000 && (match(c, lo-1) || match(c, hi)) {
				t.Fatalf("[%d, %d): exact cover %v matches outside the range", lo, hi, c)
			}
		}
	}
	if c := timeCover(0, math.MaxInt64, 3); len(c) > 3 || !match(c, 0) || !match(c, math.MaxInt64-1) {
		t.Fatalf("the whole range: %v", c)
	}
}
