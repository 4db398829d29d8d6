package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ datasource.DataSource              = (*secretDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*secretDataSource)(nil)
)

// newSecretDataSource returns the secretstore_secret data source.
func newSecretDataSource() datasource.DataSource { return &secretDataSource{} }

type secretDataSource struct {
	data *providerData
}

func (d *secretDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_secret"
}

func (d *secretDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads and decrypts one secret.\n\n" +
			"~> **Prefer the `secretstore_secret` ephemeral resource** (Terraform 1.10 and later). " +
			"This data source stores the decrypted `value` in the Terraform state and in saved plan files, " +
			"where anyone who can read the state can read it; `value` is only marked sensitive, which hides it " +
			"from CLI output. The ephemeral resource returns the same results and never writes the value " +
			"to state or plans; feed it into write-only arguments such as `value_wo`. " +
			"Use this data source only with Terraform older than 1.10.\n\n" +
			"When the provider sets `audit_reads`, every read appends a `read` event to the audit log.",
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
				MarkdownDescription: "The decrypted value. Sensitive, and stored in state: prefer the ephemeral resource.",
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

func (d *secretDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	pd := providerDataFrom(req.ProviderData, &resp.Diagnostics)
	d.data = pd
}

func (d *secretDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m secretReadModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if d.data == nil {
		if req.ClientCapabilities.DeferralAllowed {
			resp.Deferred = &datasource.Deferred{Reason: datasource.DeferredReasonProviderConfigUnknown}
			return
		}
		resp.Diagnostics.Append(diagProviderNotConfigured())
		return
	}
	s, diags := readSecret(ctx, d.data, m.Namespace.ValueString(), m.Name.ValueString(), m.Revision.ValueInt64())
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.fill(s)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
