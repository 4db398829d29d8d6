// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// All diagnostic wording lives in this file, including every piece of
// advice to a Terraform user: store errors say what is wrong, never what to
// set or run. A summary is a short title; a detail says what happened, what
// to do, and ends with the original error. The attribute an invalid store
// input is reported on comes from the table in error_attributes.go. No
// diagnostic ever includes a value, key material or a root key: store
// errors never carry them, and nothing here formats a model or config.

var pathURL = path.Root("url")

// storeErrorSuffix appends the original error to a detail; nil adds
// nothing.
func storeErrorSuffix(err error) string {
	if err == nil {
		return ""
	}
	return "\n\nStore error: " + err.Error()
}

// diagUnexpectedProviderData reports ProviderData of the wrong type (a bug).
func diagUnexpectedProviderData(data any) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Unexpected provider data",
		fmt.Sprintf("Expected *providerData, got %T. This is a bug in the secretstore provider; please report it.", data))
}

// diagProviderNotConfigured reports an operation that must reach the store
// while the provider configuration is still unknown.
func diagProviderNotConfigured() diag.Diagnostic {
	return diag.NewErrorDiagnostic("Provider not configured",
		"The secretstore provider configuration is not known yet, so the store cannot be reached. "+
			"Make sure every provider attribute (url, root_key, ...) is known when this runs, "+
			"for example by applying the resources it depends on first with -target.")
}

// diagNamespaceNotAllowed reports a namespace rejected by allowed_namespaces
// on the attribute at p; err (from namespacePolicy.Check) names the
// namespace and the patterns.
func diagNamespaceNotAllowed(p path.Path, err error) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(p, "Namespace not allowed",
		"The "+err.Error()+" set in the provider configuration (allowed_namespaces or "+envAllowedNS+"), "+
			"so nothing was read or written. Use a namespace that matches one of the patterns, "+
			"or add a pattern to allowed_namespaces.")
}

// diagTerraformCloudNeedsURL refuses the default local store directory in
// a Terraform Cloud run, whose working directory is discarded.
func diagTerraformCloudNeedsURL() diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(pathURL, "Store URL required in Terraform Cloud",
		"Neither url nor "+envURL+" is set, and this run executes in Terraform Cloud (TFC_RUN_ID is set), "+
			"where the working directory and a local .secretstore directory in it are discarded after the run. "+
			"Set url (or the "+envURL+" workspace variable) to a bucket that outlives the run, "+
			"for example s3://my-bucket?region=eu-west-1, gs://my-bucket or azblob://my-container.")
}

// diagNoWorkingDirectory reports that the default store directory cannot be
// placed because the working directory is unknown.
func diagNoWorkingDirectory(err error) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(pathURL, "Store URL required",
		"Neither url nor "+envURL+" is set and the working directory cannot be determined for the default "+
			".secretstore directory: "+err.Error()+". Set url to a bucket URL such as file:///path/to/dir.")
}

// diagInvalidURL reports a store URL that is not a URL; url is redacted.
func diagInvalidURL(url string, err error) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(pathURL, "Invalid store URL",
		fmt.Sprintf("The store URL %q is not usable: %s. Use a gocloud.dev bucket URL: file:///abs/dir, mem://, "+
			"s3://bucket?region=..., gs://bucket or azblob://container.", url, err))
}

// diagRootKeyRequired reports a missing root key and how to make one.
func diagRootKeyRequired() diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("root_key"), "Root key required",
		"Neither root_key nor "+envRootKey+" is set. The root key encrypts the store's key versions. "+
			"Generate a local key with `openssl rand -base64 32` and export it as "+envRootKey+
			" (keep it out of your configuration and version control), or use a KMS keeper URL such as "+
			"awskms://alias/my-key?region=eu-west-1, gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k "+
			"or azurekeyvault://my-vault.vault.azure.net/keys/my-key.")
}

// diagInvalidRootKey reports a root key or previous root key that
// backend.CheckRootKey refused with err, on the attribute the error
// locates; what names the key ("Previous root key 1", "Entry 2 of
// SECRETSTORE_PREVIOUS_ROOT_KEYS"). When the keys come from the
// environment (fromEnv), the error is on the whole attribute. The store's
// reason never contains the key.
func diagInvalidRootKey(what string, fromEnv bool, err error) diag.Diagnostic {
	in, ok := locateInvalidInput(targetProvider, err)
	if !ok || in.Attr == "" {
		return diag.NewErrorDiagnostic("Invalid root key", what+" is not usable."+storeErrorSuffix(err))
	}
	p := in.Path
	if fromEnv {
		p = path.Root(in.Attr)
	}
	summary := "Invalid root key"
	if in.Err.Field == backend.FieldPreviousRootKey {
		summary = "Invalid previous root key"
	}
	return diag.NewAttributeErrorDiagnostic(p, summary,
		what+" "+in.Err.Reason+". "+rootKeyAdvice)
}

// rootKeyAdvice says how to get a usable root key.
const rootKeyAdvice = "Generate a key with `openssl rand -base64 32`, or use a KMS keeper URL."

// diagEmptyPreviousRootKey reports an empty entry i of previous_root_keys.
func diagEmptyPreviousRootKey(p path.Path, i int) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(p, "Invalid previous root key",
		fmt.Sprintf("Previous root key %d is not usable: it is empty; remove the empty entry. ", i)+rootKeyAdvice)
}

// diagInvalidPattern reports a malformed allowed_namespaces pattern at p;
// err is the *patternError of validatePattern, and env names the
// environment variable the pattern came from ("" for the attribute).
func diagInvalidPattern(p path.Path, env string, err error) diag.Diagnostic {
	reason := err.Error()
	var perr *patternError
	if errors.As(err, &perr) {
		reason = "a pattern is empty; use a glob such as \"*:production\""
		if perr.Err != nil {
			reason = fmt.Sprintf("pattern %q is not a valid glob (path.Match syntax: *, ?, [a-z]): %v", perr.Pattern, perr.Err)
		}
	}
	if env != "" {
		reason = "in " + env + ": " + reason
	}
	return diag.NewAttributeErrorDiagnostic(p, "Invalid namespace pattern",
		"allowed_namespaces is not usable: "+reason+".")
}

