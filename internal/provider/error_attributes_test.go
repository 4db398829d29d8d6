package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// attributeNames returns, for every error target, the names of the
// attributes of each object it stands for, and whether each is a list.
func attributeNames(t *testing.T) map[errorTarget][]map[string]bool {
	t.Helper()
	ctx := context.Background()
	res := func(r resource.Resource) map[string]bool {
		var resp resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &resp)
		out := map[string]bool{}
		for name, a := range resp.Schema.Attributes {
			out[name] = isListType(a.GetType())
		}
		return out
	}
	ds := func(d datasource.DataSource) map[string]bool {
		var resp datasource.SchemaResponse
		d.Schema(ctx, datasource.SchemaRequest{}, &resp)
		out := map[string]bool{}
		for name, a := range resp.Schema.Attributes {
			out[name] = isListType(a.GetType())
		}
		return out
	}
	eph := func(e ephemeral.EphemeralResource) map[string]bool {
		var resp ephemeral.SchemaResponse
		e.Schema(ctx, ephemeral.SchemaRequest{}, &resp)
		out := map[string]bool{}
		for name, a := range resp.Schema.Attributes {
			out[name] = isListType(a.GetType())
		}
		return out
	}
	var presp provider.SchemaResponse
	New("test")().Schema(ctx, provider.SchemaRequest{}, &presp)
	prov := map[string]bool{}
	for name, a := range presp.Schema.Attributes {
		prov[name] = isListType(a.GetType())
	}
	return map[errorTarget][]map[string]bool{
		targetProvider:    {prov},
		targetSecret:      {res(newSecretResource())},
		targetSecretWO:    {res(newSecretResource())},
		targetSecretRead:  {ds(newSecretDataSource()), eph(newSecretEphemeralResource())},
		targetSecretList:  {ds(newSecretsDataSource())},
		targetAuditEvents: {ds(newAuditEventsDataSource())},
		targetKeyVersion:  {res(newKeyVersionResource())},
		targetCleanup:     {res(newCleanupResource())},
	}
}

// isListType reports whether an attribute of type typ is a list.
func isListType(typ attr.Type) bool {
	_, ok := typ.(basetypes.ListType)
	return ok
}

// TestFieldAttributesExist: every attribute the field table names exists on
// the objects of its target, and a field marked as a list element is held
// by a list attribute. A name that drifts from the schema loses the
// attribute of the error, as key_material did on key versions.
func TestFieldAttributesExist(t *testing.T) {
	t.Parallel()
	objects := attributeNames(t)
	for target, fields := range fieldAttributes {
		schemas, ok := objects[target]
		if !ok {
			t.Errorf("target %d has no object in this test", target)
			continue
		}
		for field, a := range fields {
			for _, attrs := range schemas {
				isList, ok := attrs[a.name]
				if !ok {
					t.Errorf("target %d maps %s to %q, which is not an attribute", target, field, a.name)
					continue
				}
				if a.list != isList {
					t.Errorf("target %d maps %s to %q with list = %v, but the attribute's list = %v", target, field, a.name, a.list, isList)
				}
			}
		}
	}
}

// TestLocateInvalidInput: a validation error is located on the attribute of
// its target (an element for a list), named by the attribute, and left on
// the whole object when the target has no attribute for the field.
func TestLocateInvalidInput(t *testing.T) {
	t.Parallel()
	wrap := func(f backend.Field, i int) error {
		return fmt.Errorf("opening: %w", &backend.ValidationError{Field: f, Index: i, Reason: "is wrong"})
	}
	for _, tc := range []struct {
		target errorTarget
		err    error
		path   path.Path
		name   string
	}{
		{targetKeyVersion, wrap(backend.FieldKeyMaterial, 0), path.Root("key_material_wo"), "key_material_wo"},
		{targetKeyVersion, wrap(backend.FieldKeyVersion, 0), path.Root("version"), "version"},
		{targetSecret, wrap(backend.FieldValue, 0), path.Root("value"), "value"},
		{targetSecretWO, wrap(backend.FieldValue, 0), path.Root("value_wo"), "value_wo"},
		{targetSecretList, wrap(backend.FieldNamePrefix, 0), path.Root("name_prefix"), "name_prefix"},
		{targetProvider, wrap(backend.FieldPreviousRootKey, 2), path.Root("previous_root_keys").AtListIndex(2), "previous_root_keys"},
		{targetCleanup, wrap(backend.FieldRevisionRetention, 0), path.Root("revision_retention"), "revision_retention"},
		{targetSecret, wrap(backend.FieldReason, 0), path.Path{}, "reason"},
		{targetSecretRead, wrap(backend.FieldPageToken, 0), path.Path{}, "page token"},
	} {
		in, ok := locateInvalidInput(tc.target, tc.err)
		if !ok {
			t.Errorf("%v: not located", tc.err)
			continue
		}
		if !in.Path.Equal(tc.path) || in.Name() != tc.name {
			t.Errorf("%v on target %d: located on %q named %q, want %q named %q", tc.err, tc.target, in.Path, in.Name(), tc.path, tc.name)
		}
	}
	if _, ok := locateInvalidInput(targetSecret, backend.ErrNotFound); ok {
		t.Error("a sentinel error was located as an invalid input")
	}
}
