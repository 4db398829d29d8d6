// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// errObjectNotFound is the objects layer's "no such key"; callers turn it
// into ErrNotFound or ErrIntegrity depending on what the key means.
var errObjectNotFound = errors.New("object not found")

// writeOp is one create-only write of a commit. After commit, Exists
// reports that the key was already taken (a lost compare-and-swap) and Done
// that this op created it.
type writeOp struct {
	Key  string
	Data []byte
	// Alias, when set, names an empty object created after Key succeeds:
	// the marker of a revision. An alias that already exists is not an
	// error.
	Alias string

	Exists bool
	Done   bool
}

// stage is a set of writes that become visible together: every object of
// a stage is durable before any object of the next stage becomes visible.
type stage struct {
	Ops []*writeOp
	// Strict stages must create every object; a key that already exists
	// aborts the commit with ErrConcurrentModification.
	Strict bool
}

// writer creates objects. Implementations: blobWriter (any bucket) and
// localWriter (file:// buckets opened by URL).
type writer interface {
	// commit writes the stages in order and returns the first error other
	// than a non-strict Exists. Nothing of a later stage is written once a
	// stage fails.
	commit(ctx context.Context, stages ...stage) error
}

// objects is the store's view of its bucket.
type objects struct {
	bucket *blob.Bucket
	w      writer
	conc   int
	// localRoot is the directory of a file:// store opened by URL.
	localRoot string
}

// localFiles returns, on a local store, the keys of the files directly in
// the directory dir (a key prefix ending in '/') whose names start with one
// of names, in ascending order, reading the directory once; ok is false on
// any other store. A directory that does not exist holds no file.
func (o *objects) localFiles(dir string, names []string) (keys []string, ok bool, err error) {
	if o.localRoot == "" {
		return nil, false, nil
	}
	entries, err := os.ReadDir(filepath.Join(o.localRoot, filepath.FromSlash(dir)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, true, nil
	}
	if err != nil {
		return nil, true, fmt.Errorf("listing %s: %w", dir, err)
	}
	for _, e := range entries {
		if e.IsDir() || !e.Type().IsRegular() {
			continue
		}
		for _, n := range names {
			if strings.HasPrefix(e.Name(), n) {
				keys = append(keys, dir+e.Name())
				break
			}
		}
	}
	return keys, true, nil
}

// subdirs returns the names of the "directories" directly under prefix
// (which ends with '/'), in no particular order. On a local directory it
// reads the directory itself: fileblob answers a delimiter listing by
// walking every file below the prefix.
func (o *objects) subdirs(ctx context.Context, prefix string) ([]string, error) {
	var out []string
	if o.localRoot != "" {
		entries, err := os.ReadDir(filepath.Join(o.localRoot, filepath.FromSlash(prefix)))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", prefix, err)
		}
		for _, e := range entries {
			if e.IsDir() {
				out = append(out, e.Name())
			}
		}
		return out, nil
	}
	var token []byte
	for {
		objs, next, err := o.listPage(ctx, prefix, "/", token, 1000)
		if err != nil {
			return nil, err
		}
		for _, obj := range objs {
			if obj.IsDir {
				out = append(out, strings.TrimSuffix(strings.TrimPrefix(obj.Key, prefix), "/"))
			}
		}
		if len(next) == 0 {
			return out, nil
		}
		token = next
	}
}

// maxObjectLen bounds every read: no stored object of this format is
// larger, so a bigger one is corrupt and never read whole.
const maxObjectLen = 256 << 10

// get reads key, refusing objects over limit bytes with ErrIntegrity.
func (o *objects) get(ctx context.Context, key string, limit int) ([]byte, error) {
	r, err := o.bucket.NewReader(ctx, key, nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, errObjectNotFound
		}
		return nil, fmt.Errorf("reading %s: %w", key, err)
	}
	defer r.Close()
	if r.Size() > int64(limit) {
		return nil, fmt.Errorf("object %s is %d bytes, more than any valid object (%d): %w", key, r.Size(), limit, ErrIntegrity)
	}
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", key, err)
	}
	if len(b) > limit {
		return nil, fmt.Errorf("object %s is more than %d bytes: %w", key, limit, ErrIntegrity)
	}
	return b, nil
}

