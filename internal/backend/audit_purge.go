// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"strconv"

	"gocloud.dev/blob"
)

// countOldEvents counts events older than cutoff from the operation index,
// which holds every event exactly once.
func (s *Store) countOldEvents(ctx context.Context, cutoff int64) (int, error) {
	n := 0
	err := s.obj().eachKey(ctx, prefixAuditO, func(o *blob.ListObject) error {
		if it, ok := parseAuditKey(o.Key); ok && it.Max < cutoff {
			n += it.Count
		}
		return nil
	})
	return n, err
}

// purgeEvents deletes every audit entry older than cutoff, after writing
// one `purged` event with the count.
func (s *Store) purgeEvents(ctx context.Context, cutoff int64) (int, error) {
	n, err := s.countOldEvents(ctx, cutoff)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		ev := Event{Operation: OpPurged, Reason: ReasonAuditCleanup, Metadata: map[string]string{"count": strconv.Itoa(n)}}
		if err := s.appendEvents(ctx, []Event{ev}); err != nil {
			return 0, err
		}
		if err := s.recordPurge(ctx, cutoff); err != nil {
			return 0, err
		}
	}
	var keys []string
	err = s.obj().eachKey(ctx, prefixAudit, func(o *blob.ListObject) error {
		if it, ok := parseAuditKey(o.Key); ok && it.Max < cutoff {
			keys = append(keys, o.Key)
		}
		if len(keys) >= 1000 {
			err := s.obj().deleteAll(ctx, keys)
			keys = keys[:0]
			return err
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if err := s.obj().deleteAll(ctx, keys); err != nil {
		return 0, err
	}
	return n, nil
}
