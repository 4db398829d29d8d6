// SPDX-License-Identifier: MPL-2.0

package createonly

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// A bucket writer who can create files in the store directory can replace
// a directory of it with a symbolic link to anywhere the store's user may
// write. Dir must never follow such a link out of its root: not to remove
// files, not to write them.

func skipWithoutSymlinks(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
}

// linkOut replaces dir (below root) with a symbolic link to a new
// directory outside root holding one old file named victim, and returns
// that directory.
func linkOut(t *testing.T, dir, victim string) string {
	t.Helper()
	outside := t.TempDir()
	p := filepath.Join(outside, victim)
	if err := os.WriteFile(p, []byte("not the store's"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), DirMode); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, dir); err != nil {
		t.Fatal(err)
	}
	return outside
}

// expectOnly fails unless dir holds exactly the file name.
func expectOnly(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("directory outside the store holds %v, want only %s", names, name)
	}
}

func TestDirRemoveStaleTempsStaysInRoot(t *testing.T) {
	skipWithoutSymlinks(t)
	root := t.TempDir()
	w := newTestDir(t, root)
	outside := linkOut(t, filepath.Join(root, TempDir), "victim"+TempSuffix)
	w.RemoveStaleTemps(time.Hour)
	expectOnly(t, outside, "victim"+TempSuffix)
}

func TestDirCommitStaysInRoot(t *testing.T) {
	skipWithoutSymlinks(t)
	ctx := context.Background()
	for _, tc := range []struct{ name, link string }{
		{"temporary directory", TempDir},
		{"key directory", "v1/s/ns"},
		{"alias directory", "v1/m"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			w := newTestDir(t, root)
			outside := linkOut(t, filepath.Join(root, filepath.FromSlash(tc.link)), "victim")
			op := &Op{Key: "v1/s/ns/name/r1", Data: []byte("record"), Alias: "v1/m/r1_marker"}
			err := w.Commit(ctx, Stage{Ops: []*Op{op}})
			if err == nil {
				t.Fatalf("Commit through a link out of the store succeeded")
			}
			t.Logf("Commit: %v", err)
			expectOnly(t, outside, "victim")
		})
	}
}

func TestDirRemoveEmptyDirsStaysInRoot(t *testing.T) {
	skipWithoutSymlinks(t)
	root := t.TempDir()
	w := newTestDir(t, root)
	outside := linkOut(t, filepath.Join(root, "v1", "s", "ns"), "victim")
	// An empty directory outside, reached through the link.
	if err := os.Mkdir(filepath.Join(outside, "name"), DirMode); err != nil {
		t.Fatal(err)
	}
	w.RemoveEmptyDirs([]string{"v1/s/ns/name/r1"}, "v1/s/")
	if _, err := os.Stat(filepath.Join(outside, "name")); err != nil {
		t.Fatalf("a directory outside the store was removed: %v", err)
	}
}

// newTestDir opens the Dir for root, closed when the test ends.
func newTestDir(t *testing.T, root string) *Dir {
	t.Helper()
	d, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}
