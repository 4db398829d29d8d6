// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ resource.ResourceWithIdentity    = keyVersionIdentityResource{}
	_ resource.ResourceWithConfigure   = keyVersionIdentityResource{}
	_ resource.ResourceWithImportState = keyVersionIdentityResource{}
	_ resource.ResourceWithModifyPlan  = keyVersionIdentityResource{}
)

// keyVersionIdentityResource is secretstore_key_version with its resource
// identity (Terraform 1.12 and later): the version number, which names one
// key version of a store and never changes (changing it replaces the
// resource). It returns the identity from every Create, Read, Update and
// ImportState, and imports by identity as well as by the version number.
type keyVersionIdentityResource struct {
	*keyVersionResource
}

// keyVersionIdentityModel is the identity of a secretstore_key_version.
type keyVersionIdentityModel struct {
	Version types.Int64 `tfsdk:"version"`
}

func (r keyVersionIdentityResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"version": identityschema.Int64Attribute{
				RequiredForImport: true,
				Description:       "Version number of the key version, 1 or greater.",
			},
		},
	}
}

// keyVersionIdentityAttrs are the attributes of a secretstore_key_version
// that are its identity.
var keyVersionIdentityAttrs = []string{"version"}

func (r keyVersionIdentityResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.keyVersionResource.Create(ctx, req, resp)
	setIdentity(ctx, &resp.Diagnostics, resp.Identity, keyVersionIdentityAttrs, resp.State)
}

// Read returns the identity of the version in state, also when the read
// removes the resource or keeps the recorded state.
func (r keyVersionIdentityResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	r.keyVersionResource.Read(ctx, req, resp)
	setIdentity(ctx, &resp.Diagnostics, resp.Identity, keyVersionIdentityAttrs, resp.State, req.State)
}

func (r keyVersionIdentityResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.keyVersionResource.Update(ctx, req, resp)
	setIdentity(ctx, &resp.Diagnostics, resp.Identity, keyVersionIdentityAttrs, resp.State)
}

// ImportState imports by the version number given as the ID or, in an
// import block, by identity.
func (r keyVersionIdentityResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if req.ID == "" && req.Identity != nil {
		var id keyVersionIdentityModel
		resp.Diagnostics.Append(req.Identity.Get(ctx, &id)...)
		if resp.Diagnostics.HasError() {
			return
		}
		if id.Version.ValueInt64() < 1 {
			resp.Diagnostics.Append(diagInvalidImportIdentity("version", "a key version number such as 1"))
			return
		}
		req.ID = strconv.FormatInt(id.Version.ValueInt64(), 10)
	}
	r.keyVersionResource.ImportState(ctx, req, resp)
	setIdentity(ctx, &resp.Diagnostics, resp.Identity, keyVersionIdentityAttrs, resp.State)
}
