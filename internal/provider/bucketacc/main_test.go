// SPDX-License-Identifier: MPL-2.0

package bucketacc

import (
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
	os.Exit(backendtest.RunWithCloudEnv(m, backendtest.CloudEnvMain{
		TempPrefix: "bucketacc-",
		Setup: func(g *backendtest.FakeGCS) error {
			gcs = g
			return applyGuideEnv(g.Host())
		},
	}))
}
