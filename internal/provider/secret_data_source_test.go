// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// secretDataSourceConfig is a data "secretstore_secret" "s" with extra lines.
func secretDataSourceConfig(namespace, name, extra string) string {
	return fmt.Sprintf(`
data "secretstore_secret" "s" {
  namespace = %q
  name      = %q
%s
}
`, namespace, name, extra)
}

// secretEphemeralConfig is an ephemeral "secretstore_secret" "s" with extra
// lines, echoed into echo.test.data.
func secretEphemeralConfig(namespace, name, extra string) string {
	return secretEphemeralConfigEcho("test", namespace, name, extra)
}

// secretEphemeralConfigEcho is secretEphemeralConfig echoed into
// echo.<echo>.data. The echo resource keeps the data of its creation, so a
// step that expects other data needs another echo resource.
func secretEphemeralConfigEcho(echo, namespace, name, extra string) string {
	return fmt.Sprintf(`
ephemeral "secretstore_secret" "s" {
  namespace = %q
  name      = %q
%s
}

provider "echo" {
  data = ephemeral.secretstore_secret.s
}

resource "echo" %q {}
`, namespace, name, extra, echo)
}

// readFailureSteps reads one secret through the data source, then through
// the ephemeral resource, and expects terraform plan to fail with want.
func readFailureSteps(ts testStore, providerExtra, namespace, name string, want *regexp.Regexp) []resource.TestStep {
	return []resource.TestStep{
		{
			Config:      ts.providerBlock(providerExtra) + secretDataSourceConfig(namespace, name, ""),
			PlanOnly:    true,
			ExpectError: want,
		},
		{
			Config:      ts.providerBlock(providerExtra) + secretEphemeralConfig(namespace, name, ""),
			PlanOnly:    true,
			ExpectError: want,
		},
	}
}

func TestAccSecretDataSource(t *testing.T) {
	ts := newTestStore(t)
	s := openSeedStore(t, ts, nil)
	first := mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "db", Value: []byte("first value")})
	second := mustPut(t, s, backend.PutInput{
		Namespace: "app:production", Name: "db", Value: []byte("second value"),
		SetMetadata: true, Metadata: map[string]string{"owner": "payments"},
		Expiry: backend.Expiry{Set: true, At: time.Now().Add(240 * time.Hour).Truncate(time.Second)},
	})

	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{
				Config:      ts.providerBlock("") + secretDataSourceConfig("app:production", "db", "  revision = 0"),
				ExpectError: diagRegexp("Invalid Attribute Value", "revision", "at least 1"),
			},
			{
				Config: ts.providerBlock("") + secretDataSourceConfig("app:production", "db", ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.secretstore_secret.s", tfjsonpath.New("value"), knownvalue.StringExact("second value")),
					statecheck.ExpectKnownValue("data.secretstore_secret.s", tfjsonpath.New("revision"), knownvalue.Int64Exact(second.Revision)),
					statecheck.ExpectKnownValue("data.secretstore_secret.s", tfjsonpath.New("key_version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue("data.secretstore_secret.s", tfjsonpath.New("metadata"),
						knownvalue.MapExact(map[string]knownvalue.Check{"owner": knownvalue.StringExact("payments")})),
					statecheck.ExpectKnownValue("data.secretstore_secret.s", tfjsonpath.New("created_at"), knownvalue.StringExact(rfc3339(first.CreatedAt))),
					statecheck.ExpectKnownValue("data.secretstore_secret.s", tfjsonpath.New("updated_at"), knownvalue.StringExact(rfc3339(second.UpdatedAt))),
					statecheck.ExpectKnownValue("data.secretstore_secret.s", tfjsonpath.New("expires_at"), knownvalue.StringExact(rfc3339(second.ExpiresAt))),
					statecheck.ExpectSensitiveValue("data.secretstore_secret.s", tfjsonpath.New("value")),
				},
			},
			{
				// An older revision, by number.
				Config: ts.providerBlock("") + secretDataSourceConfig("app:production", "db", fmt.Sprintf("  revision = %d", first.Revision)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.secretstore_secret.s", tfjsonpath.New("value"), knownvalue.StringExact("first value")),
					statecheck.ExpectKnownValue("data.secretstore_secret.s", tfjsonpath.New("revision"), knownvalue.Int64Exact(first.Revision)),
					statecheck.ExpectKnownValue("data.secretstore_secret.s", tfjsonpath.New("metadata"), knownvalue.MapExact(map[string]knownvalue.Check{})),
					statecheck.ExpectKnownValue("data.secretstore_secret.s", tfjsonpath.New("expires_at"), knownvalue.Null()),
				},
			},
		},
	})
}

func TestAccSecretRead_notFound(t *testing.T) {
	ts := newTestStore(t)
	s := openSeedStore(t, ts, nil)
	mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "deleted", Value: []byte("v")})
	if err := s.Delete(context.Background(), backend.DeleteInput{Namespace: "app:production", Name: "deleted"}); err != nil {
		t.Fatal(err)
	}
	steps := readFailureSteps(ts, "", "app:production", "missing",
		diagRegexp(`Secret "app:production/missing" not found`, `not_found: secret "app:production/missing" does not exist`))
	steps = append(steps, readFailureSteps(ts, "", "app:production", "deleted",
		diagRegexp(`Secret "app:production/deleted" not found`, "not_found:"))...)
	steps = append(steps, resource.TestStep{
		Config:      ts.providerBlock("") + secretEphemeralConfig("app:production", "deleted", "  revision = 9"),
		ExpectError: diagRegexp(`Secret "app:production/deleted" not found`, `not_found: revision 9 of secret`),
	})
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: readFactories(nil),
		Steps:                    steps,
	})
}

