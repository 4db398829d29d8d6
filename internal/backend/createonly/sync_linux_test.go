// SPDX-License-Identifier: MPL-2.0

//go:build linux

package createonly

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSyncFSGroupCommit checks that concurrent flushes of one root share
// syncfs calls, and that every caller returns only after a flush that
// started after it was called.
func TestSyncFSGroupCommit(t *testing.T) {
	root := t.TempDir()
	var calls atomic.Int64
	var mu sync.Mutex
	var starts []time.Time // start time of each flush, in order
	orig := syncfsImpl
	syncfsImpl = func(r string) error {
		calls.Add(1)
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		return orig(r)
	}
	t.Cleanup(func() { syncfsImpl = orig })

	const callers = 40
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			called := time.Now()
			if err := syncFS(root); err != nil {
				errs <- err
				return
			}
			// Some flush must have started at or after the call.
			mu.Lock()
			defer mu.Unlock()
			last := starts[len(starts)-1]
			if last.Before(called) {
				t.Errorf("syncFS returned without a flush started after the call")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := calls.Load(); n == 0 || n >= callers {
		t.Fatalf("%d callers made %d syncfs calls; want between 1 and %d", callers, n, callers-1)
	}
	t.Logf("%d callers, %d syncfs calls", callers, calls.Load())
}
