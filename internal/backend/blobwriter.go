// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"fmt"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

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
