// SPDX-License-Identifier: MPL-2.0

package bucketacc

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// kmsStages names the stages of testKMSStoreLife whose KMS requests are
// counted, in order.
var kmsStages = []string{"apply v1", "no-change plan", "add v2", "rotate", "cleanup", "destroy"}

// TestAccKMSRootKey runs the life of a store under an awskms:// root key
// on local-kms (apply, a plan with no change, rotation to a second key
// version, cleanup, destroy) with 5 and with 20 secrets, and counts the
// requests that reach the key service in each stage: the store unwraps
// each key version once per terraform run and wraps each new one once, so
// the counts follow the key versions and must not grow with the secrets.
func TestAccKMSRootKey(t *testing.T) {
	t.Parallel()
	sizes := []int{5, 20}
	calls := make([][]int, len(sizes))
	ops := make([][]string, len(sizes))
	t.Run("group", func(t *testing.T) {
		for i, n := range sizes {
			t.Run(fmt.Sprintf("secrets=%d", n), func(t *testing.T) {
				t.Parallel()
				calls[i], ops[i] = testKMSStoreLife(t, n)
			})
		}
	})
	if t.Failed() {
		return
	}
	for i, n := range sizes {
		if calls[i] == nil {
			t.Skipf("the run with %d secrets was skipped, so there is nothing to compare", n)
		}
	}
	for i, n := range sizes {
		t.Logf("KMS requests with %2d secrets: %s", n, formatStages(calls[i], ops[i]))
	}
	for s, stage := range kmsStages {
		if calls[0][s] != calls[1][s] {
			t.Errorf("%s: %d KMS requests with %d secrets, %d with %d: the requests grow with the secrets",
				stage, calls[0][s], sizes[0], calls[1][s], sizes[1])
		}
	}
}

func formatStages(calls []int, ops []string) string {
	parts := make([]string, len(calls))
	for i, c := range calls {
		parts[i] = fmt.Sprintf("%s %d (%s)", kmsStages[i], c, ops[i])
	}
	return strings.Join(parts, ", ")
}

// maxKMSCallsPerStage bounds the KMS requests of one stage. A stage runs
// up to five terraform commands that open the store (the plan, the apply,
// the refreshes terraform-plugin-testing adds); each open makes one
// Decrypt of the store secret and one per key version it uses, and a
// stage wraps at most one new key version. The bound is below the 20
// secrets of the larger run, so one request per secret would exceed it.
const maxKMSCallsPerStage = 16

// testKMSStoreLife runs the life of testStoreLife with n secrets on a
// file:// store under an awskms:// root key on a new local-kms, and returns
// the KMS requests of each stage of kmsStages, in all and by operation.
func testKMSStoreLife(t *testing.T, n int) ([]int, []string) {
	kms := backendtest.NewLocalKMS(t)
	url := backendtest.FileURL(t.TempDir())
	root := kms.KeeperURL()
	v1 := storeConfig(url, root, n, 1)
	v1v2 := storeConfig(url, root, n, 1, 2)
	const kv2, cleanup = "secretstore_key_version.v2", "secretstore_cleanup.revisions"
	calls := make([]int, len(kmsStages))
	ops := make([]string, len(kmsStages))
	mark, markOps := 0, map[string]int{}
	// begin and end delimit stage s: begin runs before its plan, end after
	// its apply.
	begin := func() { mark, markOps = kms.TotalCalls(), kms.Calls() }
	end := func(s int) resource.TestCheckFunc {
		return func(*terraform.State) error {
			calls[s] = kms.TotalCalls() - mark
			var by []string
			for op, c := range kms.Calls() {
				if d := c - markOps[op]; d > 0 {
					by = append(by, fmt.Sprintf("%s %d", op, d))
				}
			}
			slices.Sort(by)
			ops[s] = strings.Join(by, ", ")
			if calls[s] > maxKMSCallsPerStage {
				return fmt.Errorf("%s made %d KMS requests (%v in all so far), more than %d", kmsStages[s], calls[s], kms.Calls(), maxKMSCallsPerStage)
			}
			return nil
		}
	}
	clk := &clock{t: time.Now()}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(clk.Now),
		Steps: []resource.TestStep{
			{
				PreConfig: begin,
				Config:    v1,
				Check:     resource.ComposeAggregateTestCheckFunc(end(0), checkSecrets(url, root, n, 1)),
			},
			{
				PreConfig: begin,
				Config:    v1,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: end(1),
			},
			{
				PreConfig: begin,
				Config:    v1v2,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(kv2, tfjsonpath.New("primary"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(kv2, tfjsonpath.New("pending_rewrap"), knownvalue.Int64Exact(int64(n))),
				},
				Check:              end(2),
				ExpectNonEmptyPlan: true,
			},
			{
				PreConfig: begin,
				Config:    v1v2,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plannedChange{kv2, "pending_rewrap", fmt.Sprint(n), "0"},
				}},
				Check: resource.ComposeAggregateTestCheckFunc(end(3), checkSecrets(url, root, n, 2)),
			},
			{
				PreConfig: func() { clk.Advance(time.Hour); begin() },
				Config:    v1v2,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plannedChange{cleanup, "purgeable_revisions", fmt.Sprint(n), "0"},
				}},
				Check: resource.ComposeAggregateTestCheckFunc(end(4), checkSecrets(url, root, n, 2)),
			},
			{
				PreConfig: begin,
				Config:    v1v2,
				Destroy:   true,
				Check:     end(5),
			},
		},
	})
	return calls, ops
}
