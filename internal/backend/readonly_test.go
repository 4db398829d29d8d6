// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// Open with RequireStore refuses a bucket without a store, and writes
// nothing: not into an empty bucket, not a missing directory, not a probe
// into an existing store.
func TestOpenRequireStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	requireStore := func(o *backend.Options) { o.RequireStore = true }
	for _, kind := range backendtest.UnitTargetKinds() {
		t.Run(kind.Name, func(t *testing.T) {
			t.Parallel()
			tg := kind.New(t)
			opts := tg.Opts
			opts.RootKey = backendtest.RandomRootKey()
			opts.RequireStore = true
			if _, err := backend.Open(ctx, opts); !errors.Is(err, backend.ErrNotFound) {
				t.Fatalf("Open with RequireStore of an empty bucket: %v, want ErrNotFound", err)
			}
			if got := backendtest.RawObjects(t, tg.Raw); len(got) != 0 {
				t.Fatalf("Open with RequireStore of an empty bucket wrote %v", got)
			}

			h := backendtest.NewWithRoot(t, func(testing.TB) backendtest.Target { return tg }, opts.RootKey)
			h.CreateKV(1)
			h.PutValue("ns", "a", "value-a")
			before := backendtest.RawObjects(t, tg.Raw)
			s := h.MustOpen(requireStore)
			h.ExpectValue(s, "ns", "a", []byte("value-a"))
			if after := backendtest.RawObjects(t, tg.Raw); !maps.Equal(before, after) {
				t.Fatalf("Open with RequireStore and Get changed the bucket: new objects %v", backendtest.NewObjects(before, after))
			}
		})
	}

	t.Run("requests", func(t *testing.T) {
		t.Parallel()
		h := backendtest.New(t, backendtest.Faulty)
		h.CreateKV(1)
		h.PutValue("ns", "a", "value-a")
		h.Tg.Faults.ResetCounts()
		h.ExpectValue(h.MustOpen(requireStore), "ns", "a", []byte("value-a"))
		if c := h.Tg.Faults.ResetCounts(); c.Write != 0 || c.Delete != 0 || c.Copy != 0 {
			t.Fatalf("Open with RequireStore and Get made %d writes, %d deletes and %d copies", c.Write, c.Delete, c.Copy)
		}
	})

	t.Run("missing directory", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "absent")
		_, err := backend.Open(ctx, backend.Options{BucketURL: backendtest.FileURL(dir), RootKey: backendtest.RandomRootKey(), RequireStore: true})
		if !errors.Is(err, backend.ErrNotFound) {
			t.Fatalf("Open with RequireStore of a missing directory: %v, want ErrNotFound", err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("Open with RequireStore created the directory (stat: %v)", err)
		}
	})
}
