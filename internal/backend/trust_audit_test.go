// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// gapFilters are the queries a gap must be reported by: the secret's
// index, its namespace's and the global one, in both orders.
func gapFilters(ns, name string) []backend.EventFilter {
	var out []backend.EventFilter
	for _, desc := range []bool{false, true} {
		out = append(out,
			backend.EventFilter{Namespace: ns, Name: name, Descending: desc},
			backend.EventFilter{Namespace: ns, Descending: desc},
			backend.EventFilter{Descending: desc},
		)
	}
	return out
}

// listAll pages through ListEvents and returns the first error.
func listAll(h *backendtest.Harness, s *backend.Store, f backend.EventFilter) ([]backend.Event, error) {
	var out []backend.Event
	for {
		page, err := s.ListEvents(h.Ctx, f)
		if err != nil {
			return out, err
		}
		out = append(out, page.Events...)
		if page.NextPageToken == "" {
			return out, nil
		}
		f.PageToken = page.NextPageToken
	}
}

// expectGap fails unless every filter reports a gap of secret ns/name.
func expectGap(t *testing.T, h *backendtest.Harness, ns, name string, filters []backend.EventFilter) {
	t.Helper()
	s := h.Fresh()
	for _, f := range filters {
		_, err := listAll(h, s, f)
		if !errors.Is(err, backend.ErrAuditGap) {
			t.Fatalf("ListEvents(%+v) = %v; want a gap (ErrAuditGap)", f, err)
		}
		if !errors.Is(err, backend.ErrIntegrity) {
			t.Fatalf("ListEvents(%+v) = %v; a gap is also an integrity error", f, err)
		}
		var gap *backend.AuditGapError
		if !errors.As(err, &gap) {
			t.Fatalf("ListEvents(%+v) = %v (%T); want a *AuditGapError", f, err, err)
		}
		if (gap.Namespace != ns && !(f.Namespace == "" && gap.Batch != "" && gap.Namespace == "")) || (gap.Name != name && gap.Name != "") {
			t.Fatalf("ListEvents(%+v): gap %+v does not name secret %s/%s", f, gap, ns, name)
		}
	}
}

// expectNoGap fails unless every query of the store lists without error.
func expectNoGap(t *testing.T, h *backendtest.Harness, ns, name string) {
	t.Helper()
	s := h.Fresh()
	for _, f := range gapFilters(ns, name) {
		for _, limit := range []int{1, 2, backend.MaxEventLimit} {
			f.Limit = limit
			if _, err := listAll(h, s, f); err != nil {
				t.Fatalf("ListEvents(%+v): %v", f, err)
			}
		}
	}
}

// secretEventKeys lists the per-secret audit entries of ns/name, oldest
// first.
func secretEventKeys(t *testing.T, h *backendtest.Harness, ns, name string) []string {
	t.Helper()
	keys := backendtest.RawKeys(t, h.Tg.Raw, backend.AuditSecretIndex(ns, name))
	slices.SortFunc(keys, func(a, b string) int {
		return strings.Compare(a[strings.LastIndex(a, "/"):], b[strings.LastIndex(b, "/"):])
	})
	return keys
}

// entriesOf lists every audit entry (in any index) that holds event id.
func entriesOf(t *testing.T, h *backendtest.Harness, id string) []string {
	t.Helper()
	var out []string
	for _, k := range backendtest.RawKeys(t, h.Tg.Raw, "v1/a/") {
		if bytes.Contains(backendtest.ReadRaw(t, h.Tg.Raw, k), []byte(`"id":"`+id+`"`)) {
			out = append(out, k)
		}
	}
	return out
}

// threeWrites writes ns/name three times, with a read between, a second
// apart, and returns the events of the secret.
func threeWrites(t *testing.T, h *backendtest.Harness, ns, name string) []backend.Event {
	t.Helper()
	for i := 0; i < 3; i++ {
		h.Clock.Advance(time.Second)
		sec := h.PutValue(ns, name, fmt.Sprint("v", i))
		if i == 1 {
			h.Clock.Advance(time.Second)
			if err := h.S.RecordRead(h.Ctx, sec); err != nil {
				t.Fatal(err)
			}
		}
	}
	return backendtest.AllEvents(t, h.Fresh(), backend.EventFilter{Namespace: ns, Name: name})
}

