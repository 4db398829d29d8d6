// SPDX-License-Identifier: MPL-2.0

//go:build !unix

package cli

import (
	"os"
	"os/exec"
)

// forwardedSignals are passed on to exec's command.
var forwardedSignals = []os.Signal{os.Interrupt}

// signalNumber is 0 where exit statuses carry no signal.
func signalNumber(*exec.ExitError) int { return 0 }
