// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// TestAccSecretResource_farFutureExpiry: an expiry later than the store can
// record (9999-12-31, a common "never", or a ttl or default_ttl that ends
// after 2262) fails the plan on the attribute, naming the latest accepted
// time and how to say "never expires"; the latest accepted time itself is
// stored exactly and the secret is not expired.
func TestAccSecretResource_farFutureExpiry(t *testing.T) {
	ts := newTestStore(t)
	clock := newStepClock(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	cfg := func(provider, body string) string {
		return ts.providerBlock(provider) + kvBlock + secretBlock("app:dev", "forever", "  value = \"v\"\n"+body)
	}
	const latest = "2262-04-11T23:47:16Z"
	advice := `leave expires_at and ttl unset`
	addr := "secretstore_secret.s"
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(clock.Now),
		Steps: []resource.TestStep{
			{
				Config:      cfg("", `  expires_at = "9999-12-31T23:59:59Z"`),
				PlanOnly:    true,
				ExpectError: wrappedRe(`Expiry too late.*expires_at.*"9999-12-31T23:59:59Z" is later than ` + latest + `.*` + advice),
			},
			{
				Config:      cfg("", `  expires_at = "2262-04-11T23:47:17Z"`),
				PlanOnly:    true,
				ExpectError: wrappedRe(`Expiry too late.*expires_at.*later than ` + latest),
			},
			{
				Config:      cfg("", `  ttl = "2562047h"`),
				PlanOnly:    true,
				ExpectError: wrappedRe(`Expiry too late.*ttl.*"2562047h" from now ends after ` + latest + `.*` + advice),
			},
			{
				Config:      cfg(`  default_ttl = "2562047h"`, ""),
				PlanOnly:    true,
				ExpectError: wrappedRe(`Expiry too late.*default_ttl = "2562047h0m0s" from now ends after ` + latest + `.*` + advice),
			},
			{
				Config: cfg("", `  expires_at = "`+latest+`"`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("expired"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("expires_at"), knownvalue.StringExact(latest)),
				},
				Check: func(*terraform.State) error {
					s, err := ts.open(t).Head(context.Background(), "app:dev", "forever")
					if err != nil {
						return err
					}
					if want, _ := time.Parse(time.RFC3339, latest); !s.ExpiresAt.Equal(want) || s.State != "active" {
						return fmt.Errorf("stored expiry %v (%s), want %v, active", s.ExpiresAt, s.State, want)
					}
					return nil
				},
			},
		},
	})
}