// diagInvalidAuditReadsEnv reports a SECRETSTORE_AUDIT_READS that is not a
// boolean.
func diagInvalidAuditReadsEnv(value string) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("audit_reads"), "Invalid audit_reads",
		fmt.Sprintf("%s=%q is not a boolean; use true or false.", envAuditReads, value))
}

// diagCleanupNoRetention reports a secretstore_cleanup without any retention.
func diagCleanupNoRetention() diag.Diagnostic {
	return diag.NewErrorDiagnostic("No retention configured",
		"secretstore_cleanup purges nothing unless at least one retention is set. Set one or more of "+
			"expired_secret_retention, deleted_secret_retention, revision_retention or audit_event_retention "+
			"(durations such as \"720h\").")
}

// diagInvalidRetention reports a retention duration at p that
// parseRetention refused with err.
func diagInvalidRetention(p path.Path, value string, err error) diag.Diagnostic {
	reason := "it is not a duration"
	if errors.Is(err, errNegative) {
		reason = "it is negative"
	}
	return diag.NewAttributeErrorDiagnostic(p, "Invalid retention",
		fmt.Sprintf("%q is not a valid retention: %s. Use a non-negative Go duration with units h, m, s, "+
			"for example \"720h\" for 30 days.", value, reason))
}

// diagCleanupFailed reports a failed cleanup plan or purge.
func diagCleanupFailed(err error) diag.Diagnostic {
	if in, ok := locateInvalidInput(targetCleanup, err); ok && in.Attr != "" {
		return diag.NewAttributeErrorDiagnostic(in.Path, "Invalid "+in.Attr, in.Attr+" "+in.Err.Reason+". Nothing was purged.")
	}
	if d, ok := commonStoreDiagnostic(err); ok {
		return d
	}
	return diag.NewErrorDiagnostic("Cleanup failed",
		"Measuring or purging what the retentions allow failed. Nothing still readable was removed; "+
			"check that the bucket is reachable and retry."+storeErrorSuffix(err))
}

// diagRolledBack reports a store whose current revision of a secret is older
// than the revision Terraform recorded: the bucket was restored from an
// older copy (or objects were removed). Nothing is written.
func diagRolledBack(id string, stateRevision, storeRevision int64) diag.Diagnostic {
	return diag.NewErrorDiagnostic("The store was rolled back",
		fmt.Sprintf("The store's current revision of secret %q is %d, but Terraform recorded revision %d: "+
			"the store was rolled back (restored from an older copy, or revisions were removed outside Terraform). "+
			"Nothing was written. Find out how the bucket lost its newer revisions and restore them; "+
			"if the older revision is intended, remove the secret from state (terraform state rm) and import it again.",
			id, storeRevision, stateRevision))
}

// diagRevisionReused reports a store whose current revision of a secret
// has the number Terraform recorded but carries another value write: the
// store lost its newer revisions and a later write (a rotation, or an
// update from another configuration) reused the number over an older
// value. Nothing is written.
func diagRevisionReused(id string, revision int64) diag.Diagnostic {
	return diag.NewErrorDiagnostic("The store was rolled back",
		fmt.Sprintf("The store's current revision of secret %q is revision %d, the revision Terraform recorded, but it "+
			"carries a different value (its value_id differs from the recorded one): the store lost the recorded "+
			"revision (restored from an older copy, or revisions were removed outside Terraform) and a later write, "+
			"such as a key rotation or a metadata update from another configuration, reused its number over an "+
			"older value. Nothing was written. Find out how the bucket lost its newer revisions and restore them; "+
			"if the older value is intended, remove the secret from state (terraform state rm) and import it again.",
			id, revision))
}

// diagWriteFailed reports a failed update or delete of secret id over the
// revision Terraform recorded: a store that lost revisions (rolled back), a
// change by another run, or any other failure of action on the object t.
func diagWriteFailed(id, action string, err error, t errorTarget) diag.Diagnostic {
	var rb *backend.RollbackError
	switch {
	case errors.As(err, &rb):
		return diagRolledBack(id, rb.Recorded, rb.Current)
	case errors.Is(err, backend.ErrConcurrentModification):
		return diagConcurrentModification(id, err)
	}
	return diagStoreError(action, err, t)
}

// diagConcurrentModification reports a write that lost a race against
// another run (or whose recorded revision is no longer current).
func diagConcurrentModification(id string, err error) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Concurrent modification",
		fmt.Sprintf("another run changed %s; re-run plan. The secret was changed in the store after this plan "+
			"recorded its revision, so this write was refused rather than overwrite the other change. "+
			"Nothing was written.", id)+storeErrorSuffix(err))
}

// diagAlreadyExists reports a create of a secret that another run or
// configuration already holds.
func diagAlreadyExists(id string, err error) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Secret already exists",
		fmt.Sprintf("another run changed %s; re-run plan. The secret already exists in the store, written by "+
			"another run or another configuration, so this create was refused rather than overwrite it. "+
			"Nothing was written. To manage the existing secret here, import it: terraform import <address> %s.",
			id, id)+storeErrorSuffix(err))
}

// diagSecretExpired warns that a secret in state has expired.
func diagSecretExpired(id string, expiresAt time.Time) diag.Diagnostic {
	when := "its expiry has passed"
	if !expiresAt.IsZero() {
		when = "it expired at " + expiresAt.UTC().Format(time.RFC3339)
	}
	return diag.NewWarningDiagnostic("Secret expired",
		fmt.Sprintf("Secret %q can no longer be read: %s. It stays in state with expired = true. "+
			"To renew it, write a new value (change value, or increment value_wo_version), or set a later "+
			"expires_at, or set or change ttl, and apply.", id, when))
}

