// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// TestWarnDamaged: the store's report of damaged secrets is a warning that
// names them and keeps the store's message; other errors are passed on.
func TestWarnDamaged(t *testing.T) {
	var diags diag.Diagnostics
	damaged := &backend.DamagedSecretsError{Secrets: []string{"app/b"}, Err: fmt.Errorf("secret app/b revision 1: %w", backend.ErrIntegrity)}
	if err := warnDamaged(damaged, `the listing of namespace "app"`, &diags); err != nil {
		t.Fatalf("warnDamaged = %v; want nil", err)
	}
	if len(diags) != 1 || diags[0].Severity() != diag.SeverityWarning {
		t.Fatalf("diagnostics %v; want one warning", diags)
	}
	d := diags[0].Detail()
	for _, want := range []string{"app/b", `namespace "app"`, "secret app/b revision 1"} {
		if !strings.Contains(d, want) {
			t.Fatalf("warning %q does not mention %q", d, want)
		}
	}
	other := errors.New("bucket unreachable")
	if err := warnDamaged(other, "x", &diags); !errors.Is(err, other) || len(diags) != 1 {
		t.Fatalf("warnDamaged(other) = %v with %d diagnostics; want it returned, no warning", err, len(diags))
	}
}

// TestAccSecretsDataSource_damaged: one tampered secret does not make the
// listing of its namespace fail: the others are listed (and the damaged
// one is reported as a warning).
func TestAccSecretsDataSource_damaged(t *testing.T) {
	ts := newTestStore(t)
	s := openSeedStore(t, ts, nil)
	var created []string
	for _, n := range []string{"a", "b", "c"} {
		before := bucketFiles(t, ts.dir())
		mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: n, Value: []byte("v")})
		if n == "b" {
			created = createdFiles(before, bucketFiles(t, ts.dir()))
		}
	}
	damaged := false
	for _, f := range created {
		if strings.HasPrefix(f, "v1/s/") && !strings.Contains(f[strings.LastIndex(f, "/"):], "_") {
			rewriteBucketFile(t, ts.dir(), f, func(b []byte) []byte {
				b[len(b)/2] ^= 0x40
				return b
			})
			damaged = true
		}
	}
	if !damaged {
		t.Fatalf("no revision record among %v", created)
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{{
			Config: ts.providerBlock("") + `data "secretstore_secrets" "l" { namespace = "app:production" }`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.secretstore_secrets.l", tfjsonpath.New("secrets"), knownvalue.ListSizeExact(2)),
			},
		}},
	})
}
