// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// TestProtocolSchemasTerraform114: the provider serves the identity
// schemas (Terraform 1.12), the list resource and the actions (Terraform
// 1.14), with the framework's own schema checks passing.
func TestProtocolSchemasTerraform114(t *testing.T) {
	t.Parallel()
	p := newProtoProvider(t, nil)
	for _, d := range p.schema.Diagnostics {
		t.Errorf("schema diagnostic: %s: %s", d.Summary, d.Detail)
	}
	resp, err := p.server.GetResourceIdentitySchemas(context.Background(), &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("identity schema diagnostic: %s: %s", d.Summary, d.Detail)
	}
	for typeName, want := range map[string][]string{
		"secretstore_secret":      {"name", "namespace"},
		"secretstore_key_version": {"version"},
	} {
		s := resp.IdentitySchemas[typeName]
		if s == nil {
			t.Errorf("%s: no identity schema", typeName)
			continue
		}
		var got []string
		for _, a := range s.IdentityAttributes {
			got = append(got, a.Name)
			if !a.RequiredForImport {
				t.Errorf("%s identity attribute %s is not required for import", typeName, a.Name)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s identity attributes %v, want %v", typeName, got, want)
		}
	}
	if len(resp.IdentitySchemas) != 2 {
		t.Errorf("identity schemas for %d resource types, want 2", len(resp.IdentitySchemas))
	}

	list := p.schema.ListResourceSchemas["secretstore_secret"]
	if list == nil {
		t.Fatal("list resource secretstore_secret not served")
	}
	attrs := map[string]*tfprotov6.SchemaAttribute{}
	for _, a := range list.Block.Attributes {
		attrs[a.Name] = a
	}
	if a := attrs["namespace"]; a == nil || !a.Required {
		t.Errorf("list secretstore_secret: namespace must be required: %+v", a)
	}
	if a := attrs["name_prefix"]; a == nil || !a.Optional {
		t.Errorf("list secretstore_secret: name_prefix must be optional: %+v", a)
	}
	for typeName, want := range map[string]string{
		"secretstore_rotate":  "namespace",
		"secretstore_cleanup": "audit_event_retention,deleted_secret_retention,expired_secret_retention,namespace,revision_retention",
	} {
		s := p.schema.ActionSchemas[typeName]
		if s == nil {
			t.Errorf("action %s not served", typeName)
			continue
		}
		var got []string
		for _, a := range s.Schema.Block.Attributes {
			got = append(got, a.Name)
			if !a.Optional {
				t.Errorf("action %s: %s must be optional", typeName, a.Name)
			}
		}
		if strings.Join(got, ",") != want {
			t.Errorf("action %s attributes %v, want %s", typeName, got, want)
		}
	}
}

// TestProtocolSecretIdentity: a secret imports by identity in an import
// block (Terraform 1.12) as it does by ID; import and every read return
// the identity; a state written before identities existed gains one on
// refresh, also when the secret is gone; an identity without a name is
// refused.
func TestProtocolSecretIdentity(t *testing.T) {
	t.Parallel()
	ts := newTestStore(t)
	store := ts.open(t)
	seedKeyVersion(t, store)
	seeded := seedSecret(t, store, "app:production", "db-password", time.Now().Add(30*24*time.Hour).Truncate(time.Second))
	p := newConfiguredProto(t, ts, nil, nil)
	want := map[string]tftypes.Value{"namespace": tfString("app:production"), "name": tfString("db-password")}

	byIdentity, identity, diags := p.importResource("secretstore_secret", "", want)
	if hasError(diags) {
		t.Fatalf("import by identity: %s", diagnosticsText(diags))
	}
	checkValues(t, "identity after import by identity", identity, want)
	checkValues(t, "state after import by identity", byIdentity, map[string]tftypes.Value{
		"id":       tfString("app:production/db-password"),
		"revision": tftypes.NewValue(tftypes.Number, big.NewFloat(float64(seeded.Revision))),
		"value":    tftypes.NewValue(tftypes.String, nil),
		"value_wo": tftypes.NewValue(tftypes.String, nil),
	})

	byID, identity, diags := p.importResource("secretstore_secret", "app:production/db-password", nil)
	if hasError(diags) {
		t.Fatalf("import by ID: %s", diagnosticsText(diags))
	}
	checkValues(t, "identity after import by ID", identity, want)
	if !tftypes.NewValue(p.resourceType("secretstore_secret"), byID).Equal(tftypes.NewValue(p.resourceType("secretstore_secret"), byIdentity)) {
		t.Errorf("import by ID and by identity recorded different states:\n%v\n%v", byID, byIdentity)
	}

	// A state without identity (written by an older provider, or by
	// Terraform before 1.12) gains it on refresh.
	ctx := context.Background()
	state := p.value(p.resourceType("secretstore_secret"), byID)
	rresp, err := p.server.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: "secretstore_secret", CurrentState: state})
	if err != nil {
		t.Fatal(err)
	}
	if hasError(rresp.Diagnostics) {
		t.Fatalf("refresh without identity: %s", diagnosticsText(rresp.Diagnostics))
	}
	checkValues(t, "identity after refresh of a state without one", p.decodeIdentity("secretstore_secret", rresp.NewIdentity), want)

	// Gone from the store: removed from state, without an identity error.
	if err := store.Delete(ctx, backend.DeleteInput{Namespace: "app:production", Name: "db-password", IfRevision: seeded.Revision}); err != nil {
		t.Fatal(err)
	}
	rresp, err = p.server.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: "secretstore_secret", CurrentState: state})
	if err != nil {
		t.Fatal(err)
	}
	if len(rresp.Diagnostics) != 0 {
		t.Errorf("refresh of a deleted secret: %s", diagnosticsText(rresp.Diagnostics))
	}
	if gone, err := rresp.NewState.Unmarshal(p.resourceType("secretstore_secret")); err != nil || !gone.IsNull() {
		t.Errorf("refresh of a deleted secret kept it in state: %v (%v)", gone, err)
	}

	_, _, diags = p.importResource("secretstore_secret", "", map[string]tftypes.Value{
		"namespace": tfString("app:production"), "name": tfString(""),
	})
	if !hasError(diags) || !strings.Contains(diagnosticsText(diags), "Invalid import identity") {
		t.Errorf("import by an identity with an empty name: %s", diagnosticsText(diags))
	}
}

