// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

var backendGetCurrent = backend.GetOptions{}

const kvBlock = `
resource "secretstore_key_version" "v1" {
  version = 1
}
`

// secretBlock is a secretstore_secret "s" that depends on key version 1,
// with body lines added.
func secretBlock(namespace, name, body string) string {
	return fmt.Sprintf(`
resource "secretstore_secret" "s" {
  namespace  = %q
  name       = %q
%s
  depends_on = [secretstore_key_version.v1]
}
`, namespace, name, body)
}

// checkSecretDestroyed is a CheckDestroy that looks in the bucket: the
// secret reads as not_found, yet its first revision is still there, since
// destroy writes a tombstone and only cleanup removes bytes.
func checkSecretDestroyed(t *testing.T, ts testStore, namespace, name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		store := ts.open(t)
		_, err := store.Get(context.Background(), namespace, name, backendGetCurrent)
		if !errors.Is(err, backend.ErrNotFound) {
			return fmt.Errorf("after destroy, reading %s/%s: got %w, want not_found", namespace, name, err)
		}
		_, err = store.Get(context.Background(), namespace, name, backend.GetOptions{Revision: 1})
		if err != nil && !errors.Is(err, backend.ErrExpired) {
			return fmt.Errorf("after destroy, revision 1 of %s/%s is no longer readable (%v): destroy must write a "+
				"tombstone and keep the bytes until cleanup", namespace, name, err)
		}
		return nil
	}
}

// checkStored asserts the store's current value and revision of a secret.
func checkStored(t *testing.T, ts testStore, namespace, name, value string, revision int64) resource.TestCheckFunc {
	return func(*terraform.State) error {
		s, err := ts.open(t).Get(context.Background(), namespace, name, backendGetCurrent)
		if err != nil {
			return fmt.Errorf("reading %s/%s from the store: %w", namespace, name, err)
		}
		if string(s.Value) != value {
			return fmt.Errorf("stored value of %s/%s is not the configured one", namespace, name)
		}
		if revision > 0 && s.Revision != revision {
			return fmt.Errorf("stored revision of %s/%s = %d, want %d", namespace, name, s.Revision, revision)
		}
		return nil
	}
}

// putOutOfBand writes a secret as another configuration would.
func putOutOfBand(t *testing.T, ts testStore, in backend.PutInput) backend.Secret {
	t.Helper()
	s, err := ts.open(t).Put(context.Background(), in)
	if err != nil {
		t.Fatalf("out-of-band write of %s/%s: %v", in.Namespace, in.Name, err)
	}
	return s
}

