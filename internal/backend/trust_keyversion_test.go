// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// TestTrustCreateKeyVersionBesideDamage: CreateKeyVersion succeeds and
// returns the version it wrote when another version's record is damaged,
// rather than failing after the write (which made a retry fail with
// ErrKeyVersionExists); the new version then wraps new secrets.
func TestTrustCreateKeyVersionBesideDamage(t *testing.T) {
	t.Parallel()
	backendtest.ForEach(t, backendtest.UnitTargetKinds(), func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		backendtest.WriteRaw(t, h.Tg.Raw, backend.KeyVersionKey(5, 1), []byte("SSKV\x01{\"damaged\":true}0123456789abcdef0123456789abcdef"))
		s := h.Fresh()
		material := backendtest.RandomBytes(32)
		wantCV := hex.EncodeToString(envelope.CheckValue(material))
		created := h.Clock.Now()
		kv, err := s.CreateKeyVersion(h.Ctx, 2, material)
		if err != nil {
			_, retry := s.CreateKeyVersion(h.Ctx, 2, material)
			t.Fatalf("CreateKeyVersion(2) beside a damaged version 5: %v (a retry: %v)", err, retry)
		}
		want := backend.KeyVersion{Version: 2, Primary: true, CheckValue: wantCV, CreatedAt: created, RootKeyCurrent: true}
		if kv != want {
			t.Fatalf("CreateKeyVersion(2) = %+v, want %+v", kv, want)
		}
		if _, err := s.CreateKeyVersion(h.Ctx, 2, nil); !errors.Is(err, backend.ErrKeyVersionExists) {
			t.Fatalf("second CreateKeyVersion(2): %v; want ErrKeyVersionExists", err)
		}
		sec, err := s.Put(h.Ctx, backend.PutInput{Namespace: "ns", Name: "after", Value: []byte("v")})
		if err != nil {
			t.Fatal(err)
		}
		if sec.KeyVersion != 2 {
			t.Fatalf("a new secret is wrapped under key version %d, want 2", sec.KeyVersion)
		}
		h.ExpectValue(h.Fresh(), "ns", "after", []byte("v"))
	})
}
