// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ resource.ResourceWithIdentity         = secretIdentityResource{}
	_ resource.ResourceWithConfigure        = secretIdentityResource{}
	_ resource.ResourceWithImportState      = secretIdentityResource{}
	_ resource.ResourceWithModifyPlan       = secretIdentityResource{}
	_ resource.ResourceWithValidateConfig   = secretIdentityResource{}
	_ resource.ResourceWithConfigValidators = secretIdentityResource{}
)

// secretIdentityResource is secretstore_secret with its resource identity
// (Terraform 1.12 and later): the namespace and the name, which together
// name one secret of a store and never change for the life of the
// resource (changing either replaces it). It returns the identity from
// every Create, Read, Update and ImportState, and imports by identity as
// well as by the `<namespace>/<name>` ID. Terraform before 1.12 ignores
// the identity.
type secretIdentityResource struct {
	*secretResource
}

// secretIdentityModel is the identity of a secretstore_secret.
type secretIdentityModel struct {
	Namespace types.String `tfsdk:"namespace"`
	Name      types.String `tfsdk:"name"`
}

func (r secretIdentityResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"namespace": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       "Namespace of the secret, for example `openai:production`.",
			},
			"name": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       "Name of the secret within its namespace, for example `OPENAI_API_KEY`.",
			},
		},
	}
}

// secretIdentityAttrs are the attributes of a secretstore_secret that are
// its identity.
var secretIdentityAttrs = []string{"namespace", "name"}

func (r secretIdentityResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	r.secretResource.Create(ctx, req, resp)
	setIdentity(ctx, &resp.Diagnostics, resp.Identity, secretIdentityAttrs, resp.State)
}

// Read returns the identity of the secret in state, also when the read
// removes the resource or keeps the recorded state (provider not yet
// configured), so that a state written before identities existed gains one.
func (r secretIdentityResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	r.secretResource.Read(ctx, req, resp)
	setIdentity(ctx, &resp.Diagnostics, resp.Identity, secretIdentityAttrs, resp.State, req.State)
}

func (r secretIdentityResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	r.secretResource.Update(ctx, req, resp)
	setIdentity(ctx, &resp.Diagnostics, resp.Identity, secretIdentityAttrs, resp.State)
}

// ImportState imports by the `<namespace>/<name>` ID or, in an import
// block, by identity.
func (r secretIdentityResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if req.ID == "" && req.Identity != nil {
		var id secretIdentityModel
		resp.Diagnostics.Append(req.Identity.Get(ctx, &id)...)
		if resp.Diagnostics.HasError() {
			return
		}
		ns, name := id.Namespace.ValueString(), id.Name.ValueString()
		if ns == "" || name == "" {
			resp.Diagnostics.Append(diagInvalidImportIdentity("namespace and name", "a namespace such as openai:production and a name such as api-key"))
			return
		}
		req.ID = secretID(ns, name)
	}
	r.secretResource.ImportState(ctx, req, resp)
	setIdentity(ctx, &resp.Diagnostics, resp.Identity, secretIdentityAttrs, resp.State)
}
