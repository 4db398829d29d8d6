// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// testAccProviderFactories serves the provider in-process for
// terraform-plugin-testing. A nil now means time.Now.
func testAccProviderFactories(now func() time.Time) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"secretstore": providerserver.NewProtocol6WithError(NewTestProvider("test", now)()),
	}
}

// testStore is a fresh file:// store in a test's temporary directory.
type testStore struct {
	URL     string // file:// URL of the bucket directory
	RootKey string // bare base64 32-byte root key
}

// newTestStore creates an empty store directory and a random root key.
func newTestStore(t *testing.T) testStore {
	t.Helper()
	return testStore{URL: fileURL(t.TempDir()), RootKey: randomKey(t)}
}

// randomKey returns a fresh standard-base64 32-byte key.
func randomKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// providerBlock returns a provider "secretstore" block for this store with
// extra lines (HCL attributes) appended inside it.
func (ts testStore) providerBlock(extra string) string {
	return fmt.Sprintf(`
provider "secretstore" {
  url      = %q
  root_key = %q
%s
}
`, ts.URL, ts.RootKey, extra)
}

// open opens the store for assertions (e.g. in CheckDestroy); it is closed
// when the test ends.
func (ts testStore) open(t *testing.T) backend.StoreAPI {
	t.Helper()
	s, err := backend.Open(context.Background(), backend.Options{BucketURL: ts.URL, RootKey: ts.RootKey, Actor: "test"})
	if err != nil {
		t.Fatalf("opening test store %s: %v", ts.URL, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// dir returns the bucket directory of a file:// store.
func (ts testStore) dir() string {
	return strings.TrimPrefix(ts.URL, "file://")
}

// testAccProviderFactoriesWithStore is testAccProviderFactories with every
// opened store wrapped by wrap (to count or fail store calls).
func testAccProviderFactoriesWithStore(now func() time.Time, wrap func(backend.StoreAPI) backend.StoreAPI) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"secretstore": testProviderServer(now, func(p *secretstoreProvider) { p.wrapStore = wrap }),
	}
}

// testProviderServer serves NewTestProvider's provider once adjust has set
// its test hooks.
func testProviderServer(now func() time.Time, adjust func(*secretstoreProvider)) func() (tfprotov6.ProviderServer, error) {
	return func() (tfprotov6.ProviderServer, error) {
		pv := NewTestProvider("test", now)()
		p, ok := pv.(*secretstoreProvider)
		if !ok {
			return nil, fmt.Errorf("NewTestProvider returned a %T, want a *secretstoreProvider", pv)
		}
		adjust(p)
		return providerserver.NewProtocol6WithError(p)()
	}
}

// testAccProviderFactoriesWithEnv is testAccProviderFactories with the
// provider's environment read from vars alone, never from the test
// process, so that tests of environment configuration need no t.Setenv and
// run in parallel. The working directory, user and host are the process's.
func testAccProviderFactoriesWithEnv(now func() time.Time, vars map[string]string) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"secretstore": testProviderServer(now, func(p *secretstoreProvider) {
			p.env.Getenv = func(k string) string { return vars[k] }
		}),
	}
}

// slowTest skips t under -short: it takes more than 5 s on a small
// machine, for the reason given in why. Without -short (make test) it runs.
func slowTest(t *testing.T, why string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("skipped under -short: over 5 s (%s)", why)
	}
}

// stepClock is a clock that tests move between steps.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func newStepClock(t time.Time) *stepClock { return &stepClock{t: t} }

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *stepClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// wrappedRe compiles a pattern for terraform's word-wrapped diagnostics:
// every space matches any run of whitespace, and . matches newlines.
func wrappedRe(pattern string) *regexp.Regexp {
	return regexp.MustCompile(`(?s)` + strings.ReplaceAll(pattern, " ", `\s+`))
}

// parallelUnitTest runs an acceptance test case in parallel with other
// tests. Unlike resource.ParallelTest it does not need TF_ACC, so plain
// `go test ./...` runs it against the terraform binary on PATH.
func parallelUnitTest(t *testing.T, c resource.TestCase) {
	t.Helper()
	t.Parallel()
	resource.UnitTest(t, c)
}

func TestProviderSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := NewTestProvider("test", nil)()
	var resp provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatal(resp.Diagnostics)
	}
	want := map[string]bool{ // attribute -> sensitive
		"url": false, "root_key": true, "previous_root_keys": true, "actor": false,
		"allowed_namespaces": false, "default_ttl": false, "audit_reads": false,
	}
	if len(resp.Schema.Attributes) != len(want) {
		t.Errorf("provider attributes: %v", resp.Schema.Attributes)
	}
	for name, sensitive := range want {
		a, ok := resp.Schema.Attributes[name]
		if !ok {
			t.Errorf("provider attribute %s missing", name)
			continue
		}
		if a.IsSensitive() != sensitive || a.IsRequired() {
			t.Errorf("provider attribute %s: sensitive %v required %v", name, a.IsSensitive(), a.IsRequired())
		}
	}

	// The framework's own checks of every schema (write-only rules,
	// validators) pass.
	server, err := providerserver.NewProtocol6WithError(p)()
	if err != nil {
		t.Fatal(err)
	}
	sresp, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range sresp.Diagnostics {
		t.Errorf("schema diagnostic: %s: %s", d.Summary, d.Detail)
	}
	secret := sresp.ResourceSchemas["secretstore_secret"]
	if secret == nil {
		t.Fatal("secretstore_secret not served")
	}
	for _, a := range secret.Block.Attributes {
		switch a.Name {
		case "value":
			if !a.Sensitive || a.WriteOnly {
				t.Errorf("value: sensitive %v write-only %v", a.Sensitive, a.WriteOnly)
			}
		case "value_wo":
			if !a.Sensitive || !a.WriteOnly {
				t.Errorf("value_wo: sensitive %v write-only %v", a.Sensitive, a.WriteOnly)
			}
		}
	}
	kv := sresp.ResourceSchemas["secretstore_key_version"]
	if kv == nil {
		t.Fatal("secretstore_key_version not served")
	}
	for _, a := range kv.Block.Attributes {
		if a.Name == "key_material_wo" && (!a.Sensitive || !a.WriteOnly) {
			t.Errorf("key_material_wo: sensitive %v write-only %v", a.Sensitive, a.WriteOnly)
		}
	}
}

// protoProvider is the provider served in-process at the protocol level,
// for what terraform-plugin-testing cannot show: warnings, and requests
// Terraform sends only in special cases (unknown provider configuration,
// deferrals).
type protoProvider struct {
	t      *testing.T
	server tfprotov6.ProviderServer
	schema *tfprotov6.GetProviderSchemaResponse
}

func newProtoProvider(t *testing.T, now func() time.Time) *protoProvider {
	t.Helper()
	server, err := providerserver.NewProtocol6WithError(NewTestProvider("test", now)())()
	if err != nil {
		t.Fatal(err)
	}
	schema, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return &protoProvider{t: t, server: server, schema: schema}
}

// value encodes an object of type typ; attributes not in attrs are null.
func (p *protoProvider) value(typ tftypes.Type, attrs map[string]tftypes.Value) *tfprotov6.DynamicValue {
	p.t.Helper()
	obj, ok := typ.(tftypes.Object)
	if !ok {
		p.t.Fatalf("encoding a value of %s: not an object type", typ)
	}
	vals := make(map[string]tftypes.Value, len(obj.AttributeTypes))
	for name, at := range obj.AttributeTypes {
		if v, ok := attrs[name]; ok {
			vals[name] = v
		} else {
			vals[name] = tftypes.NewValue(at, nil)
		}
	}
	dv, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, vals))
	if err != nil {
		p.t.Fatal(err)
	}
	return &dv
}

// configure sends ConfigureProvider with the given provider attributes.
func (p *protoProvider) configure(attrs map[string]tftypes.Value) []*tfprotov6.Diagnostic {
	p.t.Helper()
	resp, err := p.server.ConfigureProvider(context.Background(), &tfprotov6.ConfigureProviderRequest{
		TerraformVersion: "1.11.4",
		Config:           p.value(p.schema.Provider.ValueType(), attrs),
	})
	if err != nil {
		p.t.Fatal(err)
	}
	return resp.Diagnostics
}

