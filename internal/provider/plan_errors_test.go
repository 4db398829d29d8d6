// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// TestAccSecretResource_pastExpiryAtPlan: an expires_at in the past fails
// the plan, before anything is written; one within the clock margin of
// now is left for the apply to judge.
func TestAccSecretResource_pastExpiryAtPlan(t *testing.T) {
	ts := newTestStore(t)
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	secret := func(at time.Time) string {
		return ts.providerBlock("") + fmt.Sprintf(`
resource "secretstore_secret" "a" {
  namespace  = "app:test"
  name       = "a"
  value      = "alpha"
  expires_at = %q
}
`, at.Format(time.RFC3339))
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(func() time.Time { return now }),
		Steps: []resource.TestStep{
			{
				Config:      secret(now.Add(-time.Hour)),
				PlanOnly:    true,
				ExpectError: wrappedRe(`Expiry in the past.*expires_at = "2030-06-01T11:00:00Z" is before now \(2030-06-01T12:00:00Z`),
			},
			{
				// Within the margin: the plan cannot be sure, so it passes.
				Config:             secret(now.Add(-backend.ClockSkewMargin / 2)),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}

// TestAccSecretResource_ttlWithExpiresAt: setting both says which to keep.
func TestAccSecretResource_ttlWithExpiresAt(t *testing.T) {
	ts := newTestStore(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{
				Config: ts.providerBlock("") + `
resource "secretstore_secret" "a" {
  namespace  = "app:test"
  name       = "a"
  value      = "alpha"
  ttl        = "720h"
  expires_at = "2040-01-01T00:00:00Z"
}
`,
				PlanOnly:    true,
				ExpectError: wrappedRe(`Both ttl and expires_at.*Keep ttl for an expiry that moves with each write.*keep expires_at for a fixed time`),
			},
		},
	})
}

// TestKeyVersionDestroyPlanInUse: the plan of a key version's destroy
// warns with the number of secrets that still use it and what to do; with
// none, it says nothing.
func TestKeyVersionDestroyPlanInUse(t *testing.T) {
	t.Parallel()
	ts := newTestStore(t)
	s := ts.open(t)
	ctx := context.Background()
	if _, err := s.CreateKeyVersion(ctx, 1, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateKeyVersion(ctx, 2, nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		if _, err := s.Put(ctx, backend.PutInput{Namespace: "app:test", Name: name, Value: []byte("x"), IfRevision: -1}); err != nil {
			t.Fatal(err)
		}
	}
	p := newProtoProvider(t, nil)
	if diags := p.configure(map[string]tftypes.Value{"url": tfString(ts.URL), "root_key": tfString(ts.RootKey)}); len(diags) != 0 {
		t.Fatal(diagnosticsText(diags))
	}
	typ := p.schema.ResourceSchemas["secretstore_key_version"].ValueType()
	nullValue, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		version int64
		want    string
	}{
		{2, "2 secret(s)"},
		{1, ""},
	} {
		prior := p.value(typ, map[string]tftypes.Value{
			"id":      tfString(fmt.Sprint(tc.version)),
			"version": tftypes.NewValue(tftypes.Number, tc.version),
			"rewrap":  tftypes.NewValue(tftypes.Bool, true),
		})
		resp, err := p.server.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
			TypeName:         "secretstore_key_version",
			PriorState:       prior,
			ProposedNewState: &nullValue,
			Config:           &nullValue,
		})
		if err != nil {
			t.Fatal(err)
		}
		text := diagnosticsText(resp.Diagnostics)
		if tc.want == "" {
			if len(resp.Diagnostics) != 0 {
				t.Errorf("destroy plan of unused version %d: %s", tc.version, text)
			}
			continue
		}
		if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Severity != tfprotov6.DiagnosticSeverityWarning ||
			!strings.Contains(text, tc.want) || !strings.Contains(text, "min_key_version") {
			t.Errorf("destroy plan of version %d in use: %s", tc.version, text)
		}
	}
}
