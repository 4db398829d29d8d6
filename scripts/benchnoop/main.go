// SPDX-License-Identifier: MPL-2.0

// Command benchnoop is a do-nothing Terraform provider built with the same
// plugin framework as terraform-provider-secretstore. Its one resource,
// benchnoop_secret, has the attributes of secretstore_secret (same types,
// sensitivity and plan modifiers) and keeps everything in state.
// scripts/bench-e2e.sh uses it as a second floor: what a resource of that
// shape costs in Terraform core, the plugin protocol and the framework, so
// that the remainder of secretstore_secret's cost is the provider's and the
// store's own.
package main

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// fixedTime is what benchnoop_secret reports as its creation and update time.
const fixedTime = "2026-01-01T00:00:00Z"

func main() {
	err := providerserver.Serve(context.Background(), func() provider.Provider { return noopProvider{} },
		providerserver.ServeOpts{Address: "registry.terraform.io/secretstore/benchnoop"})
	if err != nil {
		log.Fatal(err)
	}
}

type noopProvider struct{}

func (noopProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "benchnoop"
}
func (noopProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}
func (noopProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}
func (noopProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		func() resource.Resource { return secret{} },
	}
}
func (noopProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

// secret has secretstore_secret's schema and keeps everything in state.
type secret struct{}

type secretModel struct {
	ID             types.String `tfsdk:"id"`
	Namespace      types.String `tfsdk:"namespace"`
	Name           types.String `tfsdk:"name"`
	Value          types.String `tfsdk:"value"`
	ValueWO        types.String `tfsdk:"value_wo"`
	ValueWOVersion types.Int64  `tfsdk:"value_wo_version"`
	Metadata       types.Map    `tfsdk:"metadata"`
	ExpiresAt      types.String `tfsdk:"expires_at"`
	TTL            types.String `tfsdk:"ttl"`
	Revision       types.Int64  `tfsdk:"revision"`
	KeyVersion     types.Int64  `tfsdk:"key_version"`
	CreatedAt      types.String `tfsdk:"created_at"`
	UpdatedAt      types.String `tfsdk:"updated_at"`
	Expired        types.Bool   `tfsdk:"expired"`
}

func (secret) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_secret"
}

func (secret) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"id":               schema.StringAttribute{Computed: true, PlanModifiers: keep},
		"namespace":        schema.StringAttribute{Required: true, PlanModifiers: replace},
		"name":             schema.StringAttribute{Required: true, PlanModifiers: replace},
		"value":            schema.StringAttribute{Optional: true, Sensitive: true},
		"value_wo":         schema.StringAttribute{Optional: true, Sensitive: true, WriteOnly: true},
		"value_wo_version": schema.Int64Attribute{Optional: true},
		"metadata":         schema.MapAttribute{Optional: true, ElementType: types.StringType},
		"expires_at":       schema.StringAttribute{Optional: true},
		"ttl":              schema.StringAttribute{Optional: true},
		"revision":         schema.Int64Attribute{Computed: true},
		"key_version":      schema.Int64Attribute{Computed: true},
		"created_at":       schema.StringAttribute{Computed: true, PlanModifiers: keep},
		"updated_at":       schema.StringAttribute{Computed: true},
		"expired":          schema.BoolAttribute{Computed: true},
	}}
}

func (m *secretModel) fill() {
	m.ID = types.StringValue(m.Namespace.ValueString() + "/" + m.Name.ValueString())
	m.ValueWO = types.StringNull()
	m.Revision = types.Int64Value(1)
	m.KeyVersion = types.Int64Value(1)
	m.CreatedAt = types.StringValue(fixedTime)
	m.UpdatedAt = types.StringValue(fixedTime)
	m.Expired = types.BoolValue(false)
}

func (secret) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m secretModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	m.fill()
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (secret) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m secretModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (secret) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m secretModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	m.fill()
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (secret) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
