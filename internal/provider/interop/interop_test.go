// SPDX-License-Identifier: MPL-2.0

package interop

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// tfSecretConfig is a secret written by Terraform with a write-only value,
// with the key versions given, the secret's min_key_version set to minKV.
func tfSecretConfig(s *store, value string, minKV int, versions ...int) string {
	var b strings.Builder
	b.WriteString(s.providerBlock())
	for _, v := range versions {
		fmt.Fprintf(&b, "\nresource \"secretstore_key_version\" \"v%[1]d\" {\n  version = %[1]d\n}\n", v)
	}
	fmt.Fprintf(&b, `
resource "secretstore_secret" "tf" {
  namespace        = "interop:tf"
  name             = "db-password"
  value_wo         = %q
  value_wo_version = 1
  metadata         = { owner = "terraform" }
  min_key_version  = secretstore_key_version.v%d.version
}
`, value, minKV)
	return b.String()
}

// A secret written by Terraform is read by the command and by the client,
// with the revision, key version and metadata Terraform recorded; a
// rotation by Terraform (key version 2, rewrap) is seen by both, and the
// command's dry run counts the same pending work the plan shows.
func TestAccInterop_terraformWritesCLIAndClientRead(t *testing.T) {
	s := newStore(t)
	value := "tf-value-" + randomText(t, 16)
	const ns, name, ref = "interop:tf", "db-password", "interop:tf/db-password"
	const kv2 = "secretstore_key_version.v2"

	readsAt := func(revision, keyVersion int) func() error {
		return func() error {
			if got := s.ok("", "get", ref); got != value {
				return fmt.Errorf("secretstore get printed %d bytes, not the value Terraform wrote", len(got))
			}
			var js map[string]any
			s.okJSON(&js, "get", ref)
			if js["value"] != value || jsonNumber(js, "revision") != revision || jsonNumber(js, "key_version") != keyVersion {
				return fmt.Errorf("get --json: revision %v, key version %v (value equal: %v); want revision %d, key version %d",
					js["revision"], js["key_version"], js["value"] == value, revision, keyVersion)
			}
			if md, _ := js["metadata"].(map[string]any); md["owner"] != "terraform" {
				return fmt.Errorf("get --json: metadata %v, want owner=terraform", js["metadata"])
			}
			c := s.openClient()
			sec, err := c.Get(context.Background(), ns, name)
			if err != nil {
				return fmt.Errorf("client Get: %w", err)
			}
			infos, err := c.List(context.Background(), ns, "")
			if err != nil {
				return fmt.Errorf("client List: %w", err)
			}
			if len(infos) != 1 || infos[0].Name != name || infos[0].Revision != int64(revision) || infos[0].KeyVersion != int64(keyVersion) {
				return fmt.Errorf("client List: %v; want %s at revision %d, key version %d", infos, name, revision, keyVersion)
			}
			env, err := c.ResolveEnv(context.Background(), []string{"DB_PASSWORD=secretstore:" + ref, "OTHER=plain"})
			if err != nil {
				return fmt.Errorf("client ResolveEnv: %w", err)
			}
			if len(env) != 2 || env[0] != "DB_PASSWORD="+value || env[1] != "OTHER=plain" {
				return fmt.Errorf("client ResolveEnv: %d entries, want the value and the plain entry", len(env))
			}
			// Every revision stays readable by number.
			if got := s.ok("", "get", "--revision", "1", ref); got != value {
				return fmt.Errorf("get --revision 1 printed %d bytes, not the value", len(got))
			}
			if string(sec.Value) != value || sec.Revision != int64(revision) || sec.KeyVersion != int64(keyVersion) {
				return fmt.Errorf("client Get: revision %d, key version %d (value equal: %v); want revision %d, key version %d",
					sec.Revision, sec.KeyVersion, string(sec.Value) == value, revision, keyVersion)
			}
			return nil
		}
	}
	pendingRewrap := func(want int) func() error {
		return func() error {
			var js map[string]any
			s.okJSON(&js, "rotate", "--dry-run")
			if jsonNumber(js, "pending_rewrap") != want {
				return fmt.Errorf("rotate --dry-run: pending_rewrap %v, want %d (as the plan)", js["pending_rewrap"], want)
			}
			return nil
		}
	}

	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		ProtoV6ProviderFactories: factories(),
		Steps: []resource.TestStep{
			{
				Config: tfSecretConfig(s, value, 1, 1),
				Check: resource.ComposeAggregateTestCheckFunc(
					check(readsAt(1, 1)),
					check(func() error {
						// history names Terraform's actor for its write.
						out := s.ok("", "history", ref)
						if !strings.Contains(out, "created") || !strings.Contains(out, tfActor) {
							return fmt.Errorf("history lacks the created event by %s:\n%s", tfActor, out)
						}
						list := s.ok("", "list", ns)
						if !strings.Contains(list, name) {
							return fmt.Errorf("list %s lacks %s:\n%s", ns, name, list)
						}
						return nil
					}),
				),
			},
			{
				// Version 2 becomes primary; the plan that follows shows
				// pending_rewrap 1 -> 0, and the command counts the same.
				Config: tfSecretConfig(s, value, 1, 1, 2),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(kv2, tfjsonpath.New("pending_rewrap"), knownvalue.Int64Exact(1)),
				},
				Check:              resource.ComposeAggregateTestCheckFunc(check(readsAt(1, 1)), check(pendingRewrap(1))),
				ExpectNonEmptyPlan: true,
			},
			{
				Config: tfSecretConfig(s, value, 1, 1, 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(kv2, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("secretstore_secret.tf", plancheck.ResourceActionNoop),
				}},
				Check: resource.ComposeAggregateTestCheckFunc(
					check(readsAt(2, 2)),
					check(pendingRewrap(0)),
					check(func() error {
						kvs := s.okJSONLines("key-versions")
						if len(kvs) != 2 {
							return fmt.Errorf("key-versions lists %d versions, want 2", len(kvs))
						}
						for _, kv := range kvs {
							v, secrets, primary := jsonNumber(kv, "version"), jsonNumber(kv, "secrets"), kv["primary"] == true
							if (v == 2) != primary || (v == 2) != (secrets == 1) {
								return fmt.Errorf("key-versions: version %d primary %v with %d secrets; want version 2 primary with the secret", v, primary, secrets)
							}
						}
						out := s.ok("", "history", ref)
						if !strings.Contains(out, "rotated") {
							return fmt.Errorf("history lacks the rotation:\n%s", out)
						}
						return nil
					}),
				),
			},
			{
				// min_key_version follows to version 2, which the secret is
				// already under: an update that writes no revision, and
				// destroy then removes the secret before version 2.
				Config: tfSecretConfig(s, value, 2, 1, 2),
				Check:  check(readsAt(2, 2)),
			},
		},
	})
}

