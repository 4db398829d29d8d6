// SPDX-License-Identifier: MPL-2.0

package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// cliBin is the secretstore command built for this test binary.
var cliBin string

// TestMain builds the secretstore command once, runs the tests and removes
// the build. Without TF_ACC the acceptance tests skip, and nothing is built.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv("TF_ACC") == "" {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "secretstore-cli-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	cliBin = filepath.Join(dir, "secretstore")
	build := exec.Command("go", "build", "-o", cliBin, "github.com/secretstore/terraform-provider-secretstore/cmd/secretstore")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the secretstore command: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}
