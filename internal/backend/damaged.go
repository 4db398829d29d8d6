// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"fmt"
	"strings"
)

// DamagedSecretsError is returned, together with a complete result for
// every other secret, by the operations that go through many secrets
// (List, PlanRotate, PlanCleanup, KeyVersions' counts) when some secrets'
// stored state could not be used: a tampered or corrupt record, or a key
// version that is unavailable. Those secrets are left out of the result.
// It unwraps to the first secret's error (ErrIntegrity or
// ErrKeyVersionUnavailable).
type DamagedSecretsError struct {
	Secrets []string // "namespace/name" of each secret left out, in listing order
	Err     error    // the first secret's error
}

func (e *DamagedSecretsError) Error() string {
	names := e.Secrets
	more := ""
	if len(names) > 10 {
		names, more = names[:10], fmt.Sprintf(" and %d more", len(e.Secrets)-10)
	}
	return fmt.Sprintf("%d secret(s) were left out because their stored state could not be used (%s%s); the first: %v",
		len(e.Secrets), strings.Join(names, ", "), more, e.Err)
}

// Unwrap returns the first secret's error.
func (e *DamagedSecretsError) Unwrap() error { return e.Err }

// damageLog collects the secrets an operation leaves out. It is not safe
// for concurrent use.
type damageLog struct {
	secrets []string
	first   error
}

// add records err against secret ns/name when it is the secret's damage
// (secretDamage) and reports whether it did; other errors are the
// caller's.
func (d *damageLog) add(ns, name string, err error) bool {
	if !secretDamage(err) {
		return false
	}
	d.secrets = append(d.secrets, secretRef(ns, name))
	if d.first == nil {
		d.first = err
	}
	return true
}

// err is the *DamagedSecretsError of what was recorded, or nil.
func (d *damageLog) err() error {
	if len(d.secrets) == 0 {
		return nil
	}
	return &DamagedSecretsError{Secrets: d.secrets, Err: d.first}
}
