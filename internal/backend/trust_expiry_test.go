// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// latestNanos is the latest time an int64 of Unix nanoseconds can hold.
var latestNanos = time.Unix(0, math.MaxInt64).UTC()

// TestTrustFarFutureExpiry writes every kind of far-future expiry: each
// is either stored exactly (and never reads as expired) or refused with a
// ValidationError on the expiry field, writing nothing.
func TestTrustFarFutureExpiry(t *testing.T) {
	t.Parallel()
	backendtest.ForEach(t, backendtest.UnitTargetKinds(), func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		now := h.Clock.Now()

		// The latest representable time is stored faithfully.
		sec := h.Put(backend.PutInput{Namespace: "ns", Name: "latest", Value: []byte("v"), Expiry: backend.Expiry{Set: true, At: latestNanos}})
		if !sec.ExpiresAt.Equal(latestNanos) || sec.State != backend.StateActive {
			t.Fatalf("Put at the latest time: ExpiresAt %v, state %v; want %v, active", sec.ExpiresAt, sec.State, latestNanos)
		}
		got := h.ExpectValue(h.Fresh(), "ns", "latest", []byte("v"))
		if !got.ExpiresAt.Equal(latestNanos) {
			t.Fatalf("read back ExpiresAt %v, want %v", got.ExpiresAt, latestNanos)
		}

		h.PutValue("ns", "kept", "v")
		before := backendtest.RawObjects(t, h.Tg.Raw)
		cases := []struct {
			what  string
			field backend.Field
			e     backend.Expiry
		}{
			{"9999-12-31", backend.FieldExpiresAt, backend.Expiry{Set: true, At: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)}},
			{"one nanosecond late", backend.FieldExpiresAt, backend.Expiry{Set: true, At: latestNanos.Add(time.Nanosecond)}},
			{"year 2263", backend.FieldExpiresAt, backend.Expiry{Set: true, At: time.Date(2263, 1, 1, 0, 0, 0, 0, time.UTC)}},
			{"largest ttl", backend.FieldTTL, backend.Expiry{Set: true, TTL: time.Duration(math.MaxInt64)}},
			{"ttl one nanosecond late", backend.FieldTTL, backend.Expiry{Set: true, TTL: latestNanos.Sub(now) + time.Nanosecond}},
		}
		for _, c := range cases {
			for _, name := range []string{"new", "kept"} {
				stored, err := h.S.Put(h.Ctx, backend.PutInput{Namespace: "ns", Name: name, Value: []byte("w"), Expiry: c.e})
				var ve *backend.ValidationError
				if !errors.As(err, &ve) || ve.Field != c.field || !errors.Is(err, backend.ErrInvalidArgument) {
					t.Fatalf("Put %s with expiry %s: stored expiry %v (state %v), error %v; want a ValidationError on %v",
						name, c.what, stored.ExpiresAt, stored.State, err, c.field)
				}
				t.Logf("%s: %v", c.what, err)
			}
		}
		if added := backendtest.NewObjects(before, backendtest.RawObjects(t, h.Tg.Raw)); len(added) != 0 {
			t.Fatalf("refused writes left objects: %v", added)
		}

		// A ttl that ends exactly at the latest time is stored.
		sec = h.Put(backend.PutInput{Namespace: "ns", Name: "ttl", Value: []byte("v"), Expiry: backend.Expiry{Set: true, TTL: latestNanos.Sub(now)}})
		if !sec.ExpiresAt.Equal(latestNanos) || sec.State != backend.StateActive {
			t.Fatalf("Put with the largest ttl: ExpiresAt %v, state %v", sec.ExpiresAt, sec.State)
		}
	})
}

// TestTrustRecordTimesOutOfRange stores authentic records whose times are
// negative (what an unchecked conversion of a far-future expiry wrote):
// every reader refuses them as ErrIntegrity rather than treating the secret
// as expired long ago.
func TestTrustRecordTimesOutOfRange(t *testing.T) {
	t.Parallel()
	wrapped := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).UnixNano()
	backendtest.ForEach(t, backendtest.UnitTargetKinds(), func(t *testing.T, h *backendtest.Harness) {
		h.CreateKV(1)
		for _, tc := range []struct {
			name string
			set  func(*envelope.Header)
		}{
			{"expires", func(hd *envelope.Header) { hd.ExpiresAt = wrapped }},
			{"created", func(hd *envelope.Header) { hd.CreatedAt = -1 }},
			{"updated", func(hd *envelope.Header) { hd.UpdatedAt = math.MinInt64 }},
		} {
			first := h.PutValue("ns", tc.name, "v")
			now := h.Clock.Step().UnixNano()
			hd := envelope.Header{Namespace: "ns", Name: tc.name, Revision: uint64(first.Revision + 1), KeyVersion: uint32(first.KeyVersion),
				CreatedAt: first.CreatedAt.UnixNano(), UpdatedAt: now}
			tc.set(&hd)
			rec, err := h.S.SealRecordForTest(h.Ctx, hd, []byte("w"))
			if err != nil {
				t.Fatal(err)
			}
			backendtest.WriteRaw(t, h.Tg.Raw, backend.RecordKey(backend.SecretDir("ns", tc.name), first.Revision+1), rec)
			s := h.Fresh()
			_, err = s.Get(h.Ctx, "ns", tc.name, backend.GetOptions{})
			backendtest.ExpectErr(t, err, backend.ErrIntegrity, "Get of a record with a negative "+tc.name+" time")
			_, err = s.Head(h.Ctx, "ns", tc.name)
			backendtest.ExpectErr(t, err, backend.ErrIntegrity, "Head of a record with a negative "+tc.name+" time")
			_, err = s.Get(h.Ctx, "ns", tc.name, backend.GetOptions{Revision: first.Revision + 1})
			backendtest.ExpectErr(t, err, backend.ErrIntegrity, "Get by revision of a record with a negative "+tc.name+" time")
		}
	})
}
