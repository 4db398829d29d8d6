// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// These tests follow the README's "OpenTofu" section as written: a build
// of the provider copied into a filesystem mirror, `init` (offline: the
// machine has no network, so any registry lookup would fail), `apply`
// against a file:// store, a plan with no changes, and the lock file that
// init writes. They run once with terraform on PATH and once with OpenTofu
// when a binary is present (make test-opentofu builds it).

// installVersion is the version directory of the mirror; any version works
// for a local build, the configuration pins the same one.
const installVersion = "0.1.0"

// installTool is one CLI the install tests drive, and the registry host it
// gives the provider source "secretstore/secretstore".
type installTool struct {
	name, path, host, rcName string
}

// installTools lists terraform on PATH and, when there is one, the OpenTofu
// binary: TF_ACC_TERRAFORM_PATH when it is OpenTofu, else the one that
// scripts/opentofu.sh builds into .cache/.
func installTools(t *testing.T) []installTool {
	t.Helper()
	var tools []installTool
	if p, err := exec.LookPath("terraform"); err == nil {
		tools = append(tools, installTool{name: "terraform", path: p, host: "registry.terraform.io", rcName: ".terraformrc"})
	}
	tofu := ""
	if cliIsOpenTofu() {
		tofu = cliPath()
	} else if root, err := moduleRoot(); err == nil {
		p := filepath.Join(root, ".cache", "opentofu", "v1.12.6", "tofu")
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			tofu = p
		}
	}
	if tofu != "" {
		tools = append(tools, installTool{name: "tofu", path: tofu, host: "registry.opentofu.org", rcName: ".tofurc"})
	}
	return tools
}

