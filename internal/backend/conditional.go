// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
)

// checkExpected applies a write's IfRevision > 0 to the secret's current
// revision: nil when the write may go on top of it. A current revision
// older than expected is a *RollbackError; a newer one is
// ErrConcurrentModification unless allowRotations is set and every
// revision since the expected one is a key rotation.
func (s *Store) checkExpected(ctx context.Context, ns, name string, cur *currentRevision, expected int64, allowRotations bool) error {
	ref := secretRef(ns, name)
	switch {
	case expected <= 0 || cur.rev == expected:
		return nil
	case cur.rev < expected:
		return &RollbackError{Namespace: ns, Name: name, Recorded: expected, Current: cur.rev}
	case !allowRotations, cur.err != nil:
		// A current revision that does not verify cannot be shown to be
		// a rotation.
		return fmt.Errorf("secret %s is at revision %d, not the expected %d: %w", ref, cur.rev, expected, ErrConcurrentModification)
	}
	rotated, err := s.onlyRotatedSince(ctx, ns, name, expected, cur)
	if err != nil {
		return err
	}
	if !rotated {
		return fmt.Errorf("secret %s is at revision %d, not the expected %d, and the revisions since are not only key rotations: %w", ref, cur.rev, expected, ErrConcurrentModification)
	}
	return nil
}

// onlyRotatedSince reports whether every revision after from, up to the
// current one, is a key rotation. The records tell: a rotation keeps the
// value ciphertext byte for byte and the authenticated creation and update
// times, metadata and expiry, and it is never a tombstone. Revisions
// purged in between are passed over. When revision from itself can no
// longer be read (purged, or its key version gone), the audit log tells
// instead (see onlyRotatedSinceAudit). cur is a verified current revision.
func (s *Store) onlyRotatedSince(ctx context.Context, ns, name string, from int64, cur *currentRevision) (bool, error) {
	ref := secretRef(ns, name)
	base, err := s.readVerified(ctx, ns, name, from)
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrKeyVersionUnavailable):
		return s.onlyRotatedSinceAudit(ctx, ns, name, from, cur.rev)
	case err != nil:
		return false, err
	case base.hdr.Tombstone:
		return false, nil
	}
	for rev := from + 1; rev <= cur.rev; rev++ {
		r := revisionRecord{rec: cur.rec, hdr: cur.hdr}
		if rev < cur.rev {
			r, err = s.readVerified(ctx, ns, name, rev)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return false, fmt.Errorf("secret %s: %w", ref, err)
			}
		}
		if !sameContent(&base, &r) {
			return false, nil
		}
	}
	return true, nil
}

// sameContent reports whether b holds a's value, metadata and expiry, as a
// key rotation of a does.
func sameContent(a, b *revisionRecord) bool {
	ha, hb := &a.hdr, &b.hdr
	return !hb.Tombstone && ha.CreatedAt == hb.CreatedAt && ha.UpdatedAt == hb.UpdatedAt &&
		ha.ExpiresAt == hb.ExpiresAt && maps.Equal(ha.Metadata, hb.Metadata) &&
		bytes.Equal(a.rec.Ciphertext, b.rec.Ciphertext)
}

// onlyRotatedSinceAudit reports whether the audit log records a rotation
// for every revision after from, up to to, and no other revision write.
func (s *Store) onlyRotatedSinceAudit(ctx context.Context, ns, name string, from, to int64) (bool, error) {
	page, err := s.ListEvents(ctx, EventFilter{
		Namespace: ns, Name: name, Operations: []string{OpCreated, OpUpdated, OpDeleted, OpRotated},
		Descending: true, Limit: int(min(to-from, MaxEventLimit-1)) + 1,
	})
	if err != nil {
		return false, err
	}
	seen := map[int64]bool{}
	for _, ev := range page.Events {
		if ev.Revision <= from || ev.Revision > to {
			continue
		}
		if ev.Operation != OpRotated {
			return false, nil
		}
		seen[ev.Revision] = true
	}
	return int64(len(seen)) == to-from, nil
}