// diagKeyVersionInUse refuses to destroy a key version that still wraps
// current revisions.
func diagKeyVersionInUse(version, secrets int, err error) diag.Diagnostic {
	count := "some secrets"
	if secrets >= 0 {
		count = fmt.Sprintf("%d secret(s)", secrets)
	}
	return diag.NewErrorDiagnostic("Key version in use",
		fmt.Sprintf("Key version %d still wraps the current revision of %s, so it cannot be destroyed and no key "+
			"material was deleted. Rotate the secrets first: add a newer secretstore_key_version (it becomes "+
			"primary, and rewraps the secrets when rewrap = true), apply until this version's secrets count is 0, "+
			"then remove this version. Secrets of this configuration can instead set min_key_version = "+
			"secretstore_key_version.<newer>.version: with lifecycle { create_before_destroy = true } on the key "+
			"versions, Terraform then rewraps them before it destroys this version, in the same apply. Secrets written by other configurations are rewrapped only by a rotation.",
			version, count)+storeErrorSuffix(err))
}

// diagInvalidKeyMaterial reports key material at p that is not standard
// base64 (size < 0) or decodes to size bytes instead of backend.KeySize.
func diagInvalidKeyMaterial(p path.Path, size int) diag.Diagnostic {
	if size < 0 {
		return diag.NewAttributeErrorDiagnostic(p, "Invalid key material",
			fmt.Sprintf("key_material_wo is not valid standard base64. Encode exactly %d bytes, for example the "+
				"output of `openssl rand -base64 %d`.", backend.KeySize, backend.KeySize))
	}
	return diag.NewAttributeErrorDiagnostic(p, "Invalid key material",
		fmt.Sprintf("key_material_wo decodes to %d bytes; key material must be exactly %d bytes (%d bits).",
			size, backend.KeySize, 8*backend.KeySize))
}

// diagKeyVersionExists reports a create of a version number that is
// active in the store; next is the lowest number never used.
func diagKeyVersionExists(version, next int, err error) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("version"), "Key version already exists",
		fmt.Sprintf("Key version %d is already active in the store, created outside this configuration or by "+
			"another one. To manage it here, import it: terraform import secretstore_key_version.<name> %d (with "+
			"the resource's name in this configuration), or an import block with id = \"%d\". Otherwise use a "+
			"version number never used in this store: version = %d.", version, version, version, next)+storeErrorSuffix(err))
}

// diagKeyVersionOtherMaterial reports a create of a version number that
// was retired with other material than key_material_wo gives; next is
// the lowest number never used.
func diagKeyVersionOtherMaterial(version, next int, err error) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("key_material_wo"), "Key version retired with other material",
		fmt.Sprintf("Key version %d was retired, and it holds other key material than key_material_wo gives, so "+
			"it cannot be reactivated with this material and nothing was written. To reactivate it with its own "+
			"material, leave key_material_wo unset (or give its original material); to bring this material, use a "+
			"version number never used in this store: version = %d.", version, next)+storeErrorSuffix(err))
}

// diagKeyVersionReactivated warns that a create reactivated a retired key
// version with its original material.
func diagKeyVersionReactivated(version int, checkValue string) diag.Diagnostic {
	return diag.NewWarningDiagnostic("Key version reactivated",
		fmt.Sprintf("Key version %d had been retired (for example by an earlier terraform destroy) and is active "+
			"again with its original material (check value %s); the audit log records key_version_reactivated. "+
			"If it was retired because its material may be exposed, destroy it again and use a new version number.",
			version, checkValue))
}

// diagKeyVersionDestroyInUse warns, at the plan of a key version's
// destroy, that secrets still use it.
func diagKeyVersionDestroyInUse(version, secrets int) diag.Diagnostic {
	return diag.NewWarningDiagnostic("Key version still in use",
		fmt.Sprintf("Key version %d still wraps the current revision of %d secret(s). Its destroy succeeds only if "+
			"those secrets are destroyed or rewrapped first in this run: terraform destroy destroys secrets that set "+
			"min_key_version = secretstore_key_version.<name>.version before the version, and secrets whose "+
			"min_key_version now refers to a newer version are rewrapped before it when the key versions set "+
			"lifecycle { create_before_destroy = true }. Otherwise the apply fails at "+
			"this version, leaving it active: rotate first (add a newer secretstore_key_version with rewrap = "+
			"true and apply until this version's secrets count is 0), then remove this version.", version, secrets))
}

// diagMinKeyVersion reports a write refused because the primary key
// version is below the secret's min_key_version.
func diagMinKeyVersion(e *backend.MinKeyVersionError) diag.Diagnostic {
	primary := fmt.Sprintf("the store's primary key version is %d", e.Primary)
	if e.Primary == 0 {
		primary = "the store has no active key version"
	}
	state := "does not exist"
	if e.MinState == "retired" {
		state = "is retired"
	}
	return diag.NewAttributeErrorDiagnostic(path.Root("min_key_version"), "Key version below min_key_version",
		fmt.Sprintf("min_key_version = %d, but %s and key version %d %s. Values are written under the primary key "+
			"version only. Add a secretstore_key_version resource with version = %d and set min_key_version = "+
			"secretstore_key_version.<name>.version, so that it is created first; or lower min_key_version. "+
			"Nothing was written.", e.Min, primary, e.Min, state, e.Min)+storeErrorSuffix(e))
}

// diagTTLWithExpiresAt refuses ttl together with expires_at.
func diagTTLWithExpiresAt() diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("ttl"), "Both ttl and expires_at are set",
		"Set only one of them. Keep ttl for an expiry that moves with each write (every write of the secret sets "+
			"it to the write time plus ttl); keep expires_at for a fixed time that writes do not change.")
}

// diagExpiryInPast fails the plan of an expires_at before now.
func diagExpiryInPast(value string, now time.Time) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("expires_at"), "Expiry in the past",
		fmt.Sprintf("expires_at = %q is before now (%s by this machine's clock, allowing %s for clocks that "+
			"differ), so the secret would be written already expired. Set a later expires_at, or use ttl for an "+
			"expiry relative to each write.", value, now.UTC().Format(time.RFC3339), backend.ClockSkewMargin))
}

