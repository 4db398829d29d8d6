// SPDX-License-Identifier: MPL-2.0

package bucketacc

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
	"github.com/secretstore/terraform-provider-secretstore/internal/provider"
)

// The bucket URLs below are the buckets guide's emulator forms (see
// guide_test.go), with each emulator's bucket and port.

// s3URL is the guide's S3-compatible form: a path-style bucket at an
// http:// endpoint.
func s3URL(t *testing.T) string {
	f := backendtest.NewFakeS3(t)
	return emulatorURL(t, guideURL(t, "s3-compatible"), f.NewBucketName(t), guideS3Host, strings.TrimPrefix(f.Endpoint(), "http://"))
}

// gcsURL is the guide's GCS form; STORAGE_EMULATOR_HOST (set by TestMain
// from the guide) sends it to the fake server.
func gcsURL(t *testing.T) string {
	return emulatorURL(t, guideURL(t, "gcs-emulator"), gcs.NewBucketName(), "", "")
}

// azureURL is the guide's Azurite form; AZURE_STORAGE_ACCOUNT and
// AZURE_STORAGE_KEY (set by TestMain from the guide) authenticate it.
func azureURL(t *testing.T) string {
	a := backendtest.SharedAzurite(t)
	return emulatorURL(t, guideURL(t, "azurite"), a.NewContainer(t), guideAzuriteHost, a.Host())
}

// kmsRootKey is the guide's local-kms root key, on an emulator started for
// t.
func kmsRootKey(t *testing.T) string {
	k := backendtest.NewLocalKMS(t)
	if !strings.Contains(guideRootKey, guideKMSHost) {
		t.Fatalf("the guide's local-kms root key %s does not name %s", guideRootKey, guideKMSHost)
	}
	return strings.ReplaceAll(guideRootKey, guideKMSHost, strings.TrimPrefix(k.Endpoint(), "http://"))
}

// factories serves the provider in-process for terraform-plugin-testing,
// on clock now (nil: time.Now).
func factories(now func() time.Time) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"secretstore": providerserver.NewProtocol6WithError(provider.NewTestProvider("test", now)()),
	}
}

// clock is a clock that tests move forward between steps.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func randomKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// storeConfig is a store at url under rootKey with the key versions
// versions, n secrets that depend on all of them (so that a destroy
// deletes the secrets first) and a cleanup that purges superseded
// revisions at once.
func storeConfig(url, rootKey string, n int, versions ...int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "provider \"secretstore\" {\n  url      = %q\n  root_key = %q\n}\n", url, rootKey)
	var deps []string
	for _, v := range versions {
		fmt.Fprintf(&b, "resource \"secretstore_key_version\" \"v%d\" {\n  version = %d\n}\n", v, v)
		deps = append(deps, fmt.Sprintf("secretstore_key_version.v%d", v))
	}
	fmt.Fprintf(&b, `
resource "secretstore_secret" "s" {
  count      = %d
  namespace  = "app:buckets"
  name       = "secret-${count.index}"
  value      = "value-${count.index}"
  depends_on = [%s]
}

resource "secretstore_cleanup" "revisions" {
  revision_retention = "0s"
  depends_on         = [secretstore_secret.s]
}
`, n, strings.Join(deps, ", "))
	return b.String()
}

