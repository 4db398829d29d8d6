// SPDX-License-Identifier: MPL-2.0

package createonly

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Dir creates objects as files under a root directory, for a reader that
// maps a key to the file at that path below root (such as fileblob opened
// with metadata=skip, so that an object is exactly one file).
//
// Why not fileblob's own writer: its IfNotExist is a Stat and a rename
// under an in-process mutex, so two processes can both "create" a key; it
// never fsyncs; and its temporary files go to os.TempDir. Dir instead:
//
//   - writes each object to a temporary file in <root>/.secretstore-tmp/
//     (TempDir, outside the key space of the store, so no listing ever
//     walks it: fileblob's listing fails outright when a file it has just
//     seen disappears) and makes the data durable first;
//   - publishes it with link(2), which fails with EEXIST when the final
//     name exists: an atomic create-only write across processes, with no
//     lock file to go stale;
//   - creates an Op's alias (an empty file) with O_CREAT|O_EXCL;
//   - makes the published names durable before the next stage (or the
//     caller) goes on: syncfs(2) on Linux, one call for a whole group of
//     objects, shared by concurrent callers (group commit); fsync of each
//     file and of each directory it touches elsewhere (except on Windows,
//     whose NTFS journals directory entries).
//
// A crash leaves, at worst, temporary files (ignored, removed by
// RemoveStaleTemps) and fully written objects: a name is never visible
// before its data is durable, so no reader can see a torn object.
//
// Every file operation of Dir is confined to root (os.Root): a symbolic
// link below root that leads out of it (planted by someone who can write
// to the directory, in place of the temporary directory or of a key
// directory) is never followed, so Dir creates, links and removes files
// only inside root; such an operation fails instead.
type Dir struct {
	root string
	r    *os.Root
}

// OpenDir returns the writer for the directory root, an absolute path that
// exists. Close releases it.
func OpenDir(root string) (*Dir, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	return &Dir{root: root, r: r}, nil
}

// Close releases the directory; Dir must not be used afterwards.
func (l *Dir) Close() error { return l.r.Close() }

// Root is the directory Dir writes under.
func (l *Dir) Root() string { return l.root }

const (
	// DirMode is the mode of the directories Dir creates.
	DirMode       = 0o700
	localFileMode = 0o600
	// TempSuffix ends the name of every temporary file.
	TempSuffix = ".tmp"
	// TempDir, below root, holds temporary files, beside (not inside) the
	// key space.
	TempDir = ".secretstore-tmp"
)

// path is the file of key, relative to root.
func (l *Dir) path(key string) string {
	return filepath.FromSlash(key)
}

// tmpFile is a written, not yet published object; paths are relative to
// root.
type tmpFile struct {
	op   *Op
	tmp  string
	path string
}

// Commit writes the stages in order (see Writer). The data of every stage
// is made durable first, with one flush; each stage's names are then
// published and made durable before the next stage is.
func (l *Dir) Commit(ctx context.Context, stages ...Stage) (err error) {
	var all [][]tmpFile
	var dirs dirSet
	defer func() {
		for _, st := range all {
			for _, t := range st {
				_ = l.r.Remove(t.tmp)
			}
		}
	}()
	// Write every object's data first, so that one data flush covers all
	// stages.
	for _, st := range stages {
		var files []tmpFile
		for _, op := range st.Ops {
			if err := ctx.Err(); err != nil {
				all = append(all, files)
				return err
			}
			t, err := l.writeTemp(op, &dirs)
			if err != nil {
				all = append(all, files)
				return err
			}
			files = append(files, t)
		}
		all = append(all, files)
	}
	if err := l.flushData(all); err != nil {
		return err
	}
	for i, st := range stages {
		for _, t := range all[i] {
			if err := l.publish(t, &dirs); err != nil {
				return err
			}
		}
		if err := l.flushNames(all[i], &dirs); err != nil {
			return err
		}
		if err := st.Check(); err != nil {
			return err
		}
	}
	return nil
}

// writeTemp writes op's data to a temporary file and creates the
// directory of its final path.
func (l *Dir) writeTemp(op *Op, dirs *dirSet) (tmpFile, error) {
	path := l.path(op.Key)
	var suffix [12]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return tmpFile{}, err
	}
	if err := dirs.mkdirAll(l.r, TempDir); err != nil {
		return tmpFile{}, fmt.Errorf("writing %s: %w", op.Key, err)
	}
	tmp := filepath.Join(TempDir, hex.EncodeToString(suffix[:])+TempSuffix)
	f, err := l.r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, localFileMode)
	if err != nil {
		return tmpFile{}, fmt.Errorf("writing %s: %w", op.Key, err)
	}
	_, werr := f.Write(op.Data)
	if werr == nil && !syncFSAvailable {
		werr = f.Sync()
	}
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = l.r.Remove(tmp)
		return tmpFile{}, fmt.Errorf("writing %s: %w", op.Key, werr)
	}
	return tmpFile{op: op, tmp: tmp, path: path}, nil
}

// publish links the temporary file to its final name, create-only, then
// creates the op's alias as an empty file.
func (l *Dir) publish(t tmpFile, dirs *dirSet) error {
	err := l.retryMissingDir(t.path, dirs, func() error { return l.r.Link(t.tmp, t.path) })
	switch {
	case err == nil:
		t.op.Done = true
	case errors.Is(err, fs.ErrExist):
		t.op.Exists = true
		return nil
	default:
		var le *os.LinkError
		if errors.As(err, &le) {
			return fmt.Errorf("publishing %s (the store needs a filesystem with hard links for atomic create-only writes): %w", t.op.Key, err)
		}
		return fmt.Errorf("publishing %s: %w", t.op.Key, err)
	}
	if t.op.Alias != "" {
		alias := l.path(t.op.Alias)
		err := l.retryMissingDir(alias, dirs, func() error {
			f, err := l.r.OpenFile(alias, os.O_WRONLY|os.O_CREATE|os.O_EXCL, localFileMode)
			if err != nil {
				return err
			}
			if !syncFSAvailable {
				err = f.Sync()
			}
			return errors.Join(err, f.Close())
		})
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("publishing %s: %w", t.op.Alias, err)
		}
	}
	return nil
}

