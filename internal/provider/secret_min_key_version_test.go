// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// minKVSecrets is n secrets app:test/s<i> whose min_key_version refers to
// key version resource kv, without depends_on.
func minKVSecrets(n int, kv string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `
resource "secretstore_secret" "s%d" {
  namespace       = "app:test"
  name            = "s%d"
  value           = "value-%d"
  min_key_version = secretstore_key_version.%s.version
}
`, i, i, i, kv)
	}
	return b.String()
}

// checkSecretsUnder fails unless the n secrets of minKVSecrets read back
// with their values, each under key version kv.
func checkSecretsUnder(t *testing.T, ts testStore, n, kv int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		s := ts.open(t)
		for i := range n {
			sec, err := s.Get(context.Background(), "app:test", fmt.Sprintf("s%d", i), backendGetCurrent)
			if err != nil {
				return fmt.Errorf("secret s%d: %w", i, err)
			}
			if string(sec.Value) != fmt.Sprintf("value-%d", i) || sec.KeyVersion != kv {
				return fmt.Errorf("secret s%d: key version %d, want %d (value intact: %v)", i, sec.KeyVersion, kv, string(sec.Value) == fmt.Sprintf("value-%d", i))
			}
		}
		return nil
	}
}

// checkAllSecretsDeleted is a CheckDestroy: no secret of namespace
// app:test is left.
func checkAllSecretsDeleted(t *testing.T, ts testStore) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		page, err := ts.open(t).List(context.Background(), backend.ListInput{Namespace: "app:test"})
		if err != nil {
			return err
		}
		if len(page.Secrets) != 0 {
			return fmt.Errorf("%d secret(s) left after destroy", len(page.Secrets))
		}
		return checkAllKeyVersionsRetired(t, ts)(st)
	}
}

// TestAccSecretMinKeyVersion_noDependsOn: thirty secrets that refer to
// their key version through min_key_version, without depends_on, are
// created after it, plan no change, and are destroyed before it.
func TestAccSecretMinKeyVersion_noDependsOn(t *testing.T) {
	slowTest(t, "thirty secrets, three terraform steps")
	ts := newTestStore(t)
	const n = 30
	cfg := ts.providerBlock("") + `
resource "secretstore_key_version" "v1" {
  version = 1
}
` + minKVSecrets(n, "v1")
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		CheckDestroy:             checkAllSecretsDeleted(t, ts),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check:  checkSecretsUnder(t, ts, n, 1),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("secretstore_secret.s0", tfjsonpath.New("min_key_version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue("secretstore_secret.s0", tfjsonpath.New("key_version"), knownvalue.Int64Exact(1)),
				},
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// TestAccSecretMinKeyVersion_swap: replacing key version 1 by 2 in the
// configuration, with the secrets' min_key_version moved to version 2,
// rewraps every secret under version 2 (a rotation: same value, a
// `rotated` audit event) before version 1 is retired, in one apply.
func TestAccSecretMinKeyVersion_swap(t *testing.T) {
	slowTest(t, "ten secrets, four terraform steps")
	ts := newTestStore(t)
	const n = 10
	v1 := ts.providerBlock("") + `
resource "secretstore_key_version" "v1" {
  version = 1
  lifecycle {
    create_before_destroy = true
  }
}
` + minKVSecrets(n, "v1")
	v2 := ts.providerBlock("") + `
resource "secretstore_key_version" "v2" {
  version = 2
  rewrap  = false
  lifecycle {
    create_before_destroy = true
  }
}
` + minKVSecrets(n, "v2")
	var valueID string
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		CheckDestroy:             checkAllSecretsDeleted(t, ts),
		Steps: []resource.TestStep{
			{
				Config: v1,
				Check: func(s *terraform.State) error {
					valueID = s.RootModule().Resources["secretstore_secret.s0"].Primary.Attributes["value_id"]
					return nil
				},
			},
			{
				Config: v2,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("secretstore_key_version.v2", plancheck.ResourceActionCreate),
						plancheck.ExpectResourceAction("secretstore_key_version.v1", plancheck.ResourceActionDestroy),
						plancheck.ExpectResourceAction("secretstore_secret.s0", plancheck.ResourceActionUpdate),
					},
				},
				Check: resource.ComposeTestCheckFunc(
					checkSecretsUnder(t, ts, n, 2),
					func(s *terraform.State) error {
						if got := s.RootModule().Resources["secretstore_secret.s0"].Primary.Attributes["value_id"]; got != valueID {
							return fmt.Errorf("value_id %s after the rewrap, %s before: the value was rewritten", got, valueID)
						}
						kvs, err := ts.open(t).KeyVersions(context.Background())
						if err != nil {
							return err
						}
						for _, kv := range kvs {
							if kv.Version == 1 && !kv.Retired {
								return fmt.Errorf("key version 1 not retired")
							}
						}
						page, err := ts.open(t).ListEvents(context.Background(), backend.EventFilter{
							Namespace: "app:test", Name: "s0", Operations: []string{backend.OpRotated},
						})
						if err != nil {
							return err
						}
						if len(page.Events) != 1 || page.Events[0].KeyVersion != 2 {
							return fmt.Errorf("rotated events of s0: %+v, want one under key version 2", page.Events)
						}
						return nil
					},
				),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("secretstore_secret.s0", tfjsonpath.New("key_version"), knownvalue.Int64Exact(2)),
				},
			},
			{
				Config: v2,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// TestAccSecretMinKeyVersion_aboveThePrimary: a min_key_version above the
// store's primary key version fails the write with an error that names
// both.
func TestAccSecretMinKeyVersion_aboveThePrimary(t *testing.T) {
	ts := newTestStore(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{
				Config: ts.providerBlock("") + `
resource "secretstore_key_version" "v1" {
  version = 1
}
resource "secretstore_secret" "a" {
  namespace       = "app:test"
  name            = "a"
  value           = "alpha"
  min_key_version = secretstore_key_version.v1.version + 1
}
`,
				ExpectError: wrappedRe(`Key version below min_key_version.*min_key_version = 2.*primary key version is 1.*key version 2 does not exist`),
			},
		},
	})
}