// TestAuditGapDeletedEvent: deleting one event of a secret (every copy
// of it, as a bucket writer would) is reported as a gap by every query
// that reads the secret's events, and naming where.
func TestAuditGapDeletedEvent(t *testing.T) {
	forDrivers(t, func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		h.PutValue("gap", "other", "x")
		evs := threeWrites(t, h, "gap", "a")
		if len(evs) != 4 {
			t.Fatalf("secret has %d events, want 4", len(evs))
		}
		expectNoGap(t, h, "gap", "a")
		victim := evs[1] // the first update
		keys := entriesOf(t, h, victim.ID)
		if len(keys) != 3 {
			t.Fatalf("event %s is stored in %v, want three entries", victim.ID, keys)
		}
		for _, k := range keys {
			if err := h.Tg.Raw.Delete(h.Ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		expectGap(t, h, "gap", "a", gapFilters("gap", "a"))
		_, err := listAll(h, h.Fresh(), backend.EventFilter{Namespace: "gap", Name: "a"})
		var gap *backend.AuditGapError
		if !errors.As(err, &gap) || gap.Name != "a" || gap.Missing != victim.ID || gap.Next != evs[2].ID || gap.Operation != backend.OpUpdated {
			t.Fatalf("gap %+v (%v); want event %s missing before %s of gap/a", gap, err, victim.ID, evs[2].ID)
		}
		if msg := err.Error(); !strings.Contains(msg, "gap/a") || !strings.Contains(msg, victim.ID) || !strings.Contains(msg, evs[2].ID) {
			t.Fatalf("gap error %q does not say where", msg)
		}
	})
}

// TestAuditGapDeletedSecretEntry: deleting only the per-secret entry of
// an event is reported by the secret's query.
func TestAuditGapDeletedSecretEntry(t *testing.T) {
	forDrivers(t, func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		threeWrites(t, h, "gap", "a")
		keys := secretEventKeys(t, h, "gap", "a")
		if err := h.Tg.Raw.Delete(h.Ctx, keys[2]); err != nil { // the read
			t.Fatal(err)
		}
		expectGap(t, h, "gap", "a", []backend.EventFilter{
			{Namespace: "gap", Name: "a"}, {Namespace: "gap", Name: "a", Descending: true},
			{Namespace: "gap", Name: "a", Operations: []string{backend.OpUpdated}},
		})
	})
}

// cutBatch rewrites the batch at key without its event i, under the key a
// batch of one event fewer would have, as a bucket writer can.
func cutBatch(t *testing.T, h *backendtest.Harness, key string, i int) {
	t.Helper()
	data := backendtest.ReadRaw(t, h.Tg.Raw, key)
	var body map[string]json.RawMessage
	if err := json.Unmarshal(data[5:], &body); err != nil {
		t.Fatal(err)
	}
	var events []json.RawMessage
	if err := json.Unmarshal(body["events"], &events); err != nil {
		t.Fatal(err)
	}
	events = slices.Delete(events, i, i+1)
	body["events"], _ = json.Marshal(events)
	js, _ := json.Marshal(body)
	it, ok := backend.ParseAuditKey(key)
	if !ok {
		t.Fatalf("%s is not an audit key", key)
	}
	newKey := strings.Replace(key, fmt.Sprintf("_%d_%s", it.Count, it.ID), fmt.Sprintf("_%d_%s", it.Count-1, it.ID), 1)
	if err := h.Tg.Raw.Delete(h.Ctx, key); err != nil {
		t.Fatal(err)
	}
	backendtest.WriteRaw(t, h.Tg.Raw, newKey, append(slices.Clone(data[:5]), js...))
}

// TestAuditGapCutFromBatch: one event cut out of a batch (the batch
// rewritten without it, its key's count lowered) is reported as a gap by
// the queries that read that batch.
func TestAuditGapCutFromBatch(t *testing.T) {
	forDrivers(t, func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		for _, n := range []string{"a", "b", "c"} {
			h.PutValue("cut", n, "v")
		}
		h.Clock.Advance(time.Second)
		h.CreateKV(2)
		if _, err := h.S.Rotate(h.Ctx, backend.RotateInput{}); err != nil {
			t.Fatal(err)
		}
		expectNoGap(t, h, "cut", "b")
		var batches []string
		for _, k := range backendtest.RawKeys(t, h.Tg.Raw, "v1/a/") {
			if it, ok := backend.ParseAuditKey(k); ok && it.Batch && it.Count == 3 && it.Op == backend.OpRotated {
				batches = append(batches, k)
			}
		}
		if len(batches) != 2 {
			t.Fatalf("rotation batches %v, want one per index", batches)
		}
		for _, k := range batches {
			cutBatch(t, h, k, 1)
		}
		var filters []backend.EventFilter
		for _, desc := range []bool{false, true} {
			filters = append(filters, backend.EventFilter{Namespace: "cut", Descending: desc},
				backend.EventFilter{Descending: desc, Operations: []string{backend.OpRotated}})
		}
		expectGap(t, h, "cut", "", filters)
	})
}