// diagKeyVersionGone reports a key version that left the keyring during
// its own update.
func diagKeyVersionGone(version int) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Key version not found",
		fmt.Sprintf("Key version %d is no longer in the store's keyring. Run terraform plan again to re-create it.", version))
}

// diagRotateFailed reports a rotation that stopped part-way. Each secret is
// either rewrapped or untouched, so all stay readable.
func diagRotateFailed(version, rotated int, err error) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Rotation did not finish",
		fmt.Sprintf("Rewrapping data keys under key version %d stopped after %d secret(s) were rewrapped. Every "+
			"secret is still readable: each one is either rewrapped or untouched. Fix the cause below and run "+
			"terraform plan again: pending_rewrap shows the secrets that remain, and apply finishes them.",
			version, rotated)+storeErrorSuffix(err))
}

// diagRotateActionFailed reports a secretstore_rotate invocation that did
// not finish: rotated secrets were rewrapped under version before err.
func diagRotateActionFailed(version, rotated int, err error) diag.Diagnostic {
	if d, ok := commonStoreDiagnostic(err); ok && rotated == 0 {
		return d
	}
	return diag.NewErrorDiagnostic("Rotation did not finish",
		fmt.Sprintf("Rewrapping data keys under key version %d stopped after %d secret(s) were rewrapped. Every "+
			"secret is still readable: each one is either rewrapped or untouched. Fix the cause below and invoke "+
			"secretstore_rotate again: it rewraps the secrets that remain.",
			version, rotated)+storeErrorSuffix(err))
}

// diagRootKeyRewrapFailed reports a failed rewrap of a key version's
// material under the current root key.
func diagRootKeyRewrapFailed(version int, err error) diag.Diagnostic {
	if d, ok := commonStoreDiagnostic(err); ok {
		return d
	}
	return diag.NewErrorDiagnostic("Root-key rewrap failed",
		fmt.Sprintf("Rewrapping key version %d under the current root key failed, so it stays wrapped under a "+
			"previous root key. Keep that key in previous_root_keys (or SECRETSTORE_PREVIOUS_ROOT_KEYS), fix the "+
			"cause below and apply again.", version)+storeErrorSuffix(err))
}

// diagInvalidImportID reports a malformed import identifier.
func diagInvalidImportID(id, want string) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Invalid import ID",
		fmt.Sprintf("The import ID %q is not valid: expected %s.", id, want))
}

// diagInvalidImportIdentity reports an import block whose identity lacks
// attrs, or holds values that cannot name the object; want says what to give.
func diagInvalidImportIdentity(attrs, want string) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Invalid import identity",
		fmt.Sprintf("The identity of the import block does not name an object: %s must be set, to %s.", attrs, want))
}

// diagSecretRead reports a failed read of a secret (data source, ephemeral
// resource, or the refresh of a secretstore_secret). The summary names the
// secret; the detail of a missing, expired or undecryptable secret starts
// with the store's reason word (not_found, expired, key_version_unavailable)
// and says what to do. An integrity failure has its own wording and never
// carries a reason word of its own. expiresAt, when known, says when an
// expired secret expired.
func diagSecretRead(namespace, name string, revision int64, expiresAt time.Time, err error) diag.Diagnostic {
	id := secretID(namespace, name)
	what := fmt.Sprintf("secret %q", id)
	if revision > 0 {
		what = fmt.Sprintf("revision %d of secret %q", revision, id)
	}
	if in, ok := locateInvalidInput(targetSecretRead, err); ok && in.Attr != "" {
		return diag.NewAttributeErrorDiagnostic(in.Path, "Invalid "+in.Attr,
			fmt.Sprintf("Cannot read %s: %s %s. Nothing was read.", what, in.Attr, in.Err.Reason))
	}
	switch {
	case errors.Is(err, backend.ErrIntegrity):
		return diag.NewErrorDiagnostic(fmt.Sprintf("Secret %q failed its integrity check", id),
			fmt.Sprintf("The stored object for %s was modified or corrupted outside this provider: its "+
				"authentication tag or MAC does not verify, so nothing was decrypted. The secret exists; do not "+
				"re-create it. Find out who can write to the bucket, and restore the object from a backup or "+
				"write a new value.", what)+storeErrorSuffix(err))
	case errors.Is(err, backend.ErrNotFound):
		return diag.NewErrorDiagnostic(fmt.Sprintf("Secret %q not found", id),
			fmt.Sprintf("not_found: %s does not exist in the store: it was never written, it was deleted, or "+
				"cleanup purged it. Check the namespace and name (the secretstore_secrets data source lists a "+
				"namespace), or write it with a secretstore_secret resource.", what)+storeErrorSuffix(err))
	case errors.Is(err, backend.ErrExpired):
		when := "its expiry has passed"
		if !expiresAt.IsZero() {
			when = "it expired at " + expiresAt.UTC().Format(time.RFC3339)
		}
		return diag.NewErrorDiagnostic(fmt.Sprintf("Secret %q has expired", id),
			fmt.Sprintf("expired: %s can no longer be read because %s. Renew it by writing a new value, or a "+
				"later expires_at or a ttl, in its secretstore_secret resource and applying.", what, when)+
				storeErrorSuffix(err))
	case errors.Is(err, backend.ErrKeyVersionUnavailable):
		return diag.NewErrorDiagnostic(fmt.Sprintf("Secret %q cannot be decrypted", id),
			fmt.Sprintf("key_version_unavailable: %s is wrapped under a key version that is not in the store's "+
				"keyring. Restore that key version (a secretstore_key_version resource with the same version "+
				"and its original key_material_wo), or write the secret again with a new value.", what)+
				storeErrorSuffix(err))
	}
	if d, ok := commonStoreDiagnostic(err); ok {
		return d
	}
	return diag.NewErrorDiagnostic(fmt.Sprintf("Cannot read secret %q", id),
		fmt.Sprintf("Reading %s failed. Check that the bucket is reachable and retry.", what)+storeErrorSuffix(err))
}

