// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// Acceptance tests of the workflows of Terraform 1.12 to 1.14 (import by
// identity, action triggers, -invoke, terraform query). They skip when the
// terraform on PATH is older.

// skipBelowTerraform skips t unless the terraform on PATH is at least min
// (for the tests that drive the binary directly).
func skipBelowTerraform(t *testing.T, minVersion string) {
	t.Helper()
	out, err := exec.Command("terraform", "version", "-json").Output()
	if err != nil {
		t.Skipf("terraform is not runnable: %v", err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("terraform version -json: %v", err)
	}
	if !versionAtLeast(v.Version, minVersion) {
		t.Skipf("needs terraform %s or later; this is %s", minVersion, v.Version)
	}
}

// versionAtLeast compares dotted release numbers (a pre-release suffix is
// ignored).
func versionAtLeast(have, want string) bool {
	h, w := strings.Split(strings.SplitN(have, "-", 2)[0], "."), strings.Split(want, ".")
	for i := range w {
		var hn int
		if i < len(h) {
			hn, _ = strconv.Atoi(h[i])
		}
		wn, _ := strconv.Atoi(w[i])
		if hn != wn {
			return hn > wn
		}
	}
	return true
}

// TestAccSecretImportByIdentity: an import block with the secret's
// identity imports it (Terraform 1.12), and the identity is in state.
func TestAccSecretImportByIdentity(t *testing.T) {
	ts := newTestStore(t)
	config := ts.providerBlock("") + `
resource "secretstore_key_version" "v1" {
  version = 1
}

resource "secretstore_secret" "db" {
  namespace = "app:production"
  name      = "db-password"
  value     = "s3cr3t"
  metadata  = { owner = "team-a" }
  depends_on = [secretstore_key_version.v1]
}
`
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity("secretstore_secret.db", map[string]knownvalue.Check{
						"namespace": knownvalue.StringExact("app:production"),
						"name":      knownvalue.StringExact("db-password"),
					}),
					statecheck.ExpectIdentity("secretstore_key_version.v1", map[string]knownvalue.Check{
						"version": knownvalue.Int64Exact(1),
					}),
				},
			},
			{
				ResourceName:    "secretstore_secret.db",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
				// Import never decrypts: the first plan writes value.
				ImportStateVerifyIgnore: []string{"value"},
				ExpectNonEmptyPlan:      true,
			},
			{
				ResourceName:    "secretstore_key_version.v1",
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
		},
	})
}

// TestAccRotateActionTrigger: adding key version 2 with an action_trigger
// on after_create rotates every secret to it in the same apply, one
// rotated audit event per secret (Terraform 1.14).
func TestAccRotateActionTrigger(t *testing.T) {
	ts := newTestStore(t)
	store := ts.open(t)
	secrets := ts.providerBlock("") + `
resource "secretstore_key_version" "v1" {
  version = 1
}

resource "secretstore_secret" "s" {
  count      = 3
  namespace  = "app:production"
  name       = "s${count.index}"
  value      = "v${count.index}"
  depends_on = [secretstore_key_version.v1]
}
`
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{Config: secrets},
			{
				Config: secrets + `
action "secretstore_rotate" "all" {}

resource "secretstore_key_version" "v2" {
  version    = 2
  rewrap     = false # the triggered action rotates
  depends_on = [secretstore_secret.s]

  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.secretstore_rotate.all]
    }
  }
}
`,
				Check: func(*terraform.State) error {
					for i := range 3 {
						name := fmt.Sprintf("s%d", i)
						sec, err := store.Head(context.Background(), "app:production", name)
						if err != nil {
							return err
						}
						if sec.KeyVersion != 2 {
							return fmt.Errorf("%s: key version %d after the triggered rotation, want 2", name, sec.KeyVersion)
						}
						page, err := store.ListEvents(context.Background(), backend.EventFilter{
							Namespace: "app:production", Name: name, Operations: []string{backend.OpRotated},
						})
						if err != nil {
							return err
						}
						if len(page.Events) != 1 {
							return fmt.Errorf("%s: %d rotated events, want 1", name, len(page.Events))
						}
					}
					return nil
				},
			},
			// The secrets go first, so that the final destroy retires key
			// versions that no secret uses.
			{Config: ts.providerBlock("") + `
resource "secretstore_key_version" "v1" {
  version = 1
}

resource "secretstore_key_version" "v2" {
  version = 2
  rewrap  = false
}
`},
		},
	})
}

