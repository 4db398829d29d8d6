// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// TestMain isolates the AWS SDK of the whole test binary before any test
// runs, so that parallel tests can open S3 URLs on a FakeS3 and reach
// nothing else, and stops the emulators the tests shared.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "backend-aws-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := backendtest.IsolateAWSEnv(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	backendtest.StopSharedEmulators()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}
