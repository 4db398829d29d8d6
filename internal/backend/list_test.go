package backend_test

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

func testList(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	ctx := h.Ctx
	h.CreateKV(1)

	names := []string{"a", "a-b", "a.b", "ab", "b", "db-1", "db-2", "db-3", "a_b", "a~b", "A"}
	for i, n := range names {
		h.Clock.Advance(time.Second)
		h.Put(backend.PutInput{Namespace: "lst", Name: n, Value: []byte("v" + n), SetMetadata: true,
			Metadata: map[string]string{"i": fmt.Sprint(i)}})
	}
	h.Put(backend.PutInput{Namespace: "lst", Name: "old", Value: []byte("o"), Expiry: backend.Expiry{Set: true, TTL: time.Minute}})
	h.PutValue("lst", "gone", "g")
	h.PutValue("lst", "db-1", "second revision")
	if err := h.S.Delete(ctx, backend.DeleteInput{Namespace: "lst", Name: "gone"}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for _, ns := range []string{"lst-2", "lst.x", "ls", "lsu", "lst:a"} {
		h.PutValue(ns, "a", "other namespace")
	}
	h.Clock.Advance(time.Hour)

	want := append(slices.Clone(names), "old")
	sort.Strings(want)
	s := h.Fresh()
	for _, size := range []int{0, 1, 2, 3, 5, 100, 1000} {
		got := backendtest.AllSecrets(t, s, backend.ListInput{Namespace: "lst", PageSize: size})
		if !slices.Equal(backendtest.SecretNames(got), want) {
			t.Fatalf("List PageSize %d = %v, want %v", size, backendtest.SecretNames(got), want)
		}
	}
	for _, sec := range backendtest.AllSecrets(t, s, backend.ListInput{Namespace: "lst"}) {
		wantState := backend.StateActive
		if sec.Name == "old" {
			wantState = backend.StateExpired
		}
		if sec.State != wantState || sec.Value != nil || sec.Namespace != "lst" || sec.KeyVersion != 1 ||
			sec.CreatedAt.IsZero() || sec.UpdatedAt.Before(sec.CreatedAt) || (sec.Name == "old") == sec.ExpiresAt.IsZero() {
			t.Fatalf("listed %+v", sec)
		}
		switch sec.Name {
		case "db-1":
			if sec.Revision != 2 || !sec.UpdatedAt.After(sec.CreatedAt) {
				t.Fatalf("db-1 listed as %+v, want revision 2 updated after creation", sec)
			}
		case "old":
		default:
			if sec.Revision != 1 || sec.Metadata["i"] != fmt.Sprint(slices.Index(names, sec.Name)) {
				t.Fatalf("%s listed as %+v", sec.Name, sec)
			}
		}
	}
	for prefix, want := range map[string][]string{
		"db-": {"db-1", "db-2", "db-3"},
		"a":   {"a", "a-b", "a.b", "a_b", "ab", "a~b"},
		"a-":  {"a-b"},
		"a.":  {"a.b"},
		"g":   nil,
		"zzz": nil,
		"A":   {"A"},
	} {
		for _, size := range []int{1, 2, 100} {
			got := backendtest.SecretNames(backendtest.AllSecrets(t, s, backend.ListInput{Namespace: "lst", NamePrefix: prefix, PageSize: size}))
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("List prefix %q PageSize %d = %v, want %v", prefix, size, got, want)
			}
		}
	}
	for _, ns := range []string{"lst-2", "lst.x", "ls", "lsu", "lst:a"} {
		if got := backendtest.SecretNames(backendtest.AllSecrets(t, s, backend.ListInput{Namespace: ns, PageSize: 1})); !slices.Equal(got, []string{"a"}) {
			t.Fatalf("List(%s) = %v", ns, got)
		}
	}
	if got := backendtest.AllSecrets(t, s, backend.ListInput{Namespace: "empty"}); len(got) != 0 {
		t.Fatalf("List of an empty namespace = %v", got)
	}
}