func TestAccSecretResource_value(t *testing.T) {
	slowTest(t, "four terraform steps, one an import")
	ts := newTestStore(t)
	addr := "secretstore_secret.s"
	cfg := func(value, metadata string) string {
		return ts.providerBlock("") + kvBlock + secretBlock("openai:production", "api-key",
			fmt.Sprintf("  value    = %q\n  metadata = %s", value, metadata))
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		CheckDestroy:             checkSecretDestroyed(t, ts, "openai:production", "api-key"),
		Steps: []resource.TestStep{
			{
				Config: cfg("sk-first", `{ owner = "payments" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
						plancheck.ExpectSensitiveValue(addr, tfjsonpath.New("value")),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact("openai:production/api-key")),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact("openai:production/api-key")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("revision"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("key_version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("expired"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("metadata"), knownvalue.MapExact(map[string]knownvalue.Check{
						"owner": knownvalue.StringExact("payments"),
					})),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("created_at"), knownvalue.NotNull()),
					statecheck.ExpectSensitiveValue(addr, tfjsonpath.New("value")),
				},
				Check: checkStored(t, ts, "openai:production", "api-key", "sk-first", 1),
			},
			{
				// Import never decrypts (it cannot tell value from value_wo),
				// so value is the one attribute that differs.
				ResourceName:            addr,
				ImportState:             true,
				ImportStateId:           "openai:production/api-key",
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"value"},
				ImportStateCheck:        checkImportedWithoutValue,
			},
			{
				Config: cfg("sk-second", `{ owner = "payments", rotated = "yes" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
						plancheck.ExpectUnknownValue(addr, tfjsonpath.New("revision")),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("created_at"), knownvalue.NotNull()),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("revision"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("metadata"), knownvalue.MapSizeExact(2)),
				},
				Check: checkStored(t, ts, "openai:production", "api-key", "sk-second", 2),
			},
			{
				// A value changed outside this configuration is a planned update
				// that writes the configured value back.
				PreConfig: func() {
					putOutOfBand(t, ts, backend.PutInput{Namespace: "openai:production", Name: "api-key", Value: []byte("sk-rogue")})
				},
				Config: cfg("sk-second", `{ owner = "payments", rotated = "yes" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("revision"), knownvalue.Int64Exact(4)),
				},
				Check: checkStored(t, ts, "openai:production", "api-key", "sk-second", 4),
			},
		},
	})
}

// checkImportedWithoutValue is an ImportStateCheck: no imported secret
// holds a value in state.
func checkImportedWithoutValue(states []*terraform.InstanceState) error {
	if len(states) == 0 {
		return fmt.Errorf("nothing was imported")
	}
	for _, s := range states {
		if v, ok := s.Attributes["value"]; ok && v != "" {
			return fmt.Errorf("import of %s put the decrypted value in state", s.ID)
		}
	}
	return nil
}

// countingStore counts decrypting reads.
type countingStore struct {
	backend.StoreAPI
	gets *atomic.Int64
}

func (c countingStore) Get(ctx context.Context, namespace, name string, opts backend.GetOptions) (backend.Secret, error) {
	c.gets.Add(1)
	return c.StoreAPI.Get(ctx, namespace, name, opts)
}

func TestAccSecretResource_valueWO(t *testing.T) {
	slowTest(t, "five terraform steps, one an import")
	ts := newTestStore(t)
	addr := "secretstore_secret.s"
	var gets atomic.Int64
	cfg := func(value string, version int) string {
		return ts.providerBlock("") + kvBlock + secretBlock("app:production", "db-password",
			fmt.Sprintf("  value_wo         = %q\n  value_wo_version = %d", value, version))
	}
	noDecrypt := func(*terraform.State) error {
		if n := gets.Load(); n != 0 {
			return fmt.Errorf("the provider decrypted a value_wo secret %d time(s); it must only read its record", n)
		}
		return nil
	}
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		ProtoV6ProviderFactories: testAccProviderFactoriesWithStore(nil, func(s backend.StoreAPI) backend.StoreAPI {
			return countingStore{StoreAPI: s, gets: &gets}
		}),
		CheckDestroy: checkSecretDestroyed(t, ts, "app:production", "db-password"),
		Steps: []resource.TestStep{
			{
				Config: cfg("hunter2", 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("value_wo"), knownvalue.Null()),
					},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("value_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("value"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("value_wo_version"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("revision"), knownvalue.Int64Exact(1)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(noDecrypt, checkStored(t, ts, "app:production", "db-password", "hunter2", 1)),
			},
			{
				// Same version: no update, whatever value_wo says.
				Config: cfg("ignored-without-version-bump", 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: resource.ComposeAggregateTestCheckFunc(noDecrypt, checkStored(t, ts, "app:production", "db-password", "hunter2", 1)),
			},
			{
				Config: cfg("correct-horse", 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("revision"), knownvalue.Int64Exact(2)),
				},
				Check: resource.ComposeAggregateTestCheckFunc(noDecrypt, checkStored(t, ts, "app:production", "db-password", "correct-horse", 2)),
			},
			{
				// A revision written elsewhere shows as a changed revision on
				// refresh, not as a planned update, and nothing is decrypted.
				PreConfig: func() {
					putOutOfBand(t, ts, backend.PutInput{Namespace: "app:production", Name: "db-password", Value: []byte("elsewhere")})
				},
				Config: cfg("correct-horse", 2),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("revision"), knownvalue.Int64Exact(3)),
				},
				Check: noDecrypt,
			},
			{
				ResourceName:            addr,
				ImportState:             true,
				ImportStateId:           "app:production/db-password",
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"value_wo_version"},
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if err := noDecrypt(nil); err != nil {
						return err
					}
					return checkImportedWithoutValue(states)
				},
			},
		},
	})
}

func TestAccSecretResource_switchValueToValueWO(t *testing.T) {
	ts := newTestStore(t)
	addr := "secretstore_secret.s"
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		CheckDestroy:             checkSecretDestroyed(t, ts, "app:dev", "token"),
		Steps: []resource.TestStep{
			{
				Config: ts.providerBlock("") + kvBlock + secretBlock("app:dev", "token", `  value = "in-state"`),
			},
			{
				Config: ts.providerBlock("") + kvBlock + secretBlock("app:dev", "token", "  value_wo = \"write-only\"\n  value_wo_version = 1"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("value"), knownvalue.Null()),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("revision"), knownvalue.Int64Exact(2)),
				},
				Check: checkStored(t, ts, "app:dev", "token", "write-only", 2),
			},
		},
	})
}

// TestAccSecretResource_metadataAndExpiryOnly: changing metadata or
// expiry writes a revision that keeps the value.
func TestAccSecretResource_metadataOnly(t *testing.T) {
	slowTest(t, "three terraform steps")
	ts := newTestStore(t)
	addr := "secretstore_secret.s"
	cfg := func(meta string) string {
		return ts.providerBlock("") + kvBlock + secretBlock("app:dev", "meta", "  value = \"v\"\n  metadata = "+meta)
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{Config: cfg(`{}`)},
			{
				// An empty map stays an empty map (no perpetual diff).
				Config:           cfg(`{}`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				Config: cfg(`{ team = "core" }`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("revision"), knownvalue.Int64Exact(2)),
				},
				Check: func(*terraform.State) error {
					s, err := ts.open(t).Get(context.Background(), "app:dev", "meta", backendGetCurrent)
					if err != nil {
						return err
					}
					if string(s.Value) != "v" || s.Metadata["team"] != "core" {
						return fmt.Errorf("metadata update lost the value or the metadata: %v", s.Metadata)
					}
					return nil
				},
			},
		},
	})
}

func TestAccSecretResource_expiry(t *testing.T) {
	slowTest(t, "five terraform steps")
	ts := newTestStore(t)
	clock := newStepClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	addr := "secretstore_secret.s"
	ttl := func(d string) string {
		return ts.providerBlock("") + kvBlock + secretBlock("app:dev", "short", "  value = \"v\"\n  ttl = \""+d+"\"")
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(clock.Now),
		CheckDestroy:             checkSecretDestroyed(t, ts, "app:dev", "short"),
		Steps: []resource.TestStep{
			{
				Config: ttl("1h"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("expired"), knownvalue.Bool(false)),
				},
				Check: func(*terraform.State) error {
					s, err := ts.open(t).Head(context.Background(), "app:dev", "short")
					if err != nil {
						return err
					}
					if want := clock.Now().Add(time.Hour); !s.ExpiresAt.Equal(want) {
						return fmt.Errorf("expiry = %v, want %v", s.ExpiresAt, want)
					}
					return nil
				},
			},
			{
				// Two hours later the secret is expired: it stays in state
				// with expired = true (a refresh change, no planned action).
				PreConfig: func() { clock.Advance(2 * time.Hour) },
				Config:    ttl("1h"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("expired"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("revision"), knownvalue.Int64Exact(1)),
				},
			},
			{
				// Changing ttl renews it from the write time.
				Config: ttl("3h"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("expired"), knownvalue.Bool(false)),
				},
				Check: checkStored(t, ts, "app:dev", "short", "v", 2),
			},
			{
				// An absolute expiry replaces the ttl.
				Config: ts.providerBlock("") + kvBlock + secretBlock("app:dev", "short", "  value = \"v\"\n  expires_at = \"2031-06-01T12:00:00Z\""),
				Check: func(*terraform.State) error {
					s, err := ts.open(t).Head(context.Background(), "app:dev", "short")
					if err != nil {
						return err
					}
					if want := time.Date(2031, 6, 1, 12, 0, 0, 0, time.UTC); !s.ExpiresAt.Equal(want) {
						return fmt.Errorf("expiry = %v, want %v", s.ExpiresAt, want)
					}
					return nil
				},
			},
			{
				// Removing both clears the expiry.
				Config: ts.providerBlock("") + kvBlock + secretBlock("app:dev", "short", "  value = \"v\""),
				Check: func(*terraform.State) error {
					s, err := ts.open(t).Head(context.Background(), "app:dev", "short")
					if err != nil {
						return err
					}
					if !s.ExpiresAt.IsZero() {
						return fmt.Errorf("expiry %v not cleared", s.ExpiresAt)
					}
					return nil
				},
			},
		},
	})
}

func TestAccSecretResource_defaultTTL(t *testing.T) {
	ts := newTestStore(t)
	clock := newStepClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	addr := "secretstore_secret.s"
	cfg := ts.providerBlock(`  default_ttl = "24h"`) + kvBlock + secretBlock("app:dev", "defaulted", `  value = "v"`)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(clock.Now),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: func(*terraform.State) error {
					s, err := ts.open(t).Head(context.Background(), "app:dev", "defaulted")
					if err != nil {
						return err
					}
					if want := clock.Now().Add(24 * time.Hour); !s.ExpiresAt.Equal(want) {
						return fmt.Errorf("default_ttl expiry = %v, want %v", s.ExpiresAt, want)
					}
					return nil
				},
			},
			{
				PreConfig: func() { clock.Advance(25 * time.Hour) },
				Config:    cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("expired"), knownvalue.Bool(true)),
				},
			},
		},
	})
}

func TestAccSecretResource_namespaceNotAllowed(t *testing.T) {
	ts := newTestStore(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{
				// Refused by terraform plan alone.
				Config: ts.providerBlock(`  allowed_namespaces = ["*:production", "shared"]`) + kvBlock +
					secretBlock("payments:staging", "k", `  value = "v"`),
				PlanOnly:    true,
				ExpectError: wrappedRe(`Namespace not allowed.*"payments:staging".*"\*:production", "shared"`),
			},
			{
				// Nothing was written: not even the key version, since the
				// plan failed as a whole.
				Config: ts.providerBlock(`  allowed_namespaces = ["*:production", "shared"]`) + kvBlock +
					secretBlock("payments:production", "k", `  value = "v"`),
				PreConfig: func() {
					if ok, err := ts.open(t).Has(context.Background(), "payments:staging", "k"); err != nil || ok {
						t.Fatalf("a refused plan wrote the secret (has=%v, err=%v)", ok, err)
					}
				},
				Check: checkStored(t, ts, "payments:production", "k", "v", 1),
			},
		},
	})
}

func TestAccSecretResource_invalidInputs(t *testing.T) {
	ts := newTestStore(t)
	cfg := func(body string) string {
		return ts.providerBlock("") + kvBlock + secretBlock("app:dev", "x", body)
	}
	steps := []struct {
		body string
		want string
	}{
		{`  value = "a"` + "\n  value_wo = \"b\"\n  value_wo_version = 1", `Invalid Attribute Combination.*value.*value_wo`},
		{`  metadata = { a = "b" }`, `Missing Attribute Configuration.*Exactly one of these attributes must be configured: \[value,value_wo\]`},
		{`  value_wo = "b"`, `value_wo_version.*must be specified`},
		{`  value = "a"` + "\n  expires_at = \"tomorrow\"", `Invalid time.*"tomorrow" is not an RFC 3339 time`},
		{`  value = "a"` + "\n  ttl = \"30d\"", `Invalid duration.*"30d" is not a duration`},
		{`  value = "a"` + "\n  ttl = \"1h\"\n  expires_at = \"2030-01-01T00:00:00Z\"", `Both ttl and expires_at are set.*Keep ttl`},
		{`  value = "a"` + "\n  ttl = \"-5m\"", `Invalid duration.*"-5m" is not positive`},
	}
	var testSteps []resource.TestStep
	for _, s := range steps {
		testSteps = append(testSteps, resource.TestStep{Config: cfg(s.body), PlanOnly: true, ExpectError: wrappedRe(s.want)})
	}
	for _, s := range []struct{ namespace, name, want string }{
		{"app dev", "x", `Invalid namespace.*namespace "app dev" is not valid: contains ' '`},
		{"app:dev", "a/b", `Invalid name.*name "a/b" is not valid: contains '/'`},
	} {
		testSteps = append(testSteps, resource.TestStep{
			Config:   ts.providerBlock("") + kvBlock + secretBlock(s.namespace, s.name, `  value = "a"`),
			PlanOnly: true, ExpectError: wrappedRe(s.want),
		})
	}
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps:                    testSteps,
	})
}

func TestAccSecretResource_noKeyVersion(t *testing.T) {
	ts := newTestStore(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{
				Config: ts.providerBlock("") + `
resource "secretstore_secret" "s" {
  namespace = "app:dev"
  name      = "orphan"
  value     = "v"
}
`,
				ExpectError: wrappedRe(`No key version.*secretstore_key_version`),
			},
		},
	})
}

func TestAccSecretResource_rootKeyMismatch(t *testing.T) {
	ts := newTestStore(t)
	wrong := ts
	wrong.RootKey = randomKey(t)
	body := kvBlock + secretBlock("app:dev", "k", `  value = "v"`)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		CheckDestroy:             checkSecretDestroyed(t, ts, "app:dev", "k"),
		Steps: []resource.TestStep{
			{Config: ts.providerBlock("") + body},
			{
				Config:      wrong.providerBlock("") + body,
				ExpectError: wrappedRe(`Root key does not match the store`),
			},
			{Config: ts.providerBlock("") + body, Check: checkStored(t, ts, "app:dev", "k", "v", 1)},
		},
	})
}

// copyDir copies a directory tree (a file:// bucket snapshot).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o600)
	})
	if err != nil {
		t.Fatalf("copying %s to %s: %v", src, dst, err)
	}
}

// restoreDir replaces dst's contents with snapshot's.
func restoreDir(t *testing.T, snapshot, dst string) {
	t.Helper()
	entries, err := os.ReadDir(dst)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dst, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	copyDir(t, snapshot, dst)
}

// TestAccSecretResource_rollback: a store restored to an older copy is
// caught against the revision in state during plan, and nothing is written.
func TestAccSecretResource_rollback(t *testing.T) {
	ts := newTestStore(t)
	snapOld, snapNew := t.TempDir(), t.TempDir()
	cfg := func(v string) string {
		return ts.providerBlock("") + kvBlock + secretBlock("app:prod", "rolled", `  value = "`+v+`"`)
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		CheckDestroy:             checkSecretDestroyed(t, ts, "app:prod", "rolled"),
		Steps: []resource.TestStep{
			{Config: cfg("one"), Check: func(*terraform.State) error { copyDir(t, ts.dir(), snapOld); return nil }},
			{Config: cfg("two"), Check: func(*terraform.State) error { copyDir(t, ts.dir(), snapNew); return nil }},
			{
				PreConfig:   func() { restoreDir(t, snapOld, ts.dir()) },
				Config:      cfg("three"),
				ExpectError: wrappedRe(`The store was rolled back.*current revision of secret\s+"app:prod/rolled" is 1.*recorded revision 2`),
			},
			{
				// Nothing was written by the failed plan; restore the newer
				// copy and carry on.
				PreConfig: func() {
					s, err := ts.open(t).Get(context.Background(), "app:prod", "rolled", backendGetCurrent)
					if err != nil || s.Revision != 1 || string(s.Value) != "one" {
						t.Fatalf("the rolled-back store changed: revision %d, err %v", s.Revision, err)
					}
					restoreDir(t, snapNew, ts.dir())
				},
				Config: cfg("three"),
				Check:  checkStored(t, ts, "app:prod", "rolled", "three", 3),
			},
		},
	})
}

// TestAccSecretResource_deletedOutOfBand: a secret deleted outside
// Terraform is planned for creation again.
func TestAccSecretResource_deletedOutOfBand(t *testing.T) {
	ts := newTestStore(t)
	addr := "secretstore_secret.s"
	cfg := ts.providerBlock("") + kvBlock + secretBlock("app:dev", "gone", `  value = "v"`)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				PreConfig: func() {
					if err := ts.open(t).Delete(context.Background(), backend.DeleteInput{Namespace: "app:dev", Name: "gone"}); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate)},
				},
				Check: checkStored(t, ts, "app:dev", "gone", "v", 0),
			},
		},
	})
}

func TestAccSecretResource_importErrors(t *testing.T) {
	ts := newTestStore(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{Config: ts.providerBlock("") + kvBlock + secretBlock("app:dev", "k", `  value = "v"`)},
			{
				ResourceName:  "secretstore_secret.s",
				ImportState:   true,
				ImportStateId: "no-slash",
				ExpectError:   wrappedRe(`Invalid import ID.*<namespace>/<name>`),
			},
			{
				ResourceName:  "secretstore_secret.s",
				ImportState:   true,
				ImportStateId: "app:dev/missing",
				ExpectError:   regexp.MustCompile(`(?i)cannot import non-existent remote object`),
			},
		},
	})
}

// TestAccProvider_unknownConfiguration: a provider URL known only after
// apply (from another resource) plans without store access and applies.
func TestAccProvider_unknownConfiguration(t *testing.T) {
	ts := newTestStore(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{
				Config: fmt.Sprintf(`
resource "terraform_data" "bucket" {
  input = %q
}
provider "secretstore" {
  url      = terraform_data.bucket.output
  root_key = %q
}
`, ts.URL, ts.RootKey) + kvBlock + secretBlock("app:dev", "late", `  value = "v"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("secretstore_secret.s", plancheck.ResourceActionCreate),
					},
				},
				Check: checkStored(t, ts, "app:dev", "late", "v", 1),
			},
		},
	})
}

