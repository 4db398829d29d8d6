// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

var hexCheckValue = regexp.MustCompile(`^[0-9a-f]{8,64}$`)

// checkAllKeyVersionsRetired is a CheckDestroy: every key version in the
// bucket must be retired (or gone).
func checkAllKeyVersionsRetired(t *testing.T, ts testStore) resource.TestCheckFunc {
	return func(*terraform.State) error {
		kvs, err := ts.open(t).KeyVersions(context.Background())
		if err != nil {
			return fmt.Errorf("listing key versions: %w", err)
		}
		for _, kv := range kvs {
			if !kv.Retired {
				return fmt.Errorf("key version %d is still active after destroy", kv.Version)
			}
		}
		return nil
	}
}

func TestAccKeyVersionResource(t *testing.T) {
	slowTest(t, "five terraform steps, one an import")
	ts := newTestStore(t)
	v1 := ts.providerBlock("") + `
resource "secretstore_key_version" "v1" {
  version = 1
}
`
	v2 := v1 + `
resource "secretstore_key_version" "v2" {
  version = 2
}
`
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		CheckDestroy:             checkAllKeyVersionsRetired(t, ts),
		Steps: []resource.TestStep{
			{
				Config: v1,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("secretstore_key_version.v1", plancheck.ResourceActionCreate),
						plancheck.ExpectUnknownValue("secretstore_key_version.v1", tfjsonpath.New("check_value")),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("secretstore_key_version.v1", tfjsonpath.New("id"), knownvalue.StringExact("1")),
					statecheck.ExpectKnownValue("secretstore_key_version.v1", tfjsonpath.New("version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue("secretstore_key_version.v1", tfjsonpath.New("primary"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue("secretstore_key_version.v1", tfjsonpath.New("secrets"), knownvalue.Int64Exact(0)),
					statecheck.ExpectKnownValue("secretstore_key_version.v1", tfjsonpath.New("check_value"), knownvalue.StringRegexp(hexCheckValue)),
					statecheck.ExpectKnownValue("secretstore_key_version.v1", tfjsonpath.New("created_at"), knownvalue.NotNull()),
				},
			},
			{
				ResourceName:            "secretstore_key_version.v1",
				ImportState:             true,
				ImportStateId:           "1",
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"key_material_wo"},
			},
			{
				Config: v2,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("secretstore_key_version.v2", tfjsonpath.New("primary"), knownvalue.Bool(true)),
					statecheck.CompareValuePairs(
						"secretstore_key_version.v1", tfjsonpath.New("check_value"),
						"secretstore_key_version.v2", tfjsonpath.New("check_value"), compare.ValuesDiffer()),
				},
			},
			{
				// v1 is no longer primary: a refresh change, not a planned update.
				Config: v2,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("secretstore_key_version.v1", tfjsonpath.New("primary"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue("secretstore_key_version.v2", tfjsonpath.New("primary"), knownvalue.Bool(true)),
				},
			},
			{
				// Removing the unused version 1 retires it.
				Config: ts.providerBlock("") + `
resource "secretstore_key_version" "v2" {
  version = 2
}
`,
				Check: func(*terraform.State) error {
					kvs, err := ts.open(t).KeyVersions(context.Background())
					if err != nil {
						return err
					}
					for _, kv := range kvs {
						if kv.Version == 1 && !kv.Retired {
							return fmt.Errorf("version 1 not retired after removal")
						}
					}
					return nil
				},
			},
		},
	})
}

func TestAccKeyVersionResource_importErrors(t *testing.T) {
	ts := newTestStore(t)
	cfg := ts.providerBlock("") + `
resource "secretstore_key_version" "v1" {
  version = 1
}
`
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				ResourceName:  "secretstore_key_version.v1",
				ImportState:   true,
				ImportStateId: "one",
				ExpectError:   wrappedRe(`Invalid import ID.*key version number`),
			},
			{
				ResourceName:  "secretstore_key_version.v1",
				ImportState:   true,
				ImportStateId: "7",
				ExpectError:   regexp.MustCompile(`(?i)cannot import non-existent remote object`),
			},
		},
	})
}

func TestAccKeyVersionResource_keyMaterial(t *testing.T) {
	a, b := newTestStore(t), newTestStore(t)
	material, other := randomKey(t), randomKey(t)
	kv := func(name string, version int, material string) string {
		return fmt.Sprintf(`
resource "secretstore_key_version" %q {
  version         = %d
  key_material_wo = %q
}
`, name, version, material)
	}
	var checkA string
	// One configuration per store, each with its own state: a state whose
	// key version the configured store lacks entirely is refused as a
	// wrong URL (TestAccStoreMissingWithState).
	t.Parallel()
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{
				Config: a.providerBlock("") + kv("v1", 1, material),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("secretstore_key_version.v1", tfjsonpath.New("key_material_wo"), knownvalue.Null()),
				},
				Check: func(s *terraform.State) error {
					checkA = s.RootModule().Resources["secretstore_key_version.v1"].Primary.Attributes["check_value"]
					if !hexCheckValue.MatchString(checkA) {
						return fmt.Errorf("check_value %q is not hex", checkA)
					}
					return nil
				},
			},
		},
	})
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{
				// The same material in another store (under another root key)
				// has the same check value; other material has another.
				Config: b.providerBlock("") + kv("v1", 1, material) + kv("v2", 2, other),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("secretstore_key_version.v1", tfjsonpath.New("check_value"),
						knownvalue.StringFunc(func(v string) error {
							if v != checkA {
								return fmt.Errorf("check value %q in store b, %q in store a", v, checkA)
							}
							return nil
						})),
					statecheck.CompareValuePairs(
						"secretstore_key_version.v1", tfjsonpath.New("check_value"),
						"secretstore_key_version.v2", tfjsonpath.New("check_value"), compare.ValuesDiffer()),
				},
			},
		},
	})
}

