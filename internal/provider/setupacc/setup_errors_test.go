// SPDX-License-Identifier: MPL-2.0

package setupacc

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
	"github.com/secretstore/terraform-provider-secretstore/internal/provider"
)

// factories serves the provider in-process for terraform-plugin-testing.
var factories = map[string]func() (tfprotov6.ProviderServer, error){
	"secretstore": providerserver.NewProtocol6WithError(provider.NewTestProvider("test", nil)()),
}

// diagRe matches a diagnostic that contains every part in order.
// Terraform wraps diagnostic text to the terminal width, so spaces inside
// a part match any run of whitespace.
func diagRe(parts ...string) *regexp.Regexp {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		words := strings.Fields(p)
		for j, w := range words {
			words[j] = regexp.QuoteMeta(w)
		}
		quoted[i] = strings.Join(words, `\s+`)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(quoted, `.*`))
}

// config is a store at url under rootKey with one key version and one
// secret.
func config(url, rootKey string) string {
	return fmt.Sprintf(`
provider "secretstore" {
  url      = %q
  root_key = %q
}

resource "secretstore_key_version" "v1" {
  version = 1
}

resource "secretstore_secret" "s" {
  namespace       = "app:setup"
  name            = "db-password"
  value           = "not-a-real-password"
  min_key_version = secretstore_key_version.v1.version
}
`, url, rootKey)
}

// TestAccSetupS3WithoutBucket: `s3://` with no bucket names the missing
// bucket and the URL form, not a driver message about bucketName.
func TestAccSetupS3WithoutBucket(t *testing.T) {
	t.Parallel()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: config("s3://?region=us-east-1", backendtest.RandomRootKey()),
			ExpectError: diagRe("Bucket name missing", "The store URL s3:// names no bucket",
				"the bucket name goes right after s3://, as in s3://BUCKET?region=REGION"),
		}},
	})
}

// TestAccSetupAzureWithoutAccount: an azblob:// URL without a storage
// account names AZURE_STORAGE_ACCOUNT, the credential variables and the
// URL form, not only the driver's Options.AccountName.
func TestAccSetupAzureWithoutAccount(t *testing.T) {
	t.Parallel()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: config("azblob://my-container", backendtest.RandomRootKey()),
			ExpectError: diagRe("Azure storage account missing", "azblob://my-container names no Azure storage account",
				"Set AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN",
				"AZURE_STORAGE_CONNECTION_STRING", "The URL form is azblob://CONTAINER"),
		}},
	})
}

// TestAccSetupKMSRootKeyMissing: an awskms:// root key whose alias the key
// service does not have is blamed on the root key's key service, named
// without its query, with what to check; not on the bucket's credentials.
func TestAccSetupKMSRootKeyMissing(t *testing.T) {
	t.Parallel()
	kms := backendtest.NewLocalKMS(t)
	rootKey := fmt.Sprintf("awskms://alias/no-such-key?endpoint=%s&region=%s", kms.Endpoint(), backendtest.LocalKMSRegion)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: config(backendtest.FileURL(t.TempDir()), rootKey),
			ExpectError: diagRe("Root key service failed",
				"The key service of the root key (root_key or SECRETSTORE_ROOT_KEY) awskms://alias/no-such-key failed to encrypt",
				"The bucket is not at fault", "the key or alias exists there", "kms:Encrypt and kms:Decrypt",
				"NotFoundException"),
		}},
	})
}

// TestAccSetupKMSUnreachable: a store created under an awskms:// root key,
// then planned while its key service cannot be reached, reports the key
// service, not a root key that does not match the store.
func TestAccSetupKMSUnreachable(t *testing.T) {
	t.Parallel()
	kms := backendtest.NewLocalKMS(t)
	url := backendtest.FileURL(t.TempDir())
	// Port 1 on loopback: nothing listens, every connection is refused.
	unreachable := fmt.Sprintf("awskms://%s?endpoint=http://127.0.0.1:1&region=%s", backendtest.LocalKMSAlias, backendtest.LocalKMSRegion)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{
			{Config: config(url, kms.KeeperURL())},
			{
				Config: config(url, unreachable),
				ExpectError: diagRe("Root key service failed",
					"awskms://"+backendtest.LocalKMSAlias+" failed to decrypt",
					"this does not show that the key is the wrong one", "connection refused"),
			},
			{
				// The key service is back: nothing changed.
				Config:   config(url, kms.KeeperURL()),
				PlanOnly: true,
			},
		},
	})
}

// TestAccSetupGCSUnreadable: a GCS endpoint that lists objects but answers
// their reads with 404 (fake-gcs-server without -public-host) is reported
// as such, with the fix, and never as a concurrent modification.
func TestAccSetupGCSUnreadable(t *testing.T) {
	t.Parallel()
	// A store in the bucket, created through the backend: its first write
	// needs no read, so the misconfigured server takes it. Terraform's plan
	// then fails reading its header, and the state stays empty.
	name, rootKey := gcs.NewBucketName(), backendtest.RandomRootKey()
	s, err := backend.Open(t.Context(), backend.Options{Bucket: gcs.OpenBucket(t, name), RootKey: rootKey, Actor: backendtest.Actor})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateKeyVersion(t.Context(), 1, nil); err != nil {
		t.Fatalf("creating the store: %v", err)
	}
	_ = s.Close()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: factories,
		Steps: []resource.TestStep{{
			Config: config("gs://"+name, rootKey),
			ExpectError: diagRe("Bucket cannot read its own objects", "This is not a concurrent change",
				"-public-host", "bucket has an object it cannot read"),
		}},
	})
}
