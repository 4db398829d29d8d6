package backend_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

func testPutGet(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	ctx := h.Ctx
	h.CreateKV(1)

	_, err := h.S.Get(ctx, "ns", "missing", backend.GetOptions{})
	backendtest.ExpectErr(t, err, backend.ErrNotFound, "Get of a secret never written")
	_, err = h.S.Head(ctx, "ns", "missing")
	backendtest.ExpectErr(t, err, backend.ErrNotFound, "Head of a secret never written")
	if ok, err := h.S.Has(ctx, "ns", "missing"); ok || err != nil {
		t.Fatalf("Has(missing) = %v, %v; want false, nil", ok, err)
	}
	_, err = h.S.Put(ctx, backend.PutInput{Namespace: "ns", Name: "novalue"})
	if err == nil || !(errors.Is(err, backend.ErrInvalidArgument) || errors.Is(err, backend.ErrNotFound)) {
		t.Fatalf("Put of a new secret with no value: got %v, want invalid argument or not found", err)
	}

	t0 := h.Clock.Advance(time.Second)
	v1 := backendtest.RandomBytes(300)
	sec := h.Put(backend.PutInput{Namespace: "acme:production", Name: "db-password", Value: v1,
		SetMetadata: true, Metadata: map[string]string{"owner": "team-a"}})
	if sec.Namespace != "acme:production" || sec.Name != "db-password" || sec.Revision != 1 || sec.KeyVersion != 1 ||
		!sec.CreatedAt.Equal(t0) || !sec.UpdatedAt.Equal(t0) || !sec.ExpiresAt.IsZero() || sec.State != backend.StateActive {
		t.Fatalf("Put (create) returned %+v", sec)
	}

	got := h.ExpectValue(h.Fresh(), "acme:production", "db-password", v1)
	if got.Revision != 1 || got.KeyVersion != 1 || !got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t0) ||
		got.State != backend.StateActive || !reflect.DeepEqual(got.Metadata, map[string]string{"owner": "team-a"}) {
		t.Fatalf("Get returned %+v", got)
	}
	head, err := h.S.Head(ctx, "acme:production", "db-password")
	if err != nil || head.Value != nil || head.Revision != 1 || head.State != backend.StateActive {
		t.Fatalf("Head = %+v, %v", head, err)
	}
	if ok, err := h.S.Has(ctx, "acme:production", "db-password"); !ok || err != nil {
		t.Fatalf("Has = %v, %v; want true, nil", ok, err)
	}

	t1 := h.Clock.Advance(time.Second)
	v2 := []byte("second value")
	sec = h.Put(backend.PutInput{Namespace: "acme:production", Name: "db-password", Value: v2})
	if sec.Revision != 2 || !sec.CreatedAt.Equal(t0) || !sec.UpdatedAt.Equal(t1) {
		t.Fatalf("Put (update) returned %+v", sec)
	}
	t2 := h.Clock.Advance(time.Second)
	sec = h.Put(backend.PutInput{Namespace: "acme:production", Name: "db-password", Value: []byte{}})
	if sec.Revision != 3 || !sec.UpdatedAt.Equal(t2) {
		t.Fatalf("Put of an empty value returned %+v", sec)
	}

	fresh := h.Fresh()
	if got := h.ExpectValue(fresh, "acme:production", "db-password", []byte{}); got.Revision != 3 {
		t.Fatalf("current revision %d, want 3", got.Revision)
	}
	for rev, want := range map[int64][]byte{1: v1, 2: v2} {
		got := h.Get(fresh, "acme:production", "db-password", rev)
		if !bytes.Equal(got.Value, want) || got.Revision != rev {
			t.Fatalf("Get revision %d = revision %d value %q", rev, got.Revision, backendtest.Trunc(got.Value))
		}
	}
	if got := h.Get(fresh, "acme:production", "db-password", 1); !got.UpdatedAt.Equal(t0) {
		t.Fatalf("revision 1 UpdatedAt = %v, want %v", got.UpdatedAt, t0)
	}
	_, err = fresh.Get(ctx, "acme:production", "db-password", backend.GetOptions{Revision: 4})
	backendtest.ExpectErr(t, err, backend.ErrNotFound, "Get of revision 4 of 3")
	_, err = fresh.Get(ctx, "acme:production", "other", backend.GetOptions{Revision: 1})
	backendtest.ExpectErr(t, err, backend.ErrNotFound, "Get of revision 1 of a missing secret")
	_, err = fresh.Get(ctx, "acme:production", "db-password", backend.GetOptions{Revision: -1})
	backendtest.ExpectErr(t, err, backend.ErrInvalidArgument, "Get of revision -1")

	// The same name in another namespace is another secret.
	h.PutValue("acme:staging", "db-password", "staging")
	h.ExpectValue(h.Fresh(), "acme:staging", "db-password", []byte("staging"))
	h.ExpectValue(h.Fresh(), "acme:production", "db-password", []byte{})

	// Values of every size up to the limit round-trip.
	for _, n := range []int{1, 31, 32, 33, 4096, envelope.MaxValueLen} {
		v := backendtest.RandomBytes(n)
		h.Put(backend.PutInput{Namespace: "sizes", Name: fmt.Sprintf("n%d", n), Value: v})
		h.ExpectValue(h.Fresh(), "sizes", fmt.Sprintf("n%d", n), v)
	}
}

func testNoPlaintext(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	material := backendtest.RandomBytes(32)
	if _, err := h.S.CreateKeyVersion(h.Ctx, 1, material); err != nil {
		t.Fatalf("CreateKeyVersion: %v", err)
	}
	canary := []byte("CANARY-" + backendtest.RandomHex(16))
	h.Put(backend.PutInput{Namespace: "np", Name: "c", Value: canary})
	h.Put(backend.PutInput{Namespace: "np", Name: "c", SetMetadata: true, Metadata: map[string]string{"k": "v"}})
	h.CreateKV(2)
	if _, err := h.S.Rotate(h.Ctx, backend.RotateInput{}); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if err := h.S.RecordRead(h.Ctx, h.Get(h.S, "np", "c", 0)); err != nil {
		t.Fatalf("RecordRead: %v", err)
	}
	rootBytes, _ := base64.StdEncoding.DecodeString(h.Root)
	forbidden := map[string][]byte{"value": canary, "key material": material, "root key": rootBytes}
	objs := backendtest.RawObjects(t, h.Tg.Raw)
	if len(objs) == 0 {
		t.Fatalf("bucket is empty")
	}
	for key := range objs {
		data := backendtest.ReadRaw(t, h.Tg.Raw, key)
		for what, secret := range forbidden {
			for enc, form := range map[string][]byte{
				"raw":       secret,
				"base64":    []byte(base64.StdEncoding.EncodeToString(secret)),
				"base64url": []byte(base64.RawURLEncoding.EncodeToString(secret)),
				"hex":       []byte(hex.EncodeToString(secret)),
			} {
				if bytes.Contains(data, form) || strings.Contains(key, string(form)) {
					t.Fatalf("object %q contains the %s (%s)", key, what, enc)
				}
			}
		}
	}
}
