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
