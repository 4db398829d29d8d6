package backend_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

func testExpiry(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	ctx := h.Ctx
	h.CreateKV(1)

	t0 := h.Clock.Now()
	at := t0.Add(2 * time.Hour)
	sec := h.Put(backend.PutInput{Namespace: "ns", Name: "abs", Value: []byte("a"), Expiry: backend.Expiry{Set: true, At: at}})
	if !sec.ExpiresAt.Equal(at) {
		t.Fatalf("ExpiresAt = %v, want %v", sec.ExpiresAt, at)
	}
	sec = h.Put(backend.PutInput{Namespace: "ns", Name: "ttl", Value: []byte("t"), Expiry: backend.Expiry{Set: true, TTL: time.Hour}})
	if !sec.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("TTL ExpiresAt = %v, want %v", sec.ExpiresAt, t0.Add(time.Hour))
	}
	h.PutValue("ns", "forever", "f")

	// Keeping: an update without Expiry keeps it.
	h.Clock.Advance(10 * time.Minute)
	h.Put(backend.PutInput{Namespace: "ns", Name: "ttl", Value: []byte("t2")})
	if got := h.Get(h.Fresh(), "ns", "ttl", 0); !got.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("update without expiry changed it to %v", got.ExpiresAt)
	}

	// One second before expiry everything reads; at expiry nothing does.
	h.Clock.Advance(50*time.Minute - time.Second)
	h.ExpectValue(h.Fresh(), "ns", "ttl", []byte("t2"))
	h.Clock.Advance(time.Second)
	s := h.Fresh()
	_, err := s.Get(ctx, "ns", "ttl", backend.GetOptions{})
	backendtest.ExpectErr(t, err, backend.ErrExpired, "Get at the expiry time")
	if ok, err := s.Has(ctx, "ns", "ttl"); ok || err != nil {
		t.Fatalf("Has(expired) = %v, %v; want false, nil", ok, err)
	}
	head, err := s.Head(ctx, "ns", "ttl")
	if err != nil || head.State != backend.StateExpired || head.Value != nil {
		t.Fatalf("Head(expired) = %+v, %v; want state %s and nil error", head, err, backend.StateExpired)
	}
	states := map[string]string{}
	for _, sec := range backendtest.AllSecrets(t, s, backend.ListInput{Namespace: "ns"}) {
		states[sec.Name] = sec.State
	}
	want := map[string]string{"abs": backend.StateActive, "ttl": backend.StateExpired, "forever": backend.StateActive}
	if !reflect.DeepEqual(states, want) {
		t.Fatalf("List states = %v, want %v", states, want)
	}
	h.ExpectValue(s, "ns", "abs", []byte("a"))
	h.ExpectValue(s, "ns", "forever", []byte("f"))

	// Renewing an expired secret without its value makes it readable again.
	sec = h.Put(backend.PutInput{Namespace: "ns", Name: "ttl", Expiry: backend.Expiry{Set: true, TTL: time.Hour}})
	if !sec.ExpiresAt.Equal(h.Clock.Now().Add(time.Hour)) {
		t.Fatalf("renewed ExpiresAt = %v", sec.ExpiresAt)
	}
	h.ExpectValue(h.Fresh(), "ns", "ttl", []byte("t2"))

	// Clearing: Set with zero At and TTL.
	h.Put(backend.PutInput{Namespace: "ns", Name: "abs", Expiry: backend.Expiry{Set: true}})
	h.Clock.Advance(24 * time.Hour)
	if got := h.ExpectValue(h.Fresh(), "ns", "abs", []byte("a")); !got.ExpiresAt.IsZero() {
		t.Fatalf("cleared expiry reads as %v", got.ExpiresAt)
	}
	_, err = h.Fresh().Get(ctx, "ns", "ttl", backend.GetOptions{})
	backendtest.ExpectErr(t, err, backend.ErrExpired, "Get a day after the renewed expiry")

	// An absolute time wins over a TTL given with it.
	at = h.Clock.Now().Add(3 * time.Hour)
	sec = h.Put(backend.PutInput{Namespace: "ns", Name: "both", Value: []byte("b"), Expiry: backend.Expiry{Set: true, At: at, TTL: time.Minute}})
	if !sec.ExpiresAt.Equal(at) {
		t.Fatalf("At with TTL: ExpiresAt = %v, want %v", sec.ExpiresAt, at)
	}
	_, err = h.S.Put(ctx, backend.PutInput{Namespace: "ns", Name: "neg", Value: []byte("n"), Expiry: backend.Expiry{Set: true, TTL: -time.Hour}})
	backendtest.ExpectErr(t, err, backend.ErrInvalidArgument, "Put with a negative TTL")
}
