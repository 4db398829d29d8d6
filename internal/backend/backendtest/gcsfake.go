// SPDX-License-Identifier: MPL-2.0

package backendtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"gocloud.dev/blob"
	"gocloud.dev/blob/gcsblob"
	"google.golang.org/api/option"
)

// EnvGCSEmulatorHost is the variable through which the Google Cloud
// Storage client (and so gs:// bucket URLs) reaches an emulator instead
// of Google: host:port, plain HTTP, no credentials.
const EnvGCSEmulatorHost = "STORAGE_EMULATOR_HOST"

// FakeGCS is an in-process Google Cloud Storage server (fake-gcs-server,
// in memory) listening on IPv4 loopback.
type FakeGCS struct {
	server *fakestorage.Server
	host   string // 127.0.0.1:port

	mu     sync.Mutex
	nextID int
}

// StartFakeGCS starts a server; Stop ends it.
func StartFakeGCS() (*FakeGCS, error) {
	// Downloads go to http://host/bucket/object (the XML API on the
	// emulator host); the server serves them only for its public host.
	return startFakeGCS("127.0.0.1")
}

// StartMisconfiguredFakeGCS starts a server as `fake-gcs-server -scheme
// http -host 127.0.0.1` runs without -public-host: its public host is
// storage.googleapis.com, so it lists, describes and writes objects but
// answers every read of one, at its loopback address, with 404. It stands
// for a bucket endpoint that serves listings and reads from different
// places. Stop ends it.
func StartMisconfiguredFakeGCS() (*FakeGCS, error) { return startFakeGCS("") }

func startFakeGCS(publicHost string) (*FakeGCS, error) {
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{
		Scheme:     "http",
		Host:       "127.0.0.1",
		PublicHost: publicHost,
		Writer:     io.Discard,
	})
	if err != nil {
		return nil, fmt.Errorf("starting fake GCS server: %w", err)
	}
	u, err := url.Parse(srv.URL())
	if err != nil || !strings.HasPrefix(u.Host, "127.0.0.1:") {
		srv.Stop()
		return nil, fmt.Errorf("fake GCS server is not on IPv4 loopback: %q", srv.URL())
	}
	return &FakeGCS{server: srv, host: u.Host}, nil
}

// NewFakeGCS starts a server that lives until the test ends.
func NewFakeGCS(t testing.TB) *FakeGCS {
	t.Helper()
	f, err := StartFakeGCS()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Stop)
	return f
}

// Stop stops the server.
func (f *FakeGCS) Stop() { f.server.Stop() }

// Host is the server's host:port, the value of EnvGCSEmulatorHost that
// points gs:// URLs at it.
func (f *FakeGCS) Host() string { return f.host }

// Env is the environment under which a gs:// URL of NewBucketURL reaches
// this server: EnvGCSEmulatorHost.
func (f *FakeGCS) Env() map[string]string {
	return map[string]string{EnvGCSEmulatorHost: f.host}
}

// NewBucketName creates a fresh, empty bucket on the server and returns its
// name.
func (f *FakeGCS) NewBucketName() string {
	f.mu.Lock()
	f.nextID++
	name := fmt.Sprintf("bucket-%d", f.nextID)
	f.mu.Unlock()
	f.server.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: name})
	return name
}

// NewBucketURL creates a fresh, empty bucket and returns the gs:// URL that
// opens it where Env is in force.
func (f *FakeGCS) NewBucketURL() string { return "gs://" + f.NewBucketName() }

// OpenBucket opens bucket name through the Cloud Storage client, as a gs://
// URL does under Env, but with the emulator endpoint given to this client
// alone, so that tests need no process environment. The bucket is closed
// when the test ends.
func (f *FakeGCS) OpenBucket(t testing.TB, name string) *blob.Bucket {
	t.Helper()
	ctx := context.Background()
	c, err := storage.NewClient(ctx,
		option.WithEndpoint("http://"+f.host+"/storage/v1/"),
		option.WithoutAuthentication(),
		option.WithHTTPClient(&http.Client{}),
	)
	if err != nil {
		t.Fatalf("creating GCS client: %v", err)
	}
	b, err := gcsblob.OpenBucket(ctx, nil, name, &gcsblob.Options{Client: c})
	if err != nil {
		_ = c.Close()
		t.Fatalf("opening GCS bucket %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = b.Close()
		_ = c.Close()
	})
	return b
}