// decode returns the attributes of an object value of type typ.
func (p *protoProvider) decode(typ tftypes.Type, dv *tfprotov6.DynamicValue) map[string]tftypes.Value {
	p.t.Helper()
	v, err := dv.Unmarshal(typ)
	if err != nil {
		p.t.Fatal(err)
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		p.t.Fatal(err)
	}
	return attrs
}

// diagnosticsText renders protocol diagnostics for assertions and messages.
func diagnosticsText(diags []*tfprotov6.Diagnostic) string {
	var b strings.Builder
	for _, d := range diags {
		fmt.Fprintf(&b, "[%s] %s: %s\n", d.Severity, d.Summary, d.Detail)
	}
	return b.String()
}

func tfString(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }

// TestConfigureUnknownConfiguration: while any provider attribute, or any
// element of a list attribute, is unknown (a value from a resource not yet
// created), Configure neither validates nor opens anything; data source
// reads and ephemeral opens are deferred when Terraform allows it and
// otherwise fail with a diagnostic that says what to do.
func TestConfigureUnknownConfiguration(t *testing.T) {
	t.Parallel()
	ts := newTestStore(t)
	unknown := tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
	list := func(vals ...tftypes.Value) tftypes.Value {
		return tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, vals)
	}
	for name, attrs := range map[string]map[string]tftypes.Value{
		"url":                        {"url": unknown, "root_key": tfString(ts.RootKey)},
		"root_key":                   {"url": tfString(ts.URL), "root_key": unknown},
		"allowed_namespaces element": {"url": tfString(ts.URL), "root_key": tfString(ts.RootKey), "allowed_namespaces": list(tfString("*:production"), unknown)},
		"previous_root_keys element": {"url": tfString(ts.URL), "root_key": tfString(ts.RootKey), "previous_root_keys": list(unknown)},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := newProtoProvider(t, nil)
			if diags := p.configure(attrs); len(diags) != 0 {
				t.Fatalf("Configure with an unknown %s: %s", name, diagnosticsText(diags))
			}
			ctx := context.Background()
			dsType := p.schema.DataSourceSchemas["secretstore_key_versions"].ValueType()
			for _, deferral := range []bool{true, false} {
				resp, err := p.server.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{
					TypeName:           "secretstore_key_versions",
					Config:             p.value(dsType, nil),
					ClientCapabilities: &tfprotov6.ReadDataSourceClientCapabilities{DeferralAllowed: deferral},
				})
				if err != nil {
					t.Fatal(err)
				}
				checkNotConfigured(t, "data source read", deferral, resp.Deferred, resp.Diagnostics)
			}
			ephType := p.schema.EphemeralResourceSchemas["secretstore_secret"].ValueType()
			for _, deferral := range []bool{true, false} {
				resp, err := p.server.OpenEphemeralResource(ctx, &tfprotov6.OpenEphemeralResourceRequest{
					TypeName: "secretstore_secret",
					Config: p.value(ephType, map[string]tftypes.Value{
						"namespace": tfString("app:production"), "name": tfString("db"),
					}),
					ClientCapabilities: &tfprotov6.OpenEphemeralResourceClientCapabilities{DeferralAllowed: deferral},
				})
				if err != nil {
					t.Fatal(err)
				}
				checkNotConfigured(t, "ephemeral open", deferral, resp.Deferred, resp.Diagnostics)
			}
			if _, err := os.Stat(defaultStoreDir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("an unknown configuration created the default store directory: %v", err)
			}
		})
	}
}

// checkNotConfigured expects a deferral (when allowed) or the
// provider-not-configured error, and nothing else.
func checkNotConfigured(t *testing.T, what string, deferral bool, deferred *tfprotov6.Deferred, diags []*tfprotov6.Diagnostic) {
	t.Helper()
	if deferral {
		if deferred == nil || deferred.Reason != tfprotov6.DeferredReasonProviderConfigUnknown || len(diags) != 0 {
			t.Errorf("%s with deferrals allowed: deferred %v, diagnostics %s", what, deferred, diagnosticsText(diags))
		}
		return
	}
	if deferred != nil || len(diags) != 1 || diags[0].Severity != tfprotov6.DiagnosticSeverityError ||
		diags[0].Summary != "Provider not configured" || !strings.Contains(diags[0].Detail, "-target") {
		t.Errorf("%s without deferrals: deferred %v, diagnostics %s", what, deferred, diagnosticsText(diags))
	}
}