// testListingSiblings guards against gocloud fileblob's ListPage drop: a
// "directory" that is a prefix of a sibling whose next character sorts
// below '/' (app/ and app-2/, a/ and a-b/, a.b/) loses keys at page
// boundaries unless the key encoding avoids such siblings. Every listing
// the store makes (List, ListEvents, PlanRotate, Rotate, KeyVersions,
// PlanCleanup, Cleanup) must see every secret, with any page size.
func testListingSiblings(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	ctx := h.Ctx
	h.CreateKV(1)
	namespaces := []string{"app", "app-2", "app.x", "app-", "app_y", "ap", "app:z", "app-2-b"}
	names := []string{"a", "a-b", "a.b", "a-b-c", "a.b.c", "a+b", "a,b", "a0", "b"}
	want := map[string][]string{}
	total := 0
	for _, ns := range namespaces {
		for _, n := range names {
			h.Put(backend.PutInput{Namespace: ns, Name: n, Value: []byte(ns + "/" + n)})
			want[ns] = append(want[ns], n)
			total++
		}
		sort.Strings(want[ns])
	}
	s := h.Fresh()
	for _, ns := range namespaces {
		for _, size := range []int{1, 2, 3, 4, 7} {
			if got := backendtest.SecretNames(backendtest.AllSecrets(t, s, backend.ListInput{Namespace: ns, PageSize: size})); !slices.Equal(got, want[ns]) {
				t.Fatalf("List(%s, PageSize %d) = %v, want %v", ns, size, got, want[ns])
			}
		}
		for _, limit := range []int{1, 2, 3, 5} {
			for _, desc := range []bool{false, true} {
				evs := backendtest.AllEvents(t, s, backend.EventFilter{Namespace: ns, Limit: limit, Descending: desc})
				if len(evs) != len(names) {
					t.Fatalf("ListEvents(%s, Limit %d, desc %v) returned %d events, want %d", ns, limit, desc, len(evs), len(names))
				}
				for _, e := range evs {
					if e.Namespace != ns {
						t.Fatalf("ListEvents(%s) returned an event of %s", ns, e.Namespace)
					}
				}
			}
		}
		for _, n := range names {
			if evs := backendtest.AllEvents(t, s, backend.EventFilter{Namespace: ns, Name: n, Limit: 1}); len(evs) != 1 || evs[0].Name != n {
				t.Fatalf("ListEvents(%s/%s) = %v", ns, n, eventOps(evs))
			}
		}
	}
	for _, limit := range []int{1, 2, 3, 7} {
		if evs := backendtest.AllEvents(t, s, backend.EventFilter{Limit: limit, Operations: []string{backend.OpCreated}}); len(evs) != total {
			t.Fatalf("ListEvents(Limit %d) returned %d created events, want %d", limit, len(evs), total)
		}
	}
	h.CreateKV(2)
	if kv := kvByVersion(t, h.Fresh())[1]; kv.Secrets != total {
		t.Fatalf("KeyVersions counts %d secrets under version 1, want %d", kv.Secrets, total)
	}
	if plan, err := h.Fresh().PlanRotate(ctx, backend.RotateInput{}); err != nil || plan.Pending != total {
		t.Fatalf("PlanRotate = %+v, %v; want %d pending", plan, err, total)
	}
	if plan, err := h.Fresh().PlanRotate(ctx, backend.RotateInput{Namespace: "app"}); err != nil || plan.Pending != len(names) {
		t.Fatalf("PlanRotate(app) = %+v, %v; want %d pending", plan, err, len(names))
	}
	if res, err := h.S.Rotate(ctx, backend.RotateInput{Namespace: "app"}); err != nil || res.Rotated != len(names) || res.Processed != len(names) {
		t.Fatalf("Rotate(app) = %+v, %v", res, err)
	}
	if res, err := h.S.Rotate(ctx, backend.RotateInput{}); err != nil || res.Processed != total || res.Rotated != total-len(names) {
		t.Fatalf("Rotate = %+v, %v; want %d processed", res, err, total)
	}
	for _, ns := range namespaces {
		for _, n := range names {
			h.Put(backend.PutInput{Namespace: ns, Name: n, Expiry: backend.Expiry{Set: true, TTL: time.Minute}})
		}
	}
	h.Clock.Advance(2 * time.Hour)
	in := backend.CleanupInput{Retention: backend.Retention{ExpiredSecrets: dur(time.Hour)}}
	if plan, err := h.Fresh().PlanCleanup(ctx, in); err != nil || plan.Secrets != total {
		t.Fatalf("PlanCleanup = %+v, %v; want %d secrets", plan, err, total)
	}
	in.Namespace = "app"
	if plan, err := h.Fresh().PlanCleanup(ctx, in); err != nil || plan.Secrets != len(names) {
		t.Fatalf("PlanCleanup(app) = %+v, %v; want %d secrets", plan, err, len(names))
	}
	in.Namespace = ""
	if res, err := h.S.Cleanup(ctx, in); err != nil || res.Secrets != total {
		t.Fatalf("Cleanup = %+v, %v; want %d secrets", res, err, total)
	}
	for _, ns := range namespaces {
		if got := backendtest.AllSecrets(t, h.Fresh(), backend.ListInput{Namespace: ns, PageSize: 1}); len(got) != 0 {
			t.Fatalf("after Cleanup, %s lists %v", ns, backendtest.SecretNames(got))
		}
	}
}