// TestProtocolKeyVersionIdentity: a key version imports by identity and
// by ID, and import and read return its identity.
func TestProtocolKeyVersionIdentity(t *testing.T) {
	t.Parallel()
	ts := newTestStore(t)
	store := ts.open(t)
	seedKeyVersion(t, store)
	p := newConfiguredProto(t, ts, nil, nil)
	one := tftypes.NewValue(tftypes.Number, big.NewFloat(1))
	want := map[string]tftypes.Value{"version": one}
	for name, id := range map[string]string{"identity": "", "ID": "1"} {
		state, identity, diags := p.importResource("secretstore_key_version", id, want)
		if hasError(diags) {
			t.Fatalf("import by %s: %s", name, diagnosticsText(diags))
		}
		checkValues(t, "identity after import by "+name, identity, want)
		checkValues(t, "state after import by "+name, state, map[string]tftypes.Value{
			"id": tfString("1"), "version": one, "primary": tftypes.NewValue(tftypes.Bool, true),
		})
	}
	_, _, diags := p.importResource("secretstore_key_version", "", map[string]tftypes.Value{
		"version": tftypes.NewValue(tftypes.Number, big.NewFloat(0)),
	})
	if !hasError(diags) || !strings.Contains(diagnosticsText(diags), "Invalid import identity") {
		t.Errorf("import by identity version 0: %s", diagnosticsText(diags))
	}
}

// TestProtocolSecretIdentityOnCreate: creating a secret through
// PlanResourceChange and ApplyResourceChange returns its identity.
func TestProtocolSecretIdentityOnCreate(t *testing.T) {
	t.Parallel()
	ts := newTestStore(t)
	seedKeyVersion(t, ts.open(t))
	p := newConfiguredProto(t, ts, nil, nil)
	ctx := context.Background()
	typ := p.resourceType("secretstore_secret")
	config := p.value(typ, map[string]tftypes.Value{
		"namespace": tfString("app:production"), "name": tfString("api-key"), "value": tfString("s3cr3t"),
	})
	nullState, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, nil))
	if err != nil {
		t.Fatal(err)
	}
	prior := &nullState
	presp, err := p.server.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{
		TypeName: "secretstore_secret", PriorState: prior, ProposedNewState: config, Config: config,
	})
	if err != nil {
		t.Fatal(err)
	}
	if hasError(presp.Diagnostics) {
		t.Fatalf("plan: %s", diagnosticsText(presp.Diagnostics))
	}
	aresp, err := p.server.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{
		TypeName: "secretstore_secret", PriorState: prior, PlannedState: presp.PlannedState, Config: config,
		PlannedPrivate: presp.PlannedPrivate, PlannedIdentity: presp.PlannedIdentity,
	})
	if err != nil {
		t.Fatal(err)
	}
	if hasError(aresp.Diagnostics) {
		t.Fatalf("apply: %s", diagnosticsText(aresp.Diagnostics))
	}
	checkValues(t, "identity after create", p.decodeIdentity("secretstore_secret", aresp.NewIdentity), map[string]tftypes.Value{
		"namespace": tfString("app:production"), "name": tfString("api-key"),
	})
}

// checkValues fails for every attribute of want that got lacks or holds
// another value.
func checkValues(t *testing.T, what string, got, want map[string]tftypes.Value) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: nothing returned", what)
		return
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || !g.Equal(w) {
			t.Errorf("%s: %s = %v, want %v", what, k, g, w)
		}
	}
}
