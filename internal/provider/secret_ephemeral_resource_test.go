// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

func TestAccSecretEphemeralResource(t *testing.T) {
	slowTest(t, "two terraform steps with ephemeral opens")
	ts := newTestStore(t)
	s := openSeedStore(t, ts, nil)
	first := mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "db", Value: []byte("first value")})
	second := mustPut(t, s, backend.PutInput{
		Namespace: "app:production", Name: "db", Value: []byte("second value"),
		SetMetadata: true, Metadata: map[string]string{"owner": "payments"},
		Expiry: backend.Expiry{Set: true, At: time.Now().Add(240 * time.Hour).Truncate(time.Second)},
	})
	data := tfjsonpath.New("data")

	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: readFactories(nil),
		Steps: []resource.TestStep{
			{
				Config: ts.providerBlock("") + secretEphemeralConfig("app:production", "db", ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.test", data.AtMapKey("value"), knownvalue.StringExact("second value")),
					statecheck.ExpectKnownValue("echo.test", data.AtMapKey("revision"), knownvalue.Int64Exact(second.Revision)),
					statecheck.ExpectKnownValue("echo.test", data.AtMapKey("key_version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue("echo.test", data.AtMapKey("metadata"),
						knownvalue.MapExact(map[string]knownvalue.Check{"owner": knownvalue.StringExact("payments")})),
					statecheck.ExpectKnownValue("echo.test", data.AtMapKey("created_at"), knownvalue.StringExact(rfc3339(first.CreatedAt))),
					statecheck.ExpectKnownValue("echo.test", data.AtMapKey("updated_at"), knownvalue.StringExact(rfc3339(second.UpdatedAt))),
					statecheck.ExpectKnownValue("echo.test", data.AtMapKey("expires_at"), knownvalue.StringExact(rfc3339(second.ExpiresAt))),
				},
			},
			{
				Config: ts.providerBlock("") + secretEphemeralConfigEcho("revision", "app:production", "db", fmt.Sprintf("  revision = %d", first.Revision)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.revision", data.AtMapKey("value"), knownvalue.StringExact("first value")),
					statecheck.ExpectKnownValue("echo.revision", data.AtMapKey("revision"), knownvalue.Int64Exact(first.Revision)),
					statecheck.ExpectKnownValue("echo.revision", data.AtMapKey("expires_at"), knownvalue.Null()),
				},
			},
		},
	})
}

// An ephemeral value feeds value_wo of another secret: the copy holds the
// value in the store, and neither resource keeps it in state.
func TestAccSecretEphemeralResource_valueWriteOnly(t *testing.T) {
	ts := newTestStore(t)
	s := openSeedStore(t, ts, nil)
	value := "source-" + randomText(t, 24)
	mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "source", Value: []byte(value)})

	config := ts.providerBlock("") + `
ephemeral "secretstore_secret" "source" {
  namespace = "app:production"
  name      = "source"
}

resource "secretstore_secret" "copy" {
  namespace        = "app:dr"
  name             = "copy"
  value_wo         = ephemeral.secretstore_secret.source.value
  value_wo_version = 1
}
`
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("secretstore_secret.copy", tfjsonpath.New("value_wo"), knownvalue.Null()),
				statecheck.ExpectKnownValue("secretstore_secret.copy", tfjsonpath.New("value"), knownvalue.Null()),
				statecheck.ExpectKnownValue("secretstore_secret.copy", tfjsonpath.New("revision"), knownvalue.Int64Exact(1)),
			},
			Check: checkStored(t, ts, "app:dr", "copy", value, 1),
		}},
	})
}

