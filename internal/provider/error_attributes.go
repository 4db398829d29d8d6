package provider

import (
	"errors"

	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// errorTarget is the Terraform object a store error is reported on. The
// same store input is held by different attributes on different objects
// (a key version number is `version` on secretstore_key_version), so the
// mapping from the store's fields to attributes is per object.
type errorTarget int

const (
	targetProvider    errorTarget = iota + 1 // the provider block
	targetSecret                             // secretstore_secret managed with value
	targetSecretWO                           // secretstore_secret managed with value_wo
	targetSecretRead                         // secretstore_secret data source and ephemeral resource
	targetSecretList                         // secretstore_secrets data source
	targetAuditEvents                        // secretstore_audit_events data source
	targetKeyVersion                         // secretstore_key_version resource
	targetCleanup                            // secretstore_cleanup resource
)

// fieldAttribute names the attribute that holds a store input. A list
// attribute holds one input per element: the error's Index selects it.
type fieldAttribute struct {
	name string
	list bool
}

// fieldAttributes is the one table from the store's fields
// (backend.Field) to the attributes that hold them, for every object. A
// field an object has no attribute for is reported on the object as a
// whole.
var fieldAttributes = map[errorTarget]map[backend.Field]fieldAttribute{
	targetProvider: {
		backend.FieldBucketURL:       {name: "url"},
		backend.FieldRootKey:         {name: "root_key"},
		backend.FieldPreviousRootKey: {name: "previous_root_keys", list: true},
		backend.FieldActor:           {name: "actor"},
	},
	targetSecret: {
		backend.FieldNamespace: {name: "namespace"},
		backend.FieldName:      {name: "name"},
		backend.FieldValue:     {name: "value"},
		backend.FieldMetadata:  {name: "metadata"},
		backend.FieldExpiresAt: {name: "expires_at"},
		backend.FieldTTL:       {name: "ttl"},
	},
	targetSecretWO: {
		backend.FieldNamespace: {name: "namespace"},
		backend.FieldName:      {name: "name"},
		backend.FieldValue:     {name: "value_wo"},
		backend.FieldMetadata:  {name: "metadata"},
		backend.FieldExpiresAt: {name: "expires_at"},
		backend.FieldTTL:       {name: "ttl"},
	},
	targetSecretRead: {
		backend.FieldNamespace: {name: "namespace"},
		backend.FieldName:      {name: "name"},
		backend.FieldRevision:  {name: "revision"},
	},
	targetSecretList: {
		backend.FieldNamespace:  {name: "namespace"},
		backend.FieldNamePrefix: {name: "name_prefix"},
	},
	targetAuditEvents: {
		backend.FieldNamespace:  {name: "namespace"},
		backend.FieldName:       {name: "name"},
		backend.FieldOperations: {name: "operations"},
		backend.FieldSince:      {name: "since"},
		backend.FieldUntil:      {name: "until"},
		backend.FieldLimit:      {name: "limit"},
	},
	targetKeyVersion: {
		backend.FieldKeyVersion:  {name: "version"},
		backend.FieldKeyMaterial: {name: "key_material_wo"},
	},
	targetCleanup: {
		backend.FieldNamespace:              {name: "namespace"},
		backend.FieldExpiredSecretRetention: {name: "expired_secret_retention"},
		backend.FieldDeletedSecretRetention: {name: "deleted_secret_retention"},
		backend.FieldRevisionRetention:      {name: "revision_retention"},
		backend.FieldAuditEventRetention:    {name: "audit_event_retention"},
	},
}

// invalidInput is a store *backend.ValidationError located on a Terraform
// object: Attr is the attribute at fault ("" when the object has none for
// the field) and Path its path, an element of a list attribute when the
// field is one (previous_root_keys[i]).
type invalidInput struct {
	Err  *backend.ValidationError
	Attr string
	Path path.Path
}

// Name is how diagnostics name the input: the attribute, else the store's
// words for the field.
func (in invalidInput) Name() string {
	if in.Attr != "" {
		return in.Attr
	}
	return in.Err.Field.String()
}

// locateInvalidInput finds the attribute of t at fault for err. ok is
// false when err is not a *backend.ValidationError.
func locateInvalidInput(t errorTarget, err error) (in invalidInput, ok bool) {
	if !errors.As(err, &in.Err) {
		return invalidInput{}, false
	}
	a, found := fieldAttributes[t][in.Err.Field]
	if !found {
		return in, true
	}
	in.Attr = a.name
	in.Path = path.Root(a.name)
	if a.list {
		in.Path = in.Path.AtListIndex(in.Err.Index)
	}
	return in, true
}
