// SPDX-License-Identifier: MPL-2.0

//go:build !linux && !windows

package createonly

import "os"

// syncFSAvailable is false: files and directories are fsynced one by one.
const syncFSAvailable = false

func syncFS(string) error { return nil }

// syncDir fsyncs the directory dir of r so that entries created in it
// survive a crash.
func syncDir(r *os.Root, dir string) error {
	f, err := r.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
