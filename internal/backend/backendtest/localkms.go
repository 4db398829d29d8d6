// SPDX-License-Identifier: MPL-2.0

package backendtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Region and alias of the key every LocalKMS is seeded with.
const (
	LocalKMSRegion = "eu-west-1"
	LocalKMSAlias  = "alias/secretstore-test"
)

// localKMSSeed is the seed file of every LocalKMS: one AES key (fixed
// material: it guards only test data) and an alias for it.
const localKMSSeed = `Keys:
  Symmetric:
    Aes:
      - Metadata:
          KeyId: ` + localKMSSeedKeyID + `
        BackingKeys:
          - 8c7b2f1e4d3a5968b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4
Aliases:
  - AliasName: ` + LocalKMSAlias + `
    TargetKeyId: ` + localKMSSeedKeyID + `
`

// localKMSSeedKeyID is the id of the seeded key.
const localKMSSeedKeyID = "5f0b8a4e-7c1d-4e8b-9a52-3c6f1d2e4b71"

// localKMSReady is the line local-kms prints once it listens (on every
// interface: it takes a port, not an address; it is reached on loopback).
var localKMSReady = regexp.MustCompile(`Local KMS started on [0-9.]+:([0-9]+)`)

// LocalKMS is local-kms (an AWS KMS emulator, a Go program) seeded with one
// key under LocalKMSAlias, reached through a loopback proxy that counts
// the KMS operations it forwards.
type LocalKMS struct {
	proc  *process
	proxy *httptest.Server
	dir   string

	mu    sync.Mutex
	calls map[string]int // by operation, e.g. "Encrypt"
}

// NewLocalKMS starts local-kms from the program named by EnvLocalKMS (else
// bin/local-kms-*/local-kms, as `make local-kms` installs it) with a fresh
// database, stopped when the test ends. When it is not installed the test
// is skipped, or fails under EnvRequireEmulators.
func NewLocalKMS(t testing.TB) *LocalKMS {
	t.Helper()
	k, err := startLocalKMS()
	if err != nil {
		skipOrFail(t, err)
	}
	t.Cleanup(k.stop)
	return k
}

func startLocalKMS() (*LocalKMS, error) {
	prog, err := emulatorProgram(EnvLocalKMS, "bin/local-kms-*/local-kms", "make local-kms")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "local-kms-")
	if err != nil {
		return nil, err
	}
	seed := filepath.Join(dir, "seed.yaml")
	if err := os.WriteFile(seed, []byte(localKMSSeed), 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	p, m, err := startProcess(prog, nil, []string{
		"PORT=0",
		"KMS_SEED_PATH=" + seed,
		"KMS_DATA_PATH=" + filepath.Join(dir, "data"),
		"KMS_REGION=" + LocalKMSRegion,
	}, dir, localKMSReady, 30*time.Second)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	target, _ := url.Parse("http://127.0.0.1:" + m[1])
	k := &LocalKMS{proc: p, dir: dir, calls: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(target)
	k.proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The KMS JSON protocol names the operation in X-Amz-Target,
		// e.g. "TrentService.Encrypt".
		op := r.Header.Get("X-Amz-Target")
		if i := strings.LastIndexByte(op, '.'); i >= 0 {
			op = op[i+1:]
		}
		k.mu.Lock()
		k.calls[op]++
		k.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	return k, nil
}

func (k *LocalKMS) stop() {
	k.proxy.Close()
	k.proc.stop()
	_ = os.RemoveAll(k.dir)
}

// Endpoint is the http:// URL that KMS clients reach this emulator at
// (the counting proxy).
func (k *LocalKMS) Endpoint() string { return k.proxy.URL }

// KeeperURL is the awskms:// root key URL of the seeded key.
func (k *LocalKMS) KeeperURL() string {
	return fmt.Sprintf("awskms://%s?endpoint=%s&region=%s", LocalKMSAlias, k.Endpoint(), LocalKMSRegion)
}

// Calls returns how many requests of each operation reached the emulator
// so far.
func (k *LocalKMS) Calls() map[string]int {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make(map[string]int, len(k.calls))
	for op, n := range k.calls {
		out[op] = n
	}
	return out
}

// TotalCalls is the number of requests that reached the emulator so far.
func (k *LocalKMS) TotalCalls() int {
	n := 0
	for _, c := range k.Calls() {
		n += c
	}
	return n
}

// NewKey creates another key in the emulator and returns its awskms://
// root key URL (by key id).
func (k *LocalKMS) NewKey(t testing.TB) string {
	t.Helper()
	var out struct{ KeyMetadata struct{ KeyId string } }
	k.call(t, "CreateKey", `{}`, &out)
	if out.KeyMetadata.KeyId == "" {
		t.Fatal("local-kms CreateKey returned no key id")
	}
	return fmt.Sprintf("awskms:///%s?endpoint=%s&region=%s", out.KeyMetadata.KeyId, k.Endpoint(), LocalKMSRegion)
}

// DisableSeededKey disables the key under LocalKMSAlias: from then on no
// request can decrypt what it wrapped, as after an operator disables an
// old root key.
func (k *LocalKMS) DisableSeededKey(t testing.TB) {
	t.Helper()
	k.call(t, "DisableKey", `{"KeyId":"`+localKMSSeedKeyID+`"}`, nil)
}

// call makes the KMS request op with JSON body in, decoding the answer
// into out when it is not nil.
func (k *LocalKMS) call(t testing.TB, op, in string, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, k.Endpoint(), strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Amz-Target", "TrentService."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("local-kms %s: %v", op, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("local-kms %s: %s: %s", op, resp.Status, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("local-kms %s: %v", op, err)
		}
	}
}