// cliReadConfig reads interop:cli/api-key through the data source, the
// ephemeral resource (echoed into echo.<echo>) and the audit events data
// source, and manages one secret of its own.
func cliReadConfig(s *store, echo string) string {
	return s.providerBlock() + fmt.Sprintf(`
data "secretstore_secret" "cli" {
  namespace = "interop:cli"
  name      = "api-key"
}

ephemeral "secretstore_secret" "cli" {
  namespace = "interop:cli"
  name      = "api-key"
}

provider "echo" {
  data = ephemeral.secretstore_secret.cli
}

resource "echo" %q {}

data "secretstore_audit_events" "cli" {
  namespace = "interop:cli"
  name      = "api-key"
  order     = "asc"
}

resource "secretstore_secret" "tf" {
  namespace        = "interop:tf"
  name             = "managed"
  value_wo         = "managed by terraform"
  value_wo_version = 1
}
`, echo)
}

// A secret written by the command (value on stdin) is read by the data
// source and the ephemeral resource, and its audit events carry the
// command's actor; a rotation by the command (key-versions create, rotate)
// is seen by both read paths and by refresh of a managed secret, and the
// plan after it is empty.
func TestAccInterop_cliWritesTerraformReads(t *testing.T) {
	s := newStore(t)
	value := "cli-value-" + randomText(t, 16)
	const ds, eph = "data.secretstore_secret.cli", "echo.first"
	data := tfjsonpath.New("data")
	events := tfjsonpath.New("events")

	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		ProtoV6ProviderFactories: factories(),
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					s.ok("", "key-versions", "create")
					s.ok(value, "put", "--metadata", "owner=cli", "interop:cli/api-key")
				},
				Config: cliReadConfig(s, "first"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("value"), knownvalue.StringExact(value)),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("revision"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("key_version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("metadata"),
						knownvalue.MapExact(map[string]knownvalue.Check{"owner": knownvalue.StringExact("cli")})),
					statecheck.ExpectKnownValue(eph, data.AtMapKey("value"), knownvalue.StringExact(value)),
					statecheck.ExpectKnownValue(eph, data.AtMapKey("key_version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue("data.secretstore_audit_events.cli", events, knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"operation": knownvalue.StringExact("created"),
							"actor":     knownvalue.StringExact(cliActor),
							"revision":  knownvalue.Int64Exact(1),
						}),
					})),
				},
			},
			{
				// The command adds key version 2 and rewraps every secret,
				// the one Terraform manages too.
				PreConfig: func() {
					s.ok("", "key-versions", "create")
					var res map[string]any
					s.okJSON(&res, "rotate")
					if jsonNumber(res, "rotated") != 2 {
						t.Errorf("rotate rewrapped %v secrets, want 2", res["rotated"])
					}
				},
				Config: cliReadConfig(s, "second"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("secretstore_secret.tf", plancheck.ResourceActionNoop),
						plancheck.ExpectResourceAction("echo.second", plancheck.ResourceActionCreate),
					},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("value"), knownvalue.StringExact(value)),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("revision"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue(ds, tfjsonpath.New("key_version"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue("echo.second", data.AtMapKey("value"), knownvalue.StringExact(value)),
					statecheck.ExpectKnownValue("echo.second", data.AtMapKey("key_version"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue("secretstore_secret.tf", tfjsonpath.New("key_version"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue("secretstore_secret.tf", tfjsonpath.New("revision"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue("data.secretstore_audit_events.cli", events, knownvalue.ListExact([]knownvalue.Check{
						knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"operation": knownvalue.StringExact("created"), "actor": knownvalue.StringExact(cliActor),
						}),
						knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"operation": knownvalue.StringExact("rotated"), "actor": knownvalue.StringExact(cliActor),
							"revision": knownvalue.Int64Exact(2), "key_version": knownvalue.Int64Exact(2),
						}),
					})),
				},
				Check: check(func() error {
					// The managed secret's history: written by Terraform,
					// rotated by the command.
					out := s.ok("", "history", "interop:tf/managed")
					var created, rotated bool
					for line := range strings.Lines(out) {
						created = created || strings.Contains(line, "created") && strings.Contains(line, tfActor)
						rotated = rotated || strings.Contains(line, "rotated") && strings.Contains(line, cliActor)
					}
					if !created || !rotated {
						return fmt.Errorf("history of interop:tf/managed lacks created by %s or rotated by %s:\n%s", tfActor, cliActor, out)
					}
					return nil
				}),
			},
		},
	})
}