// An ephemeral value configures a provider: the root key of a second store
// is kept as a secret in the first, and an aliased provider opens the second
// store with it.
func TestAccSecretEphemeralResource_providerBlock(t *testing.T) {
	ts := newTestStore(t)
	other := newTestStore(t)
	s := openSeedStore(t, ts, nil)
	mustPut(t, s, backend.PutInput{Namespace: "platform:production", Name: "other-root-key", Value: []byte(other.RootKey)})
	o := openSeedStore(t, other, nil)
	mustPut(t, o, backend.PutInput{Namespace: "app:production", Name: "db", Value: []byte("from the other store")})

	config := ts.providerBlock("") + fmt.Sprintf(`
ephemeral "secretstore_secret" "root_key" {
  namespace = "platform:production"
  name      = "other-root-key"
}

provider "secretstore" {
  alias    = "other"
  url      = %q
  root_key = ephemeral.secretstore_secret.root_key.value
}

ephemeral "secretstore_secret" "db" {
  provider  = secretstore.other
  namespace = "app:production"
  name      = "db"
}

provider "echo" {
  data = ephemeral.secretstore_secret.db.value
}

resource "echo" "test" {}
`, other.URL)
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: readFactories(nil),
		Steps: []resource.TestStep{{
			Config: config,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.test", tfjsonpath.New("data"), knownvalue.StringExact("from the other store")),
			},
		}},
	})
}

// A secret wrapped under a key version that is gone from the keyring fails
// with key_version_unavailable through both read paths.
func TestAccSecretRead_keyVersionUnavailable(t *testing.T) {
	ts := newTestStore(t)
	s := openSeedStore(t, ts, nil)
	mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "kept", Value: []byte("under version 1")})
	removeKeyVersionAfter(t, ts, s, 2, func() {
		mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "orphan", Value: []byte("under version 2")})
	})
	want := diagRegexp(`Secret "app:production/orphan" cannot be decrypted`, "key_version_unavailable:", "Restore that key version")
	steps := readFailureSteps(ts, "", "app:production", "orphan", want)
	// The rest of the store stays readable.
	steps = append(steps, resource.TestStep{
		Config: ts.providerBlock("") + secretDataSourceConfig("app:production", "kept", ""),
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue("data.secretstore_secret.s", tfjsonpath.New("value"), knownvalue.StringExact("under version 1")),
		},
	})
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_10_0)},
		ProtoV6ProviderFactories: readFactories(nil),
		Steps:                    steps,
	})
}