// TestAccProvider_environmentOnly: an empty provider block configured by
// environment variables alone (as Terraform Cloud workspaces do).
func TestAccProvider_environmentOnly(t *testing.T) {
	ts := newTestStore(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactoriesWithEnv(nil, map[string]string{
			envURL: ts.URL, envRootKey: ts.RootKey, envActor: "env-actor",
		}),
		Steps: []resource.TestStep{
			{
				Config: `provider "secretstore" {}` + kvBlock + secretBlock("app:dev", "envonly", `  value = "v"`),
				Check: resource.ComposeAggregateTestCheckFunc(
					checkStored(t, ts, "app:dev", "envonly", "v", 1),
					func(*terraform.State) error {
						page, err := ts.open(t).ListEvents(context.Background(), backend.EventFilter{Namespace: "app:dev", Name: "envonly"})
						if err != nil {
							return err
						}
						if len(page.Events) == 0 || page.Events[0].Actor != "env-actor" {
							return fmt.Errorf("audit events do not name SECRETSTORE_ACTOR: %+v", page.Events)
						}
						return nil
					},
				),
			},
		},
	})
}

func TestAccProvider_configErrors(t *testing.T) {
	ts := newTestStore(t)
	body := kvBlock
	parallelUnitTest(t, resource.TestCase{
		// No SECRETSTORE_ROOT_KEY nor SECRETSTORE_URL in the environment.
		ProtoV6ProviderFactories: testAccProviderFactoriesWithEnv(nil, nil),
		Steps: []resource.TestStep{
			{
				Config:      fmt.Sprintf("provider \"secretstore\" {\n  url = %q\n}\n", ts.URL) + body,
				ExpectError: wrappedRe(`Root key required.*openssl rand -base64 32`),
			},
			{
				Config:      fmt.Sprintf("provider \"secretstore\" {\n  url = %q\n  root_key = \"c2hvcnQ=\"\n}\n", ts.URL) + body,
				ExpectError: wrappedRe(`Invalid root key.*decodes to 5 bytes`),
			},
			{
				Config:      ts.providerBlock(`  default_ttl = "a month"`) + body,
				ExpectError: wrappedRe(`Invalid duration.*"a month" is not a duration`),
			},
			{
				Config:      ts.providerBlock(`  allowed_namespaces = ["[oops"]`) + body,
				ExpectError: wrappedRe(`Invalid namespace pattern.*"\[oops" is not a valid glob`),
			},
		},
	})
}

