// SPDX-License-Identifier: MPL-2.0

package cli

import (
	"errors"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// Exit codes. Each failure word of the store has its own code, so that a
// script can branch on it; a command run by exec exits with its own code.
const (
	ExitOK                    = 0
	ExitOther                 = 1 // any other failure: I/O, configuration, concurrent modification, ...
	ExitUsage                 = 2 // wrong command line or invalid input
	ExitNotFound              = 3 // not_found: no such secret, revision, key version or store
	ExitExpired               = 4 // expired: the secret's expiry has passed
	ExitKeyVersionUnavailable = 5 // key_version_unavailable: the record's key version is not in the keyring
	ExitIntegrity             = 6 // integrity: a tampered or corrupt object, a gap in the audit log; verify found damage
)

// Failure words, as the store names its errors.
const (
	wordNotFound              = "not_found"
	wordExpired               = "expired"
	wordKeyVersionUnavailable = "key_version_unavailable"
	wordIntegrity             = "integrity"
	wordUsage                 = "usage"
	wordOther                 = "error"
)

// exitCodes documents the codes in help and in the guide.
const exitCodes = `Exit codes:
  0  success
  1  error                    any other failure (I/O, configuration, concurrent modification)
  2  usage                    wrong command line or invalid input
  3  not_found                no such secret, revision, key version or store
  4  expired                  the secret's expiry has passed
  5  key_version_unavailable  the record's key version is not in the keyring
  6  integrity                a tampered or corrupt object or audit log; verify found damage
exec exits with the command's own exit code once the command has started.`

// usageError is a mistake on the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// exitStatus is an exit code decided by the command itself (exec's child,
// verify's finding), already reported.
type exitStatus struct{ code int }

func (e *exitStatus) Error() string { return "exit status" }

// classify maps an error to its failure word and exit code.
func classify(err error) (string, int) {
	var ue *usageError
	switch {
	case errors.As(err, &ue), errors.Is(err, backend.ErrInvalidArgument):
		return wordUsage, ExitUsage
	case errors.Is(err, backend.ErrNotFound):
		return wordNotFound, ExitNotFound
	case errors.Is(err, backend.ErrExpired):
		return wordExpired, ExitExpired
	case errors.Is(err, backend.ErrKeyVersionUnavailable):
		return wordKeyVersionUnavailable, ExitKeyVersionUnavailable
	case errors.Is(err, backend.ErrIntegrity):
		return wordIntegrity, ExitIntegrity
	}
	return wordOther, ExitOther
}
