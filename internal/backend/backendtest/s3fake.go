// SPDX-License-Identifier: MPL-2.0

package backendtest

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// FakeS3 is an in-process S3 server (gofakes3, in memory) listening on
// loopback. Nothing it serves leaves the machine.
type FakeS3 struct {
	backend *s3mem.Backend
	server  *httptest.Server

	mu     sync.Mutex
	nextID int
}

// NewFakeS3 starts a server that lives until the test ends. Opening an
// s3:// URL it returns reaches only this server once IsolateAWSEnv has run
// (call it from TestMain).
func NewFakeS3(t testing.TB) *FakeS3 {
	t.Helper()
	be := s3mem.New()
	faker := gofakes3.New(be)
	srv := httptest.NewServer(faker.Server())
	t.Cleanup(srv.Close)
	if u, err := url.Parse(srv.URL); err != nil || !strings.HasPrefix(u.Host, "127.0.0.1:") {
		t.Fatalf("fake S3 server is not on IPv4 loopback: %q", srv.URL)
	}
	return &FakeS3{backend: be, server: srv}
}

// Endpoint is the server's http:// URL.
func (f *FakeS3) Endpoint() string { return f.server.URL }

// NewBucketName creates a fresh, empty bucket on the server and returns its
// name.
func (f *FakeS3) NewBucketName(t testing.TB) string {
	t.Helper()
	f.mu.Lock()
	f.nextID++
	name := fmt.Sprintf("bucket-%d", f.nextID)
	f.mu.Unlock()
	if err := f.backend.CreateBucket(name); err != nil {
		t.Fatalf("creating fake S3 bucket: %v", err)
	}
	return name
}

// NewBucketURL creates a fresh, empty bucket on the server and returns the
// gocloud.dev s3blob URL that opens it.
func (f *FakeS3) NewBucketURL(t testing.TB) string {
	t.Helper()
	name := f.NewBucketName(t)
	q := url.Values{}
	q.Set("endpoint", f.server.URL)
	q.Set("use_path_style", "true")
	q.Set("region", "us-east-1")
	q.Set("disable_https", "true")
	return "s3://" + name + "?" + q.Encode()
}

// IsolateAWSEnv points the AWS SDK of the whole process at static dummy
// credentials and a fixed region, with every other source of AWS
// configuration (shared config files in dir, instance metadata, container
// and web-identity credentials, endpoint overrides) disabled, so that an
// s3:// URL can reach nothing but a FakeS3. It sets process environment
// variables and is meant for TestMain, before any test runs; dir must
// outlive the tests. It returns the first error from os.Setenv.
func IsolateAWSEnv(dir string) error {
	for _, kv := range [][2]string{
		{"AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE"},
		{"AWS_SECRET_ACCESS_KEY", "fake-secret-access-key-for-gofakes3-only"},
		{"AWS_SESSION_TOKEN", ""},
		{"AWS_REGION", "us-east-1"},
		{"AWS_DEFAULT_REGION", "us-east-1"},
		{"AWS_PROFILE", ""},
		{"AWS_CONFIG_FILE", filepath.Join(dir, "no-config")},
		{"AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials")},
		{"AWS_EC2_METADATA_DISABLED", "true"},
		{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", ""},
		{"AWS_CONTAINER_CREDENTIALS_FULL_URI", ""},
		{"AWS_WEB_IDENTITY_TOKEN_FILE", ""},
		{"AWS_ROLE_ARN", ""},
		{"AWS_ENDPOINT_URL", ""},
		{"AWS_ENDPOINT_URL_S3", ""},
	} {
		if err := os.Setenv(kv[0], kv[1]); err != nil {
			return fmt.Errorf("setting %s: %w", kv[0], err)
		}
	}
	return nil
}
