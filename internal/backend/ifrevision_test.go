package backend_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

func testIfRevision(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	ctx := h.Ctx
	h.CreateKV(1)

	_, err := h.S.Put(ctx, backend.PutInput{Namespace: "ns", Name: "c", Value: []byte("x"), IfRevision: 3})
	backendtest.ExpectErr(t, err, backend.ErrConcurrentModification, "Put IfRevision 3 of a missing secret")
	sec := h.Put(backend.PutInput{Namespace: "ns", Name: "c", Value: []byte("v1"), IfRevision: -1})
	if sec.Revision != 1 {
		t.Fatalf("create with IfRevision -1 gave revision %d", sec.Revision)
	}
	before := backendtest.RawObjects(t, h.Tg.Raw)
	_, err = h.S.Put(ctx, backend.PutInput{Namespace: "ns", Name: "c", Value: []byte("x"), IfRevision: -1})
	backendtest.ExpectErr(t, err, backend.ErrConcurrentModification, "Put IfRevision -1 of an existing secret")
	if added := backendtest.NewObjects(before, backendtest.RawObjects(t, h.Tg.Raw)); len(added) != 0 {
		t.Fatalf("a failed create left objects: %v", added)
	}
	sec = h.Put(backend.PutInput{Namespace: "ns", Name: "c", Value: []byte("v2"), IfRevision: 1})
	if sec.Revision != 2 {
		t.Fatalf("Put IfRevision 1 gave revision %d", sec.Revision)
	}
	before = backendtest.RawObjects(t, h.Tg.Raw)
	for _, c := range []struct {
		rev  int64
		want error
	}{{1, backend.ErrConcurrentModification}, {3, backend.ErrRolledBack}, {-1, backend.ErrConcurrentModification}} {
		rev := c.rev
		_, err = h.S.Put(ctx, backend.PutInput{Namespace: "ns", Name: "c", Value: []byte("x"), IfRevision: rev})
		backendtest.ExpectErr(t, err, c.want, fmt.Sprintf("Put IfRevision %d at revision 2", rev))
		_, err = h.S.Put(ctx, backend.PutInput{Namespace: "ns", Name: "c", SetMetadata: true, IfRevision: rev})
		backendtest.ExpectErr(t, err, c.want, fmt.Sprintf("metadata-only Put IfRevision %d at revision 2", rev))
	}
	backendtest.ExpectErr(t, h.S.Delete(ctx, backend.DeleteInput{Namespace: "ns", Name: "c", IfRevision: 1}), backend.ErrConcurrentModification, "Delete ifRevision 1 at revision 2")
	if added := backendtest.NewObjects(before, backendtest.RawObjects(t, h.Tg.Raw)); len(added) != 0 {
		t.Fatalf("failed conditional writes left objects: %v", added)
	}
	if got := h.ExpectValue(h.Fresh(), "ns", "c", []byte("v2")); got.Revision != 2 {
		t.Fatalf("revision %d after failed conditional writes", got.Revision)
	}
	if err := h.S.Delete(ctx, backend.DeleteInput{Namespace: "ns", Name: "c", IfRevision: 2}); err != nil {
		t.Fatalf("Delete ifRevision 2: %v", err)
	}
	sec = h.Put(backend.PutInput{Namespace: "ns", Name: "c", Value: []byte("v3"), IfRevision: -1})
	if sec.Revision <= 3 {
		t.Fatalf("re-created secret has revision %d, not after the tombstone (3)", sec.Revision)
	}
	if ops := opsFor(t, h.S, "ns", "c"); !slices.Equal(ops, []string{backend.OpCreated, backend.OpUpdated, backend.OpDeleted, backend.OpCreated}) {
		t.Fatalf("events for ns/c = %v", ops)
	}
}

func opsFor(t *testing.T, s *backend.Store, ns, name string) []string {
	t.Helper()
	var ops []string
	for _, e := range backendtest.AllEvents(t, s, backend.EventFilter{Namespace: ns, Name: name}) {
		ops = append(ops, e.Operation)
	}
	return ops
}
