// SPDX-License-Identifier: MPL-2.0

package bucketacc

import (
	"fmt"
	"os"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// gcs is the fake GCS server of this binary: STORAGE_EMULATOR_HOST, which
// gs:// URLs follow, names one host for the whole process.
var gcs *backendtest.FakeGCS

// TestMain starts the fake GCS server, points every cloud SDK of the
// process at the emulators (and nothing else) before any test runs, sets
// the environment that the buckets guide shows for them, and stops the
// emulators afterwards.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "bucketacc-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	gcs, err = backendtest.StartFakeGCS()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer gcs.Stop()
	if err := backendtest.IsolateCloudEnv(dir, gcs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := applyGuideEnv(gcs.Host()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer backendtest.StopSharedEmulators()
	return m.Run()
}
