package backend_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

func kvByVersion(t *testing.T, s *backend.Store) map[int]backend.KeyVersion {
	t.Helper()
	kvs, err := s.KeyVersions(context.Background())
	if err != nil {
		t.Fatalf("KeyVersions: %v", err)
	}
	out := map[int]backend.KeyVersion{}
	for _, kv := range kvs {
		if _, dup := out[kv.Version]; dup {
			t.Fatalf("KeyVersions lists version %d twice", kv.Version)
		}
		out[kv.Version] = kv
	}
	return out
}

func primaryOf(t *testing.T, kvs map[int]backend.KeyVersion) int {
	t.Helper()
	p := 0
	for v, kv := range kvs {
		if kv.Primary {
			if p != 0 {
				t.Fatalf("versions %d and %d are both primary", p, v)
			}
			p = v
		}
	}
	return p
}

func testKeyVersions(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	ctx := h.Ctx

	if kvs := kvByVersion(t, h.S); len(kvs) != 0 {
		t.Fatalf("new store has key versions: %v", kvs)
	}
	_, err := h.S.Put(ctx, backend.PutInput{Namespace: "ns", Name: "x", Value: []byte("v")})
	backendtest.ExpectErr(t, err, backend.ErrNoKeyVersion, "Put before any key version")

	for _, v := range []int{0, -1} {
		_, err := h.S.CreateKeyVersion(ctx, v, nil)
		backendtest.ExpectErr(t, err, backend.ErrInvalidArgument, fmt.Sprintf("CreateKeyVersion(%d)", v))
	}
	for _, n := range []int{0, 16, 31, 33, 64} {
		_, err := h.S.CreateKeyVersion(ctx, 1, make([]byte, n))
		backendtest.ExpectErr(t, err, backend.ErrInvalidArgument, fmt.Sprintf("CreateKeyVersion with %d bytes of material", n))
	}

	material := backendtest.RandomBytes(32)
	kv1, err := h.S.CreateKeyVersion(ctx, 1, material)
	if err != nil {
		t.Fatalf("CreateKeyVersion(1, material): %v", err)
	}
	if kv1.Version != 1 || !kv1.Primary || kv1.Retired || !kv1.CreatedAt.Equal(h.Clock.Now()) {
		t.Fatalf("CreateKeyVersion(1) = %+v", kv1)
	}
	if len(kv1.CheckValue) != 2*envelope.CheckValueSize || strings.ToLower(kv1.CheckValue) != kv1.CheckValue {
		t.Fatalf("check value %q is not %d lowercase hex digits", kv1.CheckValue, 2*envelope.CheckValueSize)
	}
	if _, err := hex.DecodeString(kv1.CheckValue); err != nil {
		t.Fatalf("check value %q is not hex: %v", kv1.CheckValue, err)
	}
	_, err = h.S.CreateKeyVersion(ctx, 1, nil)
	backendtest.ExpectErr(t, err, backend.ErrKeyVersionExists, "CreateKeyVersion(1) again")

	// The same material gives the same check value in another store; other
	// material gives another.
	h2 := backendtest.New(t, newTarget)
	same, err := h2.S.CreateKeyVersion(ctx, 1, material)
	if err != nil {
		t.Fatalf("CreateKeyVersion in a second store: %v", err)
	}
	if same.CheckValue != kv1.CheckValue {
		t.Fatalf("same material, check values %s and %s differ", same.CheckValue, kv1.CheckValue)
	}
	other, err := h2.S.CreateKeyVersion(ctx, 2, nil)
	if err != nil {
		t.Fatalf("CreateKeyVersion(2): %v", err)
	}
	if other.CheckValue == kv1.CheckValue {
		t.Fatalf("generated material has the check value of the supplied one")
	}

	for i := 0; i < 3; i++ {
		h.PutValue("ns", fmt.Sprintf("s%d", i), "value")
	}
	h.Clock.Advance(time.Second)
	kv2 := h.CreateKV(2)
	if !kv2.Primary {
		t.Fatalf("version 2 is not primary after creation: %+v", kv2)
	}
	kvs := kvByVersion(t, h.Fresh())
	if len(kvs) != 2 || primaryOf(t, kvs) != 2 {
		t.Fatalf("KeyVersions = %+v, want versions 1 and 2 with 2 primary", kvs)
	}
	if kvs[1].Secrets != 3 || kvs[2].Secrets != 0 {
		t.Fatalf("Secrets per version = %d, %d; want 3, 0", kvs[1].Secrets, kvs[2].Secrets)
	}
	if kvs[1].CheckValue != kv1.CheckValue || !kvs[1].CreatedAt.Equal(kv1.CreatedAt) {
		t.Fatalf("version 1 listed as %+v, created as %+v", kvs[1], kv1)
	}
	if !kvs[1].RootKeyCurrent || !kvs[2].RootKeyCurrent {
		t.Fatalf("versions not wrapped under the current root key: %+v", kvs)
	}
	if sec := h.PutValue("ns", "new", "v"); sec.KeyVersion != 2 {
		t.Fatalf("new secret written under version %d, want the primary 2", sec.KeyVersion)
	}

	err = h.S.RetireKeyVersion(ctx, 1)
	backendtest.ExpectErr(t, err, backend.ErrKeyVersionInUse, "RetireKeyVersion(1) while 3 secrets use it")
	backendtest.ExpectErr(t, h.S.RetireKeyVersion(ctx, 9), backend.ErrNotFound, "RetireKeyVersion(9)")

	// Retiring the newest version makes the previous one primary again.
	h.Clock.Advance(time.Second)
	h.CreateKV(3)
	if err := h.S.RetireKeyVersion(ctx, 3); err != nil {
		t.Fatalf("RetireKeyVersion(3) with no secrets: %v", err)
	}
	kvs = kvByVersion(t, h.Fresh())
	if !kvs[3].Retired || kvs[3].Primary || primaryOf(t, kvs) != 2 {
		t.Fatalf("after retiring 3: %+v", kvs)
	}
	if sec := h.PutValue("ns", "after-retire", "v"); sec.KeyVersion != 2 {
		t.Fatalf("secret written under version %d after retiring 3, want 2", sec.KeyVersion)
	}
	_, err = h.S.CreateKeyVersion(ctx, 3, nil)
	backendtest.ExpectErr(t, err, backend.ErrKeyVersionExists, "re-creating retired version 3")

	if _, err := h.S.Rotate(ctx, backend.RotateInput{}); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if err := h.S.RetireKeyVersion(ctx, 1); err != nil {
		t.Fatalf("RetireKeyVersion(1) after rotation: %v", err)
	}
	kvs = kvByVersion(t, h.Fresh())
	if !kvs[1].Retired || kvs[1].Secrets != 0 || kvs[2].Secrets != 5 {
		t.Fatalf("after rotation and retiring 1: %+v", kvs)
	}
	for i := 0; i < 3; i++ {
		h.ExpectValue(h.Fresh(), "ns", fmt.Sprintf("s%d", i), []byte("value"))
	}

	var created, retired []int
	for _, e := range backendtest.AllEvents(t, h.S, backend.EventFilter{}) {
		switch e.Operation {
		case backend.OpKeyVersionCreated:
			created = append(created, e.KeyVersion)
		case backend.OpKeyVersionRetired:
			retired = append(retired, e.KeyVersion)
		}
	}
	if !slices.Equal(created, []int{1, 2, 3}) || !slices.Equal(retired, []int{3, 1}) {
		t.Fatalf("key version events: created %v, retired %v; want [1 2 3] and [3 1]", created, retired)
	}
}

func testKeyVersionUnavailable(t *testing.T, newTarget backendtest.NewTarget) {
	// A revision wrapped under version 2 copied into a store that only has
	// version 1 names a key version the keyring lacks.
	hx := backendtest.New(t, newTarget)
	hx.CreateKV(1)
	hx.CreateKV(2)
	snap := backendtest.RawObjects(t, hx.Tg.Raw)
	hx.Put(backend.PutInput{Namespace: "kv", Name: "x", Value: backendtest.RandomBytes(1024)})
	key := backendtest.LargestNew(t, snap, backendtest.RawObjects(t, hx.Tg.Raw))

	hy := backendtest.NewWithRoot(t, newTarget, hx.Root)
	hy.CreateKV(1)
	hy.PutValue("kv", "y", "y")
	backendtest.WriteRaw(t, hy.Tg.Raw, key, backendtest.ReadRaw(t, hx.Tg.Raw, key))
	_, err := hy.Fresh().Get(hy.Ctx, "kv", "x", backend.GetOptions{})
	backendtest.ExpectErr(t, err, backend.ErrKeyVersionUnavailable, "Get of a revision under a version the keyring lacks")
	hy.ExpectValue(hy.Fresh(), "kv", "y", []byte("y"))
}