func TestAccProvider_terraformCloudNeedsURL(t *testing.T) {
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactoriesWithEnv(nil, map[string]string{
			"TFC_RUN_ID": "run-123", envRootKey: randomKey(t),
		}),
		Steps: []resource.TestStep{
			{
				Config:      `provider "secretstore" {}` + kvBlock,
				ExpectError: wrappedRe(`Store URL required in Terraform Cloud.*Set url`),
			},
		},
	})
}

// TestSecretResolveConflict: a write over a recorded revision succeeds when
// only key rotations happened since; after any other write it is refused
// as a concurrent modification, and a store behind the recorded revision
// is reported as rolled back.
func TestSecretResolveConflict(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ts := newTestStore(t)
	store := ts.open(t)
	if _, err := store.CreateKeyVersion(ctx, 1, nil); err != nil {
		t.Fatal(err)
	}
	putOutOfBand(t, ts, backend.PutInput{Namespace: "app:prod", Name: "k", Value: []byte("v")})
	if _, err := store.CreateKeyVersion(ctx, 2, nil); err != nil {
		t.Fatal(err)
	}
	if res, err := store.Rotate(ctx, backend.RotateInput{}); err != nil || res.Rotated != 1 {
		t.Fatalf("rotate: %+v, %v", res, err)
	}
	r := &secretResource{data: &providerData{Store: store}}
	update := func(recorded int64) (backend.Secret, diag.Diagnostic) {
		return r.write(ctx, backend.PutInput{Namespace: "app:prod", Name: "k", Value: []byte("mine"), IfRevision: recorded}, targetSecret)
	}

	if s, d := update(1); d != nil || s.Revision != 3 {
		t.Fatalf("after a rotation only: got revision %d, diagnostic %v; want the write applied as revision 3", s.Revision, d)
	}
	putOutOfBand(t, ts, backend.PutInput{Namespace: "app:prod", Name: "k", Value: []byte("other")})
	if _, d := update(3); d == nil || d.Summary() != "Concurrent modification" {
		t.Fatalf("after another run's update: want the concurrent modification error, got %v", d)
	}
	if s, d := update(4); d != nil || s.Revision != 5 {
		t.Fatalf("at the current revision: got revision %d, diagnostic %v; want revision 5", s.Revision, d)
	}
	if _, d := update(9); d == nil || d.Summary() != "The store was rolled back" ||
		!strings.Contains(d.Detail(), "is 5, but Terraform recorded revision 9") {
		t.Fatalf("state ahead of the store: want the rollback error, got %v", d)
	}
}

