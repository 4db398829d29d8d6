// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Protocol-level helpers for what Terraform 1.12 to 1.14 add (resource
// identity, list resources, actions), which the terraform binary on this
// machine cannot drive: each sends the RPC Terraform would send to the
// provider served in-process, and returns what the provider answered.

// newConfiguredProto serves the provider over ts with actor "proto-test"
// and the extra provider attributes, and configures it.
func newConfiguredProto(t *testing.T, ts testStore, now func() time.Time, extra map[string]tftypes.Value) *protoProvider {
	t.Helper()
	p := newProtoProvider(t, now)
	attrs := map[string]tftypes.Value{
		"url": tfString(ts.URL), "root_key": tfString(ts.RootKey), "actor": tfString("proto-test"),
	}
	maps.Copy(attrs, extra)
	if diags := p.configure(attrs); len(diags) != 0 {
		p.t.Fatalf("ConfigureProvider: %s", diagnosticsText(diags))
	}
	return p
}

// identityType is the value type of a resource type's identity.
func (p *protoProvider) identityType(typeName string) tftypes.Type {
	p.t.Helper()
	resp, err := p.server.GetResourceIdentitySchemas(context.Background(), &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil {
		p.t.Fatal(err)
	}
	s, ok := resp.IdentitySchemas[typeName]
	if !ok {
		p.t.Fatalf("no identity schema for %s", typeName)
	}
	return s.ValueType()
}

// identity encodes an identity of typeName.
func (p *protoProvider) identity(typeName string, attrs map[string]tftypes.Value) *tfprotov6.ResourceIdentityData {
	p.t.Helper()
	return &tfprotov6.ResourceIdentityData{IdentityData: p.value(p.identityType(typeName), attrs)}
}

// decodeIdentity returns the attributes of an identity of typeName (nil
// when there is none).
func (p *protoProvider) decodeIdentity(typeName string, id *tfprotov6.ResourceIdentityData) map[string]tftypes.Value {
	p.t.Helper()
	if id == nil || id.IdentityData == nil {
		return nil
	}
	return p.decode(p.identityType(typeName), id.IdentityData)
}

// resourceType is the value type of a managed resource type.
func (p *protoProvider) resourceType(typeName string) tftypes.Type {
	p.t.Helper()
	s, ok := p.schema.ResourceSchemas[typeName]
	if !ok {
		p.t.Fatalf("no resource schema for %s", typeName)
	}
	return s.ValueType()
}

// importResource sends ImportResourceState by id or, when id is empty, by
// identity, and then ReadResource of the imported state (as terraform does
// before it plans an import). It returns the state and identity Read
// recorded, decoded, and every diagnostic.
func (p *protoProvider) importResource(typeName, id string, identity map[string]tftypes.Value) (state, newIdentity map[string]tftypes.Value, diags []*tfprotov6.Diagnostic) {
	p.t.Helper()
	ctx := context.Background()
	req := &tfprotov6.ImportResourceStateRequest{TypeName: typeName, ID: id}
	if id == "" {
		req.Identity = p.identity(typeName, identity)
	}
	iresp, err := p.server.ImportResourceState(ctx, req)
	if err != nil {
		p.t.Fatal(err)
	}
	if len(iresp.Diagnostics) > 0 || len(iresp.ImportedResources) != 1 {
		return nil, nil, iresp.Diagnostics
	}
	imported := iresp.ImportedResources[0]
	if got := p.decodeIdentity(typeName, imported.Identity); got == nil {
		p.t.Errorf("ImportResourceState of %s returned no identity", typeName)
	}
	rresp, err := p.server.ReadResource(ctx, &tfprotov6.ReadResourceRequest{
		TypeName: typeName, CurrentState: imported.State, Private: imported.Private, CurrentIdentity: imported.Identity,
	})
	if err != nil {
		p.t.Fatal(err)
	}
	if rresp.NewState == nil {
		return nil, nil, rresp.Diagnostics
	}
	return p.decode(p.resourceType(typeName), rresp.NewState), p.decodeIdentity(typeName, rresp.NewIdentity), rresp.Diagnostics
}

// listResults sends ListResource and collects every result.
func (p *protoProvider) listResults(typeName string, config map[string]tftypes.Value, includeResource bool, limit int64) []tfprotov6.ListResourceResult {
	p.t.Helper()
	s, ok := p.schema.ListResourceSchemas[typeName]
	if !ok {
		p.t.Fatalf("no list resource schema for %s", typeName)
	}
	stream, err := p.listServer().ListResource(context.Background(), &tfprotov6.ListResourceRequest{
		TypeName: typeName, Config: p.value(s.ValueType(), config), IncludeResource: includeResource, Limit: limit,
	})
	if err != nil {
		p.t.Fatal(err)
	}
	var out []tfprotov6.ListResourceResult
	for r := range stream.Results {
		out = append(out, r)
	}
	return out
}

// actionType is the value type of an action's configuration.
func (p *protoProvider) actionType(actionType string) tftypes.Type {
	p.t.Helper()
	s, ok := p.schema.ActionSchemas[actionType]
	if !ok {
		p.t.Fatalf("no action schema for %s", actionType)
	}
	return s.Schema.ValueType()
}

// validateAction sends ValidateActionConfig.
func (p *protoProvider) validateAction(actionType string, config map[string]tftypes.Value) []*tfprotov6.Diagnostic {
	p.t.Helper()
	resp, err := p.actionServer().ValidateActionConfig(context.Background(), &tfprotov6.ValidateActionConfigRequest{
		ActionType: actionType, Config: p.value(p.actionType(actionType), config),
	})
	if err != nil {
		p.t.Fatal(err)
	}
	return resp.Diagnostics
}

// planAction sends PlanAction.
func (p *protoProvider) planAction(actionType string, config map[string]tftypes.Value) []*tfprotov6.Diagnostic {
	p.t.Helper()
	resp, err := p.actionServer().PlanAction(context.Background(), &tfprotov6.PlanActionRequest{
		ActionType: actionType, Config: p.value(p.actionType(actionType), config),
	})
	if err != nil {
		p.t.Fatal(err)
	}
	return resp.Diagnostics
}

// invokeAction sends InvokeAction and returns the progress messages in
// order and the diagnostics of the completed event. It fails the test
// unless the stream ends with exactly one completed event.
func (p *protoProvider) invokeAction(actionType string, config map[string]tftypes.Value) ([]string, []*tfprotov6.Diagnostic) {
	p.t.Helper()
	stream, err := p.actionServer().InvokeAction(context.Background(), &tfprotov6.InvokeActionRequest{
		ActionType: actionType, Config: p.value(p.actionType(actionType), config),
	})
	if err != nil {
		p.t.Fatal(err)
	}
	var (
		progress  []string
		diags     []*tfprotov6.Diagnostic
		completed int
	)
	for ev := range stream.Events {
		switch e := ev.Type.(type) {
		case tfprotov6.ProgressInvokeActionEventType:
			if completed > 0 {
				p.t.Errorf("%s: progress event %q after the completed event", actionType, e.Message)
			}
			progress = append(progress, e.Message)
		case tfprotov6.CompletedInvokeActionEventType:
			completed++
			diags = append(diags, e.Diagnostics...)
		default:
			p.t.Errorf("%s: unexpected event %T", actionType, ev.Type)
		}
	}
	if completed != 1 {
		p.t.Errorf("%s: %d completed events, want 1", actionType, completed)
	}
	return progress, diags
}

// listServer is the server's list resource RPCs.
func (p *protoProvider) listServer() tfprotov6.ListResourceServer {
	p.t.Helper()
	s, ok := p.server.(tfprotov6.ProviderServerWithListResource) //nolint:staticcheck // the only way to reach the list RPCs in terraform-plugin-go v0.31
	if !ok {
		p.t.Fatalf("the provider server (%T) serves no list resources", p.server)
	}
	return s
}

// actionServer is the server's action RPCs.
func (p *protoProvider) actionServer() tfprotov6.ActionServer {
	p.t.Helper()
	s, ok := p.server.(tfprotov6.ProviderServerWithActions) //nolint:staticcheck // the only way to reach the action RPCs in terraform-plugin-go v0.31
	if !ok {
		p.t.Fatalf("the provider server (%T) serves no actions", p.server)
	}
	return s
}

// hasError reports whether diags hold an error.
func hasError(diags []*tfprotov6.Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			return true
		}
	}
	return false
}
