package provider

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// Descriptions shared by the secretstore_secret data source and ephemeral
// resource, which have the same arguments and results.
const (
	readNamespaceDescription = "Namespace of the secret, for example `payments:production`. " +
		"When the provider sets `allowed_namespaces`, the namespace must match one of its patterns; " +
		"otherwise the read fails during plan."
	readNameDescription     = "Name of the secret within its namespace."
	readRevisionDescription = "Revision to read. Omit it to read the current revision; " +
		"after the read it holds the revision that was read. " +
		"Superseded revisions can be read until `secretstore_cleanup` purges them."
	readMetadataDescription = "Metadata stored with the revision, in clear. Empty when none."
	readKeyVersionDesc      = "Key version the revision's data key is wrapped under."
	readCreatedAtDesc       = "Time of the secret's first revision (RFC 3339, UTC)."
	readUpdatedAtDesc       = "Time of the revision that was read (RFC 3339, UTC)."
	readExpiresAtDesc       = "Expiry of the secret (RFC 3339, UTC); null when it never expires."
)

// secretReadModel is the model of the secretstore_secret data source and of
// the secretstore_secret ephemeral resource.
type secretReadModel struct {
	Namespace  types.String `tfsdk:"namespace"`
	Name       types.String `tfsdk:"name"`
	Revision   types.Int64  `tfsdk:"revision"`
	Value      types.String `tfsdk:"value"`
	Metadata   types.Map    `tfsdk:"metadata"`
	KeyVersion types.Int64  `tfsdk:"key_version"`
	CreatedAt  types.String `tfsdk:"created_at"`
	UpdatedAt  types.String `tfsdk:"updated_at"`
	ExpiresAt  types.String `tfsdk:"expires_at"`
}

// fill sets the model's results from a decrypted secret.
func (m *secretReadModel) fill(s backend.Secret) {
	m.Revision = types.Int64Value(s.Revision)
	m.Value = types.StringValue(string(s.Value))
	m.Metadata = metadataMap(s.Metadata)
	m.KeyVersion = types.Int64Value(int64(s.KeyVersion))
	m.CreatedAt = timeString(s.CreatedAt)
	m.UpdatedAt = timeString(s.UpdatedAt)
	m.ExpiresAt = timeString(s.ExpiresAt)
}

// readSecret is the read shared by the secretstore_secret data source and
// ephemeral resource: it checks the namespace policy, decrypts the secret
// (revision 0 is the current one) and, when the provider audits reads,
// appends a read event before returning the value. Every failure is
// reported in diags and the returned secret is then empty.
func readSecret(ctx context.Context, pd *providerData, namespace, name string, revision int64) (backend.Secret, diag.Diagnostics) {
	var diags diag.Diagnostics
	if err := pd.Namespaces.Check(namespace); err != nil {
		diags.Append(diagNamespaceNotAllowed(path.Root("namespace"), err))
		return backend.Secret{}, diags
	}
	s, err := pd.Store.Get(ctx, namespace, name, backend.GetOptions{Revision: revision})
	if err != nil {
		diags.Append(secretReadDiagnostic(ctx, pd.Store, namespace, name, revision, err))
		return backend.Secret{}, diags
	}
	if !utf8.Valid(s.Value) {
		diags.AddError(
			fmt.Sprintf("Secret %q is not text", secretID(namespace, name)),
			"The stored value is not valid UTF-8, and Terraform strings must be. "+
				"It was written outside Terraform; write it again as text (for example base64-encoded).",
		)
		return backend.Secret{}, diags
	}
	if pd.AuditReads {
		if err := pd.Store.RecordRead(ctx, s); err != nil {
			diags.AddError(
				fmt.Sprintf("Cannot audit the read of secret %q", secretID(namespace, name)),
				"The provider sets audit_reads, so every read must append a read event to the audit log, "+
					"and writing that event failed; the value was not returned. "+
					"Check that the bucket is writable, then retry."+storeErrorSuffix(err),
			)
			return backend.Secret{}, diags
		}
	}
	return s, diags
}

// secretID is how diagnostics name a secret: "<namespace>/<name>", the
// same string as the resource's id.
func secretID(namespace, name string) string { return namespace + "/" + name }

// secretReadDiagnostic turns a failed Get into a diagnostic whose summary
// names the secret and whose detail starts with the store's reason word
// (not_found, expired, key_version_unavailable) and says what to do.
// Integrity failures are reported as such, never as not_found.
func secretReadDiagnostic(ctx context.Context, store backend.StoreAPI, namespace, name string, revision int64, err error) diag.Diagnostic {
	id := secretID(namespace, name)
	what := fmt.Sprintf("secret %q", id)
	if revision > 0 {
		what = fmt.Sprintf("revision %d of secret %q", revision, id)
	}
	storeErr := storeErrorSuffix(err)

	var verr *backend.ValidationError
	switch {
	case errors.As(err, &verr) && (verr.Field == "namespace" || verr.Field == "name"):
		return diag.NewAttributeErrorDiagnostic(path.Root(verr.Field),
			fmt.Sprintf("Invalid secret %s", verr.Field),
			fmt.Sprintf("Cannot read %s: %s", what, verr.Reason))
	case errors.Is(err, backend.ErrIntegrity):
		return diag.NewErrorDiagnostic(
			fmt.Sprintf("Secret %q failed its integrity check", id),
			fmt.Sprintf("The stored object for %s was modified or corrupted outside this provider: "+
				"its authentication tag or MAC does not verify, so nothing was decrypted. "+
				"The secret exists; do not re-create it. Find out who can write to the bucket, "+
				"and restore the object from a backup or write a new value.", what)+storeErr)
	case errors.Is(err, backend.ErrNotFound):
		return diag.NewErrorDiagnostic(
			fmt.Sprintf("Secret %q not found", id),
			fmt.Sprintf("not_found: %s does not exist in the store: it was never written, "+
				"it was deleted, or cleanup purged it. Check the namespace and name "+
				"(secretstore_secrets lists a namespace), or write it with a secretstore_secret resource.", what)+storeErr)
	case errors.Is(err, backend.ErrExpired):
		when := "its expiry passed"
		if h, herr := store.Head(ctx, namespace, name); herr == nil && !h.ExpiresAt.IsZero() {
			when = "it expired at " + h.ExpiresAt.UTC().Format(time.RFC3339)
		}
		return diag.NewErrorDiagnostic(
			fmt.Sprintf("Secret %q has expired", id),
			fmt.Sprintf("expired: %s can no longer be read because %s. "+
				"Renew it by writing a new value or a new expires_at or ttl in its secretstore_secret resource.", what, when)+storeErr)
	case errors.Is(err, backend.ErrKeyVersionUnavailable):
		return diag.NewErrorDiagnostic(
			fmt.Sprintf("Secret %q cannot be decrypted", id),
			fmt.Sprintf("key_version_unavailable: %s is wrapped under a key version that is not in the store's keyring. "+
				"Restore that key version (a secretstore_key_version resource with the same version and its original key_material_wo), "+
				"or write the secret again with a new value.", what)+storeErr)
	default:
		if d, ok := commonStoreDiagnostic(err); ok {
			return d
		}
		return diag.NewErrorDiagnostic(
			fmt.Sprintf("Cannot read secret %q", id),
			fmt.Sprintf("Reading %s failed. Check that the bucket is reachable and retry.", what)+storeErr)
	}
}
