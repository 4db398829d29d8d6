// SPDX-License-Identifier: MPL-2.0

package secretstore

import (
	"fmt"
	"os"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/storeconfig"
)

// Environment variables read by ConfigFromEnv: the same as the provider's
// and the CLI's.
const (
	EnvURL              = storeconfig.EnvURL              // Config.URL
	EnvRootKey          = storeconfig.EnvRootKey          // Config.RootKey
	EnvPreviousRootKeys = storeconfig.EnvPreviousRootKeys // Config.PreviousRootKeys, comma-separated
	EnvActor            = storeconfig.EnvActor            // Config.Actor
	EnvAuditReads       = storeconfig.EnvAuditReads       // Config.AuditReads: true or false
)

// Config says which store to open and how. It holds key material, so it
// formats itself (with any fmt verb) with the keys redacted, and without
// the URL's user info and query, which may carry credentials.
type Config struct {
	// URL is the store's gocloud.dev bucket URL, as the provider's url:
	// file:///abs/dir, s3://bucket?region=..., gs://bucket,
	// azblob://container. Required.
	URL string
	// RootKey is the store's root key, as the provider's root_key: a
	// gocloud.dev secrets keeper URL (awskms://, gcpkms://,
	// azurekeyvault://, base64key://) or a bare base64 32-byte key.
	// Required.
	RootKey string
	// PreviousRootKeys are root keys used before RootKey, tried in order
	// for key versions still wrapped under them (during a root-key
	// rotation).
	PreviousRootKeys []string
	// Actor names the reader in audit events when AuditReads is set.
	// Empty means user@host.
	Actor string
	// AuditReads makes every value returned append a "read" audit event
	// first; a read whose event cannot be written fails. Off by default,
	// as in the provider.
	AuditReads bool
}

// Format prints the configuration without key material, whatever the verb.
func (c Config) Format(f fmt.State, _ rune) {
	fmt.Fprint(f, storeconfig.Config(c))
}

// ConfigFromEnv reads the configuration from the environment variables
// SECRETSTORE_URL, SECRETSTORE_ROOT_KEY, SECRETSTORE_PREVIOUS_ROOT_KEYS
// (comma-separated), SECRETSTORE_ACTOR and SECRETSTORE_AUDIT_READS, with
// the provider's parsing rules. It checks the syntax of each variable that
// is set and reports every problem in one error, naming the variables,
// never their keys; errors.Is(err, ErrInvalidArgument) holds for a
// malformed key or actor. Unset URL or root key are left empty for Open to
// refuse, so that a program may fill them in from elsewhere.
func ConfigFromEnv() (Config, error) {
	c, err := storeconfig.FromEnv(os.Getenv)
	return Config(c), err
}

// check refuses a configuration Open cannot use, naming the environment
// variable a setting usually comes from.
func (c Config) check() error {
	if c.URL == "" {
		return &backend.ValidationError{Field: backend.FieldBucketURL,
			Reason: "is not set; set " + EnvURL + " (or Config.URL) to the store's bucket URL, such as file:///path/to/dir or s3://bucket?region=..."}
	}
	if err := storeconfig.CheckURL(c.URL); err != nil {
		return &backend.ValidationError{Field: backend.FieldBucketURL,
			Reason: backend.RedactURL(c.URL) + " is not usable: " + err.Error()}
	}
	if c.RootKey == "" {
		return &backend.ValidationError{Field: backend.FieldRootKey,
			Reason: "is not set; set " + EnvRootKey + " (or Config.RootKey) to the store's root key"}
	}
	return nil
}
