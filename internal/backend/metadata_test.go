package backend_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

func testMetadata(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	h.CreateKV(1)
	md := func(sec backend.Secret) map[string]string { return sec.Metadata }
	value := []byte("the value")

	h.Put(backend.PutInput{Namespace: "ns", Name: "m", Value: value, SetMetadata: true,
		Metadata: map[string]string{"a": "1", "b": "2"}})
	// Value nil, metadata unchanged: keep value and metadata; new revision.
	sec := h.Put(backend.PutInput{Namespace: "ns", Name: "m", Expiry: backend.Expiry{Set: true, TTL: time.Hour}})
	if sec.Revision != 2 {
		t.Fatalf("expiry-only update revision %d, want 2", sec.Revision)
	}
	got := h.ExpectValue(h.Fresh(), "ns", "m", value)
	if !reflect.DeepEqual(md(got), map[string]string{"a": "1", "b": "2"}) {
		t.Fatalf("metadata after expiry-only update: %v", md(got))
	}
	// Value update with SetMetadata false keeps metadata.
	h.Put(backend.PutInput{Namespace: "ns", Name: "m", Value: []byte("v2")})
	got = h.ExpectValue(h.Fresh(), "ns", "m", []byte("v2"))
	if !reflect.DeepEqual(md(got), map[string]string{"a": "1", "b": "2"}) {
		t.Fatalf("metadata after value-only update: %v", md(got))
	}
	// Replace (metadata only; the value is kept without re-encryption).
	h.Put(backend.PutInput{Namespace: "ns", Name: "m", SetMetadata: true, Metadata: map[string]string{"c": "3"}})
	got = h.ExpectValue(h.Fresh(), "ns", "m", []byte("v2"))
	if !reflect.DeepEqual(md(got), map[string]string{"c": "3"}) {
		t.Fatalf("metadata after replace: %v", md(got))
	}
	if got.Revision != 4 {
		t.Fatalf("revision %d after 4 writes", got.Revision)
	}
	// Clear.
	h.Put(backend.PutInput{Namespace: "ns", Name: "m", SetMetadata: true, Metadata: nil})
	got = h.ExpectValue(h.Fresh(), "ns", "m", []byte("v2"))
	if len(md(got)) != 0 {
		t.Fatalf("metadata after clear: %v", md(got))
	}
	// An empty map clears too.
	h.Put(backend.PutInput{Namespace: "ns", Name: "m", SetMetadata: true, Metadata: map[string]string{"d": "4"}})
	h.Put(backend.PutInput{Namespace: "ns", Name: "m", SetMetadata: true, Metadata: map[string]string{}})
	if got = h.ExpectValue(h.Fresh(), "ns", "m", []byte("v2")); len(md(got)) != 0 {
		t.Fatalf("metadata after clearing with an empty map: %v", md(got))
	}
	// Head and List carry the metadata without the value.
	h.Put(backend.PutInput{Namespace: "ns", Name: "m", SetMetadata: true, Metadata: map[string]string{"e": "5", "empty": ""}})
	head, err := h.Fresh().Head(h.Ctx, "ns", "m")
	if err != nil || !reflect.DeepEqual(head.Metadata, map[string]string{"e": "5", "empty": ""}) || head.Value != nil {
		t.Fatalf("Head = %+v, %v", head, err)
	}
	ls := backendtest.AllSecrets(t, h.Fresh(), backend.ListInput{Namespace: "ns"})
	if len(ls) != 1 || !reflect.DeepEqual(ls[0].Metadata, map[string]string{"e": "5", "empty": ""}) || ls[0].Value != nil {
		t.Fatalf("List = %+v", ls)
	}
	// The metadata-only update did not change the expiry set at revision 2.
	if got := h.Get(h.Fresh(), "ns", "m", 0); got.ExpiresAt.IsZero() {
		t.Fatalf("metadata updates dropped the expiry")
	}
}
