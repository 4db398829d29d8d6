// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// createKinds are the buckets the store-creation rules are checked on:
// mem://, file:// opened by URL, and S3 through gofakes3.
func createKinds() []backendtest.TargetKind {
	return append(backendtest.UnitTargetKinds(), backendtest.TargetKind{Name: "s3fake", New: backendtest.S3})
}

// Open writes nothing, not even into an empty bucket: the store does not
// exist until its first write, which creates the header (after the probe),
// and a second Store then opens that header.
func TestOpenCreatesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, kind := range createKinds() {
		t.Run(kind.Name, func(t *testing.T) {
			t.Parallel()
			tg := kind.New(t)
			opts := tg.Opts
			opts.RootKey = backendtest.RandomRootKey()
			s, err := backend.Open(ctx, opts)
			if err != nil {
				t.Fatalf("Open of an empty bucket: %v", err)
			}
			defer s.Close()
			if got := backendtest.RawObjects(t, tg.Raw); len(got) != 0 {
				t.Fatalf("Open of an empty bucket wrote %v", got)
			}
			expectExists(t, s, false, "after Open of an empty bucket")
			// Reads see an empty store and write nothing.
			if _, err := s.Get(ctx, "ns", "a", backend.GetOptions{}); !errors.Is(err, backend.ErrNotFound) {
				t.Fatalf("Get in a store not created yet: %v, want ErrNotFound", err)
			}
			if kvs, err := s.KeyVersions(ctx); err != nil || len(kvs) != 0 {
				t.Fatalf("KeyVersions in a store not created yet: %v, %v", kvs, err)
			}
			if page, err := s.List(ctx, backend.ListInput{Namespace: "ns"}); err != nil || len(page.Secrets) != 0 {
				t.Fatalf("List in a store not created yet: %v, %v", page.Secrets, err)
			}
			if got := backendtest.RawObjects(t, tg.Raw); len(got) != 0 {
				t.Fatalf("reads of a store not created yet wrote %v", got)
			}

			if _, err := s.CreateKeyVersion(ctx, 1, nil); err != nil {
				t.Fatalf("first CreateKeyVersion: %v", err)
			}
			expectExists(t, s, true, "after the first write")
			if hs := backendtest.RawKeys(t, tg.Raw, backend.PrefixHeader); len(hs) != 1 {
				t.Fatalf("after the first write the store holds headers %v, want one", hs)
			}
			if _, err := s.Put(ctx, backend.PutInput{Namespace: "ns", Name: "a", Value: []byte("value-a")}); err != nil {
				t.Fatalf("Put: %v", err)
			}
			s2, err := backend.Open(ctx, opts)
			if err != nil {
				t.Fatalf("Open of the created store: %v", err)
			}
			defer s2.Close()
			expectExists(t, s2, true, "on a second Open")
			if got, err := s2.Get(ctx, "ns", "a", backend.GetOptions{}); err != nil || string(got.Value) != "value-a" {
				t.Fatalf("Get from a second Store: %q, %v", got.Value, err)
			}
		})
	}

	t.Run("missing directory", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "absent", "store")
		opts := backend.Options{BucketURL: backendtest.FileURL(dir), RootKey: backendtest.RandomRootKey()}
		s, err := backend.Open(ctx, opts)
		if err != nil {
			t.Fatalf("Open of a missing directory: %v", err)
		}
		defer s.Close()
		expectExists(t, s, false, "in a missing directory")
		if _, err := s.Get(ctx, "ns", "a", backend.GetOptions{}); !errors.Is(err, backend.ErrNotFound) {
			t.Fatalf("Get in a missing directory: %v, want ErrNotFound", err)
		}
		if _, err := s.KeyVersions(ctx); err != nil {
			t.Fatalf("KeyVersions in a missing directory: %v", err)
		}
		if _, err := os.Stat(filepath.Dir(dir)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Open and reads created the directory (stat: %v)", err)
		}
		if _, err := s.CreateKeyVersion(ctx, 1, nil); err != nil {
			t.Fatalf("first CreateKeyVersion: %v", err)
		}
		expectExists(t, s, true, "after the first write")
		raw := backendtest.OpenRaw(t, backendtest.FileURL(dir)+"?metadata=skip")
		if hs := backendtest.RawKeys(t, raw, backend.PrefixHeader); len(hs) != 1 {
			t.Fatalf("after the first write the directory holds headers %v, want one", hs)
		}
	})
}

