// SPDX-License-Identifier: MPL-2.0

//go:build windows

package createonly

import "os"

// syncFSAvailable is false: files are fsynced one by one.
const syncFSAvailable = false

func syncFS(string) error { return nil }

// syncDir does nothing: Windows cannot open a directory for FlushFileBuffers
// through the os package, and NTFS journals directory entries itself.
func syncDir(*os.Root, string) error { return nil }
