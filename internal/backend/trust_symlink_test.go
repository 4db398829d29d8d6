// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/createonly"
)

// A bucket writer with access to a file:// store's directory can replace a
// directory of the store with a symbolic link to any directory the store's
// user may write. The store never follows such a link out of its
// directory: Cleanup removes no file outside it, and writes create none.

// linkOutOfStore replaces the store directory dir (a slash path below the
// store) with a link to a new directory outside it, which holds one file
// named victim, older than any retention; it returns that directory.
func linkOutOfStore(t *testing.T, h *backendtest.Harness, dir, victim string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	outside := t.TempDir()
	p := filepath.Join(outside, victim)
	if err := os.WriteFile(p, []byte("not the store's"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-100 * backend.StrayAge)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(h.Tg.Dir, filepath.FromSlash(strings.TrimSuffix(dir, "/")))
	if err := os.RemoveAll(link); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	return outside
}

// expectUntouched fails unless dir holds exactly the file victim.
func expectUntouched(t *testing.T, dir, victim string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != victim {
		t.Fatalf("directory outside the store holds %v, want only %s", names, victim)
	}
}

func TestCleanupSymlinkedTempDir(t *testing.T) {
	t.Parallel()
	h := backendtest.New(t, backendtest.FileSkipMetadata)
	h.CreateKV(1)
	h.PutValue("app", "db", "v1")
	victim := "important" + createonly.TempSuffix
	outside := linkOutOfStore(t, h, createonly.TempDir, victim)
	_, err := h.S.Cleanup(h.Ctx, backend.CleanupInput{Retention: backend.Retention{Revisions: dur(time.Hour)}})
	t.Logf("Cleanup: %v", err)
	expectUntouched(t, outside, victim)
	// A write must not put its temporary file out there either.
	_, err = h.S.Put(h.Ctx, backend.PutInput{Namespace: "app", Name: "db", Value: []byte("v2")})
	t.Logf("Put: %v", err)
	expectUntouched(t, outside, victim)
}

func TestPutSymlinkedSecretDir(t *testing.T) {
	t.Parallel()
	h := backendtest.New(t, backendtest.FileSkipMetadata)
	h.CreateKV(1)
	h.PutValue("app", "other", "v1")
	nsDir := strings.TrimSuffix(backend.SecretDir("app", "db"), "/")
	nsDir = nsDir[:strings.LastIndex(nsDir, "/")]
	outside := linkOutOfStore(t, h, nsDir, "victim")
	_, err := h.S.Put(h.Ctx, backend.PutInput{Namespace: "app", Name: "db", Value: []byte("v1")})
	if err == nil {
		t.Fatalf("Put through a link out of the store succeeded")
	}
	t.Logf("Put: %v", err)
	expectUntouched(t, outside, "victim")
}

// TestGetSymlinkedSecretDir moves a secret's directory out of the store
// and links it back: the store does not read through the link (its
// objects are no longer the store's), so the secret reads as an error,
// not as the value found outside.
func TestGetSymlinkedSecretDir(t *testing.T) {
	t.Parallel()
	h := backendtest.New(t, backendtest.FileSkipMetadata)
	h.CreateKV(1)
	h.PutValue("app", "db", "v1")
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	dir := filepath.Join(h.Tg.Dir, filepath.FromSlash(strings.TrimSuffix(backend.SecretDir("app", "db"), "/")))
	moved := filepath.Join(t.TempDir(), "moved")
	if err := os.Rename(dir, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(moved, dir); err != nil {
		t.Fatal(err)
	}
	for _, rev := range []int64{0, 1} {
		got, err := h.Fresh().Get(h.Ctx, "app", "db", backend.GetOptions{Revision: rev})
		if err == nil {
			t.Fatalf("Get(revision %d) through a link out of the store = %q, want an error", rev, got.Value)
		}
		t.Logf("Get(revision %d): %v", rev, err)
	}
}
