// SPDX-License-Identifier: MPL-2.0

package secretstore

import (
	"bytes"
	"context"
	"fmt"
	"strings"
)

// EnvError reports an environment variable ResolveEnv could not resolve.
// It names the variable and its reference, never a value; Err is the
// reason (wrapping ErrNotFound, ErrExpired, ErrInvalidArgument...).
type EnvError struct {
	Variable  string // the variable's name
	Reference string // the variable's value: the reference as written
	Err       error
}

func (e *EnvError) Error() string {
	return fmt.Sprintf("environment variable %s (%s): %v", e.Variable, e.Reference, e.Err)
}

// Unwrap returns Err.
func (e *EnvError) Unwrap() error { return e.Err }

// ResolveEnv returns a copy of environ (a list of "NAME=VALUE" entries, as
// os.Environ returns) in which every variable whose value is a reference
// (ParseReference: "secretstore:NAMESPACE/NAME" or
// "secretstore:NAMESPACE/NAME#REVISION") has the secret's value instead.
// Other entries, including those without '=', are copied unchanged, and
// order is kept. Each distinct reference is read once (and audited once
// with Config.AuditReads).
//
// It fails on the first variable that cannot be resolved, with an
// *EnvError naming the variable and its reference: a malformed reference
// (ErrInvalidArgument), the errors of Get and GetRevision, and a value
// that contains a NUL byte, which no environment can carry
// (ErrInvalidArgument). It then returns nil, and no error message contains
// a value.
func (s *Store) ResolveEnv(ctx context.Context, environ []string) ([]string, error) {
	out := make([]string, len(environ))
	cache := map[Reference]string{}
	for i, kv := range environ {
		out[i] = kv
		name, value, found := strings.Cut(kv, "=")
		if !found {
			continue
		}
		ref, ok, err := ParseReference(value)
		if !ok {
			continue
		}
		if err != nil {
			return nil, &EnvError{Variable: name, Reference: value, Err: err}
		}
		resolved, done := cache[ref]
		if !done {
			resolved, err = s.resolve(ctx, ref)
			if err != nil {
				return nil, &EnvError{Variable: name, Reference: value, Err: err}
			}
			cache[ref] = resolved
		}
		out[i] = name + "=" + resolved
	}
	return out, nil
}

// resolve reads the value ref names as a string fit for an environment.
func (s *Store) resolve(ctx context.Context, ref Reference) (string, error) {
	var sec *Secret
	var err error
	if ref.Revision == 0 {
		sec, err = s.Get(ctx, ref.Namespace, ref.Name)
	} else {
		sec, err = s.GetRevision(ctx, ref.Namespace, ref.Name, ref.Revision)
	}
	if err != nil {
		return "", err
	}
	defer clear(sec.Value)
	if bytes.IndexByte(sec.Value, 0) >= 0 {
		return "", fmt.Errorf("the value of %s contains a NUL byte, which an environment variable cannot hold: %w", sec, ErrInvalidArgument)
	}
	return string(sec.Value), nil
}