// TestAccSecretMinKeyVersion_raisedRewraps: a secret whose current
// revision is under a version below min_key_version (here written before
// that version existed) plans an update that rewraps it, with no change
// to its value.
func TestAccSecretMinKeyVersion_raisedRewraps(t *testing.T) {
	slowTest(t, "three terraform steps")
	ts := newTestStore(t)
	kvs := ts.providerBlock("") + `
resource "secretstore_key_version" "v1" {
  version = 1
}
resource "secretstore_key_version" "v2" {
  version = 2
  rewrap  = false
`
	// First the secret is written before v2 exists; then, with v2 in
	// place, the secret refers to it (so destroy removes the secret first).
	base := kvs + "  depends_on = [secretstore_secret.a]\n}\n"
	later := kvs + "}\n"
	secret := func(minKV string) string {
		return fmt.Sprintf(`
resource "secretstore_secret" "a" {
  namespace       = "app:test"
  name            = "a"
  value           = "alpha"
  min_key_version = %s
}
`, minKV)
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{
				Config: base + secret("secretstore_key_version.v1.version"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("secretstore_secret.a", tfjsonpath.New("key_version"), knownvalue.Int64Exact(1)),
				},
			},
			{
				Config: later + secret("secretstore_key_version.v2.version"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("secretstore_secret.a", plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue("secretstore_secret.a", tfjsonpath.New("key_version")),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("secretstore_secret.a", tfjsonpath.New("key_version"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue("secretstore_secret.a", tfjsonpath.New("revision"), knownvalue.Int64Exact(2)),
				},
			},
			{
				Config: later + secret("secretstore_key_version.v2.version"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
		},
	})
}

// Raising min_key_version to the version the secret is already under
// writes nothing, and keeps every computed attribute known and as it was.
//
// The depends_on on v2 orders the first create after v2 exists: a
// reference to v1 alone lets Terraform create the secret and v2 in
// parallel, and then the secret may be written under v1.
func TestAccSecretMinKeyVersion_raisedToCurrent(t *testing.T) {
	ts := newTestStore(t)
	secret := func(minKV int) string {
		return ts.providerBlock("") + kvBlocks(1, 2) + fmt.Sprintf(`
resource "secretstore_secret" "a" {
  namespace       = "app:test"
  name            = "a"
  value           = "alpha"
  ttl             = "720h"
  min_key_version = secretstore_key_version.v%d.version
  depends_on      = [secretstore_key_version.v2]
}
`, minKV)
	}
	const a = "secretstore_secret.a"
	expires := statecheck.CompareValue(compare.ValuesSame())
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{
				Config: secret(1),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(a, tfjsonpath.New("key_version"), knownvalue.Int64Exact(2)),
					expires.AddStateValue(a, tfjsonpath.New("effective_expires_at")),
				},
			},
			{
				Config: secret(2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(a, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(a, tfjsonpath.New("revision"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(a, tfjsonpath.New("key_version"), knownvalue.Int64Exact(2)),
					expires.AddStateValue(a, tfjsonpath.New("effective_expires_at")),
				},
			},
		},
	})
}
