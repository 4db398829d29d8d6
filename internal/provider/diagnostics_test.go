// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

func TestDiagStoreErrorMapsSentinels(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err     error
		summary string
		detail  string
	}{
		{backend.ErrRootKeyMismatch, "Root key does not match the store", "previous_root_keys"},
		{backend.ErrKeyVersionUnavailable, "Missing key version", "key_version_unavailable: "},
		{backend.ErrNoKeyVersion, "No key version", "secretstore_key_version"},
		{backend.ErrIntegrity, "Integrity check failed", "modified or corrupted"},
		{backend.ErrUnsupportedFormat, "Unsupported store format", "Upgrade the provider"},
		{backend.ErrConditionalWritesUnsupported, "Bucket does not enforce create-only writes", "conditional writes"},
		{backend.ErrWrapLimit, "Key version wrap limit reached", "rotate"},
		{&backend.RootKeyError{Key: "awskms://alias/k", Scheme: "awskms", Op: "decrypt", Err: errors.New("connection refused")},
			"Root key service failed", "awskms://alias/k failed to decrypt"},
		{backend.ErrUnreadableObject, "Bucket cannot read its own objects", "-public-host"},
		{errors.New("connection reset"), "Store operation failed", "bucket is reachable"},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		err := fmt.Errorf("writing secret: %w", tc.err)
		d := diagStoreError(`writing secret "a/b"`, err, targetSecret)
		if d.Severity() != diag.SeverityError || d.Summary() != tc.summary {
			t.Errorf("%v: summary %q, want %q", tc.err, d.Summary(), tc.summary)
		}
		if !strings.Contains(d.Detail(), tc.detail) {
			t.Errorf("%v: detail %q lacks %q", tc.err, d.Detail(), tc.detail)
		}
		if !strings.HasSuffix(d.Detail(), "Store error: "+err.Error()) {
			t.Errorf("%v: detail does not end with the original error: %q", tc.err, d.Detail())
		}
		if seen[d.Summary()] {
			t.Errorf("summary %q used for two errors", d.Summary())
		}
		seen[d.Summary()] = true
	}
}

func TestDiagStoreErrorValidationOnAttribute(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("putting: %w", &backend.ValidationError{Field: backend.FieldMetadata, Reason: "has 65 keys, limit 64"})
	d := diagStoreError("creating secret", err, targetSecretWO)
	wp, ok := d.(diag.DiagnosticWithPath)
	if !ok || !wp.Path().Equal(path.Root("metadata")) {
		t.Fatalf("validation error not on the metadata attribute: %#v", d)
	}
	if !strings.Contains(d.Detail(), "has 65 keys, limit 64") || !strings.Contains(d.Detail(), "Nothing was written") {
		t.Errorf("detail = %q", d.Detail())
	}
	d = diagStoreError("creating secret", &backend.ValidationError{Field: backend.FieldValue, Reason: "too long"}, targetSecretWO)
	if wp, ok := d.(diag.DiagnosticWithPath); !ok || !wp.Path().Equal(path.Root("value_wo")) {
		t.Errorf("a value error of a write-only secret is not on value_wo: %#v", d)
	}
	d = diagStoreError("creating secret", &backend.ValidationError{Field: backend.FieldReason, Reason: "too long"}, targetSecret)
	if _, ok := d.(diag.DiagnosticWithPath); ok {
		t.Errorf("a field without an attribute got an attribute path")
	}
}

