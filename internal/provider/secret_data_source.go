// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
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
	ds, _ := secretReadSchemas()
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads and decrypts one secret.\n\n" +
			"~> **Prefer the `secretstore_secret` ephemeral resource** (Terraform 1.10 and later). " +
			"This data source stores the decrypted `value` in the Terraform state and in saved plan files, " +
			"where anyone who can read the state can read it; `value` is only marked sensitive, which hides it " +
			"from CLI output. The ephemeral resource returns the same results and never writes the value " +
			"to state or plans; feed it into write-only arguments such as `value_wo`. " +
			"Use this data source only with Terraform older than 1.10.\n\n" +
			"When the provider sets `audit_reads`, every read appends a `read` event to the audit log.",
		Attributes: ds,
	}
}

func (d *secretDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *secretDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m secretReadModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !dataSourceReady(d.data, req, resp) {
		return
	}
	s, diags := readSecret(ctx, d.data, m)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.fill(s)
	clear(s.Value)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
