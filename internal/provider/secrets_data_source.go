package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

var (
	_ datasource.DataSource              = (*secretsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*secretsDataSource)(nil)
)

// newSecretsDataSource returns the secretstore_secrets data source.
func newSecretsDataSource() datasource.DataSource { return &secretsDataSource{} }

type secretsDataSource struct {
	data *providerData
}

type secretsDataSourceModel struct {
	Namespace  types.String      `tfsdk:"namespace"`
	NamePrefix types.String      `tfsdk:"name_prefix"`
	Secrets    []secretListEntry `tfsdk:"secrets"`
}

type secretListEntry struct {
	Name       types.String `tfsdk:"name"`
	Revision   types.Int64  `tfsdk:"revision"`
	KeyVersion types.Int64  `tfsdk:"key_version"`
	Metadata   types.Map    `tfsdk:"metadata"`
	CreatedAt  types.String `tfsdk:"created_at"`
	UpdatedAt  types.String `tfsdk:"updated_at"`
	ExpiresAt  types.String `tfsdk:"expires_at"`
	State      types.String `tfsdk:"state"`
}

func (d *secretsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_secrets"
}

func (d *secretsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the secrets of one namespace, sorted by name, without their values: " +
			"nothing is decrypted, so the list is safe to keep in state. Deleted secrets are not listed; " +
			"expired ones are, with `state = \"expired\"`.",
		Attributes: map[string]schema.Attribute{
			"namespace": schema.StringAttribute{
				MarkdownDescription: "Namespace to list. When the provider sets `allowed_namespaces`, " +
					"it must match one of its patterns; otherwise the read fails during plan.",
				Required:   true,
				Validators: []validator.String{namespaceValidator},
			},
			"name_prefix": schema.StringAttribute{
				MarkdownDescription: "Only list secrets whose name starts with this prefix.",
				Optional:            true,
			},
			"secrets": schema.ListNestedAttribute{
				MarkdownDescription: "The secrets, sorted by name. Never values.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"name": schema.StringAttribute{
							MarkdownDescription: "Name of the secret.",
							Computed:            true,
						},
						"revision": schema.Int64Attribute{
							MarkdownDescription: "Current revision.",
							Computed:            true,
						},
						"key_version": schema.Int64Attribute{
							MarkdownDescription: "Key version the current revision's data key is wrapped under.",
							Computed:            true,
						},
						"metadata": schema.MapAttribute{
							MarkdownDescription: readMetadataDescription,
							ElementType:         types.StringType,
							Computed:            true,
						},
						"created_at": schema.StringAttribute{
							MarkdownDescription: readCreatedAtDesc,
							Computed:            true,
						},
						"updated_at": schema.StringAttribute{
							MarkdownDescription: "Time of the last change to the value, metadata or expiry (RFC 3339, UTC); a key rotation keeps it.",
							Computed:            true,
						},
						"expires_at": schema.StringAttribute{
							MarkdownDescription: readExpiresAtDesc,
							Computed:            true,
						},
						"state": schema.StringAttribute{
							MarkdownDescription: "`active`, or `expired` once `expires_at` has passed.",
							Computed:            true,
						},
					},
				},
			},
		},
	}
}

func (d *secretsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *secretsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m secretsDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !dataSourceReady(d.data, req, resp) {
		return
	}
	namespace := m.Namespace.ValueString()
	if !d.data.namespaceAllowed(m.Namespace, &resp.Diagnostics) {
		return
	}

	m.Secrets = []secretListEntry{}
	in := backend.ListInput{Namespace: namespace, NamePrefix: m.NamePrefix.ValueString()}
	for {
		page, err := d.data.Store.List(ctx, in)
		if err != nil {
			resp.Diagnostics.Append(diagListFailed(namespace, err))
			return
		}
		for _, s := range page.Secrets {
			m.Secrets = append(m.Secrets, secretListEntry{
				Name:       types.StringValue(s.Name),
				Revision:   types.Int64Value(s.Revision),
				KeyVersion: types.Int64Value(int64(s.KeyVersion)),
				Metadata:   metadataMap(s.Metadata),
				CreatedAt:  timeString(s.CreatedAt),
				UpdatedAt:  timeString(s.UpdatedAt),
				ExpiresAt:  timeString(s.ExpiresAt),
				State:      types.StringValue(s.State),
			})
		}
		if page.NextPageToken == "" {
			break
		}
		in.PageToken = page.NextPageToken
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
