// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ datasource.DataSource              = (*keyVersionsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*keyVersionsDataSource)(nil)
)

// newKeyVersionsDataSource returns the secretstore_key_versions data source.
func newKeyVersionsDataSource() datasource.DataSource { return &keyVersionsDataSource{} }

type keyVersionsDataSource struct {
	data *providerData
}

type keyVersionsDataSourceModel struct {
	KeyVersions []keyVersionEntry `tfsdk:"key_versions"`
}

type keyVersionEntry struct {
	Version    types.Int64  `tfsdk:"version"`
	Primary    types.Bool   `tfsdk:"primary"`
	CheckValue types.String `tfsdk:"check_value"`
	CreatedAt  types.String `tfsdk:"created_at"`
	Secrets    types.Int64  `tfsdk:"secrets"`
}

func (d *keyVersionsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_key_versions"
}

func (d *keyVersionsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the store's key versions (the key-encryption keys in its keyring), " +
			"oldest first, with how many secrets each one protects. Never key material.",
		Attributes: map[string]schema.Attribute{
			"key_versions": schema.ListNestedAttribute{
				MarkdownDescription: "The key versions, sorted by version number.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"version": schema.Int64Attribute{
							MarkdownDescription: "Version number.",
							Computed:            true,
						},
						"primary": schema.BoolAttribute{
							MarkdownDescription: "Whether new data keys are wrapped under this version " +
								"(the newest version that is not retired).",
							Computed: true,
						},
						"check_value": schema.StringAttribute{
							MarkdownDescription: "Key check value (lowercase hex): a keyed fingerprint that identifies " +
								"the key material without revealing it. Compare it with the `check_value` " +
								"of a `secretstore_key_version` resource.",
							Computed: true,
						},
						"created_at": schema.StringAttribute{
							MarkdownDescription: "Creation time (RFC 3339, UTC).",
							Computed:            true,
						},
						"secrets": schema.Int64Attribute{
							MarkdownDescription: "Number of secrets whose current revision is wrapped under this version.",
							Computed:            true,
						},
					},
				},
			},
		},
	}
}

func (d *keyVersionsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *keyVersionsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if !dataSourceReady(d.data, req, resp) {
		return
	}
	kvs, err := d.data.Store.KeyVersions(ctx)
	if err = warnDamaged(err, "the secret counts of key versions", &resp.Diagnostics); err != nil {
		resp.Diagnostics.Append(diagKeyVersionsFailed(err))
		return
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].Version < kvs[j].Version })
	m := keyVersionsDataSourceModel{KeyVersions: make([]keyVersionEntry, 0, len(kvs))}
	for _, kv := range kvs {
		m.KeyVersions = append(m.KeyVersions, keyVersionEntry{
			Version:    types.Int64Value(int64(kv.Version)),
			Primary:    types.BoolValue(kv.Primary),
			CheckValue: types.StringValue(kv.CheckValue),
			CreatedAt:  timeString(kv.CreatedAt),
			Secrets:    types.Int64Value(int64(kv.Secrets)),
		})
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
