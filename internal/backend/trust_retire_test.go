// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// TestRetirementSurvivesDeletedObject: a bucket writer deletes the record
// revision that retired a key version (or, in a second store, the store
// header revision written with it). The version stays retired: it is not
// the primary again, new data keys are not wrapped under it, and retiring
// it again changes nothing.
func TestRetirementSurvivesDeletedObject(t *testing.T) {
	t.Parallel()
	for _, what := range []string{"keyring record", "store header"} {
		t.Run(what, func(t *testing.T) {
			t.Parallel()
			backendtest.ForEach(t, backendtest.UnitTargetKinds(), func(t *testing.T, h *backendtest.Harness) {
				h.CreateKV(1)
				h.CreateKV(2)
				headersBefore := map[string]bool{}
				for _, k := range h.Keys(backend.PrefixHeader) {
					headersBefore[k] = true
				}
				if err := h.S.RetireKeyVersion(h.Ctx, 2); err != nil {
					t.Fatalf("RetireKeyVersion(2): %v", err)
				}
				// The header that retires is format version 2; the one
				// before stays version 1, so older builds refuse the new
				// one as an unsupported format rather than misread it.
				for _, k := range h.Keys(backend.PrefixHeader) {
					want := byte(1)
					if !headersBefore[k] {
						want = 2
					}
					if b := backendtest.ReadRaw(t, h.Tg.Raw, k); len(b) < 5 || string(b[:4]) != "SSHD" || b[4] != want {
						t.Fatalf("header %s: format version byte %v, want %d", k, b[4:5], want)
					}
				}
				var victims []string
				switch what {
				case "keyring record":
					victims = []string{backend.KeyVersionKey(2, 2)}
				case "store header":
					for _, k := range h.Keys(backend.PrefixHeader) {
						if !headersBefore[k] {
							victims = append(victims, k)
						}
					}
				}
				if len(victims) == 0 {
					t.Fatal("the retirement wrote nothing to delete")
				}
				for _, k := range victims {
					if err := h.Tg.Raw.Delete(h.Ctx, k); err != nil {
						t.Fatalf("deleting %s: %v", k, err)
					}
				}
				s := h.Fresh()
				kvs := kvByVersion(t, s)
				if !kvs[2].Retired || primaryOf(t, kvs) != 1 {
					t.Fatalf("after deleting the %s of the retirement: version 2 retired=%v, primary %d; want retired, primary 1",
						what, kvs[2].Retired, primaryOf(t, kvs))
				}
				sec, err := s.Put(h.Ctx, backend.PutInput{Namespace: "app", Name: "db", Value: []byte("v")})
				if err != nil {
					t.Fatal(err)
				}
				if sec.KeyVersion != 1 {
					t.Fatalf("a new secret is wrapped under key version %d, want 1 (2 is retired)", sec.KeyVersion)
				}
				if err := s.RetireKeyVersion(h.Ctx, 2); err != nil {
					t.Fatalf("retiring the retired version again: %v", err)
				}
				if kvs := kvByVersion(t, h.Fresh()); !kvs[2].Retired || primaryOf(t, kvs) != 1 {
					t.Fatalf("after retiring again: version 2 retired=%v, primary %d", kvs[2].Retired, primaryOf(t, kvs))
				}
			})
		})
	}
}