// TestAccSecretEphemeralResource_canary feeds a canary secret through the
// ephemeral resource into value_wo of another secret, with read auditing on,
// running terraform (TF_LOG=TRACE to a file) against the provider binary.
// The canary, the root key and the key material must appear nowhere in the
// state, the saved plans, the TRACE log, terraform's output or the bucket.
func TestAccSecretEphemeralResource_canary(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	canary := "canary-ephemeral-" + randomText(t, 24)
	rootRaw, materialRaw := randomBytes(t, 32), randomBytes(t, 32)
	ts := testStore{URL: fileURL(filepath.Join(base, "bucket")), RootKey: base64.StdEncoding.EncodeToString(rootRaw)}
	ctx := context.Background()
	seed, err := backend.Open(ctx, backend.Options{BucketURL: ts.URL, RootKey: ts.RootKey, Actor: "seeder"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seed.CreateKeyVersion(ctx, 1, materialRaw); err != nil {
		t.Fatal(err)
	}
	mustPut(t, seed, backend.PutInput{Namespace: "canary:test", Name: "source", Value: []byte(canary)})
	if err := seed.Close(); err != nil {
		t.Fatal(err)
	}

	logPath := filepath.Join(base, "trace.log")
	d := newTFDir(t, base, "work",
		"SECRETSTORE_URL="+ts.URL,
		"SECRETSTORE_ROOT_KEY="+ts.RootKey,
		"SECRETSTORE_AUDIT_READS=true",
		"TF_LOG=TRACE",
		"TF_LOG_PATH="+logPath,
	)
	d.write(`
provider "secretstore" {}

ephemeral "secretstore_secret" "source" {
  namespace = "canary:test"
  name      = "source"
}

resource "secretstore_secret" "copy" {
  namespace        = "canary:test"
  name             = "copy"
  value_wo         = ephemeral.secretstore_secret.source.value
  value_wo_version = 1
}
`)
	var outputs strings.Builder
	outputs.WriteString(d.mustRun("plan", "-input=false", "-out=create.tfplan"))
	outputs.WriteString(d.mustRun("apply", "-input=false", "create.tfplan"))
	out, err := d.run("plan", "-input=false", "-detailed-exitcode", "-out=noop.tfplan")
	outputs.WriteString(out)
	if err != nil {
		t.Fatalf("the plan after apply is not empty (or failed): %v\n%s", err, out)
	}

	// Positive controls: the canary went through Terraform into the copy,
	// and the opens were audited.
	if err := checkStored(t, ts, "canary:test", "copy", canary, 1)(nil); err != nil {
		t.Fatal(err)
	}
	events, err := readEvents(ts.open(t), "canary:test", "source")
	if err != nil || len(events) == 0 {
		t.Fatalf("no read event of the ephemeral opens (audit_reads from the environment): %v", err)
	}

	needles := []needle{
		newNeedle("canary", nil, canary),
		newNeedle("root key", rootRaw, ts.RootKey),
		newNeedle("key material", materialRaw, ""),
	}
	var r scanReport
	for _, f := range []string{"terraform.tfstate", "terraform.tfstate.backup"} {
		data, err := os.ReadFile(filepath.Join(d.Dir, f))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		r.scan("state", f, data, needles, nil)
	}
	for _, f := range []string{"create.tfplan", "noop.tfplan"} {
		r.scanPlanFile(t, filepath.Join(d.Dir, f), needles, nil)
	}
	logData, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("reading the TRACE log: %v", err)
	}
	r.scan("log", "trace.log", logData, needles, nil)
	r.scan("output", "terraform stdout/stderr", []byte(outputs.String()), needles, nil)
	objects := r.scanTree(t, "bucket", ts.dir(), needles, nil)

	for _, c := range []string{"state", "plan", "log", "output", "bucket"} {
		if r.scanned[c] == 0 {
			t.Errorf("scanned zero bytes of %s", c)
		}
	}
	if objects < 3 {
		t.Errorf("the bucket holds %d object(s); expected the keyring and two secrets at least", objects)
	}
	for _, want := range []string{"OpenEphemeralResource", "secretstore_secret"} {
		if !strings.Contains(string(logData), want) {
			t.Errorf("the TRACE log lacks %q: the ephemeral open was not logged", want)
		}
	}
	for _, h := range r.hits {
		t.Errorf("LEAK: %s", h)
	}
	t.Logf("scanned bytes: %v; bucket objects: %d", r.scanned, objects)
}

// The secretstore_secret data source has the same arguments and results as
// the ephemeral resource, as served to Terraform.
func TestSecretReadSchemasMatch(t *testing.T) {
	t.Parallel()
	p := newProtoProvider(t, nil)
	shape := func(attrs []*tfprotov6.SchemaAttribute) map[string]string {
		out := map[string]string{}
		for _, a := range attrs {
			out[a.Name] = fmt.Sprintf("%s required=%t optional=%t computed=%t sensitive=%t",
				a.Type, a.Required, a.Optional, a.Computed, a.Sensitive)
		}
		return out
	}
	ds := shape(p.schema.DataSourceSchemas["secretstore_secret"].Block.Attributes)
	eph := shape(p.schema.EphemeralResourceSchemas["secretstore_secret"].Block.Attributes)
	if len(ds) != 9 || !maps.Equal(ds, eph) {
		t.Errorf("data source attributes %v\ndiffer from ephemeral attributes %v", ds, eph)
	}
	if !strings.Contains(ds["value"], "sensitive=true") {
		t.Errorf("value is not sensitive: %s", ds["value"])
	}
}
