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

// effective_expires_at shows the expiry the store recorded, whichever of
// ttl, expires_at or default_ttl set it, and null without one; a new ttl
// moves it.
func TestAccSecretResource_effectiveExpiresAt(t *testing.T) {
	ts := newTestStore(t)
	clock := newStepClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	config := func(ttl string) string {
		return ts.providerBlock(`  default_ttl = "48h"`) + fmt.Sprintf(`
resource "secretstore_key_version" "v1" {
  version = 1
}
resource "secretstore_secret" "ttl" {
  namespace  = "app:production"
  name       = "ttl"
  value      = "a"
  ttl        = %q
  depends_on = [secretstore_key_version.v1]
}
resource "secretstore_secret" "at" {
  namespace  = "app:production"
  name       = "at"
  value      = "b"
  expires_at = "2030-01-01T00:00:00Z"
  depends_on = [secretstore_key_version.v1]
}
resource "secretstore_secret" "default" {
  namespace  = "app:production"
  name       = "default"
  value      = "c"
  depends_on = [secretstore_key_version.v1]
}
`, ttl)
	}
	eff := tfjsonpath.New("effective_expires_at")
	start := clock.Now()
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(clock.Now),
		Steps: []resource.TestStep{
			{
				Config: config("720h"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("secretstore_secret.ttl", eff, knownvalue.StringExact(rfc3339(start.Add(720*time.Hour)))),
					statecheck.ExpectKnownValue("secretstore_secret.ttl", tfjsonpath.New("expires_at"), knownvalue.Null()),
					statecheck.ExpectKnownValue("secretstore_secret.at", eff, knownvalue.StringExact("2030-01-01T00:00:00Z")),
					statecheck.ExpectKnownValue("secretstore_secret.default", eff, knownvalue.StringExact(rfc3339(start.Add(48*time.Hour)))),
				},
				Check: checkEffectiveExpiry(t, ts, "secretstore_secret.ttl", "ttl"),
			},
			{
				PreConfig: func() { clock.Advance(time.Hour) },
				Config:    config("24h"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("secretstore_secret.ttl", eff, knownvalue.StringExact(rfc3339(start.Add(25*time.Hour)))),
				},
				Check: checkEffectiveExpiry(t, ts, "secretstore_secret.ttl", "ttl"),
			},
		},
	})
}

// A secret without any expiry has a null effective_expires_at.
func TestAccSecretResource_effectiveExpiresAtNull(t *testing.T) {
	ts := newTestStore(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{{
			Config: ts.providerBlock("") + `
resource "secretstore_key_version" "v1" {
  version = 1
}
resource "secretstore_secret" "never" {
  namespace  = "app:production"
  name       = "never"
  value      = "a"
  depends_on = [secretstore_key_version.v1]
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("secretstore_secret.never", tfjsonpath.New("effective_expires_at"), knownvalue.Null()),
			},
		}},
	})
}

// checkEffectiveExpiry checks that the state's effective_expires_at of
// address is the expiry the store holds for app:production/name.
func checkEffectiveExpiry(t *testing.T, ts testStore, address, name string) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		rs, ok := st.RootModule().Resources[address]
		if !ok {
			return fmt.Errorf("%s not in state", address)
		}
		s, err := ts.open(t).Head(context.Background(), "app:production", name)
		if err != nil {
			return fmt.Errorf("reading app:production/%s: %w", name, err)
		}
		if got, want := rs.Primary.Attributes["effective_expires_at"], rfc3339(s.ExpiresAt); got != want {
			return fmt.Errorf("effective_expires_at = %q, store holds %q", got, want)
		}
		return nil
	}
}
