package backend

import (
	"context"
	"fmt"
)

// Wrap budget. AES-GCM with random 96-bit nonces is safe for at most 2^32
// encryptions under one key (NIST SP 800-38D §8.3); every data key wrapped
// under a key version is one. Counting them exactly would need a shared
// counter, which immutable objects cannot be, so wraps are reserved in
// blocks: before wrapping, a Store claims the next block of wrapBlockSize
// wraps with a create-only object v1/w/<ver>/b<inv block>, and refuses with
// ErrWrapLimit once the next block would pass wrapLimit (2^31, half the
// NIST bound). Unused parts of a block are simply lost, so the count is an
// upper bound: a run that writes one secret uses one block, allowing over
// half a million runs per version. Claiming costs one LIST and one write
// per block.
const (
	wrapBlockSize = 4096
	wrapLimit     = 1 << 31
	maxWrapBlocks = wrapLimit / wrapBlockSize
)

type wrapBudget struct{ left int }

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
		if err := s.obj.commit(ctx, stage{Ops: []*writeOp{op}}); err != nil {
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
