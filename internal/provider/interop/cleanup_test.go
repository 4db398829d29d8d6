// SPDX-License-Identifier: MPL-2.0

package interop

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// The command's cleanup --dry-run counts what the plan of secretstore_cleanup
// with the same settings counts, and after the command purges, the plan
// has nothing left to do.
func TestAccInterop_cleanupCounts(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	// Written an hour ago, so that retentions of 0s (plus the clock-skew
	// margin) have passed.
	past := time.Now().Add(-time.Hour)
	seed, err := backend.Open(ctx, backend.Options{BucketURL: s.URL, RootKey: s.RootKey, Actor: "seeder", Now: func() time.Time { return past }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.CreateKeyVersion(ctx, 1, nil); err != nil {
		t.Fatal(err)
	}
	for i, in := range []backend.PutInput{
		{Namespace: "interop:clean", Name: "kept", Value: []byte("one")},
		{Namespace: "interop:clean", Name: "kept", Value: []byte("two")},
		{Namespace: "interop:clean", Name: "kept", Value: []byte("three")},
		{Namespace: "interop:clean", Name: "gone", Value: []byte("one")},
		{Namespace: "interop:other", Name: "kept", Value: []byte("one")},
		{Namespace: "interop:other", Name: "kept", Value: []byte("two")},
	} {
		past = past.Add(time.Second)
		if _, err := seed.Put(ctx, in); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
	past = past.Add(time.Second)
	if err := seed.Delete(ctx, backend.DeleteInput{Namespace: "interop:clean", Name: "gone"}); err != nil {
		t.Fatal(err)
	}
	if err := seed.Close(); err != nil {
		t.Fatal(err)
	}

	config := s.providerBlock() + `
resource "secretstore_cleanup" "c" {
  namespace                = "interop:clean"
  revision_retention       = "0s"
  deleted_secret_retention = "0s"
}
`
	flags := []string{"--namespace", "interop:clean", "--revision-retention", "0s", "--deleted-secret-retention", "0s"}
	var dry map[string]any
	sameCounts := func(st *terraform.State) error {
		rs, ok := st.RootModule().Resources["secretstore_cleanup.c"]
		if !ok {
			return fmt.Errorf("secretstore_cleanup.c not in state")
		}
		// The command's --json keys are the attributes' names.
		for _, attr := range []string{"purgeable_secrets", "purgeable_revisions", "purgeable_events"} {
			if got, want := rs.Primary.Attributes[attr], strconv.Itoa(jsonNumber(dry, attr)); got != want {
				return fmt.Errorf("%s = %s in state, cleanup --dry-run counted %s", attr, got, want)
			}
		}
		if jsonNumber(dry, "purgeable_secrets") != 1 || jsonNumber(dry, "purgeable_revisions") != 2 {
			return fmt.Errorf("cleanup --dry-run counted %v, want 1 secret and 2 revisions", dry)
		}
		return nil
	}

	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(),
		Steps: []resource.TestStep{
			{
				PreConfig:          func() { s.okJSON(&dry, append([]string{"cleanup", "--dry-run"}, flags...)...) },
				Config:             config,
				Check:              sameCounts,
				ExpectNonEmptyPlan: true,
			},
			{
				PreConfig: func() {
					var purged map[string]any
					s.okJSON(&purged, append([]string{"cleanup"}, flags...)...)
					if jsonNumber(purged, "purged_secrets") != 1 || jsonNumber(purged, "purged_revisions") != 2 {
						t.Errorf("cleanup purged %v, want 1 secret and 2 revisions", purged)
					}
					s.okJSON(&dry, append([]string{"cleanup", "--dry-run"}, flags...)...)
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: func(st *terraform.State) error {
					rs := st.RootModule().Resources["secretstore_cleanup.c"]
					if rs == nil || rs.Primary.Attributes["purgeable_revisions"] != "0" || rs.Primary.Attributes["purgeable_secrets"] != "0" {
						return fmt.Errorf("after the command's cleanup, the state still counts purgeable work: %v", rs)
					}
					if jsonNumber(dry, "purgeable_revisions") != 0 {
						return fmt.Errorf("cleanup --dry-run after the cleanup: %v", dry)
					}
					// The other namespace was left alone.
					var js map[string]any
					s.okJSON(&js, "get", "--revision", "1", "interop:other/kept")
					return nil
				},
			},
		},
	})
}
