// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	ephschema "github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// attrKind is the Terraform type of a secretReadAttribute.
type attrKind int

const (
	kindString attrKind = iota
	kindInt64
	kindStringMap
)

// secretReadAttribute describes one attribute of the secretstore_secret
// data source and ephemeral resource (see secretReadSchemas).
type secretReadAttribute struct {
	kind             attrKind
	description      string
	required         bool
	optional         bool
	computed         bool
	sensitive        bool
	stringValidators []validator.String
	int64Validators  []validator.Int64
}

// secretReadAttributes is the table both schemas are built from; the
// description of value is set per object.
func secretReadAttributes() map[string]secretReadAttribute {
	return map[string]secretReadAttribute{
		"namespace": {
			kind: kindString, required: true,
			description: "Namespace of the secret, for example `payments:production`. " +
				"When the provider sets `allowed_namespaces`, the namespace must match one of its patterns; " +
				"otherwise the read fails during plan.",
			stringValidators: []validator.String{namespaceValidator},
		},
		"name": {
			kind: kindString, required: true,
			description:      "Name of the secret within its namespace.",
			stringValidators: []validator.String{nameValidator},
		},
		"revision": {
			kind: kindInt64, optional: true, computed: true,
			description: "Revision to read. Omit it to read the current revision; " +
				"after the read it holds the revision that was read. " +
				"Superseded revisions can be read until `secretstore_cleanup` purges them.",
			int64Validators: []validator.Int64{int64validator.AtLeast(1)},
		},
		"value": {kind: kindString, computed: true, sensitive: true},
		"metadata": {
			kind: kindStringMap, computed: true,
			description: readMetadataDescription,
		},
		"key_version": {
			kind: kindInt64, computed: true,
			description: "Key version the revision's data key is wrapped under.",
		},
		"created_at": {
			kind: kindString, computed: true,
			description: readCreatedAtDesc,
		},
		"updated_at": {
			kind: kindString, computed: true,
			description: "Time of the last change to the value, metadata or expiry as of the revision that was " +
				"read (RFC 3339, UTC). A key rotation writes a new revision but keeps this time.",
		},
		"expires_at": {
			kind: kindString, computed: true,
			description: readExpiresAtDesc,
		},
	}
}

// secretReadSchemas returns the attributes of the secretstore_secret data
// source and of the ephemeral resource, built from one table so that both
// always have the same arguments and results.
func secretReadSchemas() (map[string]dsschema.Attribute, map[string]ephschema.Attribute) {
	attrs := secretReadAttributes()
	ds := make(map[string]dsschema.Attribute, len(attrs))
	eph := make(map[string]ephschema.Attribute, len(attrs))
	for name, a := range attrs {
		dsDesc, ephDesc := a.description, a.description
		if name == "value" {
			dsDesc = "The decrypted value. Sensitive, and stored in state: prefer the ephemeral resource."
			ephDesc = "The decrypted value (sensitive, ephemeral)."
		}
		switch a.kind {
		case kindString:
			ds[name] = dsschema.StringAttribute{MarkdownDescription: dsDesc, Required: a.required,
				Optional: a.optional, Computed: a.computed, Sensitive: a.sensitive, Validators: a.stringValidators}
			eph[name] = ephschema.StringAttribute{MarkdownDescription: ephDesc, Required: a.required,
				Optional: a.optional, Computed: a.computed, Sensitive: a.sensitive, Validators: a.stringValidators}
		case kindInt64:
			ds[name] = dsschema.Int64Attribute{MarkdownDescription: dsDesc, Required: a.required,
				Optional: a.optional, Computed: a.computed, Sensitive: a.sensitive, Validators: a.int64Validators}
			eph[name] = ephschema.Int64Attribute{MarkdownDescription: ephDesc, Required: a.required,
				Optional: a.optional, Computed: a.computed, Sensitive: a.sensitive, Validators: a.int64Validators}
		case kindStringMap:
			ds[name] = dsschema.MapAttribute{ElementType: types.StringType, MarkdownDescription: dsDesc,
				Required: a.required, Optional: a.optional, Computed: a.computed, Sensitive: a.sensitive}
			eph[name] = ephschema.MapAttribute{ElementType: types.StringType, MarkdownDescription: ephDesc,
				Required: a.required, Optional: a.optional, Computed: a.computed, Sensitive: a.sensitive}
		}
	}
	return ds, eph
}

// Descriptions shared with the secretstore_secrets data source.
const (
	readMetadataDescription = "Metadata stored with the revision, in clear. Empty when none."
	readCreatedAtDesc       = "Time of the secret's first revision (RFC 3339, UTC)."
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

// Format prints the model without its value, whatever the verb.
func (m secretReadModel) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "{Namespace:%s Name:%s Revision:%s Value:<redacted>}", m.Namespace, m.Name, m.Revision)
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
func readSecret(ctx context.Context, pd *providerData, m secretReadModel) (backend.Secret, diag.Diagnostics) {
	var diags diag.Diagnostics
	namespace, name, revision := m.Namespace.ValueString(), m.Name.ValueString(), m.Revision.ValueInt64()
	if !pd.namespaceAllowed(m.Namespace, &diags) {
		return backend.Secret{}, diags
	}
	s, err := pd.Store.Get(ctx, namespace, name, backend.GetOptions{Revision: revision})
	if err != nil {
		// On ErrExpired, s carries every field but the value.
		var expiresAt time.Time
		if errors.Is(err, backend.ErrExpired) {
			expiresAt = s.ExpiresAt
		}
		if errors.Is(err, backend.ErrNotFound) &&
			!pd.storeExists(ctx, fmt.Sprintf("this configuration reads secret %q", secretID(namespace, name)), &diags) {
			return backend.Secret{}, diags
		}
		diags.Append(diagSecretRead(namespace, name, revision, expiresAt, err))
		return backend.Secret{}, diags
	}
	if !utf8.Valid(s.Value) {
		clear(s.Value)
		diags.Append(diagNotText(secretID(namespace, name)))
		return backend.Secret{}, diags
	}
	if pd.AuditReads {
		if err := pd.Store.RecordRead(ctx, s); err != nil {
			clear(s.Value)
			diags.Append(diagReadAuditFailed(secretID(namespace, name), err))
			return backend.Secret{}, diags
		}
	}
	return s, diags
}

// secretID is how diagnostics name a secret: "<namespace>/<name>", the
// same string as the resource's id.
func secretID(namespace, name string) string { return namespace + "/" + name }