func TestAccSecretRead_expired(t *testing.T) {
	ts := newTestStore(t)
	start := time.Now().UTC().Truncate(time.Second)
	clock := newStepClock(start)
	s := openSeedStore(t, ts, nil)
	expiresAt := start.Add(time.Hour)
	mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "token", Value: []byte("short-lived"),
		Expiry: backend.Expiry{Set: true, At: expiresAt}})

	steps := []resource.TestStep{{
		Config: ts.providerBlock("") + secretDataSourceConfig("app:production", "token", ""),
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue("data.secretstore_secret.s", tfjsonpath.New("value"), knownvalue.StringExact("short-lived")),
		},
	}}
	failing := readFailureSteps(ts, "", "app:production", "token",
		diagRegexp(`Secret "app:production/token" has expired`, "expired:", "expired at "+expiresAt.Format(time.RFC3339), "Renew it"))
	failing[0].PreConfig = func() { clock.Advance(2 * time.Hour) }
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: readFactories(clock.Now),
		Steps:                    append(steps, failing...),
	})
}

func TestAccSecretRead_integrity(t *testing.T) {
	ts := newTestStore(t)
	s := openSeedStore(t, ts, nil)
	mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "db", Value: []byte("v1")})
	tamperNewRevision(t, ts, s, "app:production", "db")

	want := diagRegexp(`Secret "app:production/db" failed its integrity check`, "modified or corrupted", "do not re-create it")
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: readFactories(nil),
		Steps:                    readFailureSteps(ts, "", "app:production", "db", want),
	})
}

func TestAccSecretRead_namespaceNotAllowed(t *testing.T) {
	ts := newTestStore(t)
	s := openSeedStore(t, ts, nil)
	mustPut(t, s, backend.PutInput{Namespace: "app:staging", Name: "db", Value: []byte("v")})
	policy := `  allowed_namespaces = ["*:production"]`
	want := diagRegexp("Namespace not allowed", `namespace "app:staging"`, `"*:production"`)
	steps := readFailureSteps(ts, policy, "app:staging", "db", want)
	steps = append(steps,
		resource.TestStep{
			Config:      ts.providerBlock(policy) + `data "secretstore_secrets" "l" { namespace = "app:staging" }`,
			PlanOnly:    true,
			ExpectError: want,
		},
		resource.TestStep{
			Config:      ts.providerBlock(policy) + `data "secretstore_audit_events" "e" { namespace = "app:staging" }`,
			PlanOnly:    true,
			ExpectError: want,
		},
	)
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: readFactories(nil),
		Steps:                    steps,
	})
}

func TestAccSecretRead_auditReads(t *testing.T) {
	ts := newTestStore(t)
	s := openSeedStore(t, ts, nil)
	viaData := mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "via-data", Value: []byte("d")})
	viaEphemeral := mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "via-ephemeral", Value: []byte("e")})

	config := func(auditReads bool) string {
		return ts.providerBlock(fmt.Sprintf("  actor = \"auditor\"\n  audit_reads = %t", auditReads)) +
			secretDataSourceConfig("app:production", "via-data", "") +
			secretEphemeralConfig("app:production", "via-ephemeral", "")
	}
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: readFactories(nil),
		Steps: []resource.TestStep{
			{
				Config: config(false),
				Check: resource.ComposeTestCheckFunc(
					checkReadEvents(t, ts, "via-data", false, "", 0),
					checkReadEvents(t, ts, "via-ephemeral", false, "", 0),
				),
			},
			{
				Config: config(true),
				Check: resource.ComposeTestCheckFunc(
					checkReadEvents(t, ts, "via-data", true, "auditor", viaData.Revision),
					checkReadEvents(t, ts, "via-ephemeral", true, "auditor", viaEphemeral.Revision),
				),
			},
		},
	})
}

// A value written outside Terraform that is not UTF-8 cannot become a
// Terraform string: the read fails and says so instead of mangling it.
func TestAccSecretRead_notText(t *testing.T) {
	ts := newTestStore(t)
	s := openSeedStore(t, ts, nil)
	mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "binary", Value: []byte{0xff, 0xfe, 0x00, 0x80}})
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: readFactories(nil),
		Steps: readFailureSteps(ts, "", "app:production", "binary",
			diagRegexp(`Secret "app:production/binary" is not text`, "not valid UTF-8")),
	})
}

// An invalid namespace or name fails validation on the attribute, with the
// validator's wording (not the store's), before anything is read.
func TestAccSecretRead_invalidNames(t *testing.T) {
	ts := newTestStore(t)
	badNamespace := diagRegexp("Invalid namespace", `namespace "app staging" is not valid: contains ' '`)
	badName := diagRegexp("Invalid name", `name "a/b" is not valid: contains '/'`)
	steps := append(readFailureSteps(ts, "", "app staging", "db", badNamespace),
		readFailureSteps(ts, "", "app:staging", "a/b", badName)...)
	for _, c := range []struct {
		config string
		want   *regexp.Regexp
	}{
		{`data "secretstore_secrets" "l" { namespace = "app staging" }`, badNamespace},
		{`data "secretstore_audit_events" "e" { namespace = "app staging" }`, badNamespace},
		{"data \"secretstore_audit_events\" \"e\" {\n  namespace = \"app:staging\"\n  name = \"a/b\"\n}", badName},
	} {
		steps = append(steps, resource.TestStep{Config: ts.providerBlock("") + c.config, PlanOnly: true, ExpectError: c.want})
	}
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: readFactories(nil),
		Steps:                    steps,
	})
}