// listPage lists one page of keys under prefix.
func (o *objects) listPage(ctx context.Context, prefix, delim string, token []byte, size int) ([]*blob.ListObject, []byte, error) {
	if len(token) == 0 {
		token = blob.FirstPageToken
	}
	for attempt := 0; ; attempt++ {
		objs, next, err := o.bucket.ListPage(ctx, token, size, &blob.ListOptions{Prefix: prefix, Delimiter: delim})
		// fileblob fails a listing when a file it has just seen is
		// deleted (by Cleanup, or a withdrawn event) before it stats it;
		// listing again sees a consistent directory.
		if err != nil && gcerrors.Code(err) == gcerrors.NotFound && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("listing %s: %w", prefix, err)
		}
		return objs, next, nil
	}
}

// delete removes key; a key already gone is not an error.
func (o *objects) delete(ctx context.Context, key string) error {
	err := o.bucket.Delete(ctx, key)
	if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("deleting %s: %w", key, err)
	}
	return nil
}

// deleteAll removes keys with bounded concurrency, in no particular order.
func (o *objects) deleteAll(ctx context.Context, keys []string) error {
	return forEach(ctx, o.conc, len(keys), func(ctx context.Context, i int) error {
		return o.delete(ctx, keys[i])
	})
}

// commit writes stages through the store's writer.
func (o *objects) commit(ctx context.Context, stages ...stage) error {
	return o.w.commit(ctx, stages...)
}

// blobWriter writes create-only through the portable blob API. Cloud
// drivers and memblob enforce IfNotExist atomically; Open probes that the
// bucket does.
type blobWriter struct {
	bucket *blob.Bucket
	conc   int
}

func (w *blobWriter) put(ctx context.Context, key string, data []byte) (exists bool, err error) {
	bw, err := w.bucket.NewWriter(ctx, key, &blob.WriterOptions{
		IfNotExist:                  true,
		ContentType:                 "application/octet-stream",
		DisableContentTypeDetection: true,
	})
	if err != nil {
		return false, fmt.Errorf("writing %s: %w", key, err)
	}
	if _, err := bw.Write(data); err != nil {
		_ = bw.Close()
		return false, fmt.Errorf("writing %s: %w", key, err)
	}
	if err := bw.Close(); err != nil {
		if gcerrors.Code(err) == gcerrors.FailedPrecondition {
			return true, nil
		}
		return false, fmt.Errorf("writing %s: %w", key, err)
	}
	return false, nil
}

func (w *blobWriter) commit(ctx context.Context, stages ...stage) error {
	for _, st := range stages {
		err := forEach(ctx, w.conc, len(st.Ops), func(ctx context.Context, i int) error {
			op := st.Ops[i]
			exists, err := w.put(ctx, op.Key, op.Data)
			if err != nil {
				return err
			}
			if exists {
				op.Exists = true
				return nil
			}
			op.Done = true
			if op.Alias != "" {
				if _, err := w.put(ctx, op.Alias, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := strictCheck(st); err != nil {
			return err
		}
	}
	return nil
}

func strictCheck(st stage) error {
	if !st.Strict {
		return nil
	}
	for _, op := range st.Ops {
		if op.Exists {
			return fmt.Errorf("object %s already exists: %w", op.Key, ErrConcurrentModification)
		}
	}
	return nil
}

// forEach runs fn for 0..n-1 with at most conc calls in flight and returns
// the first error; after an error no new call starts.
func forEach(ctx context.Context, conc, n int, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return nil
	}
	if conc < 1 {
		conc = 1
	}
	if conc > n {
		conc = n
	}
	if conc == 1 {
		for i := 0; i < n; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(ctx, i); err != nil {
				return err
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error
		next  int
		wg    sync.WaitGroup
	)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if first != nil || next >= n {
					mu.Unlock()
					return
				}
				i := next
				next++
				mu.Unlock()
				if err := fn(ctx, i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
						cancel()
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