// openStore opens the store at url for assertions, closed when the test
// ends.
func openStore(t *testing.T, url, rootKey string) backend.StoreAPI {
	t.Helper()
	s, err := backend.Open(context.Background(), backend.Options{BucketURL: url, RootKey: rootKey, Actor: "test"})
	if err != nil {
		t.Fatalf("opening store %s: %v", backend.RedactURL(url), err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// checkSecrets fails unless the n secrets of storeConfig read their values
// under key version kv.
func checkSecrets(url, rootKey string, n, kv int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		ctx := context.Background()
		s, err := backend.Open(ctx, backend.Options{BucketURL: url, RootKey: rootKey, Actor: "test"})
		if err != nil {
			return err
		}
		defer s.Close()
		for i := range n {
			name := fmt.Sprintf("secret-%d", i)
			sec, err := s.Get(ctx, "app:buckets", name, backend.GetOptions{})
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if string(sec.Value) != fmt.Sprintf("value-%d", i) || sec.KeyVersion != kv {
				return fmt.Errorf("%s: key version %d and a value of %d bytes, want key version %d and its value", name, sec.KeyVersion, len(sec.Value), kv)
			}
		}
		return nil
	}
}

// plannedChange is a plan check that the plan takes attr of addr from
// before to after.
type plannedChange struct{ addr, attr, before, after string }

func (c plannedChange) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address == c.addr {
			b, _ := rc.Change.Before.(map[string]any)
			a, _ := rc.Change.After.(map[string]any)
			if got, gotAfter := fmt.Sprint(b[c.attr]), fmt.Sprint(a[c.attr]); got != c.before || gotAfter != c.after {
				resp.Error = fmt.Errorf("%s.%s: planned %s -> %s, want %s -> %s", c.addr, c.attr, got, gotAfter, c.before, c.after)
			}
			return
		}
	}
	resp.Error = fmt.Errorf("%s: not in the plan", c.addr)
}

// TestAccBuckets runs the life of a store on each bucket service: apply,
// a plan with no change, rotation to a second key version, a cleanup that
// purges what the rotation superseded, and destroy.
func TestAccBuckets(t *testing.T) {
	t.Parallel()
	localKey := func(t *testing.T) string { return randomKey(t) }
	for _, tc := range []struct {
		name string
		url  func(*testing.T) string
		root func(*testing.T) string
	}{
		{"s3", s3URL, localKey},
		{"gcs", gcsURL, localKey},
		{"azure", azureURL, localKey},
		// The guide's AWS KMS root key on local-kms, over the S3 form.
		{"s3-awskms", s3URL, kmsRootKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testStoreLife(t, tc.url(t), tc.root(t))
		})
	}
}

func testStoreLife(t *testing.T, url, root string) {
	const n = 2
	v1 := storeConfig(url, root, n, 1)
	v1v2 := storeConfig(url, root, n, 1, 2)
	const kv1, kv2, cleanup = "secretstore_key_version.v1", "secretstore_key_version.v2", "secretstore_cleanup.revisions"
	// The store purges nothing younger than backend.ClockSkewMargin: the
	// cleanup step runs an hour later.
	clk := &clock{t: time.Now()}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories(clk.Now),
		Steps: []resource.TestStep{
			{
				Config: v1,
				Check:  checkSecrets(url, root, n, 1),
			},
			{
				// Nothing changed: the plan is empty.
				Config: v1,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{
				// Version 2 becomes primary and counts the secrets left
				// to rewrap.
				Config: v1v2,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(kv2, tfjsonpath.New("primary"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(kv2, tfjsonpath.New("pending_rewrap"), knownvalue.Int64Exact(n)),
				},
				ExpectNonEmptyPlan: true,
			},
			{
				// Apply rewraps; the superseded revisions become
				// purgeable.
				Config: v1v2,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plannedChange{kv2, "pending_rewrap", fmt.Sprint(n), "0"},
					plancheck.ExpectResourceAction(kv1, plancheck.ResourceActionNoop),
				}},
				Check: checkSecrets(url, root, n, 2),
			},
			{
				// An hour later, cleanup purges them.
				PreConfig: func() { clk.Advance(time.Hour) },
				Config:    v1v2,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plannedChange{cleanup, "purgeable_revisions", fmt.Sprint(n), "0"},
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(cleanup, tfjsonpath.New("purgeable_revisions"), knownvalue.Int64Exact(0)),
				},
				Check: checkSecrets(url, root, n, 2),
			},
		},
		CheckDestroy: func(*terraform.State) error {
			s := openStore(t, url, root)
			page, err := s.List(context.Background(), backend.ListInput{Namespace: "app:buckets"})
			if err != nil {
				return err
			}
			if len(page.Secrets) != 0 {
				return fmt.Errorf("%d secrets left after destroy", len(page.Secrets))
			}
			kvs, err := s.KeyVersions(context.Background())
			if err != nil {
				return err
			}
			for _, kv := range kvs {
				if !kv.Retired {
					return errors.New("a key version is not retired after destroy")
				}
			}
			return nil
		},
	})
}
