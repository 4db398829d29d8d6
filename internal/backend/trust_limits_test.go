// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// TestTrustRevisionLimit puts a secret at the largest revision number the
// store can write (math.MaxInt64): Put, Delete, Rotate and Cleanup each
// refuse to write the revision after it with ErrRevisionLimit, write
// nothing, and the secret keeps reading back.
func TestTrustRevisionLimit(t *testing.T) {
	t.Parallel()
	backendtest.ForEach(t, backendtest.UnitTargetKinds(), func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		for _, name := range []string{"live", "expiring"} {
			first := h.PutValue("ns", name, "v")
			hd := envelope.Header{Namespace: "ns", Name: name, Revision: math.MaxInt64, KeyVersion: uint32(first.KeyVersion),
				CreatedAt: first.CreatedAt.UnixNano(), UpdatedAt: h.Clock.Step().UnixNano()}
			if name == "expiring" {
				hd.ExpiresAt = h.Clock.Now().Add(time.Minute).UnixNano()
			}
			rec, err := h.S.SealRecordForTest(h.Ctx, hd, []byte("last"))
			if err != nil {
				t.Fatal(err)
			}
			backendtest.WriteRaw(t, h.Tg.Raw, backend.RecordKey(backend.SecretDir("ns", name), math.MaxInt64), rec)
		}
		h.CreateKV(2)
		s := h.Fresh()
		before := backendtest.RawObjects(t, h.Tg.Raw)
		expect := func(err error, what string) {
			t.Helper()
			backendtest.ExpectErr(t, err, backend.ErrRevisionLimit, what)
			if !strings.Contains(err.Error(), "ns/live") && !strings.Contains(err.Error(), "ns/expiring") {
				t.Fatalf("%s: error %q does not name the secret", what, err)
			}
		}
		_, err := s.Put(h.Ctx, backend.PutInput{Namespace: "ns", Name: "live", Value: []byte("new")})
		expect(err, "Put at the last revision")
		_, err = s.Put(h.Ctx, backend.PutInput{Namespace: "ns", Name: "live", SetMetadata: true, Metadata: map[string]string{"k": "v"}})
		expect(err, "metadata Put at the last revision")
		expect(s.Delete(h.Ctx, backend.DeleteInput{Namespace: "ns", Name: "live"}), "Delete at the last revision")
		_, err = s.Rotate(h.Ctx, backend.RotateInput{})
		expect(err, "Rotate at the last revision")
		h.Clock.Advance(time.Hour)
		zero := time.Duration(0)
		_, err = s.Cleanup(h.Ctx, backend.CleanupInput{Retention: backend.Retention{ExpiredSecrets: &zero}})
		expect(err, "Cleanup at the last revision")
		if added := backendtest.NewObjects(before, backendtest.RawObjects(t, h.Tg.Raw)); len(added) != 0 {
			t.Fatalf("refused writes left objects: %v", added)
		}
		got := h.ExpectValue(h.Fresh(), "ns", "live", []byte("last"))
		if got.Revision != math.MaxInt64 {
			t.Fatalf("current revision %d, want %d", got.Revision, int64(math.MaxInt64))
		}
	})
}

// TestTrustEventWindowRange: ListEvents refuses a since or until outside
// the times the store records (1970 to 2262) with a ValidationError on
// that field, and takes 1970-01-01T00:00:00Z as a bound like any other
// time, never as "unset".
func TestTrustEventWindowRange(t *testing.T) {
	t.Parallel()
	backendtest.ForEach(t, backendtest.UnitTargetKinds(), func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		h.PutValue("ns", "a", "v")
		if n := len(backendtest.AllEvents(t, h.S, backend.EventFilter{})); n == 0 {
			t.Fatal("no events to query")
		}
		epoch := time.Unix(0, 0).UTC()
		far := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
		early := time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)
		for _, c := range []struct {
			what  string
			f     backend.EventFilter
			field backend.Field
		}{
			{"since 9999", backend.EventFilter{Since: far}, backend.FieldSince},
			{"until 9999", backend.EventFilter{Until: far}, backend.FieldUntil},
			{"since 1600", backend.EventFilter{Since: early}, backend.FieldSince},
			{"until 1600", backend.EventFilter{Until: early}, backend.FieldUntil},
			{"since just before 1970", backend.EventFilter{Since: epoch.Add(-time.Nanosecond)}, backend.FieldSince},
			{"until after 2262", backend.EventFilter{Until: backend.LatestTime.Add(time.Nanosecond)}, backend.FieldUntil},
			{"since and until at 1970", backend.EventFilter{Since: epoch, Until: epoch}, backend.FieldUntil},
		} {
			page, err := h.S.ListEvents(h.Ctx, c.f)
			var ve *backend.ValidationError
			if !errors.As(err, &ve) || ve.Field != c.field {
				t.Fatalf("ListEvents with %s: %d events, error %v; want a ValidationError on %v", c.what, len(page.Events), err, c.field)
			}
		}
		// 1970 is a bound: nothing is before it, everything is after it.
		if evs := backendtest.AllEvents(t, h.S, backend.EventFilter{Until: epoch.Add(time.Second)}); len(evs) != 0 {
			t.Fatalf("events before 1970-01-01T00:00:01Z: %d, want 0", len(evs))
		}
		all := backendtest.AllEvents(t, h.S, backend.EventFilter{})
		if evs := backendtest.AllEvents(t, h.S, backend.EventFilter{Since: epoch, Until: backend.LatestTime}); len(evs) != len(all) {
			t.Fatalf("events from 1970 to 2262: %d, want all %d", len(evs), len(all))
		}
	})
}

// TestTrustActorValidated: an actor is validated as a reason is (UTF-8,
// no control characters, at most MaxActorLen bytes), so that no audit
// event can carry a forged line break or a terminal escape.
func TestTrustActorValidated(t *testing.T) {
	t.Parallel()
	h := backendtest.New(t, backendtest.Mem)
	for _, actor := range []string{
		"ci\nop=deleted actor=admin",
		"ci\r\nx",
		"\x1b[31mred\x1b[0m",
		"tab\there",
		"nel\u0085x",
		"bad\xffutf8",
		strings.Repeat("a", backend.MaxActorLen+1),
	} {
		s, err := h.Open(func(o *backend.Options) { o.Actor = actor })
		if err == nil {
			_ = s.Close()
		}
		var ve *backend.ValidationError
		if !errors.As(err, &ve) || ve.Field != backend.FieldActor {
			t.Fatalf("Open with actor %q: error %v; want a ValidationError on the actor", backendtest.Trunc([]byte(actor)), err)
		}
		if strings.Contains(err.Error(), actor) {
			t.Fatalf("error %q repeats the refused actor", err)
		}
	}
	for _, actor := range []string{"ci@runner-1", "ünïcode user@host", "tfc:org/ws run-abc", strings.Repeat("a", backend.MaxActorLen)} {
		s, err := h.Open(func(o *backend.Options) { o.Actor = actor })
		if err != nil {
			t.Fatalf("Open with actor %q: %v", actor, err)
		}
		_ = s.Close()
	}
}