// TestAccCleanupInvoke: `terraform apply -invoke` of secretstore_cleanup
// purges a destroyed secret past its retention and keeps the live one
// (Terraform 1.14).
func TestAccCleanupInvoke(t *testing.T) {
	skipBelowTerraform(t, "1.14.0")
	t.Parallel()
	ts := newTestStore(t)
	// Written an hour ago, by a writer's clock.
	store, err := backend.Open(context.Background(), backend.Options{
		BucketURL: ts.URL, RootKey: ts.RootKey, Actor: "test", Now: func() time.Time { return time.Now().Add(-time.Hour) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	seedKeyVersion(t, store)
	gone := seedSecret(t, store, "app", "gone", time.Time{})
	if err := store.Delete(context.Background(), backend.DeleteInput{Namespace: "app", Name: "gone", IfRevision: gone.Revision}); err != nil {
		t.Fatal(err)
	}
	seedSecret(t, store, "app", "live", time.Time{})
	d := newTFDir(t, t.TempDir(), "cleanup")
	d.write(ts.providerBlock("") + `
action "secretstore_cleanup" "now" {
  config {
    namespace                = "app"
    deleted_secret_retention = "0s"
  }
}
`)
	out := d.mustRun("apply", "-auto-approve", "-invoke=action.secretstore_cleanup.now")
	if !strings.Contains(out, "Purged: 1 secret(s)") {
		t.Errorf("invoke of cleanup: want one purged secret reported:\n%s", out)
	}
	if err := checkGone(store, "app", "gone"); err != nil {
		t.Error(err)
	}
	if err := checkReadable(store, "app", "live"); err != nil {
		t.Error(err)
	}
}

// TestAccSecretQueryGenerateConfig: `terraform query
// -generate-config-out` finds secrets written outside the configuration;
// the generated configuration, with a write-only value added, imports
// them, and after that apply the plan is empty (Terraform 1.14).
func TestAccSecretQueryGenerateConfig(t *testing.T) {
	skipBelowTerraform(t, "1.14.0")
	t.Parallel()
	ts := newTestStore(t)
	store := ts.open(t)
	seedKeyVersion(t, store)
	seedSecret(t, store, "app:production", "api-key", time.Time{})
	seedSecret(t, store, "app:production", "db", time.Now().Add(72*time.Hour).Truncate(time.Second))
	d := newTFDir(t, t.TempDir(), "query")
	d.write(ts.providerBlock(""))
	query := `
list "secretstore_secret" "found" {
  provider         = secretstore
  include_resource = true
  config {
    namespace = "app:production"
  }
}
`
	if err := os.WriteFile(filepath.Join(d.Dir, "found.tfquery.hcl"), []byte(query), 0o600); err != nil {
		t.Fatal(err)
	}
	out := d.mustRun("query", "-generate-config-out=generated.tf")
	for _, want := range []string{"app:production/api-key", "app:production/db"} {
		if !strings.Contains(out, want) {
			t.Errorf("terraform query output lacks %s:\n%s", want, out)
		}
	}
	gen, err := os.ReadFile(filepath.Join(d.Dir, "generated.tf"))
	if err != nil {
		t.Fatal(err)
	}
	// The user supplies the value: the generated write-only arguments are
	// null, and each is replaced by a value and its version.
	gen = regexp.MustCompile(`(?m)^(\s*)value_wo\s*=.*$`).ReplaceAll(gen, []byte(`${1}value_wo = "imported"`))
	gen = regexp.MustCompile(`(?m)^(\s*)value_wo_version\s*=.*$`).ReplaceAll(gen, []byte(`${1}value_wo_version = 1`))
	if err := os.WriteFile(filepath.Join(d.Dir, "generated.tf"), gen, 0o600); err != nil {
		t.Fatal(err)
	}
	plan := d.mustRun("plan")
	if !strings.Contains(plan, "2 to import, 0 to add, 2 to change, 0 to destroy") {
		t.Errorf("plan of the generated configuration: want 2 imports whose only change is the write-only value:\n%s", plan)
	}
	d.mustRun("apply", "-auto-approve")
	if out, err := d.run("plan", "-detailed-exitcode"); err != nil {
		t.Errorf("plan after importing the generated configuration is not empty (%v):\n%s", err, out)
	}
	sec, err := store.Get(context.Background(), "app:production", "api-key", backend.GetOptions{})
	if err != nil || string(sec.Value) != "imported" {
		t.Errorf("api-key after the import apply: %q %v", sec.Value, err)
	}
}