// TestFileListingPageBoundary reproduces the conditions of fileblob's
// ListPage drop on a real directory. The drop needs a page boundary inside
// the shorter sibling: fileblob walks "app/" before "app-2/", but "app-2/x"
// sorts before "app/x", so once a page ends inside app/ the next page skips
// every key of app-2/ as already returned. The store lists 1000 keys a page,
// so this test puts more than 1000 objects under one namespace (520
// secrets) and under one name (505 revisions), each next to siblings that
// extend its name with characters below '/'.
func TestFileListingPageBoundary(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("writes about 1,100 secrets revisions to a local directory")
	}
	h := backendtest.New(t, backendtest.File)
	ctx := h.Ctx
	h.CreateKV(1)
	const big = 520
	small := []string{"app-2", "app.x", "app-", "app-2-b"}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	jobs := make(chan [2]string)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if _, err := h.S.Put(ctx, backend.PutInput{Namespace: j[0], Name: j[1], Value: []byte(j[0] + "/" + j[1])}); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := 0; i < big; i++ {
		jobs <- [2]string{"app", fmt.Sprintf("s%04d", i)}
	}
	for _, ns := range small {
		for _, n := range []string{"a", "b"} {
			jobs <- [2]string{ns, n}
		}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Put: %v", err)
	}
	// One name with a long history next to names it is a prefix of.
	const revisions = 505
	for i := 0; i < revisions; i++ {
		h.Put(backend.PutInput{Namespace: "names", Name: "a", Value: []byte(fmt.Sprint(i))})
	}
	for _, n := range []string{"a-b", "a.b", "a+b", "a!b"} {
		h.PutValue("names", n, n)
	}
	total := big + 2*len(small) + 5

	s := h.Fresh()
	for _, ns := range small {
		if got := backendtest.SecretNames(backendtest.AllSecrets(t, s, backend.ListInput{Namespace: ns})); !slices.Equal(got, []string{"a", "b"}) {
			t.Fatalf("List(%s) = %v", ns, got)
		}
		if evs := backendtest.AllEvents(t, s, backend.EventFilter{Namespace: ns}); len(evs) != 2 {
			t.Fatalf("ListEvents(%s) returned %d events, want 2", ns, len(evs))
		}
	}
	if got := backendtest.AllSecrets(t, s, backend.ListInput{Namespace: "app", PageSize: backend.MaxListPageSize}); len(got) != big {
		t.Fatalf("List(app) returned %d secrets, want %d", len(got), big)
	}
	wantNames := []string{"a", "a!b", "a+b", "a-b", "a.b"}
	if got := backendtest.SecretNames(backendtest.AllSecrets(t, s, backend.ListInput{Namespace: "names"})); !slices.Equal(got, wantNames) {
		t.Fatalf("List(names) = %v, want %v", got, wantNames)
	}
	if got := backendtest.SecretNames(backendtest.AllSecrets(t, s, backend.ListInput{Namespace: "names", NamePrefix: "a"})); !slices.Equal(got, wantNames) {
		t.Fatalf("List(names, prefix a) = %v, want %v", got, wantNames)
	}
	if evs := backendtest.AllEvents(t, s, backend.EventFilter{Namespace: "names"}); len(evs) != revisions+4 {
		t.Fatalf("ListEvents(names) returned %d events, want %d", len(evs), revisions+4)
	}
	if evs := backendtest.AllEvents(t, s, backend.EventFilter{Operations: []string{backend.OpCreated}}); len(evs) != total {
		t.Fatalf("ListEvents(created) returned %d events, want %d", len(evs), total)
	}
	if kv := kvByVersion(t, s)[1]; kv.Secrets != total {
		t.Fatalf("KeyVersions counts %d secrets, want %d", kv.Secrets, total)
	}
	h.CreateKV(2)
	if plan, err := h.Fresh().PlanRotate(ctx, backend.RotateInput{}); err != nil || plan.Pending != total {
		t.Fatalf("PlanRotate = %+v, %v; want %d pending", plan, err, total)
	}
	h.Clock.Advance(time.Hour)
	if plan, err := h.Fresh().PlanCleanup(ctx, backend.CleanupInput{Retention: backend.Retention{Revisions: dur(time.Minute)}}); err != nil || plan.Revisions != revisions-1 {
		t.Fatalf("PlanCleanup(revisions) = %+v, %v; want %d", plan, err, revisions-1)
	}
	if res, err := h.S.Rotate(ctx, backend.RotateInput{}); err != nil || res.Processed != total || res.Rotated != total {
		t.Fatalf("Rotate = %+v, %v; want %d rotated", res, err, total)
	}
}