// TestAccSecretResource_existsElsewhere: creating a secret that another
// configuration already wrote fails during plan with a hint to import it.
func TestAccSecretResource_existsElsewhere(t *testing.T) {
	ts := newTestStore(t)
	cfg := ts.providerBlock("") + kvBlock + secretBlock("app:prod", "taken", `  value = "mine"`)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{Config: ts.providerBlock("") + kvBlock},
			{
				PreConfig: func() {
					putOutOfBand(t, ts, backend.PutInput{Namespace: "app:prod", Name: "taken", Value: []byte("theirs")})
				},
				Config:      cfg,
				PlanOnly:    true,
				ExpectError: wrappedRe(`Secret already exists.*terraform import <address> app:prod/taken`),
			},
			{
				// Importing adopts it; the configured value is then written.
				Config:             cfg,
				ResourceName:       "secretstore_secret.s",
				ImportState:        true,
				ImportStateId:      "app:prod/taken",
				ImportStatePersist: true,
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction("secretstore_secret.s", plancheck.ResourceActionUpdate)},
				},
				Check: checkStored(t, ts, "app:prod", "taken", "mine", 2),
			},
		},
	})
}

// TestAccProvider_previousRootKeys: after the root key changes, a store
// created under the old key opens with the old key in previous_root_keys.
func TestAccProvider_previousRootKeys(t *testing.T) {
	ts := newTestStore(t)
	newKey := randomKey(t)
	body := kvBlock + secretBlock("app:prod", "kept", `  value = "still-readable"`)
	rotated := fmt.Sprintf(`
provider "secretstore" {
  url                = %q
  root_key           = %q
  previous_root_keys = [%q]
}
`, ts.URL, newKey, ts.RootKey)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{Config: ts.providerBlock("") + body},
			{
				// Without the previous key the store does not open.
				Config:      fmt.Sprintf("provider \"secretstore\" {\n  url = %q\n  root_key = %q\n}\n", ts.URL, newKey) + body,
				ExpectError: wrappedRe(`Root key does not match the store`),
			},
			{
				Config: rotated + body,
				Check: func(*terraform.State) error {
					s, err := backend.Open(context.Background(), backend.Options{
						BucketURL: ts.URL, RootKey: newKey, PreviousRootKeys: []string{ts.RootKey},
					})
					if err != nil {
						return err
					}
					defer s.Close()
					sec, err := s.Get(context.Background(), "app:prod", "kept", backendGetCurrent)
					if err != nil || string(sec.Value) != "still-readable" {
						return fmt.Errorf("secret not readable with the previous root key: %w", err)
					}
					return nil
				},
			},
		},
	})
}

