package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ ephemeral.EphemeralResource              = (*secretEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithConfigure = (*secretEphemeralResource)(nil)
)

// newSecretEphemeralResource returns the secretstore_secret ephemeral resource.
func newSecretEphemeralResource() ephemeral.EphemeralResource { return &secretEphemeralResource{} }

type secretEphemeralResource struct {
	data *providerData
}

func (e *secretEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_secret"
}

func (e *secretEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads and decrypts one secret without storing it: the value never reaches " +
			"the Terraform state or plan files (Terraform 1.10 and later).\n\n" +
			"Reference the value only where Terraform accepts ephemeral values: write-only arguments " +
			"(for example `value_wo` of `secretstore_secret`, Terraform 1.11 and later), provider blocks, " +
			"other ephemeral resources and locals. Terraform opens the resource in every plan and apply that needs it.\n\n" +
			"When the provider sets `audit_reads`, every open appends a `read` event to the audit log.",
		Attributes: map[string]schema.Attribute{
			"namespace": schema.StringAttribute{
				MarkdownDescription: readNamespaceDescription,
				Required:            true,
			},
			"name": schema.StringAttribute{
				MarkdownDescription: readNameDescription,
				Required:            true,
			},
			"revision": schema.Int64Attribute{
				MarkdownDescription: readRevisionDescription,
				Optional:            true,
				Computed:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
			},
			"value": schema.StringAttribute{
				MarkdownDescription: "The decrypted value (sensitive, ephemeral).",
				Computed:            true,
				Sensitive:           true,
			},
			"metadata": schema.MapAttribute{
				MarkdownDescription: readMetadataDescription,
				ElementType:         types.StringType,
				Computed:            true,
			},
			"key_version": schema.Int64Attribute{
				MarkdownDescription: readKeyVersionDesc,
				Computed:            true,
			},
			"created_at": schema.StringAttribute{
				MarkdownDescription: readCreatedAtDesc,
				Computed:            true,
			},
			"updated_at": schema.StringAttribute{
				MarkdownDescription: readUpdatedAtDesc,
				Computed:            true,
			},
			"expires_at": schema.StringAttribute{
				MarkdownDescription: readExpiresAtDesc,
				Computed:            true,
			},
		},
	}
}

func (e *secretEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	pd := providerDataFrom(req.ProviderData, &resp.Diagnostics)
	e.data = pd
}

func (e *secretEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m secretReadModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if e.data == nil {
		if req.ClientCapabilities.DeferralAllowed {
			resp.Deferred = &ephemeral.Deferred{Reason: ephemeral.DeferredReasonProviderConfigUnknown}
			return
		}
		resp.Diagnostics.Append(diagProviderNotConfigured())
		return
	}
	s, diags := readSecret(ctx, e.data, m.Namespace.ValueString(), m.Name.ValueString(), m.Revision.ValueInt64())
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.fill(s)
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}
