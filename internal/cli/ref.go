// SPDX-License-Identifier: MPL-2.0

package cli

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// secretRef is a secret named on the command line.
type secretRef struct{ ns, name string }

func (r secretRef) String() string { return r.ns + "/" + r.name }

// parseRef parses NAMESPACE/NAME. Neither part may hold a '/', so the
// first one separates them.
func parseRef(s string) (secretRef, error) {
	ns, name, ok := strings.Cut(s, "/")
	if !ok {
		return secretRef{}, &usageError{msg: fmt.Sprintf("%q is not NAMESPACE/NAME (for example acme:production/OPENAI_API_KEY)", s)}
	}
	if err := backend.ValidateNamespace(ns); err != nil {
		return secretRef{}, err
	}
	if err := backend.ValidateName(name); err != nil {
		return secretRef{}, err
	}
	return secretRef{ns: ns, name: name}, nil
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
