// SPDX-License-Identifier: MPL-2.0

package backendtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The emulators that run as programs (Azurite, local-kms) are installed by
// `make azurite` and `make local-kms` into ./bin, and `make test` names them
// in these variables. A test that needs one that is missing fails when
// EnvRequireEmulators is "1" (as under make test) and is skipped otherwise.
const (
	// EnvAzurite is the path of Azurite's azurite-blob program.
	EnvAzurite = "SECRETSTORE_AZURITE"
	// EnvLocalKMS is the path of the local-kms program.
	EnvLocalKMS = "SECRETSTORE_LOCAL_KMS"
	// EnvRequireEmulators, when "1", turns a missing emulator from a skip
	// into a failure.
	EnvRequireEmulators = "SECRETSTORE_REQUIRE_EMULATORS"
)

// errNoEmulator reports an emulator program that is not installed.
var errNoEmulator = errors.New("emulator not installed")

// emulatorProgram returns the path of an emulator program: the value of
// env when set, else the first match of glob (relative to the module
// root). The error wraps errNoEmulator and says how to install it.
func emulatorProgram(env, glob, install string) (string, error) {
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: %s=%s: %w; run %s", errNoEmulator, env, p, err, install)
		}
		return p, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	matches, _ := filepath.Glob(filepath.Join(root, glob))
	if len(matches) == 0 {
		return "", fmt.Errorf("%w: no %s (and %s is not set); run %s", errNoEmulator, glob, env, install)
	}
	return matches[len(matches)-1], nil
}

// skipOrFail ends t for a missing emulator: a failure when
// EnvRequireEmulators is "1", else a skip. Other errors fail t.
func skipOrFail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, errNoEmulator) && os.Getenv(EnvRequireEmulators) != "1" {
		t.Skipf("%v (set %s=1 to make this a failure)", err, EnvRequireEmulators)
	}
	t.Fatal(err)
}

// moduleRoot is the directory of the go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// process is an emulator program running in the background, killed (with
// its process group) by stop or when the test binary that started it dies.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	log  *tailBuffer

	stopOnce sync.Once
}

// startProcess runs name with args and env (added to a minimal
// environment) in dir, and waits until a line of its output matches ready;
// it returns the submatches of that line. It gives up after timeout.
func startProcess(name string, args, env []string, dir string, ready *regexp.Regexp, timeout time.Duration) (*process, []string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TMPDIR=" + dir}, env...)
	// Its own process group, so that stop also ends its children, and
	// SIGKILL when this process dies without stopping it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{}), log: &tailBuffer{}}
	go func() {
		_ = cmd.Wait()
		_ = pw.Close()
		close(p.done)
	}()
	found := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			line := ansiEscape.ReplaceAllString(sc.Text(), "")
			p.log.add(line)
			if m := ready.FindStringSubmatch(line); m != nil && !sent {
				found <- m
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case m := <-found:
		return p, m, nil
	case <-p.done:
		return nil, nil, fmt.Errorf("%s exited before it was ready; its output:\n%s", name, p.log)
	case <-time.After(timeout):
		p.stop()
		return nil, nil, fmt.Errorf("%s was not ready after %v; its output:\n%s", name, timeout, p.log)
	}
}

// stop kills the process group and waits for the process to exit.
func (p *process) stop() {
	p.stopOnce.Do(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
		}
	})
}

// ansiEscape matches the colour codes some emulators print.
var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// tailBuffer keeps the last lines of a process's output for error
// messages.
type tailBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *tailBuffer) add(line string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, line)
	if len(b.lines) > 50 {
		b.lines = b.lines[len(b.lines)-50:]
	}
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}

// shared is one emulator per test binary, started on first use and
// stopped by StopSharedEmulators.
type shared[T any] struct {
	once sync.Once
	v    T
	err  error
	stop func()
}

func (s *shared[T]) get(start func() (T, func(), error)) (T, error) {
	s.once.Do(func() {
		s.v, s.stop, s.err = start()
		if s.err == nil {
			sharedStops.mu.Lock()
			sharedStops.fs = append(sharedStops.fs, s.stop)
			sharedStops.mu.Unlock()
		}
	})
	return s.v, s.err
}

