// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// blobWriter writes create-only through the portable blob API. Cloud
// drivers and memblob enforce IfNotExist atomically; each Store probes that
// the bucket does before its first write.
//
// A cloud service may perform a write and lose its response; the SDK then
// retries the request, and the retry finds the key taken
// (FailedPrecondition). A taken key whose object is, byte for byte, the
// data being written is therefore this write's own object (see
// createonly.Op: data that is not empty is unique to its Op).
type blobWriter struct {
	bucket *blob.Bucket
	conc   int
}

// put creates key with data; exists reports that the key was taken by
// another writer.
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
			own, err := w.isOwn(ctx, key, data)
			return !own, err
		}
		return false, fmt.Errorf("writing %s: %w", key, err)
	}
	return false, nil
}

// isOwn reports whether the object at key, found taken by a create-only
// write of data, is that write's own: data is not empty and the object
// holds exactly data. An empty object proves nothing (every writer of
// that key writes the same). An object gone again by now was someone
// else's (this write would not have deleted it).
func (w *blobWriter) isOwn(ctx context.Context, key string, data []byte) (bool, error) {
	if len(data) == 0 {
		return false, nil
	}
	r, err := w.bucket.NewReader(ctx, key, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("writing %s: reading back the object found in its place: %w", key, err)
	}
	defer r.Close()
	if r.Size() != int64(len(data)) {
		return false, nil
	}
	got, err := io.ReadAll(io.LimitReader(r, int64(len(data))+1))
	if err != nil {
		return false, fmt.Errorf("writing %s: reading back the object found in its place: %w", key, err)
	}
	return bytes.Equal(got, data), nil
}

// Commit writes the stages in order (see createonly.Writer), the ops of a
// stage concurrently.
func (w *blobWriter) Commit(ctx context.Context, stages ...stage) error {
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
		if err := st.Check(); err != nil {
			return err
		}
	}
	return nil
}
