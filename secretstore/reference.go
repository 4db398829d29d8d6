// SPDX-License-Identifier: MPL-2.0

package secretstore

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// ReferencePrefix begins every reference.
const ReferencePrefix = "secretstore:"

// Reference names a secret, and optionally one of its revisions, in a
// string that can stand in for the value, for example in an environment
// variable:
//
//	secretstore:NAMESPACE/NAME
//	secretstore:NAMESPACE/NAME#REVISION
//
// such as "secretstore:acme:production/OPENAI_API_KEY" or
// "secretstore:acme:production/OPENAI_API_KEY#3".
//
// The syntax is unambiguous because of the store's name rules: a
// namespace (letters, digits, '-', '_', '.', ':') never contains '/', so
// the namespace is everything before the first '/', and a name never
// contains '/' either. The revision begins at the first '#' after the '/',
// so a secret whose name contains '#' (which the store allows) cannot be
// referenced. REVISION is a decimal number from 1, without sign or leading
// zeros.
type Reference struct {
	Namespace string
	Name      string
	Revision  int64 // 0: the current revision
}

// String returns the reference in the form ParseReference reads.
func (r Reference) String() string {
	s := ReferencePrefix + r.Namespace + "/" + r.Name
	if r.Revision != 0 {
		s += "#" + strconv.FormatInt(r.Revision, 10)
	}
	return s
}

// ParseReference parses a reference (see Reference). It returns ok false,
// and no error, when s does not begin with "secretstore:" (the prefix is
// case-sensitive and nothing is trimmed): s is then an ordinary value. A
// string with the prefix that is not a valid reference is an error wrapping
// ErrInvalidArgument that says what is wrong; the error quotes s, which is
// a reference and not a value.
func ParseReference(s string) (ref Reference, ok bool, err error) {
	rest, ok := strings.CutPrefix(s, ReferencePrefix)
	if !ok {
		return Reference{}, false, nil
	}
	fail := func(format string, args ...any) (Reference, bool, error) {
		return Reference{}, true, fmt.Errorf("reference %q: %s (the form is %sNAMESPACE/NAME or %sNAMESPACE/NAME#REVISION): %w",
			s, fmt.Sprintf(format, args...), ReferencePrefix, ReferencePrefix, ErrInvalidArgument)
	}
	ns, nameRev, found := strings.Cut(rest, "/")
	if !found {
		return fail("it has no '/' between namespace and name")
	}
	name, rev, hasRev := strings.Cut(nameRev, "#")
	if err := backend.ValidateNamespace(ns); err != nil {
		return fail("%v", err)
	}
	if err := backend.ValidateName(name); err != nil {
		return fail("%v", err)
	}
	r := Reference{Namespace: ns, Name: name}
	if hasRev {
		n, err := parseRevision(rev)
		if err != nil {
			return fail("revision %q %v", rev, err)
		}
		r.Revision = n
	}
	return r, true, nil
}

// parseRevision parses a canonical decimal revision from 1.
func parseRevision(s string) (int64, error) {
	if s == "" || s[0] < '1' || s[0] > '9' {
		return 0, fmt.Errorf("is not a number from 1 without sign or leading zeros")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("is not a number from 1 without sign or leading zeros")
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("is out of range")
	}
	return n, nil
}

// SplitID splits a secret's ID "NAMESPACE/NAME" (the form the provider's
// secretstore_secret uses as its id, and the CLI as its argument) at its
// '/' and checks both parts. Errors wrap ErrInvalidArgument.
func SplitID(id string) (namespace, name string, err error) {
	namespace, name, found := strings.Cut(id, "/")
	if !found {
		return "", "", fmt.Errorf("secret %q: give it as NAMESPACE/NAME, such as acme:production/OPENAI_API_KEY: %w", id, ErrInvalidArgument)
	}
	if err := backend.ValidateNamespace(namespace); err != nil {
		return "", "", fmt.Errorf("secret %q: %w", id, err)
	}
	if err := backend.ValidateName(name); err != nil {
		return "", "", fmt.Errorf("secret %q: %w", id, err)
	}
	return namespace, name, nil
}
