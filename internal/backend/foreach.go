// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"sync"
)

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
