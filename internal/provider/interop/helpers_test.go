// SPDX-License-Identifier: MPL-2.0

package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/secretstore/terraform-provider-secretstore/internal/provider"
	"github.com/secretstore/terraform-provider-secretstore/secretstore"
)

// Actors of the two writers, so that audit events tell them apart.
const (
	tfActor  = "terraform-interop"
	cliActor = "cli-interop"
)

// factories serve the provider in-process, and echo for ephemeral values.
func factories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"secretstore": providerserver.NewProtocol6WithError(provider.NewTestProvider("test", nil)()),
		"echo":        echoprovider.NewProviderServer(),
	}
}

// store is a file:// store in a test's temporary directory, shared by
// terraform, the command and the client. It records every command run
// against it, for the canary checks.
type store struct {
	t       *testing.T
	Dir     string
	URL     string
	RootKey string

	mu   sync.Mutex
	runs []cliRun
}

func newStore(t *testing.T) *store {
	t.Helper()
	dir := t.TempDir()
	return &store{t: t, Dir: dir, URL: "file://" + filepath.ToSlash(dir), RootKey: randomKey(t)}
}

// randomKey is a fresh standard-base64 32-byte key.
func randomKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// randomText is n random lowercase hex characters.
func randomText(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)[:n]
}

// providerBlock configures the provider for this store, acting as tfActor.
func (s *store) providerBlock() string {
	return fmt.Sprintf(`
provider "secretstore" {
  url      = %q
  root_key = %q
  actor    = %q
}
`, s.URL, s.RootKey, tfActor)
}

// cliRun is one run of the command.
type cliRun struct {
	Args           []string
	Stdout, Stderr string
	Code           int
}

// cli runs the command against the store as cliActor, with stdin, in an
// environment holding nothing of the test process's SECRETSTORE_ or TF_
// variables. extra entries (KEY=VALUE) are added last.
func (s *store) cli(stdin string, extra []string, args ...string) cliRun {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliBin, args...)
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "SECRETSTORE_") || strings.HasPrefix(k, "TF_") {
			continue
		}
		env = append(env, kv)
	}
	cmd.Env = append(env, append([]string{
		"SECRETSTORE_URL=" + s.URL, "SECRETSTORE_ROOT_KEY=" + s.RootKey, "SECRETSTORE_ACTOR=" + cliActor,
	}, extra...)...)
	cmd.Dir = s.Dir
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := cliRun{Args: args, Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	case err != nil:
		s.t.Fatalf("running secretstore %s: %v", strings.Join(args, " "), err)
	}
	s.mu.Lock()
	s.runs = append(s.runs, r)
	s.mu.Unlock()
	return r
}

// ok runs the command and fails the test unless it exits 0; it returns
// stdout.
func (s *store) ok(stdin string, args ...string) string {
	s.t.Helper()
	r := s.cli(stdin, nil, args...)
	if r.Code != 0 {
		s.t.Fatalf("secretstore %s: exit %d\n%s", strings.Join(args, " "), r.Code, r.Stderr)
	}
	return r.Stdout
}

// okJSON runs the command with --json and decodes its output into v.
func (s *store) okJSON(v any, args ...string) {
	s.t.Helper()
	out := s.ok("", append([]string{"--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		s.t.Fatalf("secretstore --json %s: output is not one JSON value: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// okJSONLines runs the CLI with --json and decodes its output, one JSON
// object per line, into a slice of objects.
func (s *store) okJSONLines(args ...string) []map[string]any {
	s.t.Helper()
	out := s.ok("", append([]string{"--json"}, args...)...)
	var objs []map[string]any
	for line := range strings.Lines(out) {
		var o map[string]any
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			s.t.Fatalf("secretstore --json %s: line %q is not one JSON object: %v", strings.Join(args, " "), line, err)
		}
		objs = append(objs, o)
	}
	return objs
}

// openClient opens the store through the public client; it is closed
// when the test ends.
func (s *store) openClient() *secretstore.Store {
	s.t.Helper()
	c, err := secretstore.Open(context.Background(), secretstore.Config{URL: s.URL, RootKey: s.RootKey})
	if err != nil {
		s.t.Fatalf("secretstore.Open: %v", err)
	}
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

// copyStore copies the store's directory to a new temporary one and
// returns a store over the copy, with the same root key.
func (s *store) copyStore() *store {
	s.t.Helper()
	c := newStore(s.t)
	c.RootKey = s.RootKey
	if err := os.CopyFS(c.Dir, os.DirFS(s.Dir)); err != nil {
		s.t.Fatalf("copying the store: %v", err)
	}
	return c
}

// files lists every file of the store's directory (relative, slash
// separated).
func (s *store) files() []string {
	s.t.Helper()
	var out []string
	err := filepath.WalkDir(s.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(s.Dir, p)
		out = append(out, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

// check adapts a function to a resource.TestCheckFunc.
func check(fn func() error) func(*terraform.State) error {
	return func(*terraform.State) error { return fn() }
}

// jsonNumber reads a JSON number field as an int.
func jsonNumber(m map[string]any, key string) int {
	f, _ := m[key].(float64)
	return int(f)
}
