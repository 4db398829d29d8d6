// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// TestAccProvider_actorValidated: an actor with a line break or a terminal
// escape fails the plan with a configuration error on the actor
// attribute, before any audit event could carry it.
func TestAccProvider_actorValidated(t *testing.T) {
	ts := newTestStore(t)
	var steps []resource.TestStep
	for _, actor := range []string{`ci\nop=deleted actor=admin`, `\u001b[31mred\u001b[0m`, `tab\there`} {
		steps = append(steps, resource.TestStep{
			Config:      ts.providerBlock(`  actor = "`+actor+`"`) + kvBlock,
			PlanOnly:    true,
			ExpectError: wrappedRe(`Invalid actor.*with provider\["` + regexp.QuoteMeta(providerHost()) + `/hashicorp/secretstore"\].*actor.*control characters.*line breaks or terminal escapes`),
		})
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps:                    steps,
	})
}