func TestDiagWording(t *testing.T) {
	t.Parallel()
	cause := fmt.Errorf("put: %w", backend.ErrConcurrentModification)
	if d := diagConcurrentModification("app:prod/key", cause); !strings.Contains(d.Detail(), "another run changed app:prod/key; re-run plan") {
		t.Errorf("concurrent modification detail = %q", d.Detail())
	}
	d := diagRolledBack("app:prod/key", 5, 3)
	if d.Summary() != "The store was rolled back" || !strings.Contains(d.Detail(), "is 3, but Terraform recorded revision 5") ||
		!strings.Contains(d.Detail(), "Nothing was written") {
		t.Errorf("rollback diagnostic = %q: %q", d.Summary(), d.Detail())
	}
	d = diagKeyVersionInUse(2, 7, backend.ErrKeyVersionInUse)
	if !strings.Contains(d.Detail(), "current revision of 7 secret(s)") || !strings.Contains(d.Detail(), "Rotate the secrets first") {
		t.Errorf("in-use detail = %q", d.Detail())
	}
	d = diagSecretExpired("app:prod/key", mustTime(t, "2030-01-02T03:04:05Z"))
	if d.Severity() != diag.SeverityWarning || !strings.Contains(d.Detail(), "expired at 2030-01-02T03:04:05Z") ||
		!strings.Contains(d.Detail(), "To renew it") {
		t.Errorf("expired warning = %v %q", d.Severity(), d.Detail())
	}
	var diags diag.Diagnostics
	addOpenError(&diags, "file:///s", fmt.Errorf("opening: %w", backend.ErrRootKeyMismatch))
	if d := attrError(diags, path.Root("root_key")); d == nil {
		t.Errorf("root key mismatch at open is not on root_key: %v", diags)
	}
	diags = nil
	addOpenError(&diags, "file:///s", &backend.ValidationError{Field: backend.FieldPreviousRootKey, Index: 1, Reason: "is not a keeper URL"})
	if d := attrError(diags, path.Root("previous_root_keys")); d == nil || !strings.Contains(d.Detail(), "previous_root_keys[1] is not a keeper URL") {
		t.Errorf("invalid previous root key at open is not on previous_root_keys: %v", diags)
	}
	diags = nil
	addOpenError(&diags, "file:///s", errors.New("no such bucket"))
	if d := attrError(diags, path.Root("url")); d == nil || !strings.Contains(d.Detail(), "file:///s") {
		t.Errorf("open failure is not on url: %v", diags)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// TestDiagReadListings: listing failures put a filter error on its
// attribute only when the attribute exists, and word integrity and other
// store sentinels as such rather than as an unreachable bucket.
func TestDiagReadListings(t *testing.T) {
	t.Parallel()
	onPath := func(d diag.Diagnostic) string {
		if wp, ok := d.(diag.DiagnosticWithPath); ok {
			return wp.Path().String()
		}
		return ""
	}
	for _, tc := range []struct {
		name    string
		d       diag.Diagnostic
		summary string
		path    string
	}{
		{"audit filter", diagAuditEventsFailed(&backend.ValidationError{Field: backend.FieldOperations, Reason: `"x" is not an operation`}), "Invalid audit filter", "operations"},
		{"audit page token", diagAuditEventsFailed(&backend.ValidationError{Field: backend.FieldPageToken, Reason: "is not a token"}), "Cannot read the audit log", ""},
		{"audit integrity", diagAuditEventsFailed(fmt.Errorf("audit event e1 does not verify: %w", backend.ErrIntegrity)), "Audit event failed its integrity check", ""},
		{"audit root key", diagAuditEventsFailed(backend.ErrRootKeyMismatch), "Root key does not match the store", ""},
		{"list namespace", diagListFailed("a b", &backend.ValidationError{Field: backend.FieldNamespace, Reason: "contains ' '"}), "Invalid namespace", "namespace"},
		{"list page size", diagListFailed("ns", &backend.ValidationError{Field: backend.FieldPageSize, Reason: "is 0"}), `Cannot list namespace "ns"`, ""},
		{"list integrity", diagListFailed("ns", fmt.Errorf("secret ns/a revision 2: %w", backend.ErrIntegrity)), "Integrity check failed", ""},
		{"key versions integrity", diagKeyVersionsFailed(fmt.Errorf("key version 1: %w", backend.ErrIntegrity)), "Integrity check failed", ""},
		{"key versions", diagKeyVersionsFailed(errors.New("connection reset")), "Cannot list key versions", ""},
	} {
		if tc.d.Summary() != tc.summary || onPath(tc.d) != tc.path {
			t.Errorf("%s: summary %q on %q, want %q on %q", tc.name, tc.d.Summary(), onPath(tc.d), tc.summary, tc.path)
		}
	}
}

func TestDiagNamespaceNotAllowedWording(t *testing.T) {
	t.Parallel()
	err := namespacePolicy{Patterns: []string{"*:production", "shared"}}.Check("app:staging")
	d := diagNamespaceNotAllowed(path.Root("namespace"), err)
	want := `The namespace "app:staging" matches none of the allowed_namespaces patterns ["*:production", "shared"] set in the provider configuration`
	if d.Summary() != "Namespace not allowed" || !strings.HasPrefix(d.Detail(), want) || !strings.Contains(d.Detail(), "add a pattern") {
		t.Errorf("namespace diagnostic = %q: %q", d.Summary(), d.Detail())
	}
}
