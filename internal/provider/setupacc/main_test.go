// SPDX-License-Identifier: MPL-2.0

package setupacc

import (
	"os"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// gcs is a fake GCS server started without a public host, so that gs://
// URLs (which STORAGE_EMULATOR_HOST sends to it) list objects they cannot
// read.
var gcs *backendtest.FakeGCS

// TestMain points every cloud SDK of the process at loopback (AWS with
// dummy credentials and no instance metadata, GCS at the misconfigured
// fake server), leaves no Azure storage account set, and stops the
// emulators afterwards.
func TestMain(m *testing.M) {
	os.Exit(backendtest.RunWithCloudEnv(m, backendtest.CloudEnvMain{
		TempPrefix:       "setupacc-",
		MisconfiguredGCS: true,
		Setup: func(g *backendtest.FakeGCS) error {
			gcs = g
			// The azblob driver reads the account once per process: none here.
			for _, k := range []string{"AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY"} {
				if err := os.Setenv(k, ""); err != nil {
					return err
				}
			}
			return nil
		},
	}))
}