var sharedStops struct {
	mu sync.Mutex
	fs []func()
}

// StopSharedEmulators stops every emulator that tests of this binary
// started to share (see SharedAzurite). Call it from TestMain after m.Run.
func StopSharedEmulators() {
	sharedStops.mu.Lock()
	fs := sharedStops.fs
	sharedStops.fs = nil
	sharedStops.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// waitContext is a context for an emulator request made while setting up.
func waitContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// IsolateCloudEnv is IsolateAWSEnv, and also points the Google Cloud
// Storage client at gcs (gs:// URLs reach it, without credentials) and the
// Azure Blob client at Azurite's account (azblob:// URLs of an Azurite
// authenticate with its public key), with every other source of Google
// and Azure configuration cleared, so that bucket and keeper URLs reach
// nothing but the emulators on loopback. It sets process environment
// variables and is meant for TestMain, before any test runs; dir must
// outlive the tests. It returns the first error from os.Setenv.
func IsolateCloudEnv(dir string, gcs *FakeGCS) error {
	if err := IsolateAWSEnv(dir); err != nil {
		return err
	}
	for _, kv := range [][2]string{
		{EnvGCSEmulatorHost, gcs.Host()},
		{"STORAGE_EMULATOR_HOST_GRPC", ""},
		{"GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(dir, "no-google-credentials")},
		{"CLOUDSDK_CONFIG", filepath.Join(dir, "no-gcloud")},
		{"AZURE_STORAGE_ACCOUNT", AzuriteAccount},
		{"AZURE_STORAGE_KEY", AzuriteKey},
		{"AZURE_STORAGE_SAS_TOKEN", ""},
		{"AZURE_STORAGE_CONNECTION_STRING", ""},
		{"AZURE_STORAGEBLOB_CONNECTIONSTRING", ""},
		{"AZURE_STORAGE_DOMAIN", ""},
		{"AZURE_STORAGE_PROTOCOL", ""},
		{"AZURE_STORAGE_IS_CDN", ""},
		{"AZURE_STORAGE_IS_LOCAL_EMULATOR", ""},
	} {
		if err := os.Setenv(kv[0], kv[1]); err != nil {
			return fmt.Errorf("setting %s: %w", kv[0], err)
		}
	}
	return nil
}

// CloudEnvMain says how RunWithCloudEnv sets up a test binary.
type CloudEnvMain struct {
	// TempPrefix begins the name of the temporary directory given to
	// IsolateCloudEnv.
	TempPrefix string
	// MisconfiguredGCS starts the fake GCS server with
	// StartMisconfiguredFakeGCS instead of StartFakeGCS.
	MisconfiguredGCS bool
	// Setup, when not nil, runs after the environment is isolated and
	// before the tests, with the fake GCS server that gs:// URLs reach;
	// an error from it ends the run before any test.
	Setup func(gcs *FakeGCS) error
}

// RunWithCloudEnv is the body of a TestMain whose tests reach buckets on
// the emulators only: it starts a fake GCS server, points every cloud SDK
// of the process at loopback with IsolateCloudEnv, runs c.Setup and then
// the tests of m, and afterwards stops the emulators the tests shared
// (StopSharedEmulators), the fake GCS server and removes the temporary
// directory. It returns the exit code of m.Run, or 1 after printing the
// error to stderr when setting up fails. Use it as
// os.Exit(backendtest.RunWithCloudEnv(m, c)).
func RunWithCloudEnv(m *testing.M, c CloudEnvMain) int {
	dir, err := os.MkdirTemp("", c.TempPrefix)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	start := StartFakeGCS
	if c.MisconfiguredGCS {
		start = StartMisconfiguredFakeGCS
	}
	gcs, err := start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer gcs.Stop()
	if err := IsolateCloudEnv(dir, gcs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if c.Setup != nil {
		if err := c.Setup(gcs); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	defer StopSharedEmulators()
	return m.Run()
}
