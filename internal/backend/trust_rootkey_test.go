// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// wrappedUnder lists the store header and key version objects of a bucket
// whose wrapped store secret or key material the keeper of root opens: what
// someone holding root and read access to the bucket can unwrap.
func wrappedUnder(t *testing.T, h *backendtest.Harness, root string) []string {
	t.Helper()
	keeper, err := backend.ParseRootKey(h.Ctx, backend.FieldRootKey, 0, root)
	if err != nil {
		t.Fatal(err)
	}
	defer keeper.Close()
	var opened []string
	for _, prefix := range []string{backend.PrefixHeader, backend.PrefixKeyring} {
		for _, k := range h.Keys(prefix) {
			raw := backendtest.ReadRaw(t, h.Tg.Raw, k)
			if len(raw) < 5+32 {
				t.Fatalf("%s: %d bytes", k, len(raw))
			}
			var body struct {
				WrappedSecret   []byte `json:"wrapped_secret"`
				WrappedMaterial []byte `json:"wrapped_material"`
			}
			if err := json.Unmarshal(raw[5:len(raw)-32], &body); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
			wrapped := body.WrappedSecret
			if strings.HasPrefix(k, backend.PrefixKeyring) {
				wrapped = body.WrappedMaterial
			}
			if pt, err := keeper.Decrypt(h.Ctx, wrapped); err == nil {
				clear(pt)
				opened = append(opened, k)
			}
		}
	}
	return opened
}

// TestRootKeyRotationRemovesOldCopies: once every key version (retired ones
// included) and the store header are wrapped under the new root key, the
// copies wrapped under the previous root key are gone from the bucket, so
// the previous key and read access to the bucket open nothing, and opening
// with only the previous key fails.
func TestRootKeyRotationRemovesOldCopies(t *testing.T) {
	t.Parallel()
	backendtest.ForEach(t, backendtest.UnitTargetKinds(), func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		h.PutValue("app", "old", "under key version 1")
		h.CreateKV(2)
		if res, err := h.S.Rotate(h.Ctx, backend.RotateInput{}); err != nil || res.Rotated != 1 {
			t.Fatalf("Rotate: %+v, %v", res, err)
		}
		h.CreateKV(3)
		if err := h.S.RetireKeyVersion(h.Ctx, 3); err != nil {
			t.Fatal(err)
		}
		oldRoot, newRoot := h.Root, backendtest.RandomRootKey()
		oldCopies := wrappedUnder(t, h, oldRoot)
		if len(oldCopies) == 0 {
			t.Fatal("nothing is wrapped under the root key before the rotation")
		}
		saved := map[string][]byte{}
		for _, k := range oldCopies {
			saved[k] = backendtest.ReadRaw(t, h.Tg.Raw, k)
		}
		s, err := h.Open(func(o *backend.Options) {
			o.RootKey = newRoot
			o.PreviousRootKeys = []string{oldRoot}
		})
		if err != nil {
			t.Fatal(err)
		}
		// Versions 1 and 2 are rewrapped one by one, as secretstore_key_version
		// resources do; version 3 is retired, so no resource manages it.
		if err := s.RewrapKeyVersion(h.Ctx, 1); err != nil {
			t.Fatal(err)
		}
		if len(wrappedUnder(t, h, oldRoot)) == 0 {
			t.Fatal("the copies under the previous root key were removed while key version 2 still needed it")
		}
		if err := s.RewrapKeyVersion(h.Ctx, 2); err != nil {
			t.Fatal(err)
		}
		if opened := wrappedUnder(t, h, oldRoot); len(opened) != 0 {
			t.Fatalf("after the rotation finished, the previous root key still unwraps %d object(s): %v", len(opened), opened)
		}
		for v, kv := range kvByVersion(t, s) {
			if !kv.RootKeyCurrent {
				t.Fatalf("key version %d is not under the new root key", v)
			}
		}
		h.Root = newRoot
		fresh := h.Fresh()
		h.ExpectValue(fresh, "app", "old", []byte("under key version 1"))
		if kvs := kvByVersion(t, fresh); !kvs[3].Retired || primaryOf(t, kvs) != 2 {
			t.Fatalf("after the rotation: version 3 retired=%v, primary %d", kvs[3].Retired, primaryOf(t, kvs))
		}
		_, err = h.Open(func(o *backend.Options) { o.RootKey = oldRoot })
		backendtest.ExpectErr(t, err, backend.ErrRootKeyMismatch, "Open with only the previous root key")

		// Old copies restored from a backup are removed by the next Cleanup.
		for k, b := range saved {
			if len(h.Keys(k)) == 0 {
				backendtest.WriteRaw(t, h.Tg.Raw, k, b)
			}
		}
		if len(wrappedUnder(t, h, oldRoot)) == 0 {
			t.Fatal("restoring the old copies restored nothing")
		}
		if _, err := fresh.Cleanup(h.Ctx, backend.CleanupInput{}); err != nil {
			t.Fatalf("Cleanup: %v", err)
		}
		if opened := wrappedUnder(t, h, oldRoot); len(opened) != 0 {
			t.Fatalf("after Cleanup, the previous root key still unwraps %v", opened)
		}
		h.ExpectValue(h.Fresh(), "app", "old", []byte("under key version 1"))
	})
}