// diagNotText reports a stored value that is not UTF-8 and so cannot be a
// Terraform string.
func diagNotText(id string) diag.Diagnostic {
	return diag.NewErrorDiagnostic(fmt.Sprintf("Secret %q is not text", id),
		"The stored value is not valid UTF-8, and Terraform strings must be. It was written outside "+
			"Terraform; write it again as text (for example base64-encoded).")
}

// diagReadAuditFailed reports a read that audit_reads requires to be
// audited, whose read event could not be written.
func diagReadAuditFailed(id string, err error) diag.Diagnostic {
	return diag.NewErrorDiagnostic(fmt.Sprintf("Cannot audit the read of secret %q", id),
		"The provider sets audit_reads, so every read must append a read event to the audit log, and "+
			"writing that event failed; the value was not returned. Check that the bucket is writable, "+
			"then retry."+storeErrorSuffix(err))
}

// diagListFailed reports a failed listing of a namespace's secrets.
func diagListFailed(namespace string, err error) diag.Diagnostic {
	if in, ok := locateInvalidInput(targetSecretList, err); ok && in.Attr != "" {
		return diag.NewAttributeErrorDiagnostic(in.Path, "Invalid "+in.Attr,
			fmt.Sprintf("Cannot list namespace %q: %s %s.", namespace, in.Attr, in.Err.Reason))
	}
	if d, ok := commonStoreDiagnostic(err); ok {
		return d
	}
	return diag.NewErrorDiagnostic(fmt.Sprintf("Cannot list namespace %q", namespace),
		"Listing the namespace's secrets failed. Check that the bucket is reachable and retry."+storeErrorSuffix(err))
}

// warnDamaged turns a *backend.DamagedSecretsError, which the store
// returns with a result that is complete for every other secret, into a
// warning in diags naming the secrets left out of what (for example "the
// listing of namespace \"app\""), and returns nil; any other error is
// returned for the caller to report.
func warnDamaged(err error, what string, diags *diag.Diagnostics) error {
	var d *backend.DamagedSecretsError
	if !errors.As(err, &d) {
		return err
	}
	names := d.Secrets
	more := ""
	if len(names) > 10 {
		names, more = names[:10], fmt.Sprintf(" and %d more", len(d.Secrets)-10)
	}
	diags.AddWarning(fmt.Sprintf("%d damaged secret(s) left out", len(d.Secrets)),
		fmt.Sprintf("%d secret(s) were left out of %s because their stored objects could not be authenticated or "+
			"decoded: they were modified or corrupted outside this provider, or their key version is unavailable. "+
			"The other secrets are included. Damaged: %s%s. Find out who can write to the bucket and restore the "+
			"objects from a backup, or delete the damaged secrets.", len(d.Secrets), what, strings.Join(names, ", "), more)+
			storeErrorSuffix(err))
	return nil
}

// diagAuditEventsFailed reports a failed audit query. A gap (events
// deleted, cut out of a batch or moved) and a tampered or forged event are
// their own errors; the store's message says where.
func diagAuditEventsFailed(err error) diag.Diagnostic {
	var gap *backend.AuditGapError
	if errors.As(err, &gap) {
		where := "the global audit log"
		switch {
		case gap.Name != "":
			where = fmt.Sprintf("the events of secret %q", secretID(gap.Namespace, gap.Name))
		case gap.Namespace != "":
			where = fmt.Sprintf("the audit log of namespace %q", gap.Namespace)
		}
		return diag.NewErrorDiagnostic("Audit log has a gap",
			fmt.Sprintf("Audit events are missing from %s: an event was deleted, cut out of its batch or "+
				"moved by someone who can write to the bucket, and no audit cleanup records removing it. The "+
				"audit log cannot be trusted as complete, so no event was listed. Investigate who can write to "+
				"the bucket and restore the missing objects from a backup; the place is named below.", where)+
				storeErrorSuffix(err))
	}
	if errors.Is(err, backend.ErrIntegrity) {
		return diag.NewErrorDiagnostic("Audit event failed its integrity check",
			"An audit event in the bucket was altered, or forged by someone without the store's keys: its MAC "+
				"does not verify, so the audit log cannot be trusted as returned and no event was listed. "+
				"Investigate who can write to the bucket; the event is named below."+storeErrorSuffix(err))
	}
	if in, ok := locateInvalidInput(targetAuditEvents, err); ok && in.Attr != "" {
		return diag.NewAttributeErrorDiagnostic(in.Path, "Invalid audit filter", in.Attr+" "+in.Err.Reason+".")
	}
	if d, ok := commonStoreDiagnostic(err); ok {
		return d
	}
	return diag.NewErrorDiagnostic("Cannot read the audit log",
		"Listing audit events failed. Check that the bucket is reachable and that root_key is the store's "+
			"root key, then retry."+storeErrorSuffix(err))
}

// diagKeyVersionsFailed reports a failed listing of the keyring.
func diagKeyVersionsFailed(err error) diag.Diagnostic {
	if d, ok := commonStoreDiagnostic(err); ok {
		return d
	}
	return diag.NewErrorDiagnostic("Cannot list key versions",
		"Reading the store's keyring failed. Check that the bucket is reachable and that root_key is the "+
			"store's root key, then retry."+storeErrorSuffix(err))
}

// diagEmptyTimeRange reports an audit query whose until is not after since.
func diagEmptyTimeRange(since, until string) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("until"), "Empty time range",
		fmt.Sprintf("until (%s) must be after since (%s): since is inclusive and until exclusive, so this "+
			"range matches no event. Swap or widen them.", until, since))
}

// diagInvalidTime reports a value at p that is not an RFC 3339 time.
func diagInvalidTime(p path.Path, value string) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(p, "Invalid time",
		fmt.Sprintf("%q is not an RFC 3339 time. Use a full date, time and zone, for example "+
			"\"2030-01-01T00:00:00Z\" or \"2030-01-01T09:00:00+02:00\".", value))
}

