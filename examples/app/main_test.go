// SPDX-License-Identifier: MPL-2.0

package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/cli"
)

// TestAppReadsItsTokenAtStartUp writes a token with the secretstore CLI,
// builds the example application, runs it with the store's environment
// variables and checks, over HTTP, that it serves with that token: a
// request bearing it is let in, others are not. Neither the CLI's
// messages nor the application's output carry the token, and the
// application's read is in the audit log under its actor.
func TestAppReadsItsTokenAtStartUp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example application")
	}
	token := "tok-" + randomText(t)
	env := storeEnv(t)
	cliRun(t, env, "", "key-versions", "create")
	cliRun(t, env, token, "put", "acme:production/api-token")

	app := buildApp(t)
	p := startApp(t, app, append(env, "SECRETSTORE_ACTOR=example-app", "SECRETSTORE_AUDIT_READS=true"),
		"-addr", "127.0.0.1:0", "-token-secret", "acme:production/api-token")
	addr := p.waitListening(t)

	for _, tc := range []struct {
		auth string
		want int
	}{
		{"", http.StatusUnauthorized},
		{"Bearer wrong-" + token, http.StatusUnauthorized},
		{"Bearer " + token[:len(token)-1], http.StatusUnauthorized},
		{"Bearer " + token, http.StatusOK},
	} {
		req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET / with %d-byte Authorization: status %d, want %d", len(tc.auth), resp.StatusCode, tc.want)
		}
	}

	stdout, stderr, err := p.stop(t)
	// Failure messages show the output with the token masked.
	mask := strings.NewReplacer(token, "<the token>")
	stdout, stderr = mask.Replace(stdout), mask.Replace(stderr)
	if err != nil {
		t.Errorf("app: %v\nstderr:\n%s", err, stderr)
	}
	if !regexp.MustCompile(`(?m)^app: loaded secret acme:production/api-token revision 1 \(key version 1, value redacted\), value id [0-9a-f]{32}$`).MatchString(stderr) {
		t.Errorf("app's stderr does not report the secret it loaded:\n%s", stderr)
	}
	if strings.Contains(stdout+stderr, "<the token>") {
		t.Errorf("app printed the token:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}

	// Configured by the store's variables: the read is audited, by the
	// application's actor.
	audit := cliRun(t, env, "", "audit", "--json", "--operation", "read")
	if !strings.Contains(audit, `"name":"api-token"`) || !strings.Contains(audit, `"actor":"example-app"`) {
		t.Errorf("no read by example-app in the audit log:\n%s", audit)
	}
}

// TestAppStopsWithoutItsToken: a secret that does not exist stops the
// start-up with the store's word and exit status 1, before serving.
func TestAppStopsWithoutItsToken(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example application")
	}
	env := storeEnv(t)
	cliRun(t, env, "", "key-versions", "create")
	p := startApp(t, buildApp(t), env, "-addr", "127.0.0.1:0", "-token-secret", "acme:production/api-token")
	err := p.wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("app exited with %v, want exit status 1", err)
	}
	stdout, stderr := p.stdout.String(), p.stderr.String()
	if strings.Contains(stdout, "listening") {
		t.Errorf("app served without its token:\n%s", stdout)
	}
	if !strings.Contains(stderr, "app: the token secret does not exist") || !strings.Contains(stderr, "not_found") {
		t.Errorf("app's stderr does not say that the token secret is missing:\n%s", stderr)
	}
}

func randomText(t *testing.T) string {
	t.Helper()
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// storeEnv is the environment of a new file:// store in a temporary
// directory: the variables the provider, the CLI and the application read.
func storeEnv(t *testing.T) []string {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return []string{
		"SECRETSTORE_URL=file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "store")),
		"SECRETSTORE_ROOT_KEY=" + base64.StdEncoding.EncodeToString(key),
		"SECRETSTORE_ACTOR=operator",
	}
}

// cliRun runs the secretstore CLI with env and stdin, and returns its
// stdout. Its stderr must be empty, so it never carries the value.
func cliRun(t *testing.T, env []string, stdin string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), args, cli.IO{Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr, Env: env})
	if code != cli.ExitOK || stderr.Len() != 0 {
		t.Fatalf("secretstore %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
	}
	return stdout.String()
}

// buildApp builds this package's program into a temporary directory.
func buildApp(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app")
	if out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return path
}

// appProcess is a running application.
type appProcess struct {
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	lines          chan string
}

// startApp runs the application with env (and no SECRETSTORE_* variable
// of the test's own environment).
func startApp(t *testing.T, path string, env []string, args ...string) *appProcess {
	t.Helper()
	p := &appProcess{cmd: exec.Command(path, args...), lines: make(chan string, 16)}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SECRETSTORE_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Env = append(p.cmd.Env, env...)
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			_, _ = p.stdout.Write([]byte(sc.Text() + "\n"))
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		close(p.lines)
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
	})
	return p
}

// waitListening returns the address the application reports it serves on.
func (p *appProcess) waitListening(t *testing.T) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				_ = p.wait()
				t.Fatalf("app exited before listening:\n%s", p.stderr.String())
			}
			if addr, found := strings.CutPrefix(line, "listening on "); found {
				return addr
			}
		case <-timeout:
			t.Fatalf("app did not report listening within 30s:\n%s", p.stderr.String())
		}
	}
}

// stop sends SIGTERM and waits for the application to exit.
func (p *appProcess) stop(t *testing.T) (stdout, stderr string, err error) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = p.wait()
	return p.stdout.String(), p.stderr.String(), err
}

// wait reads the application's stdout to its end, then waits for it to
// exit.
func (p *appProcess) wait() error {
	for range p.lines {
	}
	return p.cmd.Wait()
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
