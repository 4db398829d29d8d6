// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend/createonly"
)

// errObjectNotFound is the objects layer's "no such key"; callers turn it
// into ErrNotFound or ErrIntegrity depending on what the key means.
var errObjectNotFound = errors.New("object not found")

// writeOp is one create-only write of a commit; the Alias of a revision
// record is its marker.
type writeOp = createonly.Op

// stage is a set of writes that become visible together.
type stage = createonly.Stage

// objects is the store's view of its bucket.
type objects struct {
	bucket *blob.Bucket
	// w creates objects: a *createonly.Dir for file:// buckets opened by
	// URL, else a blobWriter.
	w    createonly.Writer
	conc int
	// local is the directory of a file:// store opened by URL: its
	// directory reads and deletions go through it, confined to the
	// store's directory (see createonly.Dir).
	local *createonly.Dir
}

// localFiles returns, on a local store, the keys of the files directly in
// the directory dir (a key prefix ending in '/') whose names start with one
// of names, in ascending order, reading the directory once; ok is false on
// any other store. A directory that does not exist holds no file.
func (o *objects) localFiles(dir string, names []string) (keys []string, ok bool, err error) {
	if o.local == nil {
		return nil, false, nil
	}
	entries, err := o.local.ReadDir(dir)
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
	if o.local != nil {
		entries, err := o.local.ReadDir(prefix)
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
	l := o.list(prefix, "/", 1000)
	for {
		obj, err := l.next(ctx)
		if err != nil {
			return nil, err
		}
		if obj == nil {
			return out, nil
		}
		if obj.IsDir {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(obj.Key, prefix), "/"))
		}
	}
}

// maxObjectLen bounds every read: no stored object of this format is
// larger, so a bigger one is corrupt and never read whole.
const maxObjectLen = 256 << 10

// get reads key, refusing objects over limit bytes with ErrIntegrity. A
// local store reads the file itself, never through a link out of its
// directory. A missing key is errObjectNotFound, or ErrUnreadableObject
// when the bucket still describes it (see notFound): use get for keys a
// listing showed, getUnlisted for keys that may well not exist.
func (o *objects) get(ctx context.Context, key string, limit int) ([]byte, error) {
	b, err := o.getUnlisted(ctx, key, limit)
	if errors.Is(err, errObjectNotFound) && o.local == nil {
		return nil, o.notFound(ctx, key)
	}
	return b, err
}

// getUnlisted is get without the second look at a missing key: a missing
// key is always errObjectNotFound, at no extra request.
func (o *objects) getUnlisted(ctx context.Context, key string, limit int) ([]byte, error) {
	var r io.ReadCloser
	var size int64
	if o.local != nil {
		f, err := o.local.Open(key)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errObjectNotFound
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", key, err)
		}
		fi, err := f.Stat()
		if err == nil && !fi.Mode().IsRegular() {
			err = fmt.Errorf("not a regular file: %w", ErrIntegrity)
		}
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("reading %s: %w", key, err)
		}
		r, size = f, fi.Size()
	} else {
		br, err := o.bucket.NewReader(ctx, key, nil)
		if err != nil {
			if gcerrors.Code(err) == gcerrors.NotFound {
				return nil, errObjectNotFound
			}
			return nil, fmt.Errorf("reading %s: %w", key, err)
		}
		r, size = br, br.Size()
	}
	defer r.Close()
	if size > int64(limit) {
		return nil, fmt.Errorf("object %s is %d bytes, more than any valid object (%d): %w", key, size, limit, ErrIntegrity)
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

// notFound is the error of a read of key that the bucket answered with
// not found: errObjectNotFound when the object is indeed gone (deleted
// since it was listed, by a race or a cleanup), ErrUnreadableObject when
// the bucket still reports its attributes. The second answer is not a
// race but a bucket that serves metadata and contents from different
// places, such as fake-gcs-server started without a public host matching
// the host it is reached at. It costs one request, only when a read
// finds nothing.
func (o *objects) notFound(ctx context.Context, key string) error {
	if _, err := o.bucket.Attributes(ctx, key); err == nil {
		return fmt.Errorf("the bucket lists object %s and returns its attributes, but reading it returns not found: %w", key, ErrUnreadableObject)
	}
	return errObjectNotFound
}

// delete removes key; a key already gone is not an error.
func (o *objects) delete(ctx context.Context, key string) error {
	if o.local != nil {
		if err := o.local.Remove(key); err != nil {
			return fmt.Errorf("deleting %s: %w", key, err)
		}
		return nil
	}
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

// commit writes stages through the store's writer. A strict stage that
// finds a key taken is ErrConcurrentModification.
func (o *objects) commit(ctx context.Context, stages ...stage) error {
	err := o.w.Commit(ctx, stages...)
	var exists *createonly.ExistsError
	if errors.As(err, &exists) {
		return fmt.Errorf("%w: %w", exists, ErrConcurrentModification)
	}
	return err
}