// diagInvalidDuration reports a value at p that parseTTL refused with err.
func diagInvalidDuration(p path.Path, value string, err error) diag.Diagnostic {
	if errors.Is(err, errNotPositive) {
		return diag.NewAttributeErrorDiagnostic(p, "Invalid duration",
			fmt.Sprintf("The duration %q is not positive; use a duration greater than zero, for example \"720h\".", value))
	}
	return diag.NewAttributeErrorDiagnostic(p, "Invalid duration",
		fmt.Sprintf("The duration %q is not a duration; use Go duration syntax with units h, m, s, for example "+
			"\"720h\" for 30 days or \"90m\".", value))
}

// diagInvalidSecretName reports a namespace or name (what) at p that the
// store's naming rules refuse for reason.
func diagInvalidSecretName(p path.Path, what, value, reason string) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(p, "Invalid "+what,
		fmt.Sprintf("The %s %q is not valid: %s.", what, value, reason))
}

// diagMissingValue reports a create without value or value_wo.
func diagMissingValue() diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("value_wo"), "Missing value",
		"Set exactly one of value or value_wo (with value_wo_version). Nothing was written.")
}

// diagMissingValueWO reports a changed value_wo_version without value_wo.
func diagMissingValueWO() diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("value_wo"), "Missing value_wo",
		"value_wo_version changed but value_wo is not set. Set value_wo to the new value. Nothing was written.")
}

// diagStoreMissing reports that the store at url (redacted) does not
// exist while something shows it should: expected says what, such as
// `the state holds secret "app/db"`. It is almost always a wrong URL.
func diagStoreMissing(url, expected string) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(pathURL, "Secret store not found",
		fmt.Sprintf("There is no secret store at %s (the bucket or directory holds no store header), yet %s. "+
			"Is this the right store? A mistyped path or bucket name, a prefix or region that differs, or "+
			"running from another working directory (the default store is .secretstore in the working "+
			"directory) each point the provider at an empty place. Set url (or %s) to the store that holds "+
			"these resources. If that store was deleted on purpose, restore it from a backup or bucket "+
			"versioning, or remove its resources from the state (terraform state rm ADDRESS) to create them "+
			"anew. Nothing was written.", url, expected, envURL))
}

// diagStoreError maps an error of a store operation on the object t to a
// diagnostic. action is a phrase such as `writing secret "ns/name"`; an
// invalid input is reported on the attribute of t that holds it.
func diagStoreError(action string, err error, t errorTarget) diag.Diagnostic {
	if in, ok := locateInvalidInput(t, err); ok {
		detail := fmt.Sprintf("%s: %s. Nothing was written.", in.Name(), in.Err.Reason)
		if in.Attr != "" {
			return diag.NewAttributeErrorDiagnostic(in.Path, "Invalid "+in.Attr, detail)
		}
		return diag.NewErrorDiagnostic("Invalid "+in.Name(), "Error "+action+": "+detail)
	}
	if d, ok := commonStoreDiagnostic(err); ok {
		return d
	}
	return diag.NewErrorDiagnostic("Store operation failed",
		"Error "+action+". Check that the bucket is reachable and writable, then retry."+storeErrorSuffix(err))
}

// commonStoreDiagnostic words the sentinel errors whose meaning does not
// depend on the operation.
func commonStoreDiagnostic(err error) (diag.Diagnostic, bool) {
	var rk *backend.RootKeyError
	switch {
	case errors.As(err, &rk):
		return diagRootKeyUnavailable(rk, err), true
	case errors.Is(err, backend.ErrUnreadableObject):
		return diag.NewAttributeErrorDiagnostic(pathURL, "Bucket cannot read its own objects",
			"The bucket lists an object and returns its attributes, but reading the object returns not found. "+
				"This is not a concurrent change: the bucket's endpoint serves listings and reads from different "+
				"places. With fake-gcs-server, start it with -public-host set to the host that STORAGE_EMULATOR_HOST "+
				"names (for example -public-host 127.0.0.1, or PublicHost: \"127.0.0.1\" in fakestorage.Options): it "+
				"serves object reads only to its public host, storage.googleapis.com unless set. Behind a proxy or "+
				"gateway, check that reads reach the same bucket as listings."+storeErrorSuffix(err)), true
	case errors.Is(err, backend.ErrRootKeyMismatch):
		return diag.NewErrorDiagnostic("Root key does not match the store",
			"The configured root_key (SECRETSTORE_ROOT_KEY), and every previous_root_keys entry, fails to open "+
				"this store's keyring: the store was created under another root key. Configure the root key the "+
				"store was created with; after a root-key change, list the old key in previous_root_keys until "+
				"every key version is rewrapped. Nothing was decrypted or written."+storeErrorSuffix(err)), true
	case errors.Is(err, backend.ErrKeyVersionUnavailable):
		return diag.NewErrorDiagnostic("Missing key version",
			"key_version_unavailable: the record is wrapped under a key version that is not in the store's keyring (never created in this "+
				"store, or its material is gone). Restore that version with a secretstore_key_version resource "+
				"with the same version and its original key_material_wo, or write the secret again."+
				storeErrorSuffix(err)), true
	case errors.Is(err, backend.ErrNoKeyVersion):
		return diag.NewErrorDiagnostic("No key version",
			"The store has no usable key version to wrap new data keys under. Add a secretstore_key_version "+
				"resource (version = 1) and set min_key_version = secretstore_key_version.<name>.version on each "+
				"secretstore_secret, so that Terraform creates the key version first (and destroys it last). "+
				"Nothing was written."+storeErrorSuffix(err)), true
	case errors.Is(err, backend.ErrIntegrity):
		return diag.NewErrorDiagnostic("Integrity check failed",
			"A stored object was modified or corrupted outside this provider: its authentication tag or MAC does "+
				"not verify, so nothing was decrypted or written. Find out who can write to the bucket and restore "+
				"the object from a backup."+storeErrorSuffix(err)), true
	case errors.Is(err, backend.ErrUnsupportedFormat):
		return diag.NewErrorDiagnostic("Unsupported store format",
			"The store holds an object in a format version this provider release does not know, probably written "+
				"by a newer release. Upgrade the provider; nothing was written."+storeErrorSuffix(err)), true
	case errors.Is(err, backend.ErrConditionalWritesUnsupported):
		return diag.NewAttributeErrorDiagnostic(pathURL, "Bucket does not enforce create-only writes",
			"The bucket accepted a write that should have been refused as already existing, so two runs could "+
				"silently overwrite each other. Use a bucket service that supports conditional writes (If-None-Match) "+
				"or a local directory."+storeErrorSuffix(err)), true
	case errors.Is(err, backend.ErrWrapLimit):
		return diag.NewErrorDiagnostic("Key version wrap limit reached",
			"The primary key version has wrapped close to the number of data keys it may wrap in its lifetime "+
				"(NIST SP 800-38D). Add a newer secretstore_key_version and rotate; nothing was written."+
				storeErrorSuffix(err)), true
	case errors.Is(err, backend.ErrRevisionLimit):
		return diag.NewErrorDiagnostic("Revision limit reached",
			"The secret's current revision carries the largest revision number the store can write, so no "+
				"update, rotation or deletion can follow it; nothing was written. Normal use cannot reach it: "+
				"check the bucket for damage, then remove the secret's objects from the bucket and create it again."+
				storeErrorSuffix(err)), true
	}
	return nil, false
}