// Opening an existing store, reading it, and asking whether it exists make
// no write, delete or copy: no probe either. The probe runs once, before
// the Store's first write.
func TestOpenExistingStoreWritesNothing(t *testing.T) {
	t.Parallel()
	h := backendtest.New(t, backendtest.Faulty)
	h.CreateKV(1)
	h.PutValue("ns", "a", "value-a")
	before := backendtest.RawObjects(t, h.Tg.Raw)
	h.Tg.Faults.ResetCounts()
	s := h.MustOpen()
	expectExists(t, s, true, "for an existing store")
	h.ExpectValue(s, "ns", "a", []byte("value-a"))
	if _, err := s.KeyVersions(h.Ctx); err != nil {
		t.Fatal(err)
	}
	if c := h.Tg.Faults.ResetCounts(); c.Write != 0 || c.Delete != 0 || c.Copy != 0 {
		t.Fatalf("Open, Exists and reads made %d writes, %d deletes and %d copies", c.Write, c.Delete, c.Copy)
	}
	if after := backendtest.RawObjects(t, h.Tg.Raw); !maps.Equal(before, after) {
		t.Fatalf("Open and reads changed the bucket: new objects %v", backendtest.NewObjects(before, after))
	}
	// First write: the probe (two writes and the only delete), then the
	// write; the second write makes no probe.
	if _, err := s.Put(h.Ctx, backend.PutInput{Namespace: "ns", Name: "b", Value: []byte("value-b")}); err != nil {
		t.Fatal(err)
	}
	first := h.Tg.Faults.ResetCounts()
	if _, err := s.Put(h.Ctx, backend.PutInput{Namespace: "ns", Name: "c", Value: []byte("value-c")}); err != nil {
		t.Fatal(err)
	}
	second := h.Tg.Faults.ResetCounts()
	if first.Delete != 1 || second.Delete != 0 || first.Write < second.Write+2 {
		t.Fatalf("first write made %d writes and %d deletes, second %d and %d: want the probe's two writes and one delete once", first.Write, first.Delete, second.Write, second.Delete)
	}
}

// Goroutines, each with its own Store opened before the store exists,
// create it at once: exactly one header is written, and every write of
// every Store authenticates under it.
func TestConcurrentCreators(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const n = 8
	for _, kind := range createKinds() {
		t.Run(kind.Name, func(t *testing.T) {
			t.Parallel()
			tg := kind.New(t)
			opts := tg.Opts
			opts.RootKey = backendtest.RandomRootKey()
			stores := make([]*backend.Store, n)
			for i := range stores {
				s, err := backend.Open(ctx, opts)
				if err != nil {
					t.Fatalf("Open %d: %v", i, err)
				}
				defer s.Close()
				stores[i] = s
			}
			var wg sync.WaitGroup
			errs := make([]error, n)
			start := make(chan struct{})
			for i, s := range stores {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, errs[i] = s.CreateKeyVersion(ctx, i+1, nil)
				}()
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("creator %d: %v", i, err)
				}
			}
			expectOneStore(t, tg, opts, n)
		})
	}
}

// Processes, each opening the missing directory before the store exists,
// create it at once (see TestConcurrentCreators).
func TestProcessConcurrentCreators(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	const procs = 8
	dir := filepath.Join(t.TempDir(), "store")
	bucketURL := backendtest.FileURL(dir)
	root := backendtest.RandomRootKey()
	for _, r := range runProcesses(t, "create", procs, 0, bucketURL, root) {
		for _, a := range r.Attempts {
			if !a.OK {
				t.Fatalf("process %d: %s: %s", r.ID, a.Phase, a.Err)
			}
		}
	}
	tg := backendtest.Target{Opts: backend.Options{BucketURL: bucketURL}, Raw: backendtest.OpenRaw(t, bucketURL+"?metadata=skip"), Dir: dir}
	expectOneStore(t, tg, backend.Options{BucketURL: bucketURL, RootKey: root}, procs)
}

// expectOneStore checks that tg holds one store header and key versions 1
// to n, each of which authenticates and works in a Store opened anew.
func expectOneStore(t *testing.T, tg backendtest.Target, opts backend.Options, n int) {
	t.Helper()
	ctx := context.Background()
	if hs := backendtest.RawKeys(t, tg.Raw, backend.PrefixHeader); len(hs) != 1 {
		t.Fatalf("concurrent creators wrote headers %v, want exactly one", hs)
	}
	s, err := backend.Open(ctx, opts)
	if err != nil {
		t.Fatalf("Open after the creators: %v", err)
	}
	defer s.Close()
	kvs, err := s.KeyVersions(ctx)
	if err != nil {
		t.Fatalf("KeyVersions after the creators: %v", err)
	}
	if len(kvs) != n {
		t.Fatalf("after %d creators the keyring holds %d versions: %+v", n, len(kvs), kvs)
	}
	// A key version record made under another header would not
	// authenticate, and KeyVersions would have failed.
	if _, err := s.Put(ctx, backend.PutInput{Namespace: "ns", Name: "after", Value: []byte("v")}); err != nil {
		t.Fatalf("Put after the creators: %v", err)
	}
	if got, err := s.Get(ctx, "ns", "after", backend.GetOptions{}); err != nil || string(got.Value) != "v" || got.KeyVersion != n {
		t.Fatalf("Get after the creators: %+v, %v", got, err)
	}
}

func expectExists(t *testing.T, s *backend.Store, want bool, what string) {
	t.Helper()
	got, err := s.Exists(context.Background())
	if err != nil {
		t.Fatalf("Exists %s: %v", what, err)
	}
	if got != want {
		t.Fatalf("Exists %s: %t, want %t", what, got, want)
	}
}

// A write refused for its input creates no store.
func TestRefusedInputCreatesNoStore(t *testing.T) {
	t.Parallel()
	h := backendtest.New(t, backendtest.Mem)
	if _, err := h.S.CreateKeyVersion(h.Ctx, 0, nil); err == nil {
		t.Fatal("CreateKeyVersion(0) succeeded")
	}
	if _, err := h.S.Put(h.Ctx, backend.PutInput{Namespace: "ns", Name: "bad/name", Value: []byte("v")}); err == nil {
		t.Fatal("Put of an invalid name succeeded")
	}
	if got := backendtest.RawObjects(t, h.Tg.Raw); len(got) != 0 {
		t.Fatalf("refused writes wrote %v", got)
	}
}
