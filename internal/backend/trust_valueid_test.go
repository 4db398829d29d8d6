// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"strings"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// TestValueIDReusedRevision: the newest revision of a secret is deleted
// from the bucket, and another store's metadata-only update writes a
// revision with the same number carrying the older value. The revision
// number cannot tell the two apart; the value id can. Rotations and
// metadata-only updates keep the id, a new value (even an equal one) gets
// a new one, and Put, Get, Head and List agree on it.
func TestValueIDReusedRevision(t *testing.T) {
	t.Parallel()
	backendtest.ForEach(t, backendtest.UnitTargetKinds(), func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		first := h.PutValue("app", "db", "one")
		if len(first.ValueID) != 32 || strings.Trim(first.ValueID, "0123456789abcdef") != "" {
			t.Fatalf("Put ValueID = %q, want 32 lowercase hex digits", first.ValueID)
		}
		second := h.PutValue("app", "db", "two")
		if second.Revision != 2 || second.ValueID == first.ValueID {
			t.Fatalf("a new value: revision %d ValueID %q, want revision 2 and an id other than %q", second.Revision, second.ValueID, first.ValueID)
		}
		if same := h.PutValue("app", "db", "two"); same.ValueID == second.ValueID {
			t.Fatalf("writing an equal value again kept ValueID %q; every value write needs its own", same.ValueID)
		}
		third := h.Get(h.S, "app", "db", 0)

		// The same value, relabelled and rewrapped, keeps its id.
		relabelled := h.Put(backend.PutInput{Namespace: "app", Name: "db", SetMetadata: true, Metadata: map[string]string{"team": "a"}})
		if relabelled.ValueID != third.ValueID {
			t.Fatalf("metadata-only update: ValueID %q, want %q kept", relabelled.ValueID, third.ValueID)
		}
		h.CreateKV(2)
		if res, err := h.S.Rotate(h.Ctx, backend.RotateInput{}); err != nil || res.Rotated != 1 {
			t.Fatalf("Rotate: %+v, %v", res, err)
		}
		fresh := h.Fresh()
		got := h.Get(fresh, "app", "db", 0)
		head, err := fresh.Head(h.Ctx, "app", "db")
		if err != nil {
			t.Fatal(err)
		}
		list := backendtest.AllSecrets(t, fresh, backend.ListInput{Namespace: "app"})
		if got.KeyVersion != 2 || got.ValueID != third.ValueID || head.ValueID != third.ValueID || len(list) != 1 || list[0].ValueID != third.ValueID {
			t.Fatalf("after rotation to key version %d: Get %q, Head %q, List %v; want %q everywhere", got.KeyVersion, got.ValueID, head.ValueID, list, third.ValueID)
		}
		recorded := h.PutValue("app", "db", "three")

		// A bucket writer deletes the newest revision (record and marker).
		dir := backend.SecretDir("app", "db")
		deleted := 0
		for _, k := range h.Keys(dir) {
			if sk, ok := backend.ParseSecretKey(k); ok && sk.Revision == recorded.Revision {
				if err := h.Tg.Raw.Delete(h.Ctx, k); err != nil {
					t.Fatal(err)
				}
				deleted++
			}
		}
		if deleted == 0 {
			t.Fatalf("no object of revision %d under %s", recorded.Revision, dir)
		}
		// Another store relabels the secret: the revision number comes back,
		// carrying the value of the revision before.
		other := h.Fresh()
		reused, err := other.Put(h.Ctx, backend.PutInput{Namespace: "app", Name: "db", SetMetadata: true, Metadata: map[string]string{"team": "b"}})
		if err != nil {
			t.Fatal(err)
		}
		if reused.Revision != recorded.Revision {
			t.Fatalf("the relabelling wrote revision %d, want the reused number %d", reused.Revision, recorded.Revision)
		}
		now, err := h.Fresh().Head(h.Ctx, "app", "db")
		if err != nil {
			t.Fatal(err)
		}
		if now.Revision != recorded.Revision || now.ValueID == recorded.ValueID {
			t.Fatalf("reused revision %d: ValueID %q, recorded %q; the older value must show a different id", now.Revision, now.ValueID, recorded.ValueID)
		}
		if now.ValueID != third.ValueID {
			t.Fatalf("reused revision: ValueID %q, want %q of the older value it carries", now.ValueID, third.ValueID)
		}
	})
}