// rootKeyServiceAdvice says, by keeper URL scheme, what to check when the
// key service of a root key fails.
var rootKeyServiceAdvice = map[string]string{
	"awskms": "Check that AWS credentials reach Terraform (AWS_PROFILE, AWS_ACCESS_KEY_ID and " +
		"AWS_SECRET_ACCESS_KEY, or an instance or task role), that the region (region= in the URL, else " +
		"AWS_REGION) is the key's region, that the key or alias exists there, and that the key policy lets this " +
		"identity call kms:Encrypt and kms:Decrypt. For a KMS emulator, add endpoint=http://HOST:PORT to the URL, " +
		"as in awskms://alias/NAME?endpoint=http://127.0.0.1:PORT&region=us-east-1.",
	"gcpkms": "Check that Google credentials reach Terraform (GOOGLE_APPLICATION_CREDENTIALS, or " +
		"`gcloud auth application-default login`), that the URL names the key as " +
		"gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K, and that this identity has " +
		"roles/cloudkms.cryptoKeyEncrypterDecrypter on the key.",
	"azurekeyvault": "Check that Azure credentials reach Terraform (AZURE_CLIENT_ID, AZURE_TENANT_ID and " +
		"AZURE_CLIENT_SECRET, or `az login`), that the URL names the key as " +
		"azurekeyvault://VAULT.vault.azure.net/keys/KEY, and that this identity may wrapKey and unwrapKey with it.",
}

// diagRootKeyUnavailable reports a root key (or previous root key) whose
// key service failed, rk, on the attribute that holds it; err is the whole
// store error.
func diagRootKeyUnavailable(rk *backend.RootKeyError, err error) diag.Diagnostic {
	p, which := path.Root("root_key"), "root key (root_key or "+envRootKey+")"
	if rk.Previous > 0 {
		p, which = path.Root("previous_root_keys"), fmt.Sprintf("previous root key %d (previous_root_keys)", rk.Previous)
	}
	advice, ok := rootKeyServiceAdvice[rk.Scheme]
	if !ok {
		advice = "Check the keeper URL, the credentials for its key service and its permission to encrypt and decrypt with the key."
	}
	return diag.NewAttributeErrorDiagnostic(p, "Root key service failed",
		fmt.Sprintf("The key service of the %s %s failed to %s, so the store's keys cannot be wrapped or "+
			"unwrapped. The bucket is not at fault, and this does not show that the key is the wrong one. %s "+
			"Nothing was written.", which, rk.Key, rk.Op, advice)+storeErrorSuffix(err))
}

// bucketURLForms shows, by bucket URL scheme, where the bucket name goes.
var bucketURLForms = map[string]string{
	"s3": "s3://BUCKET?region=REGION (an S3-compatible store: " +
		"s3://BUCKET?endpoint=https://HOST:PORT&use_path_style=true&region=REGION)",
	"gs":     "gs://BUCKET",
	"azblob": "azblob://CONTAINER (the account comes from AZURE_STORAGE_ACCOUNT)",
}

