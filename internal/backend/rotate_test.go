package backend_test

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

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// TestRotateResumable: a rotation interrupted part way leaves every secret
// readable; the plan shows the rest, a rerun finishes it, and a further
// rerun writes nothing.
func TestRotateResumable(t *testing.T) {
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		if testing.Short() && u.Tg.Dir != "" {
			t.Skip("writes and rotates 150 secrets on a local directory (over 5 s)")
		}
		u.CreateKV(1)
		const n = 150
		for i := 0; i < n; i++ {
			u.PutValue(fmt.Sprintf("ns%d", i%3), fmt.Sprintf("s%03d", i), fmt.Sprint(i))
		}
		u.PutValue("ns0", "gone", "x")
		if err := u.S.Delete(u.Ctx, backend.DeleteInput{Namespace: "ns0", Name: "gone"}); err != nil {
			t.Fatal(err)
		}
		u.CreateKV(2)
		ctx, cancel := context.WithCancel(u.Ctx)
		defer cancel()
		var seen []backend.RotateResult
		res, err := u.S.Rotate(ctx, backend.RotateInput{Progress: func(r backend.RotateResult) {
			seen = append(seen, r)
			if r.Rotated >= 64 {
				cancel()
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("interrupted Rotate = %+v, %v", res, err)
		}
		if len(seen) == 0 || !slices.IsSortedFunc(seen, func(a, b backend.RotateResult) int { return a.Processed - b.Processed }) {
			t.Fatalf("progress reports: %+v", seen)
		}
		s := u.MustOpen()
		for i := 0; i < n; i++ {
			if got := u.Get(s, fmt.Sprintf("ns%d", i%3), fmt.Sprintf("s%03d", i), 0); string(got.Value) != fmt.Sprint(i) {
				t.Fatalf("s%03d after an interrupted rotation = %q", i, got.Value)
			}
		}
		plan, err := s.PlanRotate(u.Ctx, backend.RotateInput{})
		if err != nil || plan.Primary != 2 || plan.Pending != n-res.Rotated || plan.Pending == 0 || plan.ByVersion[2] != res.Rotated {
			t.Fatalf("plan after %d rotated = %+v, %v", res.Rotated, plan, err)
		}
		res2, err := s.Rotate(u.Ctx, backend.RotateInput{})
		if err != nil || res2.Processed != n || res2.Rotated != plan.Pending || res2.Skipped != n-plan.Pending {
			t.Fatalf("resumed Rotate = %+v, %v (pending was %d)", res2, err, plan.Pending)
		}
		before := u.Keys("")
		res3, err := s.Rotate(u.Ctx, backend.RotateInput{})
		if err != nil || res3 != (backend.RotateResult{Processed: n, Skipped: n}) {
			t.Fatalf("third Rotate = %+v, %v", res3, err)
		}
		if after := u.Keys(""); !slices.Equal(before, after) {
			t.Fatalf("a rotation with nothing to do wrote %d objects", len(after)-len(before))
		}
		rotated := backendtest.AllEvents(t, s, backend.EventFilter{Operations: []string{backend.OpRotated}})
		if len(rotated) != n {
			t.Fatalf("%d rotated events for %d secrets", len(rotated), n)
		}
	})
}

func TestRotateKeepsValueCiphertext(t *testing.T) {
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		u.CreateKV(1)
		u.Clock.Advance(time.Minute)
		before := u.PutValue("ns", "a", "value")
		u.Clock.Advance(time.Minute)
		u.CreateKV(2)
		if _, err := u.S.Rotate(u.Ctx, backend.RotateInput{Namespace: "ns"}); err != nil {
			t.Fatal(err)
		}
		dir := backend.SecretDir("ns", "a")
		r1, err1 := envelope.Decode(backendtest.ReadRaw(t, u.Tg.Raw, backend.RecordKey(dir, 1)))
		r2, err2 := envelope.Decode(backendtest.ReadRaw(t, u.Tg.Raw, backend.RecordKey(dir, 2)))
		if err1 != nil || err2 != nil || !bytes.Equal(r1.Ciphertext, r2.Ciphertext) || bytes.Equal(r1.WrappedDEK, r2.WrappedDEK) {
			t.Fatalf("rotation must rewrap the data key and keep the value ciphertext (%v, %v)", err1, err2)
		}
		got := u.Get(u.MustOpen(), "ns", "a", 0)
		if got.KeyVersion != 2 || got.Revision != 2 || string(got.Value) != "value" || !got.UpdatedAt.Equal(before.UpdatedAt) || !got.CreatedAt.Equal(before.CreatedAt) {
			t.Fatalf("after rotation: %+v (before %+v)", got, before)
		}
		evs := backendtest.AllEvents(t, u.S, backend.EventFilter{Namespace: "ns", Name: "a", Operations: []string{backend.OpRotated}})
		if len(evs) != 1 || evs[0].Revision != 2 || evs[0].KeyVersion != 2 || evs[0].Metadata["previous_key_version"] != "1" {
			t.Fatalf("rotated events: %+v", evs)
		}
	})
}