// TestAccSecretResource_rename: a new name replaces the secret: the old one
// reads as not_found (tombstone), the new one holds the value.
func TestAccSecretResource_rename(t *testing.T) {
	ts := newTestStore(t)
	addr := "secretstore_secret.s"
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		CheckDestroy:             checkSecretDestroyed(t, ts, "app:prod", "new-name"),
		Steps: []resource.TestStep{
			{Config: ts.providerBlock("") + kvBlock + secretBlock("app:prod", "old-name", `  value = "v"`)},
			{
				Config: ts.providerBlock("") + kvBlock + secretBlock("app:prod", "new-name", `  value = "v"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate),
						plancheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact("app:prod/new-name")),
					},
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					checkSecretDestroyed(t, ts, "app:prod", "old-name"),
					checkStored(t, ts, "app:prod", "new-name", "v", 1),
				),
			},
		},
	})
}

// TestSecretResourceReadExpired: refreshing an expired secret keeps it in
// state with expired = true (and a value kept as recorded) and warns with
// when it expired and how to renew it, whether the resource uses value
// (decrypting read) or value_wo (record only).
func TestSecretResourceReadExpired(t *testing.T) {
	t.Parallel()
	ts := newTestStore(t)
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	seedClock := newStepClock(t0)
	s := openSeedStore(t, ts, seedClock.Now)
	expiresAt := t0.Add(time.Hour)
	for _, name := range []string{"with-value", "with-value-wo"} {
		mustPut(t, s, backend.PutInput{Namespace: "app:dev", Name: name, Value: []byte("v"),
			Expiry: backend.Expiry{Set: true, At: expiresAt}})
	}

	p := newProtoProvider(t, func() time.Time { return t0.Add(2 * time.Hour) })
	if diags := p.configure(map[string]tftypes.Value{"url": tfString(ts.URL), "root_key": tfString(ts.RootKey)}); len(diags) != 0 {
		t.Fatal(diagnosticsText(diags))
	}
	typ := p.schema.ResourceSchemas["secretstore_secret"].ValueType()
	for name, attrs := range map[string]map[string]tftypes.Value{
		"with-value":    {"value": tfString("v")},
		"with-value-wo": {"value_wo_version": tftypes.NewValue(tftypes.Number, 1)},
	} {
		attrs["id"], attrs["namespace"], attrs["name"] = tfString("app:dev/"+name), tfString("app:dev"), tfString(name)
		attrs["expires_at"] = tfString(expiresAt.Format(time.RFC3339))
		attrs["revision"] = tftypes.NewValue(tftypes.Number, 1)
		attrs["key_version"] = tftypes.NewValue(tftypes.Number, 1)
		attrs["expired"] = tftypes.NewValue(tftypes.Bool, false)
		resp, err := p.server.ReadResource(context.Background(), &tfprotov6.ReadResourceRequest{
			TypeName: "secretstore_secret", CurrentState: p.value(typ, attrs),
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Severity != tfprotov6.DiagnosticSeverityWarning ||
			resp.Diagnostics[0].Summary != "Secret expired" ||
			!strings.Contains(resp.Diagnostics[0].Detail, "expired at "+expiresAt.Format(time.RFC3339)) ||
			!strings.Contains(resp.Diagnostics[0].Detail, "To renew it") {
			t.Errorf("%s: want one warning saying when it expired and how to renew it, got %s", name, diagnosticsText(resp.Diagnostics))
		}
		got := p.decode(typ, resp.NewState)
		var expired bool
		if err := got["expired"].As(&expired); err != nil || !expired {
			t.Errorf("%s: expired = %v (%v), want true", name, got["expired"], err)
		}
		want, ok := attrs["value"]
		if !ok {
			want = tftypes.NewValue(tftypes.String, nil)
		}
		if !got["value"].Equal(want) {
			t.Errorf("%s: the refresh changed value in state to %v", name, got["value"])
		}
	}
}

// TestSecretResourceReadFailures: a refresh of a secret whose key version is
// gone fails with key_version_unavailable, whether the resource decrypts
// (value) or not (value_wo), and one whose value ciphertext was tampered
// with fails its integrity check when the refresh decrypts (value; with
// value_wo only readers that decrypt can see it). Neither is dropped from
// state as if deleted.
func TestSecretResourceReadFailures(t *testing.T) {
	t.Parallel()
	ts := newTestStore(t)
	s := openSeedStore(t, ts, nil)
	mustPut(t, s, backend.PutInput{Namespace: "app:dev", Name: "tampered", Value: []byte("v")})
	tamperNewRevision(t, ts, s, "app:dev", "tampered")
	removeKeyVersionAfter(t, ts, s, 2, func() {
		mustPut(t, s, backend.PutInput{Namespace: "app:dev", Name: "orphan", Value: []byte("v")})
	})

	p := newProtoProvider(t, nil)
	if diags := p.configure(map[string]tftypes.Value{"url": tfString(ts.URL), "root_key": tfString(ts.RootKey)}); len(diags) != 0 {
		t.Fatal(diagnosticsText(diags))
	}
	typ := p.schema.ResourceSchemas["secretstore_secret"].ValueType()
	for _, tc := range []struct {
		name, want string
		modes      []string
	}{
		{"orphan", "key_version_unavailable:", []string{"value", "value_wo"}},
		{"tampered", "modified or corrupted", []string{"value"}},
	} {
		for _, mode := range tc.modes {
			attrs := map[string]tftypes.Value{"value": tfString("v")}
			if mode == "value_wo" {
				attrs = map[string]tftypes.Value{"value_wo_version": tftypes.NewValue(tftypes.Number, 1)}
			}
			attrs["id"], attrs["namespace"], attrs["name"] = tfString("app:dev/"+tc.name), tfString("app:dev"), tfString(tc.name)
			attrs["revision"] = tftypes.NewValue(tftypes.Number, 1)
			resp, err := p.server.ReadResource(context.Background(), &tfprotov6.ReadResourceRequest{
				TypeName: "secretstore_secret", CurrentState: p.value(typ, attrs),
			})
			if err != nil {
				t.Fatal(err)
			}
			text := diagnosticsText(resp.Diagnostics)
			if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Severity != tfprotov6.DiagnosticSeverityError ||
				!strings.Contains(resp.Diagnostics[0].Summary, `"app:dev/`+tc.name+`"`) ||
				!strings.Contains(resp.Diagnostics[0].Detail, tc.want) || strings.Contains(text, "not_found") {
				t.Errorf("%s with %s: want one error naming the secret with %q, got %s", tc.name, mode, tc.want, text)
			}
		}
	}
}