func TestAccKeyVersionResource_invalid(t *testing.T) {
	ts := newTestStore(t)
	kv := func(version, material string) string {
		return ts.providerBlock("") + fmt.Sprintf(`
resource "secretstore_key_version" "v" {
  version         = %s
  key_material_wo = %s
}
`, version, material)
	}
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		CheckDestroy:             checkAllKeyVersionsRetired(t, ts),
		Steps: []resource.TestStep{
			{
				Config:      kv("0", "null"),
				PlanOnly:    true,
				ExpectError: wrappedRe(`version.*must be at least 1`),
			},
			{
				Config:      kv("1", `"AAECAwQFBgcICQoLDA0ODw=="`),
				PlanOnly:    true,
				ExpectError: wrappedRe(`Invalid key material.*decodes to 16 bytes`),
			},
			{
				Config:      kv("1", `"not base64 at all!"`),
				PlanOnly:    true,
				ExpectError: wrappedRe(`Invalid key material.*not valid standard\s+base64`),
			},
			{
				// Nothing was written by the refused plans.
				Config: kv("1", "null"),
				PreConfig: func() {
					kvs, err := ts.open(t).KeyVersions(context.Background())
					if err != nil {
						t.Fatalf("listing key versions: %v", err)
					}
					if len(kvs) != 0 {
						t.Fatalf("refused plans wrote %d key version(s)", len(kvs))
					}
				},
			},
			{
				// A version number already in the store (created by another
				// configuration) is refused with a hint to import it.
				Config: kv("1", "null") + `
resource "secretstore_key_version" "dup" {
  version    = 1
  depends_on = [secretstore_key_version.v]
}
`,
				ExpectError: wrappedRe(`Key version already exists.*terraform import`),
			},
		},
	})
}

// TestAccKeyVersionResource_destroyInUse: a version that still wraps
// secrets cannot be destroyed, and the error says how many and what to do.
func TestAccKeyVersionResource_destroyInUse(t *testing.T) {
	slowTest(t, "four terraform steps")
	ts := newTestStore(t)
	secrets := `
resource "secretstore_secret" "a" {
  namespace  = "app:test"
  name       = "a"
  value      = "alpha"
  depends_on = [secretstore_key_version.v1]
}
resource "secretstore_secret" "b" {
  namespace  = "app:test"
  name       = "b"
  value      = "beta"
  depends_on = [secretstore_key_version.v1]
}
`
	withKV := ts.providerBlock("") + `
resource "secretstore_key_version" "v1" {
  version = 1
}
` + secrets
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		CheckDestroy:             checkAllKeyVersionsRetired(t, ts),
		Steps: []resource.TestStep{
			{
				Config: withKV,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("secretstore_key_version.v1", tfjsonpath.New("secrets"), knownvalue.Int64Exact(0)),
				},
			},
			{
				// Refresh counts the secrets written after the version.
				Config: withKV,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("secretstore_key_version.v1", tfjsonpath.New("secrets"), knownvalue.Int64Exact(2)),
				},
			},
			{
				Config: ts.providerBlock("") + `
resource "secretstore_secret" "a" {
  namespace = "app:test"
  name      = "a"
  value     = "alpha"
}
resource "secretstore_secret" "b" {
  namespace = "app:test"
  name      = "b"
  value     = "beta"
}
`,
				ExpectError: wrappedRe(`Key version in use.*Key version 1 still wraps the current revision of 2\s+secret\(s\).*Rotate`),
			},
			{
				// The refused destroy deleted nothing: the secrets still read.
				Config: withKV,
				Check: func(*terraform.State) error {
					s, err := ts.open(t).Get(context.Background(), "app:test", "a", backendGetCurrent)
					if err != nil {
						return fmt.Errorf("secret unreadable after refused key version destroy: %w", err)
					}
					if string(s.Value) != "alpha" {
						return fmt.Errorf("secret value changed")
					}
					return nil
				},
			},
		},
	})
}

// pendingRewrap, which refresh computes from the one keyring listing it
// already makes, must agree with the store's rotation planner.
func TestPendingRewrapMatchesPlanRotate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openSeedStore(t, newTestStore(t), nil)
	for i := range 3 {
		mustPut(t, s, backend.PutInput{Namespace: "app", Name: fmt.Sprintf("s%d", i), Value: []byte("v")})
	}
	if err := s.Delete(ctx, backend.DeleteInput{Namespace: "app", Name: "s2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateKeyVersion(ctx, 2, nil); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, backend.PutInput{Namespace: "app", Name: "s3", Value: []byte("v")})
	kvs, err := s.KeyVersions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := s.PlanRotate(ctx, backend.RotateInput{})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Pending != 2 {
		t.Fatalf("PlanRotate pending = %d, want 2 (s0 and s1 under version 1)", plan.Pending)
	}
	for _, kv := range kvs {
		want := int64(0)
		if kv.Version == plan.Primary {
			want = int64(plan.Pending)
		}
		if got := pendingRewrap(kv, kvs); got != want {
			t.Errorf("pendingRewrap of version %d = %d, want %d", kv.Version, got, want)
		}
	}
}
