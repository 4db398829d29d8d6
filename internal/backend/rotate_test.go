// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// TestRotateResumable: a rotation interrupted part way leaves every secret
// readable; the plan shows the rest, a rerun finishes it, and a further
// rerun writes nothing.
func TestRotateResumable(t *testing.T) {
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		const n = 150
		for i := 0; i < n; i++ {
			u.put(fmt.Sprintf("ns%d", i%3), fmt.Sprintf("s%03d", i), fmt.Sprint(i))
		}
		u.put("ns0", "gone", "x")
		if err := u.s.Delete(u.ctx, "ns0", "gone", 0); err != nil {
			t.Fatal(err)
		}
		u.kv(2)
		ctx, cancel := context.WithCancel(u.ctx)
		defer cancel()
		var seen []RotateResult
		res, err := u.s.Rotate(ctx, RotateInput{Progress: func(r RotateResult) {
			seen = append(seen, r)
			if r.Rotated >= 64 {
				cancel()
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted Rotate = %+v, %v", res, err)
		}
		if len(seen) == 0 || !slices.IsSortedFunc(seen, func(a, b RotateResult) int { return a.Processed - b.Processed }) {
			t.Fatalf("progress reports: %+v", seen)
		}
		s := u.open()
		for i := 0; i < n; i++ {
			if got := u.mustGet(s, fmt.Sprintf("ns%d", i%3), fmt.Sprintf("s%03d", i), 0); string(got.Value) != fmt.Sprint(i) {
				t.Fatalf("s%03d after an interrupted rotation = %q", i, got.Value)
			}
		}
		plan, err := s.PlanRotate(u.ctx, RotateInput{})
		if err != nil || plan.Primary != 2 || plan.Pending != n-res.Rotated || plan.Pending == 0 || plan.ByVersion[2] != res.Rotated {
			t.Fatalf("plan after %d rotated = %+v, %v", res.Rotated, plan, err)
		}
		res2, err := s.Rotate(u.ctx, RotateInput{})
		if err != nil || res2.Processed != n || res2.Rotated != plan.Pending || res2.Skipped != n-plan.Pending {
			t.Fatalf("resumed Rotate = %+v, %v (pending was %d)", res2, err, plan.Pending)
		}
		before := u.keys("")
		res3, err := s.Rotate(u.ctx, RotateInput{})
		if err != nil || res3 != (RotateResult{Processed: n, Skipped: n}) {
			t.Fatalf("third Rotate = %+v, %v", res3, err)
		}
		if after := u.keys(""); !slices.Equal(before, after) {
			t.Fatalf("a rotation with nothing to do wrote %d objects", len(after)-len(before))
		}
		rotated := allEvents(t, s, EventFilter{Operations: []string{OpRotated}})
		if len(rotated) != n {
			t.Fatalf("%d rotated events for %d secrets", len(rotated), n)
		}
	})
}

func TestRotateKeepsValueCiphertext(t *testing.T) {
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		u.clock.Advance(time.Minute)
		before := u.put("ns", "a", "value")
		u.clock.Advance(time.Minute)
		u.kv(2)
		if _, err := u.s.Rotate(u.ctx, RotateInput{Namespace: "ns"}); err != nil {
			t.Fatal(err)
		}
		dir := secretDir("ns", "a")
		r1, err1 := envelope.Decode(readRaw(t, u.raw, recordKey(dir, 1)))
		r2, err2 := envelope.Decode(readRaw(t, u.raw, recordKey(dir, 2)))
		if err1 != nil || err2 != nil || !bytes.Equal(r1.Ciphertext, r2.Ciphertext) || bytes.Equal(r1.WrappedDEK, r2.WrappedDEK) {
			t.Fatalf("rotation must rewrap the data key and keep the value ciphertext (%v, %v)", err1, err2)
		}
		got := u.mustGet(u.open(), "ns", "a", 0)
		if got.KeyVersion != 2 || got.Revision != 2 || string(got.Value) != "value" || !got.UpdatedAt.Equal(before.UpdatedAt) || !got.CreatedAt.Equal(before.CreatedAt) {
			t.Fatalf("after rotation: %+v (before %+v)", got, before)
		}
		evs := allEvents(t, u.s, EventFilter{Namespace: "ns", Name: "a", Operations: []string{OpRotated}})
		if len(evs) != 1 || evs[0].Revision != 2 || evs[0].KeyVersion != 2 || evs[0].Metadata["previous_key_version"] != "1" {
			t.Fatalf("rotated events: %+v", evs)
		}
	})
}

// TestRotateScopeAndDamage: Rotate touches only its namespace, and a damaged
// secret is reported by name without stopping the others.
func TestRotateScopeAndDamage(t *testing.T) {
	u := newUnit(t, "mem")
	u.kv(1)
	for _, ns := range []string{"a", "a-b", "b"} {
		for i := 0; i < 5; i++ {
			u.put(ns, fmt.Sprintf("s%d", i), "v")
		}
	}
	u.kv(2)
	key := recordKey(secretDir("a", "s3"), 1)
	bad := readRaw(t, u.raw, key)
	bad[len(bad)-1] ^= 1
	writeRaw(t, u.raw, key, bad)
	res, err := u.s.Rotate(u.ctx, RotateInput{Namespace: "a"})
	if !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), "a/s3") || res.Processed != 5 || res.Rotated != 4 {
		t.Fatalf("Rotate(a) with a damaged secret = %+v, %v", res, err)
	}
	plan, err := u.s.PlanRotate(u.ctx, RotateInput{})
	if err != nil || plan.Pending != 11 || plan.ByVersion[1] != 11 || plan.ByVersion[2] != 4 {
		t.Fatalf("plan after Rotate(a) = %+v, %v", plan, err)
	}
	if _, err := u.s.Rotate(u.ctx, RotateInput{Namespace: "a/b"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("Rotate of an invalid namespace = %v", err)
	}
}

// gaugeBucket records the most object reads in flight at once.
type gaugeBucket struct {
	*instrumentedBucket
	cur, max atomic.Int64
}

func (b *gaugeBucket) NewRangeReader(ctx context.Context, key string, offset, length int64, opts *driver.ReaderOptions) (driver.Reader, error) {
	n := b.cur.Add(1)
	defer b.cur.Add(-1)
	for m := b.max.Load(); n > m && !b.max.CompareAndSwap(m, n); m = b.max.Load() {
	}
	time.Sleep(2 * time.Millisecond)
	return b.instrumentedBucket.NewRangeReader(ctx, key, offset, length, opts)
}

// TestRotateBoundedConcurrency: Rotate reads records in parallel, never
// more at once than Options.Concurrency.
func TestRotateBoundedConcurrency(t *testing.T) {
	u := newUnit(t, "mem")
	ib, _ := newInstrumented(u.raw)
	g := &gaugeBucket{instrumentedBucket: ib}
	u.opts = Options{Bucket: blob.NewBucket(g)}
	u.s = u.open(func(o *Options) { o.Concurrency = 3 })
	u.kv(1)
	for i := 0; i < 40; i++ {
		u.put("ns", fmt.Sprintf("s%02d", i), "v")
	}
	u.kv(2)
	g.max.Store(0)
	res, err := u.s.Rotate(u.ctx, RotateInput{})
	if err != nil || res.Rotated != 40 {
		t.Fatalf("Rotate = %+v, %v", res, err)
	}
	if m := g.max.Load(); m < 2 || m > 3 {
		t.Fatalf("at most %d reads in flight during Rotate with Concurrency 3; want 2 or 3", m)
	}
}
