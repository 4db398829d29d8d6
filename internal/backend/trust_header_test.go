// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"context"
	"strings"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// A bucket writer who deletes the store header must not make the next
// Open initialise a new store (a new store secret) over the key versions,
// secrets and audit events of the old one: their MACs would all fail while
// new writes went on. Open initialises only an empty store.

// rawDelete deletes every raw key under each prefix, as a bucket writer
// without keys can.
func rawDelete(t *testing.T, h *backendtest.Harness, prefixes ...string) map[string][]byte {
	t.Helper()
	saved := map[string][]byte{}
	for _, p := range prefixes {
		for _, k := range h.Keys(p) {
			b, err := h.Tg.Raw.ReadAll(h.Ctx, k)
			if err != nil {
				t.Fatalf("reading %s: %v", k, err)
			}
			saved[k] = b
			if err := h.Tg.Raw.Delete(h.Ctx, k); err != nil {
				t.Fatalf("deleting %s: %v", k, err)
			}
		}
	}
	return saved
}

func TestMissingHeaderNonEmptyStore(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		fill   func(h *backendtest.Harness)
		remove []string // besides the header
	}{
		{"key versions and secrets", func(h *backendtest.Harness) { h.CreateKV(1); h.PutValue("app", "db", "v1") }, nil},
		{"key versions only", func(h *backendtest.Harness) { h.CreateKV(1) }, nil},
		{"secrets only", func(h *backendtest.Harness) { h.CreateKV(1); h.PutValue("app", "db", "v1") },
			[]string{backend.PrefixKeyring, backend.PrefixWraps}},
		{"audit events only", func(h *backendtest.Harness) { h.CreateKV(1) },
			[]string{backend.PrefixKeyring, backend.PrefixWraps}},
	}
	var tests []backendtest.ConformanceTest
	for _, tc := range cases {
		tests = append(tests, backendtest.ConformanceTest{Name: tc.name, Run: func(t *testing.T, newTarget backendtest.NewTarget) {
			h := backendtest.New(t, newTarget)
			tc.fill(h)
			header := rawDelete(t, h, backend.PrefixHeader)
			if len(header) == 0 {
				t.Fatalf("the store wrote no header")
			}
			rawDelete(t, h, tc.remove...)
			_, err := h.Open()
			backendtest.ExpectErr(t, err, backend.ErrIntegrity, "Open of a non-empty store without a header")
			t.Logf("Open: %v", err)
			if msg := err.Error(); !strings.Contains(msg, "header is missing") || !strings.Contains(msg, "not empty") {
				t.Fatalf("Open error %q does not say that the header is missing and the store is not empty", msg)
			}
			if keys := h.Keys(backend.PrefixHeader); len(keys) != 0 {
				t.Fatalf("Open wrote a new store header %v over a non-empty store", keys)
			}
			// Nothing was lost: with its header back, the store opens.
			for k, b := range header {
				if err := h.Tg.Raw.WriteAll(h.Ctx, k, b, nil); err != nil {
					t.Fatalf("restoring %s: %v", k, err)
				}
			}
			if _, err := h.Open(); err != nil {
				t.Fatalf("Open with the header restored: %v", err)
			}
		}})
	}
	backendtest.RunConformanceTests(t, backendtest.TargetKinds(), tests)
}

// TestMissingHeaderEmptyStore checks that an empty bucket, or one that
// holds only the create-only probes of other Stores, opens as a store that
// does not exist yet, and that its first write creates it.
func TestMissingHeaderEmptyStore(t *testing.T) {
	t.Parallel()
	backendtest.RunConformanceTests(t, backendtest.TargetKinds(), []backendtest.ConformanceTest{{Name: "probe only", Run: func(t *testing.T, newTarget backendtest.NewTarget) {
		tg := newTarget(t)
		ctx := context.Background()
		if err := tg.Raw.WriteAll(ctx, backend.PrefixProbe+"0123456789abcdef", []byte("probe"), nil); err != nil {
			t.Fatalf("writing a probe: %v", err)
		}
		opts := tg.Opts
		opts.RootKey = backendtest.RandomRootKey()
		s, err := backend.Open(ctx, opts)
		if err != nil {
			t.Fatalf("Open of a bucket holding only a probe: %v", err)
		}
		defer s.Close()
		if ok, err := s.Exists(ctx); ok || err != nil {
			t.Fatalf("Exists of a bucket holding only a probe: %t, %v", ok, err)
		}
		if _, err := s.CreateKeyVersion(ctx, 1, nil); err != nil {
			t.Fatalf("first write: %v", err)
		}
		if keys := backendtest.RawKeys(t, tg.Raw, backend.PrefixHeader); len(keys) != 1 {
			t.Fatalf("header revisions %v after the first write, want one", keys)
		}
	}}})
}

// TestOpenRequestCount counts what Open asks of S3: it only reads. Opening
// an empty bucket costs one LIST more than looking for the header (the
// check that the store is empty); opening an existing store lists and
// reads the header and the keyring. The probe (two PUTs, a HEAD and a
// DELETE: gocloud.dev's s3blob checks that a key exists before deleting
// it) comes with the first write of each Store.
func TestOpenRequestCount(t *testing.T) {
	t.Parallel()
	tg, p := s3ViaProxy(t)
	opts := tg.Opts
	opts.RootKey = backendtest.RandomRootKey()
	ctx := context.Background()
	open := func(what string) (opened, written map[string]int) {
		p.resetCounts()
		s, err := backend.Open(ctx, opts)
		if err != nil {
			t.Fatalf("Open (%s): %v", what, err)
		}
		opened = p.requestCounts()
		t.Logf("Open (%s): %v", what, opened)
		p.resetCounts()
		if _, err := s.CreateKeyVersion(ctx, len(what), nil); err != nil {
			t.Fatalf("CreateKeyVersion: %v", err)
		}
		written = p.requestCounts()
		t.Logf("first write (%s): %v", what, written)
		_ = s.Close()
		return opened, written
	}
	expect := func(what string, got, want map[string]int) {
		t.Helper()
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %d %s requests, want %d (all: %v)", what, got[k], k, v, got)
			}
		}
	}
	empty, created := open("empty")
	existing, written := open("existing store")
	expect("Open of an existing store", existing, map[string]int{"PUT": 0, "HEAD": 0, "DELETE": 0, "LIST": 2, "GET": 2})
	expect("Open of an empty store", empty, map[string]int{"PUT": 0, "HEAD": 0, "DELETE": 0, "LIST": 2, "GET": 0})
	// The first write of each Store probes once; creating the store adds
	// its header PUT.
	expect("first write into an existing store", written, map[string]int{"HEAD": 1, "DELETE": 1})
	expect("first write into an empty store", created, map[string]int{"HEAD": 1, "DELETE": 1, "PUT": written["PUT"] + 1})
}
