// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// damageCurrent corrupts the current record of ns/name (revision rev) and,
// with noMarker, removes its marker, so that planners must read the record.
func damageCurrent(t *testing.T, h *backendtest.Harness, ns, name string, rev int64, noMarker bool) {
	t.Helper()
	dir := backend.SecretDir(ns, name)
	key := backend.RecordKey(dir, rev)
	data := backendtest.ReadRaw(t, h.Tg.Raw, key)
	data[len(data)/2] ^= 0x40
	if noMarker {
		// Planners decode the record when its marker is missing: make
		// decoding fail.
		data[0] ^= 0xff
	}
	backendtest.WriteRaw(t, h.Tg.Raw, key, data)
	if !noMarker {
		return
	}
	for _, k := range backendtest.RawKeys(t, h.Tg.Raw, dir) {
		if sk, ok := backend.ParseSecretKey(k); ok && sk.Marker != nil && sk.Revision == rev {
			if err := h.Tg.Raw.Delete(h.Ctx, k); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// expectDamaged fails unless err is a *DamagedSecretsError naming exactly
// the secrets want, whose first error is an integrity error.
func expectDamaged(t *testing.T, err error, what string, want ...string) {
	t.Helper()
	var d *backend.DamagedSecretsError
	if !errors.As(err, &d) {
		t.Fatalf("%s = %v (%T); want a *DamagedSecretsError", what, err, err)
	}
	if !slices.Equal(d.Secrets, want) || !errors.Is(err, backend.ErrIntegrity) {
		t.Fatalf("%s reports damaged %v (%v); want %v, an integrity error", what, d.Secrets, err, want)
	}
}

// TestListSkipsDamagedSecret: a tampered secret does not make List of its
// namespace fail: the others are listed and the damaged one is reported.
func TestListSkipsDamagedSecret(t *testing.T) {
	forDrivers(t, func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		for _, n := range []string{"a", "b", "c"} {
			h.PutValue("dm", n, "v")
		}
		damageCurrent(t, h, "dm", "b", 1, false)
		page, err := h.Fresh().List(h.Ctx, backend.ListInput{Namespace: "dm"})
		expectDamaged(t, err, "List", "dm/b")
		if got := backendtest.SecretNames(page.Secrets); !slices.Equal(got, []string{"a", "c"}) {
			t.Fatalf("List = %v; want a and c", got)
		}
	})
}

// TestPlannersSkipDamagedRecord: one corrupt record without a marker does
// not make PlanRotate, PlanCleanup or the key versions' counts fail for
// the whole store; the planners report it.
func TestPlannersSkipDamagedRecord(t *testing.T) {
	forDrivers(t, func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		for _, n := range []string{"a", "b", "c"} {
			h.PutValue("dp", n, "v")
		}
		h.CreateKV(2)
		damageCurrent(t, h, "dp", "b", 1, true)
		s := h.Fresh()
		rp, err := s.PlanRotate(h.Ctx, backend.RotateInput{})
		expectDamaged(t, err, "PlanRotate", "dp/b")
		if rp.Pending != 2 || rp.Primary != 2 {
			t.Fatalf("PlanRotate = %+v; want 2 pending", rp)
		}
		day := 24 * time.Hour
		_, err = s.PlanCleanup(h.Ctx, backend.CleanupInput{Retention: backend.Retention{Revisions: &day}})
		expectDamaged(t, err, "PlanCleanup", "dp/b")
		kvs, err := s.KeyVersions(h.Ctx)
		expectDamaged(t, err, "KeyVersions", "dp/b")
		if len(kvs) != 2 || kvs[0].Secrets+kvs[1].Secrets != 2 {
			t.Fatalf("KeyVersions = %+v; want both versions and the two readable secrets counted", kvs)
		}
	})
}
