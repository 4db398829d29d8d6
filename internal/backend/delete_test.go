package backend_test

import (
	"slices"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

func testDelete(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	ctx := h.Ctx
	h.CreateKV(1)

	backendtest.ExpectErr(t, h.S.Delete(ctx, backend.DeleteInput{Namespace: "ns", Name: "never"}), backend.ErrNotFound, "Delete of a missing secret")
	h.PutValue("ns", "d", "v1")
	h.PutValue("ns", "keep", "k")
	h.Clock.Advance(time.Second)
	if err := h.S.Delete(ctx, backend.DeleteInput{Namespace: "ns", Name: "d"}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	s := h.Fresh()
	_, err := s.Get(ctx, "ns", "d", backend.GetOptions{})
	backendtest.ExpectErr(t, err, backend.ErrNotFound, "Get after Delete")
	_, err = s.Head(ctx, "ns", "d")
	backendtest.ExpectErr(t, err, backend.ErrNotFound, "Head after Delete")
	_, err = s.Get(ctx, "ns", "d", backend.GetOptions{Revision: 2})
	backendtest.ExpectErr(t, err, backend.ErrNotFound, "Get of the tombstone revision")
	if ok, err := s.Has(ctx, "ns", "d"); ok || err != nil {
		t.Fatalf("Has after Delete = %v, %v", ok, err)
	}
	if names := backendtest.SecretNames(backendtest.AllSecrets(t, s, backend.ListInput{Namespace: "ns"})); !slices.Equal(names, []string{"keep"}) {
		t.Fatalf("List after Delete = %v", names)
	}
	backendtest.ExpectErr(t, s.Delete(ctx, backend.DeleteInput{Namespace: "ns", Name: "d"}), backend.ErrNotFound, "second Delete")
	h.ExpectValue(s, "ns", "keep", []byte("k"))

	evs := backendtest.AllEvents(t, s, backend.EventFilter{Namespace: "ns", Name: "d", Operations: []string{backend.OpDeleted}})
	if len(evs) != 1 || evs[0].Revision != 2 || evs[0].Actor != backendtest.Actor || !evs[0].Time.Equal(h.Clock.Now()) {
		t.Fatalf("deleted events = %+v", evs)
	}

	sec := h.Put(backend.PutInput{Namespace: "ns", Name: "d", Value: []byte("v2"), IfRevision: -1})
	if sec.Revision <= 2 {
		t.Fatalf("re-created revision %d, want after the tombstone", sec.Revision)
	}
	h.ExpectValue(h.Fresh(), "ns", "d", []byte("v2"))
	// Bytes stay until cleanup: the revision before the delete still reads.
	if old := h.Get(h.Fresh(), "ns", "d", 1); string(old.Value) != "v1" {
		t.Fatalf("revision 1 after delete and re-create = %q", old.Value)
	}
	if err := h.S.Delete(ctx, backend.DeleteInput{Namespace: "ns", Name: "d", IfRevision: sec.Revision}); err != nil {
		t.Fatalf("Delete ifRevision current: %v", err)
	}
}