// runTool runs one CLI with its own scrubbed environment: HOME is home, no
// TF_*, TOFU_*, SECRETSTORE_* or XDG_* variable of the test process, so
// only the files the test lays out decide where the provider comes from.
func runTool(t *testing.T, tool installTool, dir, home string, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// -no-color goes after the subcommand ("providers lock"), before the flags.
	sub := 0
	for sub < len(args) && !strings.HasPrefix(args[sub], "-") {
		sub++
	}
	cmd := exec.CommandContext(ctx, tool.path, slices.Concat(args[:sub], []string{"-no-color"}, args[sub:])...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		for _, p := range []string{"TF_", "TOFU_", "SECRETSTORE_", "TFC_", "XDG_", "HOME"} {
			if strings.HasPrefix(k, p) {
				k = ""
				break
			}
		}
		if k != "" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "HOME="+home, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// mirrorProvider copies the built provider into an unpacked filesystem
// mirror rooted at mirror, in the layout the README gives, and returns the
// package directory.
func mirrorProvider(t *testing.T, mirror, host string) string {
	t.Helper()
	pkg := filepath.Join(mirror, host, "secretstore", "secretstore", installVersion, runtime.GOOS+"_"+runtime.GOARCH)
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(filepath.Join(providerBinary(t), "terraform-provider-secretstore"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(filepath.Join(pkg, "terraform-provider-secretstore_v"+installVersion), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return pkg
}

// packageHash is the "h1:" hash that terraform and OpenTofu record in the
// lock file for an unpacked package directory: golang.org/x/mod's dirhash
// Hash1, the base64 SHA-256 of the sorted lines "<sha256 hex>  <name>\n",
// one per file.
func packageHash(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		lines = append(lines, fmt.Sprintf("%x  %s\n", sha256.Sum256(b), filepath.ToSlash(rel)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "")))
	return "h1:" + base64.StdEncoding.EncodeToString(sum[:])
}

// installConfig is the configuration the install tests apply: the README's
// required_providers block with the mirrored version pinned, and one key
// version and one secret in a file:// store.
func installConfig(storeURL string) string {
	return fmt.Sprintf(`
terraform {
  required_providers {
    secretstore = {
      source  = "secretstore/secretstore"
      version = %q
    }
  }
}

provider "secretstore" {
  url = %q
}

resource "secretstore_key_version" "v1" {
  version = 1
}

resource "secretstore_secret" "greeting" {
  namespace = "install:test"
  name      = "greeting"
  value     = "hello"

  depends_on = [secretstore_key_version.v1]
}
`, installVersion, storeURL)
}

// checkInstall runs init, apply and a plan that must show no changes in a
// fresh working directory, and checks the lock file: the provider's address
// for this CLI, the mirrored version and the h1 hash of pkg. It returns the
// working directory.
func checkInstall(t *testing.T, tool installTool, home, pkg string) string {
	t.Helper()
	dir := t.TempDir()
	ts := newTestStore(t)
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(installConfig(ts.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"SECRETSTORE_ROOT_KEY=" + ts.RootKey}
	run := func(args ...string) string {
		t.Helper()
		out, err := runTool(t, tool, dir, home, env, args...)
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", tool.name, strings.Join(args, " "), err, out)
		}
		return out
	}
	run("init", "-input=false")
	run("apply", "-input=false", "-auto-approve")
	if out, err := runTool(t, tool, dir, home, env, "plan", "-input=false", "-detailed-exitcode"); err != nil {
		t.Fatalf("%s plan after apply: want no changes (exit 0), got %v\n%s", tool.name, err, out)
	}
	lock, err := os.ReadFile(filepath.Join(dir, ".terraform.lock.hcl"))
	if err != nil {
		t.Fatalf("%s init wrote no lock file: %v", tool.name, err)
	}
	for _, want := range []string{
		fmt.Sprintf("provider %q", tool.host+"/secretstore/secretstore"),
		fmt.Sprintf("version     = %q", installVersion),
		fmt.Sprintf("%q", packageHash(t, pkg)),
	} {
		if !strings.Contains(string(lock), want) {
			t.Errorf("%s lock file lacks %s:\n%s", tool.name, want, lock)
		}
	}
	if _, err := ts.open(t).Get(context.Background(), "install:test", "greeting", backend.GetOptions{}); err != nil {
		t.Errorf("the applied secret is not in the store: %v", err)
	}
	return dir
}

func TestInstallFromFilesystemMirror(t *testing.T) {
	t.Parallel()
	slowTest(t, "builds the provider and runs init, apply and plan per CLI")
	tools := installTools(t)
	if len(tools) == 0 {
		t.Skip("neither terraform nor OpenTofu is available")
	}
	if !slices.ContainsFunc(tools, func(tl installTool) bool { return tl.name == "tofu" }) {
		t.Log("no OpenTofu binary (scripts/opentofu.sh builds one): terraform only")
	}
	for _, tool := range tools {
		t.Run(tool.name, func(t *testing.T) {
			t.Parallel()

			// The implicit local mirror: ~/.terraform.d/plugins, no CLI
			// configuration at all.
			t.Run("implicit", func(t *testing.T) {
				t.Parallel()
				home := t.TempDir()
				pkg := mirrorProvider(t, filepath.Join(home, ".terraform.d", "plugins"), tool.host)
				checkInstall(t, tool, home, pkg)
			})

			// An explicit filesystem_mirror in ~/.terraformrc (terraform)
			// or ~/.tofurc (OpenTofu).
			t.Run("filesystem_mirror", func(t *testing.T) {
				t.Parallel()
				home := t.TempDir()
				mirror := filepath.Join(t.TempDir(), "mirror")
				pkg := mirrorProvider(t, mirror, tool.host)
				addr := tool.host + "/secretstore/secretstore"
				rc := fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = [%q]
  }
  direct {
    exclude = [%q]
  }
}
`, mirror, addr, addr)
				if err := os.WriteFile(filepath.Join(home, tool.rcName), []byte(rc), 0o600); err != nil {
					t.Fatal(err)
				}
				dir := checkInstall(t, tool, home, pkg)

				// A new build under the same version no longer matches
				// the lock file: init refuses it (init -upgrade too),
				// and `providers lock -fs-mirror` adds its hash.
				f, err := os.OpenFile(filepath.Join(pkg, "terraform-provider-secretstore_v"+installVersion), os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.Write([]byte("rebuilt")); err != nil {
					t.Fatal(err)
				}
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
				for _, args := range [][]string{{"init", "-input=false"}, {"init", "-input=false", "-upgrade"}} {
					out, err := runTool(t, tool, dir, home, nil, args...)
					if err == nil || !wrappedRe(`doesn't match any of the checksums previously recorded in the dependency lock file`).MatchString(out) {
						t.Errorf("%s %s with a rebuilt provider: want a checksum mismatch, got %v\n%s", tool.name, strings.Join(args, " "), err, out)
					}
				}
				lockArgs := []string{"providers", "lock", "-fs-mirror=" + mirror, "-platform=" + runtime.GOOS + "_" + runtime.GOARCH}
				if out, err := runTool(t, tool, dir, home, nil, lockArgs...); err != nil {
					t.Fatalf("%s %s: %v\n%s", tool.name, strings.Join(lockArgs, " "), err, out)
				}
				if out, err := runTool(t, tool, dir, home, nil, "init", "-input=false"); err != nil {
					t.Fatalf("%s init after providers lock: %v\n%s", tool.name, err, out)
				}
				lock, err := os.ReadFile(filepath.Join(dir, ".terraform.lock.hcl"))
				if err != nil {
					t.Fatal(err)
				}
				if h := packageHash(t, pkg); !strings.Contains(string(lock), h) {
					t.Errorf("%s providers lock did not record %s:\n%s", tool.name, h, lock)
				}
			})
		})
	}
}
