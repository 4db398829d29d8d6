// SPDX-License-Identifier: MPL-2.0

//go:build linux

package createonly

import (
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// syncFSAvailable: on Linux one syncfs(2) makes every dirty file, name and
// directory of the filesystem durable, so a group of objects costs one
// flush instead of an fsync per file and directory.
const syncFSAvailable = true

// syncGroups coalesces concurrent syncFS calls on one root (group commit):
// terraform applies up to ten resources at once through one provider
// process, and each of them would otherwise flush the whole filesystem on
// its own.
var syncGroups sync.Map // root -> *syncGroup

// syncGroup serialises syncfs calls on one root. A caller needs a flush
// that starts after its own writes completed; a flush already running may
// have started before them, so the caller waits for the next one, which
// then serves every caller that queued meanwhile.
type syncGroup struct {
	mu      sync.Mutex
	cond    *sync.Cond
	started uint64 // sequence number of the newest flush started
	done    uint64 // sequence number of the newest flush finished
	running bool
	err     error // result of flush number done
}

// syncFS makes every write completed before the call durable on the
// filesystem holding root.
func syncFS(root string) error {
	v, _ := syncGroups.LoadOrStore(root, &syncGroup{})
	g := v.(*syncGroup) //nolint:forcetypeassert // syncGroups stores *syncGroup values only
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cond == nil {
		g.cond = sync.NewCond(&g.mu)
	}
	need := g.started + 1
	for g.done < need {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.started++
		seq := g.started
		g.running = true
		g.mu.Unlock()
		err := syncfsImpl(root)
		g.mu.Lock()
		g.running = false
		g.done, g.err = seq, err
		g.cond.Broadcast()
	}
	// Any flush numbered need or later started after this caller's writes;
	// the newest one's result is the one that counts.
	return g.err
}

// syncfsImpl is the flush syncFS coalesces; tests replace it.
var syncfsImpl = syncfsOnce

// syncfsOnce flushes the filesystem holding root.
func syncfsOnce(root string) error {
	d, err := os.Open(root)
	if err != nil {
		return fmt.Errorf("syncing %s: %w", root, err)
	}
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		return fmt.Errorf("syncing %s: %w", root, err)
	}
	return nil
}

// syncDir fsyncs the directory dir of r.
func syncDir(r *os.Root, dir string) error {
	f, err := r.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// ReplaceFlush replaces, for tests of packages built on Dir, the flush that
// syncFS coalesces (syncfs(2)), and returns the flush it replaced; pass that
// back to restore it. It is not safe to call while a Dir is in use.
func ReplaceFlush(f func(root string) error) (previous func(root string) error) {
	previous, syncfsImpl = syncfsImpl, f
	return previous
}
