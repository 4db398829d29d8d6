// SPDX-License-Identifier: MPL-2.0

package backendtest

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"gocloud.dev/blob"
	"gocloud.dev/blob/azureblob"
)

// The account every Azurite serves, with its documented, public key: they
// are not secrets.
const (
	AzuriteAccount = "devstoreaccount1"
	AzuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// Azurite is Azurite's Blob service (the Azure Storage emulator, a Node.js
// program from the npm registry) running in memory on IPv4 loopback.
type Azurite struct {
	proc *process
	host string // 127.0.0.1:port
	dir  string

	mu     sync.Mutex
	nextID int
}

// azuriteReady is the line Azurite prints once it listens.
var azuriteReady = regexp.MustCompile(`successfully listens on http://(127\.0\.0\.1:[0-9]+)`)

// StartAzurite starts Azurite's Blob service from the program named by
// EnvAzurite (else bin/azurite, as `make azurite` installs it) on a free
// loopback port, in memory, with telemetry off; Stop ends it. A missing
// program is an error wrapping errNoEmulator.
func StartAzurite() (*Azurite, error) {
	prog, err := emulatorProgram(EnvAzurite, "bin/azurite/node_modules/.bin/azurite-blob", "make azurite")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "azurite-")
	if err != nil {
		return nil, err
	}
	p, m, err := startProcess(prog, []string{
		"--blobHost", "127.0.0.1", "--blobPort", "0",
		"--inMemoryPersistence", "--extentMemoryLimit", "256",
		"--skipApiVersionCheck", "--disableTelemetry",
	}, nil, dir, azuriteReady, 60*time.Second)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return &Azurite{proc: p, host: m[1], dir: dir}, nil
}

// Stop kills Azurite and removes its working directory.
func (a *Azurite) Stop() {
	a.proc.stop()
	_ = os.RemoveAll(a.dir)
}

var sharedAzurite shared[*Azurite]

// SharedAzurite returns the Azurite of this test binary, started by the
// first test that asks; StopSharedEmulators (from TestMain) stops it. When
// Azurite is not installed the test is skipped, or fails under
// EnvRequireEmulators.
func SharedAzurite(t testing.TB) *Azurite {
	t.Helper()
	a, err := sharedAzurite.get(func() (*Azurite, func(), error) {
		a, err := StartAzurite()
		if err != nil {
			return nil, nil, err
		}
		return a, a.Stop, nil
	})
	if err != nil {
		skipOrFail(t, err)
	}
	return a
}

// Host is Azurite's host:port.
func (a *Azurite) Host() string { return a.host }

// Env is the environment under which an azblob:// URL of NewContainerURL
// reaches this Azurite: its account name and key.
func (a *Azurite) Env() map[string]string {
	return map[string]string{"AZURE_STORAGE_ACCOUNT": AzuriteAccount, "AZURE_STORAGE_KEY": AzuriteKey}
}

// NewContainer creates a fresh, empty container and returns its name.
func (a *Azurite) NewContainer(t testing.TB) string {
	t.Helper()
	a.mu.Lock()
	a.nextID++
	name := fmt.Sprintf("container-%d", a.nextID)
	a.mu.Unlock()
	ctx, cancel := waitContext()
	defer cancel()
	if _, err := a.client(t, name).Create(ctx, nil); err != nil {
		t.Fatalf("creating Azurite container %s: %v", name, err)
	}
	return name
}

// NewContainerURL creates a fresh, empty container and returns the
// azblob:// URL that opens it where Env is in force.
func (a *Azurite) NewContainerURL(t testing.TB) string {
	t.Helper()
	return a.ContainerURL(a.NewContainer(t))
}

// ContainerURL is the azblob:// URL of container name on this Azurite:
// plain HTTP to a loopback host, account name in the path (localemu).
func (a *Azurite) ContainerURL(name string) string {
	q := url.Values{}
	q.Set("protocol", "http")
	q.Set("domain", a.host)
	q.Set("localemu", "true")
	return "azblob://" + name + "?" + q.Encode()
}

// OpenBucket opens container name with the account key given to this
// client alone, as an azblob:// URL does under Env, so that tests need no
// process environment. The bucket is closed when the test ends.
func (a *Azurite) OpenBucket(t testing.TB, name string) *blob.Bucket {
	t.Helper()
	ctx, cancel := waitContext()
	defer cancel()
	b, err := azureblob.OpenBucket(ctx, a.client(t, name), nil)
	if err != nil {
		t.Fatalf("opening Azurite container %s: %v", name, err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func (a *Azurite) client(t testing.TB, name string) *container.Client {
	t.Helper()
	cred, err := container.NewSharedKeyCredential(AzuriteAccount, AzuriteKey)
	if err != nil {
		t.Fatalf("Azurite credential: %v", err)
	}
	c, err := container.NewClientWithSharedKeyCredential("http://"+a.host+"/"+AzuriteAccount+"/"+name, cred, nil)
	if err != nil {
		t.Fatalf("Azurite client: %v", err)
	}
	return c
}
