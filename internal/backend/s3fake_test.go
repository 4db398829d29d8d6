// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"fmt"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// fakeS3 is an in-process S3 server (gofakes3, in memory) listening on
// loopback. Nothing it serves leaves the machine.
type fakeS3 struct {
	backend *s3mem.Backend
	server  *httptest.Server
	nextID  int
}

// newFakeS3 starts a server that lives until the test ends, and points the
// AWS SDK at static dummy credentials with every network fallback (shared
// config files, instance metadata) disabled, so that opening an s3:// URL
// can only ever talk to this server.
func newFakeS3(t *testing.T) *fakeS3 {
	t.Helper()
	isolateAWSEnv(t)
	be := s3mem.New()
	faker := gofakes3.New(be)
	srv := httptest.NewServer(faker.Server())
	t.Cleanup(srv.Close)
	if u, err := url.Parse(srv.URL); err != nil || !strings.HasPrefix(u.Host, "127.0.0.1:") {
		t.Fatalf("fake S3 server is not on IPv4 loopback: %q", srv.URL)
	}
	return &fakeS3{backend: be, server: srv}
}

// isolateAWSEnv sets dummy credentials and region and disables every source
// of AWS configuration that could reach the network or the user's files.
func isolateAWSEnv(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake-secret-access-key-for-gofakes3-only")
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_DEFAULT_REGION", "us-east-1")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "")
	t.Setenv("AWS_ROLE_ARN", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
}

// newBucketURL creates a fresh, empty bucket on the server and returns the
// gocloud.dev s3blob URL that opens it.
func (f *fakeS3) newBucketURL(t *testing.T) string {
	t.Helper()
	f.nextID++
	name := fmt.Sprintf("bucket-%d", f.nextID)
	if err := f.backend.CreateBucket(name); err != nil {
		t.Fatalf("creating fake S3 bucket: %v", err)
	}
	q := url.Values{}
	q.Set("endpoint", f.server.URL)
	q.Set("use_path_style", "true")
	q.Set("region", "us-east-1")
	q.Set("disable_https", "true")
	return "s3://" + name + "?" + q.Encode()
}
