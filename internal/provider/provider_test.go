package provider

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
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
		"secretstore": func() (tfprotov6.ProviderServer, error) {
			p := NewTestProvider("test", now)().(*secretstoreProvider)
			p.wrapStore = wrap
			return providerserver.NewProtocol6WithError(p)()
		},
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
