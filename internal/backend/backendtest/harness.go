// Package backendtest is the test harness of package backend: one store
// under test on a Target bucket with a fake Clock, the buckets the
// conformance suite runs against (mem://, file://, S3 through an
// in-process gofakes3, and any bucket named by SECRETSTORE_TEST_BUCKET_URL),
// a fault-injecting bucket wrapper, and helpers that read and tamper with
// raw objects as a bucket writer without keys could.
//
// RunConformanceTests runs a suite of tests, each once per target kind and
// in parallel; package backend's tests supply the suite, split by topic.
package backendtest

import (
	"bytes"
	"context"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// Actor is the actor of every store a Harness opens.
const Actor = "conformance@test"

// Harness is one store under test with its clock and raw bucket.
type Harness struct {
	T     testing.TB
	Ctx   context.Context
	Tg    Target
	Clock *Clock
	Root  string         // the root key
	S     *backend.Store // opened by New
}

// New opens a store with a random root key on a target from newTarget.
func New(t testing.TB, newTarget NewTarget) *Harness {
	t.Helper()
	return NewWithRoot(t, newTarget, RandomRootKey())
}

// NewWithRoot opens a store with root key root on a target from
// newTarget.
func NewWithRoot(t testing.TB, newTarget NewTarget, root string) *Harness {
	t.Helper()
	return NewWith(t, newTarget, root, NewClock())
}

// NewWith opens a store with root key root and clock on a target from
// newTarget.
func NewWith(t testing.TB, newTarget NewTarget, root string, clock *Clock) *Harness {
	t.Helper()
	h := &Harness{
		T:     t,
		Ctx:   context.Background(),
		Tg:    newTarget(t),
		Clock: clock,
		Root:  root,
	}
	h.S = h.MustOpen()
	return h
}

// Options returns the options h opens stores with, changed by mut.
func (h *Harness) Options(mut ...func(*backend.Options)) backend.Options {
	o := h.Tg.Opts
	o.RootKey = h.Root
	o.Actor = Actor
	o.Now = h.Clock.Now
	for _, m := range mut {
		m(&o)
	}
	return o
}

// Open opens another store on h's bucket, closed when the test ends.
func (h *Harness) Open(mut ...func(*backend.Options)) (*backend.Store, error) {
	s, err := backend.Open(h.Ctx, h.Options(mut...))
	if err == nil {
		h.T.Cleanup(func() { _ = s.Close() })
	}
	return s, err
}

// MustOpen is Open that fails the test on error.
func (h *Harness) MustOpen(mut ...func(*backend.Options)) *backend.Store {
	h.T.Helper()
	s, err := h.Open(mut...)
	if err != nil {
		h.T.Fatalf("Open: %v", err)
	}
	return s
}

// Fresh opens a second, independent Store on the same bucket, so that
// nothing cached by h.S hides what is really stored.
func (h *Harness) Fresh() *backend.Store {
	h.T.Helper()
	return h.MustOpen()
}

// CreateKV creates key version version in h.S.
func (h *Harness) CreateKV(version int) backend.KeyVersion {
	h.T.Helper()
	kv, err := h.S.CreateKeyVersion(h.Ctx, version, nil)
	if err != nil {
		h.T.Fatalf("CreateKeyVersion(%d): %v", version, err)
	}
	return kv
}

// Put writes in through h.S.
func (h *Harness) Put(in backend.PutInput) backend.Secret {
	h.T.Helper()
	sec, err := h.S.Put(h.Ctx, in)
	if err != nil {
		h.T.Fatalf("Put(%s/%s): %v", in.Namespace, in.Name, err)
	}
	return sec
}

// PutValue writes value as ns/name through h.S.
func (h *Harness) PutValue(ns, name, value string) backend.Secret {
	h.T.Helper()
	return h.Put(backend.PutInput{Namespace: ns, Name: name, Value: []byte(value)})
}

// Get reads revision rev (0: the current one) of ns/name through s.
func (h *Harness) Get(s *backend.Store, ns, name string, rev int64) backend.Secret {
	h.T.Helper()
	sec, err := s.Get(h.Ctx, ns, name, backend.GetOptions{Revision: rev})
	if err != nil {
		h.T.Fatalf("Get(%s/%s, revision %d): %v", ns, name, rev, err)
	}
	return sec
}

// ExpectValue fails unless the current value of ns/name read through s
// is want.
func (h *Harness) ExpectValue(s *backend.Store, ns, name string, want []byte) backend.Secret {
	h.T.Helper()
	sec := h.Get(s, ns, name, 0)
	if !bytes.Equal(sec.Value, want) {
		h.T.Fatalf("Get(%s/%s) value = %q, want %q", ns, name, Trunc(sec.Value), Trunc(want))
	}
	return sec
}

// Keys lists h's raw keys under prefix.
func (h *Harness) Keys(prefix string) []string {
	h.T.Helper()
	return RawKeys(h.T, h.Tg.Raw, prefix)
}