// retryMissingDir runs create in path's directory, making the directory
// first, and again if Cleanup removed it (empty) in between.
func (l *Dir) retryMissingDir(path string, dirs *dirSet, create func() error) error {
	for attempt := 0; ; attempt++ {
		if err := dirs.mkdirAll(l.r, filepath.Dir(path)); err != nil {
			return err
		}
		err := create()
		if errors.Is(err, fs.ErrNotExist) && attempt < 3 {
			continue
		}
		return err
	}
}

// flushData makes the data of every temporary file durable.
func (l *Dir) flushData(all [][]tmpFile) error {
	if !syncFSAvailable {
		return nil // each file was fsynced as it was written
	}
	n := 0
	for _, st := range all {
		n += len(st)
	}
	if n == 0 {
		return nil
	}
	return syncFS(l.root)
}

// flushNames makes the names published by one stage durable.
func (l *Dir) flushNames(files []tmpFile, dirs *dirSet) error {
	if len(files) == 0 {
		return nil
	}
	if syncFSAvailable {
		return syncFS(l.root)
	}
	seen := map[string]bool{}
	for _, t := range files {
		targets := dirs.syncTargets(filepath.Dir(t.path))
		if t.op.Alias != "" {
			targets = append(targets, dirs.syncTargets(filepath.Dir(l.path(t.op.Alias)))...)
		}
		for _, d := range targets {
			if seen[d] {
				continue
			}
			seen[d] = true
			if err := syncDir(l.r, d); err != nil {
				return fmt.Errorf("syncing directory %s: %w", filepath.Join(l.root, d), err)
			}
		}
	}
	return nil
}

// dirSet remembers the directories a commit created, whose parents must be
// synced for the new entries to survive a crash. Paths are relative to
// root; "." is root.
type dirSet struct {
	created map[string]bool
}

// mkdirAll creates dir, and its missing parents, in r.
func (d *dirSet) mkdirAll(r *os.Root, dir string) error {
	if _, err := r.Stat(dir); err == nil {
		return nil
	}
	// Record every missing ancestor below root, then create them.
	var missing []string
	for p := dir; p != "." && p != string(filepath.Separator); p = filepath.Dir(p) {
		if _, err := r.Stat(p); err == nil {
			break
		}
		missing = append(missing, p)
	}
	if err := r.MkdirAll(dir, DirMode); err != nil {
		return err
	}
	if d.created == nil {
		d.created = map[string]bool{}
	}
	for _, p := range missing {
		d.created[p] = true
	}
	return nil
}

// syncTargets lists dir and, for each directory this commit created on the
// way down to it, its parent.
func (d *dirSet) syncTargets(dir string) []string {
	out := []string{dir}
	for p := dir; d.created[p]; p = filepath.Dir(p) {
		out = append(out, filepath.Dir(p))
	}
	return out
}

// RemoveStaleTemps removes temporary files older than age: those of
// writes interrupted by a crash. Errors are ignored: a file left behind is
// removed by a later call.
//
// Only regular files of the temporary directory inside root are removed:
// a temporary directory that is a link out of root is not read, and a
// link inside it is not followed.
func (l *Dir) RemoveStaleTemps(age time.Duration) {
	entries, err := l.ReadDir(TempDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), TempSuffix) {
			continue
		}
		p := filepath.Join(TempDir, e.Name())
		if info, err := l.r.Lstat(p); err == nil && info.Mode().IsRegular() && time.Since(info.ModTime()) > age {
			_ = l.r.Remove(p)
		}
	}
}

// ReadDir reads the directory of the key prefix dir (relative to root,
// in slash form), sorted by name, without following a link out of root.
func (l *Dir) ReadDir(dir string) ([]fs.DirEntry, error) {
	name := l.path(strings.TrimSuffix(dir, "/"))
	if name == "" {
		name = "."
	}
	f, err := l.r.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
}

// Open opens the object key for reading, never through a link out of
// root.
func (l *Dir) Open(key string) (*os.File, error) {
	return l.r.Open(l.path(key))
}

// Remove removes the object key; a key already gone is not an error. It
// never removes a file outside root.
func (l *Dir) Remove(key string) error {
	err := l.r.Remove(l.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// RemoveEmptyDirs removes the directories of keys, and their parents up to
// (not including) the key prefix stop, when they are empty. Concurrent
// writers recreate a directory they need, so removal is safe.
func (l *Dir) RemoveEmptyDirs(keys []string, stop string) {
	stopPath := l.path(strings.TrimSuffix(stop, "/"))
	seen := map[string]bool{}
	for _, k := range keys {
		for d := filepath.Dir(l.path(k)); len(d) > len(stopPath) && strings.HasPrefix(d, stopPath) && !seen[d]; d = filepath.Dir(d) {
			seen[d] = true
			if l.r.Remove(d) != nil {
				break
			}
		}
	}
}

// Sync makes every write completed before the call durable, as Commit
// does for its own (on Linux, a flush shared with concurrent callers).
func (l *Dir) Sync() error { return syncFS(l.root) }
