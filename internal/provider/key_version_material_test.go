package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// TestAccKeyVersionResource_sameMaterial: a second key version given the
// same key_material_wo as the first is refused, and the error is on
// key_material_wo. Terraform shows the configuration line of the
// attribute at fault; an error without an attribute shows the line of the
// resource block instead.
func TestAccKeyVersionResource_sameMaterial(t *testing.T) {
	ts := newTestStore(t)
	const material = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	config := ts.providerBlock("") + `
resource "secretstore_key_version" "v1" {
  version         = 1
  key_material_wo = "` + material + `"
}

resource "secretstore_key_version" "v2" {
  version         = 2
  key_material_wo = "` + material + `"
  depends_on      = [secretstore_key_version.v1]
}
`
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		CheckDestroy:             checkAllKeyVersionsRetired(t, ts),
		Steps: []resource.TestStep{{
			Config: config,
			ExpectError: regexp.MustCompile(`(?s)with secretstore_key_version\.v2,\s+on \S+ line \d+, in resource ` +
				`"secretstore_key_version" "v2":\s+\d+:\s+key_material_wo\s+=.*same\s+key\s+as\s+key\s+version\s+1`),
		}},
	})
}