// TestAuditGapRenamedEvent: an event whose entry is moved (renamed into
// another day, where its key no longer parses, or to another time) is
// reported: as a gap when it vanishes from the listing, as an integrity
// error when its key no longer matches its body.
func TestAuditGapRenamedEvent(t *testing.T) {
	forDrivers(t, func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		threeWrites(t, h, "mv", "a")
		keys := secretEventKeys(t, h, "mv", "a")
		victim := keys[1]
		data := backendtest.ReadRaw(t, h.Tg.Raw, victim)
		i := strings.LastIndex(victim, "/y")
		moved := victim[:i] + "/y19991231" + victim[i+10:]
		if err := h.Tg.Raw.Delete(h.Ctx, victim); err != nil {
			t.Fatal(err)
		}
		backendtest.WriteRaw(t, h.Tg.Raw, moved, data)
		expectGap(t, h, "mv", "a", []backend.EventFilter{{Namespace: "mv", Name: "a"}, {Namespace: "mv", Name: "a", Descending: true}})

		// Swapped with the next event's key: its body disagrees.
		if err := h.Tg.Raw.Delete(h.Ctx, moved); err != nil {
			t.Fatal(err)
		}
		next := backendtest.ReadRaw(t, h.Tg.Raw, keys[2])
		backendtest.WriteRaw(t, h.Tg.Raw, victim, next)
		backendtest.WriteRaw(t, h.Tg.Raw, keys[2], data)
		_, err := listAll(h, h.Fresh(), backend.EventFilter{Namespace: "mv", Name: "a"})
		backendtest.ExpectErr(t, err, backend.ErrIntegrity, "events swapped between keys")
	})
}

// TestAuditNoGapAfterPurge: an audit purge records what it removed, so
// the events left after it (whose predecessors were purged) list without
// a gap; a store never tampered with has none either, across days,
// deletes, rotations and reads.
func TestAuditNoGapAfterPurge(t *testing.T) {
	forDrivers(t, func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		for day := 0; day < 4; day++ {
			for _, n := range []string{"a", "b"} {
				h.Clock.Advance(time.Hour)
				sec := h.PutValue("pg", n, fmt.Sprint(day))
				if err := h.S.RecordRead(h.Ctx, sec); err != nil {
					t.Fatal(err)
				}
			}
			if day == 1 {
				h.CreateKV(2)
				if _, err := h.S.Rotate(h.Ctx, backend.RotateInput{}); err != nil {
					t.Fatal(err)
				}
			}
			h.Clock.Advance(20 * time.Hour)
		}
		expectNoGap(t, h, "pg", "a")
		keep := 40 * time.Hour
		if _, err := h.S.Cleanup(h.Ctx, backend.CleanupInput{Retention: backend.Retention{AuditEvents: &keep}}); err != nil {
			t.Fatal(err)
		}
		left := backendtest.AllEvents(t, h.Fresh(), backend.EventFilter{Namespace: "pg", Name: "a"})
		if len(left) == 0 || len(left) >= 8 {
			t.Fatalf("%d events of pg/a are left after the purge; want some purged, some kept", len(left))
		}
		expectNoGap(t, h, "pg", "a")
		expectNoGap(t, h, "pg", "b")
		// After the purge, deleting a kept event is still a gap.
		keys := secretEventKeys(t, h, "pg", "a")
		if err := h.Tg.Raw.Delete(h.Ctx, keys[len(keys)-2]); err != nil {
			t.Fatal(err)
		}
		expectGap(t, h, "pg", "a", []backend.EventFilter{{Namespace: "pg", Name: "a"}})
	})
}

// TestAuditFormat1EventsNoGap: a store whose older events were written in
// format 1 (no links) lists without false gaps once format 2 events are
// added; the chain starts at the first format 2 event, which links to the
// newest format 1 event. Not parallel: it switches the format written.
func TestAuditFormat1EventsNoGap(t *testing.T) {
	for _, kind := range backendtest.UnitTargetKinds() {
		t.Run(kind.Name, func(t *testing.T) {
			h := backendtest.New(t, kind.New)
			restore := backend.SetAuditWriteFormat(1)
			h.CreateKV(1)
			old := threeWrites(t, h, "v1", "a")
			h.CreateKV(2)
			if _, err := h.S.Rotate(h.Ctx, backend.RotateInput{}); err != nil {
				t.Fatal(err)
			}
			restore()
			for _, k := range backendtest.RawKeys(t, h.Tg.Raw, "v1/a/") {
				if bytes.Contains(backendtest.ReadRaw(t, h.Tg.Raw, k), []byte(`"v":`)) {
					t.Fatalf("format 1 entry %s carries a format field", k)
				}
			}
			expectNoGap(t, h, "v1", "a")
			h.Clock.Advance(time.Second)
			h.PutValue("v1", "a", "new")
			h.PutValue("v1", "b", "new")
			expectNoGap(t, h, "v1", "a")
			expectNoGap(t, h, "v1", "b")
			// Format 1 events carry no link: deleting one is not seen.
			// Deleting the newest, which the first format 2 event links to, is.
			keys := secretEventKeys(t, h, "v1", "a")
			if len(keys) != len(old)+2 {
				t.Fatalf("secret has %d entries, want %d", len(keys), len(old)+2)
			}
			if err := h.Tg.Raw.Delete(h.Ctx, keys[len(keys)-2]); err != nil {
				t.Fatal(err)
			}
			expectGap(t, h, "v1", "a", []backend.EventFilter{{Namespace: "v1", Name: "a"}})
		})
	}
}
