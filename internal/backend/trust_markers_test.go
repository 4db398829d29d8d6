// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"errors"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// forgeMarker replaces the marker of revision rev of ns/name by one that
// edit makes of it, as a bucket writer can (markers are empty objects).
func forgeMarker(t *testing.T, h *backendtest.Harness, ns, name string, rev int64, edit func(*backend.Marker)) {
	t.Helper()
	dir := backend.SecretDir(ns, name)
	for _, k := range backendtest.RawKeys(t, h.Tg.Raw, dir) {
		sk, ok := backend.ParseSecretKey(k)
		if !ok || sk.Marker == nil || sk.Revision != rev {
			continue
		}
		m := *sk.Marker
		edit(&m)
		if err := h.Tg.Raw.Delete(h.Ctx, k); err != nil {
			t.Fatal(err)
		}
		backendtest.WriteRaw(t, h.Tg.Raw, backend.MarkerKey(dir, rev, m), nil)
		return
	}
	t.Fatalf("no marker of %s/%s revision %d", ns, name, rev)
}

// TestCleanupForgedMarkerTime: a marker whose write time is forged into
// the past does not make Cleanup purge the revision it superseded inside
// its retention; the forgery is reported as an integrity failure of that
// secret, and the revision stays readable.
func TestCleanupForgedMarkerTime(t *testing.T) {
	forDrivers(t, func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		h.PutValue("fm", "a", "v1")
		h.Clock.Advance(time.Hour)
		h.PutValue("fm", "a", "v2")
		h.Clock.Advance(time.Hour)
		forgeMarker(t, h, "fm", "a", 2, func(m *backend.Marker) { m.Written -= int64(48 * time.Hour) })
		keep := 24 * time.Hour
		in := backend.CleanupInput{Retention: backend.Retention{Revisions: &keep}}
		res, err := h.Fresh().Cleanup(h.Ctx, in)
		if !errors.Is(err, backend.ErrIntegrity) || res.Revisions != 0 {
			t.Fatalf("Cleanup after a forged marker time = %+v, %v; want nothing purged and an integrity error", res, err)
		}
		if got := h.Get(h.Fresh(), "fm", "a", 1); string(got.Value) != "v1" {
			t.Fatalf("revision 1 reads %q", got.Value)
		}
	})
}

// TestCleanupRotationSupersededPurged: a revision superseded by a
// rotation (whose record keeps the update time of the value) is still
// purged once the rotation is older than the retention, and not before.
func TestCleanupRotationSupersededPurged(t *testing.T) {
	forDrivers(t, func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		h.PutValue("fr", "a", "v1")
		h.Clock.Advance(30 * 24 * time.Hour)
		h.CreateKV(2)
		if _, err := h.S.Rotate(h.Ctx, backend.RotateInput{}); err != nil {
			t.Fatal(err)
		}
		keep := 24 * time.Hour
		in := backend.CleanupInput{Retention: backend.Retention{Revisions: &keep}}
		h.Clock.Advance(time.Hour)
		if res, err := h.Fresh().Cleanup(h.Ctx, in); err != nil || res.Revisions != 0 {
			t.Fatalf("Cleanup an hour after the rotation = %+v, %v; want nothing purged", res, err)
		}
		h.Clock.Advance(24 * time.Hour)
		if res, err := h.Fresh().Cleanup(h.Ctx, in); err != nil || res.Revisions != 1 {
			t.Fatalf("Cleanup a day after the rotation = %+v, %v; want revision 1 purged", res, err)
		}
	})
}

// TestListForgedMarkerFlag: a live secret whose marker is renamed to claim
// a tombstone (or a purge) is still listed: List omits a secret only on
// the word of its authenticated record.
func TestListForgedMarkerFlag(t *testing.T) {
	forDrivers(t, func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		for _, n := range []string{"a", "b", "c"} {
			h.PutValue("fl", n, "v")
		}
		forgeMarker(t, h, "fl", "b", 1, func(m *backend.Marker) { m.Flag = backend.FlagTombstone })
		forgeMarker(t, h, "fl", "c", 1, func(m *backend.Marker) { m.Flag = backend.FlagPurging })
		for _, size := range []int{1, 100} {
			got := backendtest.SecretNames(backendtest.AllSecrets(t, h.Fresh(), backend.ListInput{Namespace: "fl", PageSize: size}))
			if len(got) != 3 {
				t.Fatalf("List (page size %d) after forged markers = %v; want a, b and c", size, got)
			}
		}
	})
}
