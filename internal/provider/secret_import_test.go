// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// The apply that imports secrets (import blocks) writes nothing for those
// whose configured value, metadata and expiry match the store, with value
// or value_wo, expires_at or ttl; a secret whose value differs gets one
// new revision.
func TestAccSecretResource_importWritesNothingWhenUnchanged(t *testing.T) {
	ts := newTestStore(t)
	s := openSeedStore(t, ts, nil)
	at := time.Now().Add(1000 * time.Hour).UTC().Truncate(time.Second)
	mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "api", Value: []byte("api-value"),
		SetMetadata: true, Metadata: map[string]string{"owner": "payments"}, Expiry: backend.Expiry{Set: true, At: at}})
	mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "ttl", Value: []byte("ttl-value"),
		Expiry: backend.Expiry{Set: true, TTL: 720 * time.Hour}})
	mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "wo", Value: []byte("wo-value")})
	mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "changed", Value: []byte("old-value")})

	config := ts.providerBlock("") + fmt.Sprintf(`
import {
  to = secretstore_secret.api
  id = "app:production/api"
}
resource "secretstore_secret" "api" {
  namespace  = "app:production"
  name       = "api"
  value      = "api-value"
  metadata   = { owner = "payments" }
  expires_at = %q
}

import {
  to = secretstore_secret.ttl
  id = "app:production/ttl"
}
resource "secretstore_secret" "ttl" {
  namespace = "app:production"
  name      = "ttl"
  value     = "ttl-value"
  ttl       = "720h"
}

import {
  to = secretstore_secret.wo
  id = "app:production/wo"
}
resource "secretstore_secret" "wo" {
  namespace        = "app:production"
  name             = "wo"
  value_wo         = "wo-value"
  value_wo_version = 1
}

import {
  to = secretstore_secret.changed
  id = "app:production/changed"
}
resource "secretstore_secret" "changed" {
  namespace = "app:production"
  name      = "changed"
  value     = "new-value"
}
`, at.Format(time.RFC3339))

	revision := tfjsonpath.New("revision")
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{{
			Config: config,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("secretstore_secret.api", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("secretstore_secret.wo", plancheck.ResourceActionUpdate),
				},
			},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("secretstore_secret.api", revision, knownvalue.Int64Exact(1)),
				statecheck.ExpectKnownValue("secretstore_secret.ttl", revision, knownvalue.Int64Exact(1)),
				statecheck.ExpectKnownValue("secretstore_secret.wo", revision, knownvalue.Int64Exact(1)),
				statecheck.ExpectKnownValue("secretstore_secret.changed", revision, knownvalue.Int64Exact(2)),
				statecheck.ExpectKnownValue("secretstore_secret.ttl", tfjsonpath.New("effective_expires_at"), knownvalue.NotNull()),
				statecheck.ExpectKnownValue("secretstore_secret.wo", tfjsonpath.New("value_wo"), knownvalue.Null()),
			},
			Check: resource.ComposeTestCheckFunc(
				checkStored(t, ts, "app:production", "api", "api-value", 1),
				checkStored(t, ts, "app:production", "ttl", "ttl-value", 1),
				checkStored(t, ts, "app:production", "wo", "wo-value", 1),
				checkStored(t, ts, "app:production", "changed", "new-value", 2),
				checkUpdateEvents(t, ts, map[string]int{"api": 0, "ttl": 0, "wo": 0, "changed": 1}),
			),
		}},
	})
}

// checkUpdateEvents checks how many updated events each secret of
// app:production has in the audit log.
func checkUpdateEvents(t *testing.T, ts testStore, want map[string]int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		page, err := ts.open(t).ListEvents(context.Background(), backend.EventFilter{
			Namespace: "app:production", Operations: []string{backend.OpUpdated}, Limit: backend.MaxEventLimit,
		})
		if err != nil {
			return fmt.Errorf("listing audit events: %w", err)
		}
		got := map[string]int{}
		for _, e := range page.Events {
			got[e.Name]++
		}
		for name, n := range want {
			if got[name] != n {
				return fmt.Errorf("%s has %d updated events, want %d", name, got[name], n)
			}
		}
		return nil
	}
}
