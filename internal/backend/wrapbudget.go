// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"fmt"
)

// The wrap budget of a key version (see the package documentation): wraps
// are reserved in blocks of wrapBlockSize, claimed with create-only
// objects, up to wrapLimit.
const (
	wrapBlockSize = 4096
	wrapLimit     = 1 << 31
	maxWrapBlocks = wrapLimit / wrapBlockSize
)

// wrapBudget is the unused part of the blocks this Store claimed for one
// key version.
type wrapBudget struct{ left int }

// reserveWraps reserves n wraps under key version v, claiming blocks as
// needed; ErrWrapLimit once the next block would pass wrapLimit.
func (s *Store) reserveWraps(ctx context.Context, v, n int) error {
	s.wrapMu.Lock()
	defer s.wrapMu.Unlock()
	b := s.wraps[v]
	if b == nil {
		b = &wrapBudget{}
		s.wraps[v] = b
	}
	for attempt := 0; b.left < n; attempt++ {
		if attempt > 100 {
			return fmt.Errorf("claiming a wrap block of key version %d: %w", v, ErrConcurrentModification)
		}
		next, err := s.nextWrapBlock(ctx, v)
		if err != nil {
			return err
		}
		if next >= maxWrapBlocks {
			return fmt.Errorf("key version %d has wrapped up to %d data keys, the limit set for AES-GCM with random nonces under one key; create a new key version and rotate: %w", v, next*wrapBlockSize, ErrWrapLimit)
		}
		op := &writeOp{Key: wrapBlockKey(v, next)}
		if err := s.obj().commit(ctx, stage{Ops: []*writeOp{op}}); err != nil {
			return fmt.Errorf("claiming a wrap block of key version %d: %w", v, err)
		}
		if op.Done {
			b.left += wrapBlockSize
		}
	}
	b.left -= n
	return nil
}

// nextWrapBlock is the number of the next unclaimed block of version v.
func (s *Store) nextWrapBlock(ctx context.Context, v int) (int64, error) {
	key, found, err := s.firstKey(ctx, wrapDir(v), 4, func(k string) bool { _, ok := parseWrapBlockKey(v, k); return ok })
	if err != nil {
		return 0, fmt.Errorf("reading the wrap budget of key version %d: %w", v, err)
	}
	if !found {
		return 0, nil
	}
	n, _ := parseWrapBlockKey(v, key)
	return n + 1, nil
}

// wrapsReserved is the upper bound of data keys wrapped under version v.
func (s *Store) wrapsReserved(ctx context.Context, v int) (int64, error) {
	n, err := s.nextWrapBlock(ctx, v)
	return n * wrapBlockSize, err
}
