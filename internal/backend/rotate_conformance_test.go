package backend_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

func testRotate(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	ctx := h.Ctx
	h.CreateKV(1)
	values := map[[2]string][]byte{}
	before := map[[2]string]backend.Secret{}
	var revObj string
	for _, id := range [][2]string{{"r1", "a1"}, {"r1", "a2"}, {"r1", "a3"}, {"r2", "b1"}, {"r2", "b2"}} {
		v := backendtest.RandomBytes(2048)
		snap := backendtest.RawObjects(t, h.Tg.Raw)
		before[id] = h.Put(backend.PutInput{Namespace: id[0], Name: id[1], Value: v, SetMetadata: true,
			Metadata: map[string]string{"id": id[1]}, Expiry: backend.Expiry{Set: true, TTL: 1000 * time.Hour}})
		if id[1] == "b1" {
			revObj = backendtest.LargestNew(t, snap, backendtest.RawObjects(t, h.Tg.Raw))
		}
		values[id] = v
	}
	h.PutValue("r1", "gone", "g")
	if err := h.S.Delete(ctx, backend.DeleteInput{Namespace: "r1", Name: "gone"}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	h.Clock.Advance(time.Minute)

	plan, err := h.S.PlanRotate(ctx, backend.RotateInput{})
	if err != nil || plan.Primary != 1 || plan.Pending != 0 || plan.ByVersion[1] != 5 {
		t.Fatalf("PlanRotate with one version = %+v, %v", plan, err)
	}
	h.CreateKV(2)
	h.Clock.Advance(time.Minute)
	plan, err = h.Fresh().PlanRotate(ctx, backend.RotateInput{})
	if err != nil || plan.Primary != 2 || plan.Pending != 5 || plan.ByVersion[1] != 5 || plan.ByVersion[2] != 0 {
		t.Fatalf("PlanRotate = %+v, %v; want primary 2, 5 pending, all under 1", plan, err)
	}
	plan, err = h.Fresh().PlanRotate(ctx, backend.RotateInput{Namespace: "r2"})
	if err != nil || plan.Pending != 2 {
		t.Fatalf("PlanRotate(r2) = %+v, %v", plan, err)
	}

	var progress []backend.RotateResult
	var mu sync.Mutex
	snap := backendtest.RawObjects(t, h.Tg.Raw)
	res, err := h.S.Rotate(ctx, backend.RotateInput{Namespace: "r2", Progress: func(r backend.RotateResult) {
		mu.Lock()
		progress = append(progress, r)
		mu.Unlock()
	}})
	if err != nil || res != (backend.RotateResult{Processed: 2, Rotated: 2}) {
		t.Fatalf("Rotate(r2) = %+v, %v", res, err)
	}
	if len(progress) < 2 || progress[len(progress)-1] != res {
		t.Fatalf("Progress calls %+v do not end at the result %+v", progress, res)
	}
	after := backendtest.RawObjects(t, h.Tg.Raw)
	// The rotated revision of b1 carries b1's value ciphertext unchanged.
	oldB1 := backendtest.ReadRaw(t, h.Tg.Raw, revObj)
	shared := 0
	for _, k := range backendtest.NewObjects(snap, after) {
		if containsShared(oldB1, backendtest.ReadRaw(t, h.Tg.Raw, k)) {
			shared++
		}
	}
	if shared != 1 {
		t.Fatalf("%d new objects carry b1's value ciphertext, want exactly 1 (the rotated revision)", shared)
	}

	res, err = h.S.Rotate(ctx, backend.RotateInput{})
	if err != nil || res != (backend.RotateResult{Processed: 5, Rotated: 3, Skipped: 2}) {
		t.Fatalf("Rotate = %+v, %v; want 5 processed, 3 rotated, 2 skipped", res, err)
	}
	res, err = h.S.Rotate(ctx, backend.RotateInput{})
	if err != nil || res != (backend.RotateResult{Processed: 5, Skipped: 5}) {
		t.Fatalf("second Rotate = %+v, %v; want everything skipped", res, err)
	}
	plan, err = h.Fresh().PlanRotate(ctx, backend.RotateInput{})
	if err != nil || plan.Pending != 0 || plan.ByVersion[2] != 5 || plan.ByVersion[1] != 0 {
		t.Fatalf("PlanRotate after Rotate = %+v, %v", plan, err)
	}
	s := h.Fresh()
	for id, v := range values {
		got := h.ExpectValue(s, id[0], id[1], v)
		b := before[id]
		if got.KeyVersion != 2 || got.Revision != b.Revision+1 || !got.CreatedAt.Equal(b.CreatedAt) ||
			!got.ExpiresAt.Equal(b.ExpiresAt) || !reflect.DeepEqual(got.Metadata, b.Metadata) {
			t.Fatalf("rotated %v = %+v, before %+v", id, got, b)
		}
		if old := h.Get(s, id[0], id[1], b.Revision); !bytes.Equal(old.Value, v) || old.KeyVersion != 1 {
			t.Fatalf("pre-rotation revision of %v no longer reads", id)
		}
	}
	_, err = s.Get(ctx, "r1", "gone", backend.GetOptions{})
	backendtest.ExpectErr(t, err, backend.ErrNotFound, "tombstone after Rotate")
	rotated := backendtest.AllEvents(t, s, backend.EventFilter{Operations: []string{backend.OpRotated}})
	if len(rotated) != 5 {
		t.Fatalf("%d rotated events, want 5", len(rotated))
	}
	for _, e := range rotated {
		if e.KeyVersion != 2 || e.Revision != before[[2]string{e.Namespace, e.Name}].Revision+1 {
			t.Fatalf("rotated event %+v", e)
		}
	}
	kvs := kvByVersion(t, s)
	if kvs[1].Secrets != 0 || kvs[2].Secrets != 5 {
		t.Fatalf("after Rotate: version 1 has %d secrets, version 2 has %d", kvs[1].Secrets, kvs[2].Secrets)
	}
}

func testRotateConcurrentWriter(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	ctx := h.Ctx
	h.CreateKV(1)
	const n = 24
	last := make([][]byte, n)
	for i := range n {
		last[i] = []byte(fmt.Sprintf("initial-%d", i))
		h.Put(backend.PutInput{Namespace: "cw", Name: fmt.Sprintf("s%02d", i), Value: last[i]})
	}
	h.CreateKV(2)

	var wg sync.WaitGroup
	var rotErr error
	var res backend.RotateResult
	wg.Add(1)
	go func() {
		defer wg.Done()
		res, rotErr = h.Fresh().Rotate(ctx, backend.RotateInput{})
	}()
	writer := h.Fresh()
	for round := 0; round < 3; round++ {
		for i := range n {
			v := []byte(fmt.Sprintf("writer-%d-%d", round, i))
			for attempt := 0; ; attempt++ {
				_, err := writer.Put(ctx, backend.PutInput{Namespace: "cw", Name: fmt.Sprintf("s%02d", i), Value: v})
				if err == nil {
					last[i] = v
					break
				}
				if !errors.Is(err, backend.ErrConcurrentModification) || attempt > 50 {
					t.Fatalf("writer Put: %v", err)
				}
			}
		}
	}
	wg.Wait()
	if rotErr != nil {
		t.Fatalf("Rotate during writes: %v", rotErr)
	}
	if res.Processed != n || res.Rotated+res.Skipped != n {
		t.Fatalf("Rotate during writes = %+v", res)
	}
	s := h.Fresh()
	for i := range n {
		if got := h.ExpectValue(s, "cw", fmt.Sprintf("s%02d", i), last[i]); got.KeyVersion != 2 {
			t.Fatalf("s%02d under version %d after rotate and writes", i, got.KeyVersion)
		}
	}
	if plan, err := s.PlanRotate(ctx, backend.RotateInput{}); err != nil || plan.Pending != 0 {
		t.Fatalf("PlanRotate = %+v, %v", plan, err)
	}
}