// TestRotateScopeAndDamage: Rotate touches only its namespace, and a damaged
// secret is reported by name without stopping the others.
func TestRotateScopeAndDamage(t *testing.T) {
	t.Parallel()
	u := backendtest.New(t, backendtest.Mem)
	u.CreateKV(1)
	for _, ns := range []string{"a", "a-b", "b"} {
		for i := 0; i < 5; i++ {
			u.PutValue(ns, fmt.Sprintf("s%d", i), "v")
		}
	}
	u.CreateKV(2)
	key := backend.RecordKey(backend.SecretDir("a", "s3"), 1)
	bad := backendtest.ReadRaw(t, u.Tg.Raw, key)
	bad[len(bad)-1] ^= 1
	backendtest.WriteRaw(t, u.Tg.Raw, key, bad)
	res, err := u.S.Rotate(u.Ctx, backend.RotateInput{Namespace: "a"})
	if !errors.Is(err, backend.ErrIntegrity) || !strings.Contains(err.Error(), "a/s3") || res.Processed != 5 || res.Rotated != 4 {
		t.Fatalf("Rotate(a) with a damaged secret = %+v, %v", res, err)
	}
	plan, err := u.S.PlanRotate(u.Ctx, backend.RotateInput{})
	if err != nil || plan.Pending != 11 || plan.ByVersion[1] != 11 || plan.ByVersion[2] != 4 {
		t.Fatalf("plan after Rotate(a) = %+v, %v", plan, err)
	}
	if _, err := u.S.Rotate(u.Ctx, backend.RotateInput{Namespace: "a/b"}); !errors.Is(err, backend.ErrInvalidArgument) {
		t.Fatalf("Rotate of an invalid namespace = %v", err)
	}
}

// gaugeBucket records the most object reads in flight at once.
type gaugeBucket struct {
	*backendtest.FaultBucket
	cur, max atomic.Int64
}

func (b *gaugeBucket) NewRangeReader(ctx context.Context, key string, offset, length int64, opts *driver.ReaderOptions) (driver.Reader, error) {
	n := b.cur.Add(1)
	defer b.cur.Add(-1)
	for m := b.max.Load(); n > m && !b.max.CompareAndSwap(m, n); m = b.max.Load() {
	}
	time.Sleep(2 * time.Millisecond)
	return b.FaultBucket.NewRangeReader(ctx, key, offset, length, opts)
}

// TestRotateBoundedConcurrency: Rotate reads records in parallel, never
// more at once than Options.Concurrency.
func TestRotateBoundedConcurrency(t *testing.T) {
	t.Parallel()
	u := backendtest.New(t, backendtest.Mem)
	ib, _ := backendtest.NewFaultBucket(u.Tg.Raw)
	g := &gaugeBucket{FaultBucket: ib}
	u.Tg.Opts = backend.Options{Bucket: blob.NewBucket(g)}
	u.S = u.MustOpen(func(o *backend.Options) { o.Concurrency = 3 })
	u.CreateKV(1)
	for i := 0; i < 40; i++ {
		u.PutValue("ns", fmt.Sprintf("s%02d", i), "v")
	}
	u.CreateKV(2)
	g.max.Store(0)
	res, err := u.S.Rotate(u.Ctx, backend.RotateInput{})
	if err != nil || res.Rotated != 40 {
		t.Fatalf("Rotate = %+v, %v", res, err)
	}
	if m := g.max.Load(); m < 2 || m > 3 {
		t.Fatalf("at most %d reads in flight during Rotate with Concurrency 3; want 2 or 3", m)
	}
}
