package backend_test

import (
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

func testRootKeyRotation(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	h.CreateKV(1)
	h.PutValue("ns", "x", "before")
	oldRoot, newRoot := h.Root, backendtest.RandomRootKey()

	_, err := h.Open(func(o *backend.Options) { o.RootKey = newRoot })
	backendtest.ExpectErr(t, err, backend.ErrRootKeyMismatch, "Open with a new root key and no previous keys")

	s, err := h.Open(func(o *backend.Options) {
		o.RootKey = newRoot
		o.PreviousRootKeys = []string{backendtest.RandomRootKey(), oldRoot}
	})
	if err != nil {
		t.Fatalf("Open with the old root key among PreviousRootKeys: %v", err)
	}
	h.ExpectValue(s, "ns", "x", []byte("before"))
	kvs := kvByVersion(t, s)
	if kvs[1].RootKeyCurrent {
		t.Fatalf("version 1 reported as wrapped under the new root key before rewrap")
	}
	if err := s.RewrapKeyVersion(h.Ctx, 1); err != nil {
		t.Fatalf("RewrapKeyVersion(1): %v", err)
	}
	backendtest.ExpectErr(t, s.RewrapKeyVersion(h.Ctx, 7), backend.ErrNotFound, "RewrapKeyVersion(7)")
	if !kvByVersion(t, s)[1].RootKeyCurrent {
		t.Fatalf("version 1 not current after rewrap")
	}

	h.Root = newRoot
	s2 := h.MustOpen()
	h.ExpectValue(s2, "ns", "x", []byte("before"))
	h.S = s2
	h.PutValue("ns", "y", "after")
	h.ExpectValue(h.Fresh(), "ns", "y", []byte("after"))

	found := false
	for _, e := range backendtest.AllEvents(t, s2, backend.EventFilter{}) {
		if e.Operation == backend.OpKeyVersionRewrapped && e.KeyVersion == 1 {
			found = true
		}
	}
	if !found {
		t.Fatalf("no %s event for version 1", backend.OpKeyVersionRewrapped)
	}
}
