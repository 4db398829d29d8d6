// SPDX-License-Identifier: MPL-2.0

//go:build unix

package cli

import (
	"os"
	"os/exec"
	"syscall"
)

// forwardedSignals are passed on to exec's command.
var forwardedSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// signalNumber is the signal that ended the command, as a shell reports it.
func signalNumber(ee *exec.ExitError) int {
	if st, ok := ee.Sys().(syscall.WaitStatus); ok && st.Signaled() {
		return int(st.Signal())
	}
	return 0
}
