// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// checkReactivated fails unless key version v is active and has exactly
// want key_version_reactivated audit events.
func checkReactivated(t *testing.T, ts testStore, v, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		s := ts.open(t)
		kvs, err := s.KeyVersions(context.Background())
		if err != nil {
			return err
		}
		active := false
		for _, kv := range kvs {
			active = active || (kv.Version == v && !kv.Retired)
		}
		if !active {
			return fmt.Errorf("key version %d is not active: %+v", v, kvs)
		}
		page, err := s.ListEvents(context.Background(), backend.EventFilter{Operations: []string{backend.OpKeyVersionReactivated}})
		if err != nil {
			return err
		}
		n := 0
		for _, ev := range page.Events {
			if ev.KeyVersion == v {
				n++
			}
		}
		if n != want {
			return fmt.Errorf("%d %s events for key version %d, want %d", n, backend.OpKeyVersionReactivated, v, want)
		}
		return nil
	}
}

// TestAccKeyVersionResource_reapplyAfterDestroy: a configuration that was
// destroyed applies again: its retired key version is reactivated (with
// an audit event) and its secrets are written again.
func TestAccKeyVersionResource_reapplyAfterDestroy(t *testing.T) {
	slowTest(t, "four terraform steps")
	ts := newTestStore(t)
	cfg := ts.providerBlock("") + `
resource "secretstore_key_version" "v1" {
  version = 1
}
` + minKVSecrets(3, "v1")
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		CheckDestroy:             checkAllSecretsDeleted(t, ts),
		Steps: []resource.TestStep{
			{Config: cfg},
			{Config: cfg, Destroy: true},
			{
				Config: cfg,
				Check: resource.ComposeTestCheckFunc(
					checkReactivated(t, ts, 1, 1),
					checkSecretsUnder(t, ts, 3, 1),
				),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("secretstore_key_version.v1", tfjsonpath.New("primary"), knownvalue.Bool(true)),
				},
			},
		},
	})
}

// TestAccKeyVersionResource_reactivateMaterial: a retired version given
// back its own key_material_wo is reactivated; given other material, it is
// refused with advice that works: the next unused version number, or no
// key_material_wo.
func TestAccKeyVersionResource_reactivateMaterial(t *testing.T) {
	slowTest(t, "five terraform steps")
	ts := newTestStore(t)
	material, other := randomKey(t), randomKey(t)
	kv := func(version int, material string) string {
		m := "null"
		if material != "" {
			m = fmt.Sprintf("%q", material)
		}
		return ts.providerBlock("") + fmt.Sprintf(`
resource "secretstore_key_version" "v" {
  version         = %d
  key_material_wo = %s
}
`, version, m)
	}
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		CheckDestroy:             checkAllKeyVersionsRetired(t, ts),
		Steps: []resource.TestStep{
			{Config: kv(1, material)},
			{Config: kv(1, material), Destroy: true},
			{Config: kv(1, material), Check: checkReactivated(t, ts, 1, 1)},
			{Config: kv(1, material), Destroy: true},
			{
				Config:      kv(1, other),
				ExpectError: wrappedRe(`Key version 1 was retired.*other key material.*leave key_material_wo unset.*version = 2`),
			},
			{
				// The advice: without key_material_wo, the version comes back
				// with its own material.
				Config: kv(1, ""),
				Check:  checkReactivated(t, ts, 1, 2),
			},
		},
	})
}

// TestAccKeyVersionResource_existsImportHint: the import command that the
// "already exists" error suggests is one that works.
func TestAccKeyVersionResource_existsImportHint(t *testing.T) {
	ts := newTestStore(t)
	cfg := ts.providerBlock("") + `
resource "secretstore_key_version" "v1" {
  version = 1
}
`
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					if _, err := ts.open(t).CreateKeyVersion(context.Background(), 1, nil); err != nil {
						t.Fatal(err)
					}
				},
				Config:      cfg,
				ExpectError: wrappedRe(`Key version already exists.*terraform import secretstore_key_version.<name> 1`),
			},
			{
				Config:             cfg,
				ResourceName:       "secretstore_key_version.v1",
				ImportState:        true,
				ImportStateId:      "1",
				ImportStatePersist: true,
			},
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("secretstore_key_version.v1", tfjsonpath.New("primary"), knownvalue.Bool(true)),
				},
			},
		},
	})
}
