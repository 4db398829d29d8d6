//go:build linux

package backend

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// syncFSAvailable: on Linux one syncfs(2) makes every dirty file, name and
// directory of the filesystem durable, so a group of objects costs one
// flush instead of an fsync per file and directory.
const syncFSAvailable = true

// syncFS flushes the filesystem holding root.
func syncFS(root string) error {
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

func syncDir(dir string) error { return fsyncPath(dir) }

func fsyncPath(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
