// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"fmt"

	"gocloud.dev/gcerrors"
)

// probe checks that the bucket refuses a second create-only write of one
// key: it writes a probe object twice and deletes it (three requests).
// prepareWrite runs it once per Store, before the Store's first write, so
// that a plan or a read never writes. It runs on every Store that writes,
// not only on the one that creates the store: conditional writes are a
// property of the service behind the bucket, which can change under an
// existing store (a store copied to another S3-compatible service, a
// proxy or gateway put in front of it). A bucket without write permission
// is not probed: any write will fail anyway.
func (s *Store) probe(ctx context.Context) error {
	key := prefixProbe + randomID(8)
	first := &writeOp{Key: key, Data: []byte("probe")}
	if err := s.obj().commit(ctx, stage{Ops: []*writeOp{first}}); err != nil {
		if gcerrors.Code(err) == gcerrors.PermissionDenied {
			return nil
		}
		return fmt.Errorf("probing the bucket: %w", err)
	}
	defer func() { _ = s.obj().delete(context.WithoutCancel(ctx), key) }()
	// The second write carries no data: a refused write of empty data is
	// never taken for the writer's own (see blobWriter), so the probe
	// costs no read.
	second := &writeOp{Key: key}
	if err := s.obj().commit(ctx, stage{Ops: []*writeOp{second}}); err != nil {
		return fmt.Errorf("probing the bucket: %w", err)
	}
	if !first.Done || !second.Exists {
		return fmt.Errorf("%w: a second create-only write of %s succeeded, so this bucket (or the S3-compatible service behind it) ignores conditional writes (If-None-Match) and concurrent runs could silently overwrite each other; use a service that supports them", ErrConditionalWritesUnsupported, key)
	}
	return nil
}
