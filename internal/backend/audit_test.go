package backend_test

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

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// TestEventsAcrossDays: filters, both orders and pagination over events
// spread across several day directories agree with a reference computed
// from the full log.
func TestEventsAcrossDays(t *testing.T) {
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		u.CreateKV(1)
		for i := 0; i < 24; i++ {
			u.Clock.Advance(5 * time.Hour)
			ns := []string{"a", "b", "a-b"}[i%3]
			name := fmt.Sprintf("s%d", i%4)
			switch {
			case i%5 == 4:
				if err := u.S.Delete(u.Ctx, backend.DeleteInput{Namespace: ns, Name: name}); err != nil && !errors.Is(err, backend.ErrNotFound) {
					t.Fatal(err)
				}
			case i%7 == 6:
				sec := u.PutValue(ns, name, "v")
				if err := u.S.RecordRead(u.Ctx, sec); err != nil {
					t.Fatal(err)
				}
			default:
				u.PutValue(ns, name, fmt.Sprint(i))
			}
		}
		u.Clock.Advance(time.Hour)
		u.CreateKV(2)
		s := u.MustOpen()
		full := backendtest.AllEvents(t, s, backend.EventFilter{})
		if len(full) < 25 || !slices.IsSortedFunc(full, func(a, b backend.Event) int { return a.Time.Compare(b.Time) }) {
			t.Fatalf("full log: %d events, sorted %v", len(full), slices.IsSortedFunc(full, func(a, b backend.Event) int { return a.Time.Compare(b.Time) }))
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
				for _, ops := range [][]string{nil, {backend.OpUpdated}, {backend.OpDeleted, backend.OpRead}} {
					for _, tr := range [][2]time.Time{{}, {since, time.Time{}}, {time.Time{}, until}, {since, until}} {
						var want []backend.Event
						for _, e := range full {
							if (ns == "" || e.Namespace == ns) && (name == "" || e.Name == name) && (ops == nil || slices.Contains(ops, e.Operation)) &&
								(tr[0].IsZero() || !e.Time.Before(tr[0])) && (tr[1].IsZero() || e.Time.Before(tr[1])) {
								want = append(want, e)
							}
						}
						for _, desc := range []bool{false, true} {
							for _, limit := range []int{1, 3, 1000} {
								f := backend.EventFilter{Namespace: ns, Name: name, Operations: ops, Since: tr[0], Until: tr[1], Descending: desc, Limit: limit}
								got := backendtest.AllEvents(t, s, f)
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

func sameEvents(a, b []backend.Event) bool {
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
	t.Parallel()
	u := backendtest.New(t, backendtest.Mem)
	ib, b := backendtest.NewFaultBucket(u.Tg.Raw)
	u.Tg.Opts = backend.Options{Bucket: b}
	u.S = u.MustOpen()
	u.CreateKV(1)
	for i := 0; i < 300; i++ {
		u.PutValue("big", fmt.Sprintf("s%03d", i), "v")
	}
	for i := 0; i < 3; i++ {
		u.PutValue("small", "x", "v")
	}
	if err := u.S.Delete(u.Ctx, backend.DeleteInput{Namespace: "big", Name: "s007"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		f    backend.EventFilter
		want int
	}{
		{backend.EventFilter{Namespace: "small"}, 3},
		{backend.EventFilter{Namespace: "small", Name: "x", Descending: true}, 3},
		{backend.EventFilter{Namespace: "big", Name: "s007"}, 2},
		{backend.EventFilter{Operations: []string{backend.OpDeleted}}, 1},
		{backend.EventFilter{Namespace: "big", Operations: []string{backend.OpDeleted}}, 1},
		{backend.EventFilter{Namespace: "big", Limit: 5, Descending: true}, 5},
	} {
		ib.ResetCounts()
		page, err := u.S.ListEvents(u.Ctx, c.f)
		counts := ib.ResetCounts()
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
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		u.CreateKV(1)
		u.PutValue("ns", "a", "v")
		u.PutValue("ns", "b", "v")
		s := u.MustOpen()
		entry := func(prefix string) (string, []byte) {
			for _, k := range u.Keys(prefix) {
				if it, ok := backend.ParseAuditKey(k); ok && it.Op == backend.OpCreated {
					return k, backendtest.ReadRaw(t, u.Tg.Raw, k)
				}
			}
			t.Fatalf("no created event under %s", prefix)
			return "", nil
		}
		key, orig := entry(backend.AuditSecretIndex("ns", "a"))
		it, _ := backend.ParseAuditKey(key)
		body := string(orig)

		// Altered actor: the MAC fails; the error names the event.
		backendtest.WriteRaw(t, u.Tg.Raw, key, []byte(strings.Replace(body, `"actor":"`+backendtest.Actor+`"`, `"actor":"mallory!!"`, 1)))
		_, err := s.ListEvents(u.Ctx, backend.EventFilter{Namespace: "ns", Name: "a"})
		if !errors.Is(err, backend.ErrIntegrity) || !strings.Contains(err.Error(), it.ID) {
			t.Fatalf("altered event: %v", err)
		}
		// A forged MAC of the right length.
		forged := strings.Replace(body, `"mac":"`, `"mac":"`+strings.Repeat("0", 64), 1)
		forged = forged[:strings.Index(forged, `"mac":"`)+7+64] + `"}`
		backendtest.WriteRaw(t, u.Tg.Raw, key, []byte(forged))
		if _, err := s.ListEvents(u.Ctx, backend.EventFilter{Namespace: "ns", Name: "a"}); !errors.Is(err, backend.ErrIntegrity) || !strings.Contains(err.Error(), it.ID) {
			t.Fatalf("forged MAC: %v", err)
		}
		backendtest.WriteRaw(t, u.Tg.Raw, key, orig)
		if _, err := s.ListEvents(u.Ctx, backend.EventFilter{Namespace: "ns", Name: "a"}); err != nil {
			t.Fatalf("restored: %v", err)
		}
		// A genuine event of a copied into b's index is caught too.
		keyB, _ := entry(backend.AuditSecretIndex("ns", "b"))
		backendtest.WriteRaw(t, u.Tg.Raw, keyB[:strings.LastIndexByte(keyB, '/')+1]+key[strings.LastIndexByte(key, '/')+1:], orig)
		if _, err := s.ListEvents(u.Ctx, backend.EventFilter{Namespace: "ns", Name: "b"}); !errors.Is(err, backend.ErrIntegrity) {
			t.Fatalf("event moved to another secret: %v", err)
		}
	})
}

// TestEventIDs: ids are unique and, for one process, follow write order.
func TestEventIDs(t *testing.T) {
	t.Parallel()
	prev := ""
	seen := map[string]bool{}
	for i := 0; i < 10000; i++ {
		id := backend.NewID()
		if !backend.ValidID(id) || seen[id] || id <= prev {
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
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		u.CreateKV(1)
		u.PutValue("ns", "a", "v1")
		// Revision 1 exists: a second writer of it loses.
		op := &backend.WriteOp{Key: backend.RecordKey(backend.SecretDir("ns", "a"), 1), Data: []byte("loser")}
		ev := backend.Event{Operation: backend.OpUpdated, Namespace: "ns", Name: "a", Revision: 1, KeyVersion: 1}
		if err := u.S.CommitWithAudit(u.Ctx, []backend.Event{ev}, op); !errors.Is(err, backend.ErrConcurrentModification) {
			t.Fatalf("losing write = %v", err)
		}
		for _, f := range []backend.EventFilter{{Namespace: "ns", Name: "a"}, {Namespace: "ns"}, {}} {
			var ops []string
			for _, e := range backendtest.AllEvents(t, u.MustOpen(), f) {
				ops = append(ops, e.Operation)
			}
			if slices.Contains(ops, backend.OpUpdated) {
				t.Fatalf("%+v: events after a lost race: %v", f, ops)
			}
		}
		if got := u.Get(u.S, "ns", "a", 0); string(got.Value) != "v1" {
			t.Fatalf("value after a lost race: %q", got.Value)
		}
	})
}

// TestAuditFailClosed: when the audit write of a change fails, the change
// is not made, and none of the change's audit objects stays behind in any
// index, even one that reached the bucket before its write reported the
// failure.
func TestAuditFailClosed(t *testing.T) {
	t.Parallel()
	for _, kind := range []backendtest.FaultKind{backendtest.FaultWrite, backendtest.FaultWriteStored} {
		t.Run(kind.String(), func(t *testing.T) {
			for k := 1; k <= 3; k++ {
				u := backendtest.New(t, backendtest.Mem)
				ib, b := backendtest.NewFaultBucket(u.Tg.Raw)
				u.Tg.Opts = backend.Options{Bucket: b}
				u.S = u.MustOpen()
				u.CreateKV(1)
				u.PutValue("ns", "a", "v1")
				before := u.Keys(backend.PrefixSecrets)
				ib.Arm(kind, k)
				_, err := u.S.Put(u.Ctx, backend.PutInput{Namespace: "ns", Name: "a", Value: []byte("v2")})
				if fired, _ := ib.Disarm(); !fired || err == nil {
					t.Fatalf("k=%d: Put with a failing audit write = %v (fault fired %v)", k, err, fired)
				}
				if after := u.Keys(backend.PrefixSecrets); !slices.Equal(after, before) {
					t.Fatalf("k=%d: a revision was written although its audit event was not: %v", k, after)
				}
				s := u.MustOpen()
				if got := u.Get(s, "ns", "a", 0); string(got.Value) != "v1" {
					t.Fatalf("k=%d: value after the failed Put: %q", k, got.Value)
				}
				for _, f := range []backend.EventFilter{{Namespace: "ns", Name: "a"}, {Namespace: "ns"}, {}} {
					for _, e := range backendtest.AllEvents(t, s, f) {
						if e.Revision == 2 {
							t.Fatalf("k=%d: %+v: event %+v of the failed Put left behind", k, f, e)
						}
					}
				}
			}
		})
	}
}

// aheadEnv is a harness on a Faulty target, for TestAuditWrittenAhead and
// TestRewrapKeyVersionFaultsConverge. The root keys and concurrency of the
// stores it opens come from opts, so that a test can change them between
// opens.
type aheadEnv struct {
	*backendtest.Harness
	opts backend.Options // RootKey, PreviousRootKeys and Concurrency
}

// newAheadEnv opens e.S on the faulty bucket with opts.
func newAheadEnv(t *testing.T, opts backend.Options) *aheadEnv {
	t.Helper()
	e := &aheadEnv{Harness: backendtest.NewWithRoot(t, backendtest.Faulty, opts.RootKey), opts: opts}
	e.S = e.open(e.Tg.Opts.Bucket)
	return e
}

// open opens a store on b (the faulty bucket or e.Tg.Raw) with e.opts.
func (e *aheadEnv) open(b *blob.Bucket) *backend.Store {
	e.T.Helper()
	return e.MustOpen(func(o *backend.Options) {
		o.Bucket, o.RootKey, o.PreviousRootKeys, o.Concurrency = b, e.opts.RootKey, e.opts.PreviousRootKeys, e.opts.Concurrency
	})
}

// dataState hashes every object that is not part of the audit log or of
// the wrap budget: secrets, keyring and store header.
func (e *aheadEnv) dataState(t *testing.T) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	for _, prefix := range []string{backend.PrefixSecrets, backend.PrefixKeyring, backend.PrefixHeader} {
		it := e.Tg.Raw.List(&blob.ListOptions{Prefix: prefix})
		for {
			o, err := it.Next(e.Ctx)
			if err != nil {
				break
			}
			out[o.Key] = sha256.Sum256(backendtest.ReadRaw(t, e.Tg.Raw, o.Key))
		}
	}
	return out
}

func (e *aheadEnv) eventIDs(t *testing.T) map[string]backend.Event {
	t.Helper()
	out := map[string]backend.Event{}
	for _, ev := range backendtest.AllEvents(t, e.open(e.Tg.Raw), backend.EventFilter{}) {
		out[ev.ID] = ev
	}
	return out
}

// TestAuditWrittenAhead: for every mutation and every write k that fails,
// a change that reached the bucket (a secret, key version or store header
// object created, changed or removed) has its audit event: events are
// written ahead of the change, and a failed audit write stops it.
func TestAuditWrittenAhead(t *testing.T) {
	t.Parallel()
	oldRoot, newRoot := backendtest.RandomRootKey(), backendtest.RandomRootKey()
	mutations := []struct {
		name string
		op   string
		pre  func(o *backend.Options) // options of the store that runs the mutation
		run  func(e *aheadEnv) error
	}{
		{"put", backend.OpUpdated, nil, func(e *aheadEnv) error {
			_, err := e.S.Put(e.Ctx, backend.PutInput{Namespace: "ns", Name: "a", Value: []byte("v3")})
			return err
		}},
		{"delete", backend.OpDeleted, nil, func(e *aheadEnv) error { return e.S.Delete(e.Ctx, backend.DeleteInput{Namespace: "ns", Name: "a"}) }},
		{"create key version", backend.OpKeyVersionCreated, nil, func(e *aheadEnv) error {
			_, err := e.S.CreateKeyVersion(e.Ctx, 3, nil)
			return err
		}},
		{"retire key version", backend.OpKeyVersionRetired, nil, func(e *aheadEnv) error { return e.S.RetireKeyVersion(e.Ctx, 2) }},
		{"rewrap key version", backend.OpKeyVersionRewrapped, func(o *backend.Options) {
			o.RootKey, o.PreviousRootKeys = newRoot, []string{oldRoot}
		}, func(e *aheadEnv) error { return e.S.RewrapKeyVersion(e.Ctx, 1) }},
		{"rotate", backend.OpRotated, nil, func(e *aheadEnv) error {
			_, err := e.S.Rotate(e.Ctx, backend.RotateInput{})
			return err
		}},
		{"cleanup", "", nil, func(e *aheadEnv) error {
			_, err := e.S.Cleanup(e.Ctx, backend.CleanupInput{Retention: backend.Retention{ExpiredSecrets: dur(time.Hour), DeletedSecrets: dur(time.Hour), Revisions: dur(time.Hour)}})
			return err
		}},
	}
	for _, m := range mutations {
		for _, kind := range []backendtest.FaultKind{backendtest.FaultWrite, backendtest.FaultWriteStored} {
			t.Run(m.name+"/"+kind.String(), func(t *testing.T) {
				fired := 0
				for k := 1; ; k++ {
					if k > 50 {
						t.Fatalf("still writing at k = %d", k)
					}
					e := newAheadEnv(t, backend.Options{RootKey: oldRoot, Concurrency: 2})
					setupAheadStore(t, e)
					if m.pre != nil {
						m.pre(&e.opts)
						e.S = e.open(e.Tg.Opts.Bucket)
					}
					data, events := e.dataState(t), e.eventIDs(t)
					e.Tg.Faults.Arm(kind, k)
					err := m.run(e)
					if ok, _ := e.Tg.Faults.Disarm(); !ok {
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
	if _, err := e.S.CreateKeyVersion(e.Ctx, 1, nil); err != nil {
		t.Fatal(err)
	}
	for _, in := range []backend.PutInput{
		{Namespace: "ns", Name: "a", Value: []byte("v1")},
		{Namespace: "ns", Name: "a", Value: []byte("v2")},
		{Namespace: "ns", Name: "b", Value: []byte("b"), Expiry: backend.Expiry{Set: true, TTL: time.Hour}},
		{Namespace: "ns", Name: "c", Value: []byte("c")},
	} {
		if _, err := e.S.Put(e.Ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.S.Delete(e.Ctx, backend.DeleteInput{Namespace: "ns", Name: "c"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.S.CreateKeyVersion(e.Ctx, 2, nil); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(48 * time.Hour)
}

// TestListEventsWindowNarrowed: a short time window inside a busy day
// lists the keys of the window (plus a bounded margin) in a bounded number
// of LISTs, not the whole day's index; batches whose events spread over
// several minutes are still found by a window that starts inside them.
func TestListEventsWindowNarrowed(t *testing.T) {
	t.Parallel()
	t.Run("mem", func(t *testing.T) {
		ib, b := backendtest.NewFaultBucket(backendtest.OpenRaw(t, "mem://"))
		testWindowNarrowed(t, backend.Options{Bucket: b}, ib, b, 3000)
	})
	// file:// by URL: the local path that reads each directory once.
	t.Run("file", func(t *testing.T) {
		if testing.Short() {
			t.Skip("writes 1,200 events to a local directory (over 5 s)")
		}
		dir := t.TempDir()
		testWindowNarrowed(t, backend.Options{BucketURL: backendtest.FileURL(dir)}, nil, backendtest.OpenRaw(t, backendtest.FileURL(dir)), 1200)
	})
}

// testWindowNarrowed runs TestListEventsWindowNarrowed on a store opened
// with o, with n events in the busy day; ib, when not nil, counts its
// requests; b lists its objects.
func testWindowNarrowed(t *testing.T, o backend.Options, ib *backendtest.FaultBucket, b *blob.Bucket, n int) {
	ctx := context.Background()
	clock := backendtest.NewClockAt(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	o.RootKey, o.Now = backendtest.RandomRootKey(), clock.Now
	s, err := backend.Open(ctx, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	start := clock.Now()
	// One event a second, each its own batch, in one day.
	for i := 0; i < n; i++ {
		op := []string{backend.OpKeyVersionCreated, backend.OpKeyVersionRetired}[i%2]
		if err := s.AppendEvents(ctx, []backend.Event{{Operation: op, KeyVersion: i + 1}}); err != nil {
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
			f := backend.EventFilter{Since: since, Until: since.Add(time.Minute), Descending: desc, Limit: 1000}
			q, err := s.NewEventQuery(f)
			if err != nil {
				t.Fatal(err)
			}
			var c backendtest.RequestCounts
			if ib != nil {
				ib.ResetCounts()
			}
			page, err := q.Run(ctx)
			if ib != nil {
				c = ib.ResetCounts()
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
			if q.KeysListed() > 8*60 || c.List > 1+2*backend.MaxCoverPrefixes {
				t.Fatalf("a 1-minute window at +%ds listed %d keys in %d LISTs; the day has %d keys", off, q.KeysListed(), c.List, n)
			}
			if ib != nil {
				t.Logf("1-minute window at +%ds: %d keys listed, %d LISTs, %d GETs", off, q.KeysListed(), c.List, c.Get)
			}
		}
	}

	// One write whose events spread over ten minutes: its batches are split
	// per minute, and windows and pages inside them find every event.
	t0 := start.Add(2 * time.Hour)
	var evs []backend.Event
	for i := 0; i < 300; i++ {
		evs = append(evs, backend.Event{Operation: backend.OpRotated, Namespace: "b", Name: fmt.Sprintf("s%03d", i), Revision: 2, KeyVersion: 2, Time: t0.Add(time.Duration(i) * 2 * time.Second)})
	}
	if err := s.AppendEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	batches := 0
	iter := b.List(&blob.ListOptions{Prefix: backend.AuditNamespaceIndex("b")})
	for {
		obj, err := iter.Next(ctx)
		if err != nil {
			break
		}
		if it, ok := backend.ParseAuditKey(obj.Key); ok {
			if it.Max-it.Min >= backend.MaxBatchSpan {
				t.Fatalf("batch %s spans %s", obj.Key, time.Duration(it.Max-it.Min))
			}
			batches++
		}
	}
	if batches != 10 {
		t.Fatalf("300 events over 10 minutes in %d namespace batches, want 10", batches)
	}
	for _, f := range []backend.EventFilter{
		{Namespace: "b", Since: t0.Add(150 * time.Second), Until: t0.Add(170 * time.Second)},
		{Since: t0.Add(59 * time.Second), Until: t0.Add(61 * time.Second)},
		{Namespace: "b", Operations: []string{backend.OpRotated}, Since: t0.Add(100 * time.Second), Until: t0.Add(400 * time.Second), Descending: true, Limit: 7},
		{Since: t0.Add(-30 * time.Second), Until: t0.Add(95 * time.Second), Limit: 9},
	} {
		got := backendtest.AllEvents(t, s, f)
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
			if e.Operation == backend.OpRotated {
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
	t.Parallel()
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
		for _, limit := range []int{1, 4, backend.MaxCoverPrefixes, 1000} {
			c := backend.TimeCover(lo, hi, limit)
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
	if c := backend.TimeCover(0, math.MaxInt64, 3); len(c) > 3 || !match(c, 0) || !match(c, math.MaxInt64-1) {
		t.Fatalf("the whole range: %v", c)
	}
}
