// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// A secret written and read back with the ephemeral resource in one
// configuration: revision = secretstore_secret.source.revision is unknown
// until the write, so Terraform opens the ephemeral resource only after
// it, on the first apply and on the apply of every new value. The value
// read back feeds value_wo of a copy, whose stored value shows what was
// read.
func TestAccSecretEphemeralResource_readAfterWrite(t *testing.T) {
	ts := newTestStore(t)
	first, second := "first-"+randomText(t, 16), "second-"+randomText(t, 16)
	cfg := ts.providerBlock("") + `
variable "value" {
  type      = string
  sensitive = true
  ephemeral = true
}
variable "value_version" {
  type = number
}

resource "secretstore_key_version" "v1" {
  version = 1
}

resource "secretstore_secret" "source" {
  namespace        = "app:production"
  name             = "source"
  value_wo         = var.value
  value_wo_version = var.value_version
  depends_on       = [secretstore_key_version.v1]
}

ephemeral "secretstore_secret" "source" {
  namespace = secretstore_secret.source.namespace
  name      = secretstore_secret.source.name
  revision  = secretstore_secret.source.revision
}

resource "secretstore_secret" "copy" {
  namespace        = "app:dr"
  name             = "copy"
  value_wo         = ephemeral.secretstore_secret.source.value
  value_wo_version = var.value_version
}
`
	vars := func(value string, version int) config.Variables {
		return config.Variables{"value": config.StringVariable(value), "value_version": config.IntegerVariable(version)}
	}
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{
				Config:          cfg,
				ConfigVariables: vars(first, 1),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("secretstore_secret.copy", tfjsonpath.New("revision"), knownvalue.Int64Exact(1)),
				},
				Check: resource.ComposeTestCheckFunc(
					checkStored(t, ts, "app:production", "source", first, 1),
					checkStored(t, ts, "app:dr", "copy", first, 1),
				),
			},
			{
				Config:          cfg,
				ConfigVariables: vars(second, 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("secretstore_secret.source", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("secretstore_secret.copy", plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(
					checkStored(t, ts, "app:production", "source", second, 2),
					checkStored(t, ts, "app:dr", "copy", second, 2),
				),
			},
		},
	})
}
