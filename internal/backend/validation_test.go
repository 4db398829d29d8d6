package backend_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

func testValidation(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	ctx := h.Ctx
	h.CreateKV(1)
	h.PutValue("ok", "existing", "v")

	before := backendtest.RawObjects(t, h.Tg.Raw)
	eventsBefore := len(backendtest.AllEvents(t, h.S, backend.EventFilter{}))

	longNS := strings.Repeat("n", envelope.MaxNamespaceLen+1)
	longName := strings.Repeat("n", envelope.MaxNameLen+1)
	type tc struct {
		field backend.Field
		in    backend.PutInput
	}
	var cases []tc
	for _, ns := range []string{"", ".", "..", "a/b", "/a", "a\x00b", "a\nb", "a\x7fb", longNS, "bad\xffutf8"} {
		cases = append(cases, tc{backend.FieldNamespace, backend.PutInput{Namespace: ns, Name: "x", Value: []byte("v")}})
	}
	for _, name := range []string{"", ".", "..", "a/b", "b/", "a\x00b", "a\tb", "x\x7f", longName, "bad\xffutf8"} {
		cases = append(cases, tc{backend.FieldName, backend.PutInput{Namespace: "ok", Name: name, Value: []byte("v")}})
	}
	cases = append(cases, tc{backend.FieldValue, backend.PutInput{Namespace: "ok", Name: "big", Value: make([]byte, envelope.MaxValueLen+1)}})
	tooMany := map[string]string{}
	for i := 0; i <= envelope.MaxMetadataKeys; i++ {
		tooMany[fmt.Sprintf("k%d", i)] = "v"
	}
	cases = append(cases,
		tc{backend.FieldMetadata, backend.PutInput{Namespace: "ok", Name: "md", Value: []byte("v"), SetMetadata: true, Metadata: tooMany}},
		tc{backend.FieldMetadata, backend.PutInput{Namespace: "ok", Name: "md", Value: []byte("v"), SetMetadata: true,
			Metadata: map[string]string{"k": strings.Repeat("v", envelope.MaxMetadataLen)}}},
		tc{backend.FieldMetadata, backend.PutInput{Namespace: "ok", Name: "existing", SetMetadata: true, Metadata: tooMany}},
	)
	for _, c := range cases {
		_, err := h.S.Put(ctx, c.in)
		what := fmt.Sprintf("Put(namespace %q, name %q, %d-byte value)", backendtest.Trunc([]byte(c.in.Namespace)), backendtest.Trunc([]byte(c.in.Name)), len(c.in.Value))
		backendtest.ExpectErr(t, err, backend.ErrInvalidArgument, what)
		var ve *backend.ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field || ve.Reason == "" {
			t.Fatalf("%s: error %v is not a *ValidationError for field %v", what, err, c.field)
		}
	}
	for _, ns := range []string{"", "..", "a/b"} {
		_, err := h.S.Get(ctx, ns, "x", backend.GetOptions{})
		backendtest.ExpectErr(t, err, backend.ErrInvalidArgument, fmt.Sprintf("Get(namespace %q)", ns))
		backendtest.ExpectErr(t, h.S.Delete(ctx, backend.DeleteInput{Namespace: ns, Name: "x"}), backend.ErrInvalidArgument, fmt.Sprintf("Delete(namespace %q)", ns))
		_, err = h.S.List(ctx, backend.ListInput{Namespace: ns})
		backendtest.ExpectErr(t, err, backend.ErrInvalidArgument, fmt.Sprintf("List(namespace %q)", ns))
	}
	_, err := h.S.Get(ctx, "ok", "a/b", backend.GetOptions{})
	backendtest.ExpectErr(t, err, backend.ErrInvalidArgument, "Get(name a/b)")
	_, err = h.S.ListEvents(ctx, backend.EventFilter{Name: "x"})
	backendtest.ExpectErr(t, err, backend.ErrInvalidArgument, "ListEvents with Name and no Namespace")
	_, err = h.S.List(ctx, backend.ListInput{Namespace: "ok", PageToken: "not a token"})
	backendtest.ExpectErr(t, err, backend.ErrInvalidArgument, "List with a made-up page token")
	_, err = h.S.ListEvents(ctx, backend.EventFilter{PageToken: "not a token"})
	backendtest.ExpectErr(t, err, backend.ErrInvalidArgument, "ListEvents with a made-up page token")

	after := backendtest.RawObjects(t, h.Tg.Raw)
	if added := backendtest.NewObjects(before, after); len(added) != 0 {
		t.Fatalf("rejected inputs wrote objects: %v", added)
	}
	if n := len(backendtest.AllEvents(t, h.S, backend.EventFilter{})); n != eventsBefore {
		t.Fatalf("rejected inputs appended %d events", n-eventsBefore)
	}
	h.ExpectValue(h.Fresh(), "ok", "existing", []byte("v"))

	// The longest valid namespace and name, and the documented examples, work
	// on every bucket (file:// limits path segments to 255 bytes).
	maxNS := strings.Repeat("n", envelope.MaxNamespaceLen)
	maxName := strings.Repeat("m", envelope.MaxNameLen)
	h.PutValue(maxNS, maxName, "longest")
	h.ExpectValue(h.Fresh(), maxNS, maxName, []byte("longest"))
	for _, ns := range []string{"acme:production", "team-alpha:testing", "a.b", "x_y", "UPPER", "ünïcode"} {
		h.PutValue(ns, "name.with-dashes_and.dots", ns)
		h.ExpectValue(h.Fresh(), ns, "name.with-dashes_and.dots", []byte(ns))
	}
	many := map[string]string{}
	for i := 0; i < envelope.MaxMetadataKeys; i++ {
		many[fmt.Sprintf("k%02d", i)] = "v"
	}
	h.Put(backend.PutInput{Namespace: "ok", Name: "md", Value: []byte("v"), SetMetadata: true, Metadata: many})
	if got := h.Get(h.Fresh(), "ok", "md", 0); !reflect.DeepEqual(got.Metadata, many) {
		t.Fatalf("metadata with %d keys did not round-trip", envelope.MaxMetadataKeys)
	}
}
