package backend_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

func testOpen(t *testing.T, newTarget backendtest.NewTarget) {
	ctx := context.Background()
	tg := newTarget(t)
	bad := map[string]string{
		"empty root key":            "",
		"base64key with no key":     "base64key://",
		"16-byte bare key":          base64.StdEncoding.EncodeToString(backendtest.RandomBytes(16)),
		"33-byte bare key":          base64.StdEncoding.EncodeToString(backendtest.RandomBytes(33)),
		"not base64":                "this is not a key!",
		"16-byte base64key":         "base64key://" + base64.URLEncoding.EncodeToString(backendtest.RandomBytes(16)),
		"unregistered keeper url":   "nosuchkeeper://key",
		"whitespace around the key": " " + backendtest.RandomRootKey() + " x",
	}
	for name, key := range bad {
		o := tg.Opts
		o.RootKey = key
		s, err := backend.Open(ctx, o)
		if err == nil {
			_ = s.Close()
			t.Fatalf("Open with %s: got nil error", name)
		}
		if strings.Contains(err.Error(), key) && len(key) > 20 {
			t.Fatalf("Open with %s: the error echoes the root key: %q", name, err)
		}
	}
	if objs := backendtest.RawObjects(t, tg.Raw); len(objs) != 0 {
		t.Fatalf("failed Opens wrote %d objects: %v", len(objs), objs)
	}

	root := backendtest.RandomRootKey()
	o := tg.Opts
	o.RootKey = root
	s1, err := backend.Open(ctx, o)
	if err != nil {
		t.Fatalf("Open on an empty bucket: %v", err)
	}
	defer s1.Close()
	if _, err := s1.CreateKeyVersion(ctx, 1, nil); err != nil {
		t.Fatalf("CreateKeyVersion: %v", err)
	}
	s2, err := backend.Open(ctx, o)
	if err != nil {
		t.Fatalf("second Open with the same root key: %v", err)
	}
	defer s2.Close()

	o.RootKey = backendtest.RandomRootKey()
	s3, err := backend.Open(ctx, o)
	if err == nil {
		_ = s3.Close()
	}
	backendtest.ExpectErr(t, err, backend.ErrRootKeyMismatch, "Open with another root key")

	// The keeper URL form works too (a separate bucket: one store, one root key).
	tg2 := newTarget(t)
	o2 := tg2.Opts
	o2.RootKey = "base64key://" + base64.URLEncoding.EncodeToString(backendtest.RandomBytes(32))
	s4, err := backend.Open(ctx, o2)
	if err != nil {
		t.Fatalf("Open with a base64key:// root key: %v", err)
	}
	if _, err := s4.CreateKeyVersion(ctx, 1, nil); err != nil {
		t.Fatalf("CreateKeyVersion: %v", err)
	}
	_ = s4.Close()
	s5, err := backend.Open(ctx, o2)
	if err != nil {
		t.Fatalf("reopen with the same base64key:// root key: %v", err)
	}
	_ = s5.Close()
}
