// SPDX-License-Identifier: MPL-2.0

package bucketacc

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gocloud.dev/blob"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// The emulator forms of the buckets guide (docs/guides/buckets.md) are
// the files under examples/guides/buckets/<form>/ that its template
// includes: provider.tf (the bucket URL) and env.sh (the environment).
// The tests below apply them as written, with the emulator's bucket name
// and loopback port in place of the guide's.
const guideExamples = "../../../examples/guides/buckets"

// guideBucket is the bucket (Azure: container) name of the guide's forms.
const guideBucket = "secretstore"

// Loopback hosts of the guide's forms: each emulator's usual port.
const (
	guideS3Host      = "127.0.0.1:9000"
	guideGCSHost     = "127.0.0.1:4443"
	guideAzuriteHost = "127.0.0.1:10000"
	guideKMSHost     = "127.0.0.1:8080"
)

var guideURLRe = regexp.MustCompile(`(?m)^\s*url\s*=\s*"([^"]+)"`)

// guideURL returns the url of examples/guides/buckets/<form>/provider.tf.
func guideURL(t testing.TB, form string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(guideExamples, form, "provider.tf"))
	if err != nil {
		t.Fatal(err)
	}
	m := guideURLRe.FindSubmatch(raw)
	if m == nil {
		t.Fatalf("%s/provider.tf has no url", form)
	}
	return string(m[1])
}

// emulatorURL is the guide's URL u with bucket in place of the guide's
// bucket and host in place of guideHost (when not empty) in its query.
// It fails t when u lacks either, so that a changed guide fails here
// rather than testing something else.
func emulatorURL(t testing.TB, u, bucket, guideHost, host string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatalf("guide URL %s: %v", u, err)
	}
	if p.Host != guideBucket {
		t.Fatalf("guide URL %s: bucket %q, want %q", u, p.Host, guideBucket)
	}
	p.Host = bucket
	if guideHost != "" {
		if !strings.Contains(p.RawQuery, guideHost) {
			t.Fatalf("guide URL %s does not name %s", u, guideHost)
		}
		p.RawQuery = strings.ReplaceAll(p.RawQuery, guideHost, host)
	}
	return p.String()
}

var exportRe = regexp.MustCompile(`^export ([A-Z_][A-Z0-9_]*)="([^"]*)"$`)

// guideEnv returns the variables that examples/guides/buckets/<form>/env.sh
// exports, in order.
func guideEnv(form string) ([][2]string, error) {
	f, err := os.Open(filepath.Join(guideExamples, form, "env.sh"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][2]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := exportRe.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("%s/env.sh: %q is not of the form export NAME=\"value\"", form, line)
		}
		out = append(out, [2]string{m[1], m[2]})
	}
	return out, sc.Err()
}

// guideRootKey is the SECRETSTORE_ROOT_KEY of the guide's local-kms form;
// applyGuideEnv sets it, and it is given to each test's provider
// configuration instead of the environment (with the emulator's port).
var guideRootKey string

// guideEnvSet records what applyGuideEnv set, for TestBucketsGuide_env.
var guideEnvSet = map[string]string{}

// applyGuideEnv sets the variables of the guide's env.sh files in the
// process environment (after IsolateCloudEnv), with gcsHost in place of
// the guide's fake-gcs-server host.
func applyGuideEnv(gcsHost string) error {
	for _, form := range []string{"s3-compatible", "gcs-emulator", "azurite", "local-kms"} {
		env, err := guideEnv(form)
		if err != nil {
			return err
		}
		for _, kv := range env {
			k, v := kv[0], strings.ReplaceAll(kv[1], guideGCSHost, gcsHost)
			if k == "SECRETSTORE_ROOT_KEY" {
				guideRootKey = v
				continue
			}
			if err := os.Setenv(k, v); err != nil {
				return err
			}
			guideEnvSet[k] = v
		}
	}
	if guideRootKey == "" {
		return fmt.Errorf("%s/local-kms/env.sh sets no SECRETSTORE_ROOT_KEY", guideExamples)
	}
	return nil
}

// TestBucketsGuide_env: the guide's env.sh files set what the emulators
// need, with the values they need: the fake GCS server's host and
// Azurite's account and key. (The AWS variables take any value; the
// tests run under the guide's.)
func TestBucketsGuide_env(t *testing.T) {
	want := map[string]string{
		backendtest.EnvGCSEmulatorHost: gcs.Host(),
		"AZURE_STORAGE_ACCOUNT":        backendtest.AzuriteAccount,
		"AZURE_STORAGE_KEY":            backendtest.AzuriteKey,
		"AWS_EC2_METADATA_DISABLED":    "true",
	}
	for k, v := range want {
		if got, ok := guideEnvSet[k]; !ok || got != v {
			t.Errorf("the guide's env.sh files set %s to %q (set: %v), want %q", k, got, ok, v)
		}
	}
}

var (
	guideBucketURLRe = regexp.MustCompile("\\b(?:s3|gs|azblob)://[^\\s\"'`|)]+")
	guideKeeperURLRe = regexp.MustCompile("\\b(?:awskms|gcpkms|azurekeyvault|base64key)://[^\\s\"'`|)]+")
)

// TestBucketsGuide_urls: every bucket URL that the buckets guide shows
// opens (the openers check every parameter; opening sends no request),
// and every root key URL it shows is a valid root key.
func TestBucketsGuide_urls(t *testing.T) {
	raw, err := os.ReadFile("../../../docs/guides/buckets.md")
	if err != nil {
		t.Fatal(err)
	}
	buckets := guideBucketURLRe.FindAllString(string(raw), -1)
	keepers := guideKeeperURLRe.FindAllString(string(raw), -1)
	if len(buckets) < 5 || len(keepers) < 4 {
		t.Fatalf("the guide shows %d bucket URLs and %d root key URLs; want at least 5 and 4", len(buckets), len(keepers))
	}
	for _, u := range buckets {
		b, err := blob.OpenBucket(context.Background(), u)
		if err != nil {
			t.Errorf("bucket URL %s: %v", u, err)
			continue
		}
		_ = b.Close()
	}
	for _, k := range keepers {
		if err := backend.CheckRootKey(backend.FieldRootKey, 0, k); err != nil {
			t.Errorf("root key URL %s: %v", k, err)
		}
	}
}