// addOpenError reports a failure to open the store in Configure, on the
// provider attribute at fault.
func addOpenError(diags *diag.Diagnostics, url string, err error) {
	var verr *backend.ValidationError
	switch {
	case errors.Is(err, backend.ErrNoBucketName):
		scheme, _, _ := strings.Cut(url, "://")
		diags.AddAttributeError(pathURL, "Bucket name missing",
			fmt.Sprintf("The store URL %s names no bucket: the bucket name goes right after %s://, as in %s. "+
				"Create the bucket first; the provider does not create buckets.", url, scheme, bucketURLForms[scheme])+
				storeErrorSuffix(err))
	case errors.Is(err, backend.ErrNoStorageAccount):
		diags.AddAttributeError(pathURL, "Azure storage account missing",
			fmt.Sprintf("The store URL %s names no Azure storage account. Set AZURE_STORAGE_ACCOUNT to the "+
				"storage account name (or add storage_account=ACCOUNT to the URL), and give credentials for it: "+
				"AZURE_STORAGE_KEY (a shared key), AZURE_STORAGE_SAS_TOKEN, AZURE_STORAGE_CONNECTION_STRING, or an "+
				"Azure identity (AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET, or `az login`). The URL "+
				"form is azblob://CONTAINER; for Azurite, "+
				"azblob://CONTAINER?protocol=http&domain=127.0.0.1:10000&localemu=true with AZURE_STORAGE_ACCOUNT="+
				"devstoreaccount1 and its well-known AZURE_STORAGE_KEY.", url)+storeErrorSuffix(err))
	case errors.Is(err, backend.ErrRootKeyMismatch):
		diags.AddAttributeError(path.Root("root_key"), "Root key does not match the store",
			fmt.Sprintf("The configured root key (root_key or SECRETSTORE_ROOT_KEY), and every previous_root_keys "+
				"entry, fails to open the keyring of the store at %s: the store was created under another root key. "+
				"Configure the root key the store was created with; after a root-key change, list the old key in "+
				"previous_root_keys until every key version is rewrapped.", url)+storeErrorSuffix(err))
	case errors.As(err, &verr):
		in, _ := locateInvalidInput(targetProvider, err)
		if in.Attr == "" {
			diags.AddError("Invalid provider configuration", in.Name()+" "+verr.Reason+".")
			return
		}
		// A previous root key is named by its position but shown on the
		// whole list, which may come from the environment.
		detail := in.Path.String() + " " + verr.Reason + "."
		if verr.Field == backend.FieldRootKey || verr.Field == backend.FieldPreviousRootKey {
			detail += " " + rootKeyAdvice
		}
		diags.AddAttributeError(path.Root(in.Attr), "Invalid "+in.Attr, detail)
	default:
		if d, ok := commonStoreDiagnostic(err); ok {
			diags.Append(d)
			return
		}
		diags.AddAttributeError(pathURL, "Cannot open the secret store",
			fmt.Sprintf("Opening the store at %s failed. Check the URL, the credentials for the bucket, and that "+
				"the bucket (or directory) exists.", url)+storeErrorSuffix(err))
	}
}

// latestTimeWords is the latest time the store can record (an expiry, an
// audit query bound), to the second.
var latestTimeWords = backend.LatestTime.Truncate(time.Second).Format(time.RFC3339)

// neverExpiresAdvice says how to write "never expires" and what is accepted.
const neverExpiresAdvice = "For a secret that never expires, leave expires_at and ttl unset (and default_ttl unset in " +
	"the provider configuration); otherwise give an expiry no later than "

// diagExpiryTooLate fails the plan of an expiry later than the store can
// record: value is the expires_at or ttl of the secret that the store's
// check refused with err (backend.CheckExpiresAt, backend.CheckTTL), on the
// attribute the field table maps its field to.
func diagExpiryTooLate(value string, err error) diag.Diagnostic {
	in, ok := locateInvalidInput(targetSecret, err)
	if !ok || in.Attr == "" {
		return diag.NewErrorDiagnostic("Expiry too late", neverExpiresAdvice+latestTimeWords+"."+storeErrorSuffix(err))
	}
	what := fmt.Sprintf("%s = %q is later than %s", in.Attr, value, latestTimeWords)
	if in.Err.Field == backend.FieldTTL {
		what = fmt.Sprintf("%s = %q from now ends after %s", in.Attr, value, latestTimeWords)
	}
	return diag.NewAttributeErrorDiagnostic(in.Path, "Expiry too late",
		what+", the latest expiry the store can record (it keeps times as 64-bit nanoseconds since 1970). "+
			neverExpiresAdvice+latestTimeWords+"."+storeErrorSuffix(err))
}

// diagDefaultTTLTooLate fails the plan of a new secret that sets neither
// expires_at nor ttl when the provider's default_ttl d, refused by
// backend.CheckTTL with err, ends later than the store can record.
func diagDefaultTTLTooLate(d time.Duration, err error) diag.Diagnostic {
	return diag.NewErrorDiagnostic("Expiry too late",
		fmt.Sprintf("This new secret sets neither expires_at nor ttl, so the provider's default_ttl applies, and "+
			"default_ttl = %q from now ends after %s, the latest expiry the store can record. ", d, latestTimeWords)+
			neverExpiresAdvice+latestTimeWords+"."+storeErrorSuffix(err))
}

// diagEventTimeOutOfRange reports a since or until of
// secretstore_audit_events, value, that backend.CheckEventTime refused
// with err, on the attribute the field table maps its field to.
func diagEventTimeOutOfRange(value string, err error) diag.Diagnostic {
	in, ok := locateInvalidInput(targetAuditEvents, err)
	if !ok || in.Attr == "" {
		return diag.NewErrorDiagnostic("Time out of range", "An audit query time is outside the times the store records."+storeErrorSuffix(err))
	}
	open := "no lower bound"
	if in.Err.Field == backend.FieldUntil {
		open = "no upper bound"
	}
	return diag.NewAttributeErrorDiagnostic(in.Path, "Time out of range",
		fmt.Sprintf("%s = %q is outside %s to %s, the times the store records, so no event can match it. "+
			"Give a time in that range, or leave %s unset for %s.", in.Attr, value,
			backend.EarliestTime.Format(time.RFC3339), latestTimeWords, in.Attr, open)+storeErrorSuffix(err))
}

// diagInvalidActor reports an actor (from actor, SECRETSTORE_ACTOR or the
// Terraform Cloud run environment) that backend.ValidateActor refused with
// err, on the attribute the field table maps the actor to. The actor
// itself is not repeated: it may hold a terminal escape.
func diagInvalidActor(err error) diag.Diagnostic {
	in, ok := locateInvalidInput(targetProvider, err)
	if !ok || in.Attr == "" {
		return diag.NewErrorDiagnostic("Invalid actor", "The audit actor is not usable."+storeErrorSuffix(err))
	}
	return diag.NewAttributeErrorDiagnostic(in.Path, "Invalid actor",
		fmt.Sprintf("The audit actor (from %s, %s or the Terraform Cloud run environment) %s. Audit events record "+
			"the actor as written, so a line break or an escape sequence in it could forge or hide lines where "+
			"the log is shown. Set %s to a plain name such as \"ci@runner-1\".", in.Attr, envActor, in.Err.Reason, in.Attr))
}
