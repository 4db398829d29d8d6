// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// These helpers run the real terraform binary against the real provider
// binary (built once per test process), as separate processes, with a
// dev_overrides CLI configuration. They are for tests that need what the
// in-process harness cannot give: TRACE logs of both processes in one file,
// saved plan files, and several terraform runs at once.

var (
	providerBinOnce sync.Once
	providerBinDir  string
	providerBinErr  error
)

// providerBinary builds the provider into a temporary directory once and
// returns that directory (the dev_overrides target).
func providerBinary(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath(cliPath()); err != nil {
		t.Skipf("%s is not on PATH", cliPath())
	}
	providerBinOnce.Do(func() {
		// Shared by every test of the package, so not a t.TempDir.
		dir, err := os.MkdirTemp("", "secretstore-provider-bin-") //nolint:usetesting
		if err != nil {
			providerBinErr = err
			return
		}
		providerBinDir = dir
		root, err := moduleRoot()
		if err != nil {
			providerBinErr = err
			return
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "terraform-provider-secretstore"), ".")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			providerBinErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if providerBinErr != nil {
		t.Fatalf("building the provider binary: %v", providerBinErr)
	}
	return providerBinDir
}

// moduleRoot finds the directory holding go.mod above the package.
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
			return "", fmt.Errorf("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// tfDir is one terraform working directory driven by the real binary.
type tfDir struct {
	t   *testing.T
	Dir string
	env []string
}

const terraformBlock = `
terraform {
  required_providers {
    secretstore = {
      source = "secretstore/secretstore"
    }
  }
}
`

// newTFDir creates a working directory under parent with a CLI config that
// points terraform at the built provider. env entries (KEY=VALUE) are added
// to a scrubbed copy of the test's environment.
func newTFDir(t *testing.T, parent, name string, env ...string) *tfDir {
	t.Helper()
	bin := providerBinary(t)
	dir := filepath.Join(parent, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	cli := filepath.Join(dir, ".terraformrc")
	rc := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    \"%s/secretstore/secretstore\" = %q\n  }\n  direct {}\n}\n", providerHost(), bin)
	if err := os.WriteFile(cli, []byte(rc), 0o600); err != nil {
		t.Fatal(err)
	}
	var base []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "TF_") || strings.HasPrefix(k, "SECRETSTORE_") || strings.HasPrefix(k, "TFC_") {
			continue
		}
		base = append(base, kv)
	}
	base = append(base, "TF_CLI_CONFIG_FILE="+cli, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	return &tfDir{t: t, Dir: dir, env: append(base, env...)}
}

// write replaces main.tf (the terraform block is added).
func (d *tfDir) write(config string) {
	d.t.Helper()
	if err := os.WriteFile(filepath.Join(d.Dir, "main.tf"), []byte(terraformBlock+config), 0o600); err != nil {
		d.t.Fatal(err)
	}
}

// run runs terraform (cliPath) with args and returns its combined output and error.
func (d *tfDir) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliPath(), append(args[:1:1], append([]string{"-no-color"}, args[1:]...)...)...)
	cmd.Dir = d.Dir
	cmd.Env = d.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// mustRun runs terraform and fails the test on error.
func (d *tfDir) mustRun(args ...string) string {
	d.t.Helper()
	out, err := d.run(args...)
	if err != nil {
		d.t.Fatalf("terraform %s in %s: %v\n%s", strings.Join(args, " "), d.Dir, err, out)
	}
	return out
}

// TestMain removes the provider binary built for the end-to-end tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if providerBinDir != "" {
		os.RemoveAll(providerBinDir)
	}
	os.Exit(code)
}
