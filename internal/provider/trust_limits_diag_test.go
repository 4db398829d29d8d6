// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// TestDiagRevisionLimit: a secret at the last revision number is reported
// as such, not as an unreachable bucket.
func TestDiagRevisionLimit(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("secret a/b: revision 9223372036854775807 is the largest revision number the store can write: %w", backend.ErrRevisionLimit)
	d := diagStoreError(`writing secret "a/b"`, err, targetSecret)
	if d.Summary() != "Revision limit reached" || !strings.Contains(d.Detail(), "remove the secret's objects") ||
		!strings.HasSuffix(d.Detail(), "Store error: "+err.Error()) {
		t.Fatalf("diagnostic %q: %q", d.Summary(), d.Detail())
	}
}
