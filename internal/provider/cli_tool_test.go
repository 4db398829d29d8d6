// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"os"
	"os/exec"
	"strings"
	"sync"
)

// The acceptance tests run against terraform on PATH, or against the binary
// named by TF_ACC_TERRAFORM_PATH (make test-opentofu points it at OpenTofu,
// with TF_ACC_PROVIDER_HOST=registry.opentofu.org). The tests that start
// the CLI themselves use the same binary and provider host as the
// in-process harness of terraform-plugin-testing.

// cliPath is the Terraform CLI the tests run: TF_ACC_TERRAFORM_PATH when
// set, else terraform on PATH.
func cliPath() string {
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		return p
	}
	return "terraform"
}

// providerHost is the registry host of the provider's source address in the
// CLI the tests run: registry.terraform.io for Terraform,
// registry.opentofu.org for OpenTofu (TF_ACC_PROVIDER_HOST).
func providerHost() string {
	if h := os.Getenv("TF_ACC_PROVIDER_HOST"); h != "" {
		return h
	}
	return "registry.terraform.io"
}

var (
	openTofuOnce sync.Once
	openTofu     bool
)

// cliIsOpenTofu reports whether cliPath is OpenTofu, from its `version`
// output: a line "OpenTofu v1.12.6" against "Terraform v1.11.4" (after any
// warnings about the CLI configuration, which come first).
func cliIsOpenTofu() bool {
	openTofuOnce.Do(func() {
		out, err := exec.Command(cliPath(), "version").Output()
		if err != nil {
			return
		}
		for line := range strings.Lines(string(out)) {
			if strings.HasPrefix(line, "OpenTofu v") {
				openTofu = true
			}
		}
	})
	return openTofu
}
