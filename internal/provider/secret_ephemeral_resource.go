// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
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
	_, eph := secretReadSchemas()
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads and decrypts one secret without storing it: the value never reaches " +
			"the Terraform state or plan files (Terraform 1.10 and later).\n\n" +
			"Reference the value only where Terraform accepts ephemeral values: write-only arguments " +
			"(for example `value_wo` of `secretstore_secret`, Terraform 1.11 and later), provider blocks, " +
			"other ephemeral resources and locals. Terraform opens the resource in every plan and apply that needs it.\n\n" +
			"**Reading back a secret written in the same configuration:** set `revision = secretstore_secret.<name>.revision`. " +
			"Terraform opens an ephemeral resource during plan as soon as its arguments are known, so with `namespace` and " +
			"`name` alone the first plan reads a secret that does not exist yet and fails with `not_found`. The revision is " +
			"unknown until the write, so Terraform opens the resource only after it, on the first apply and on every apply " +
			"that writes a new value; the reference also pins the read to the revision that was written.\n\n" +
			"When the provider sets `audit_reads`, every open appends a `read` event to the audit log.",
		Attributes: eph,
	}
}

func (e *secretEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	e.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (e *secretEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m secretReadModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !ephemeralReady(e.data, req, resp) {
		return
	}
	s, diags := readSecret(ctx, e.data, m)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.fill(s)
	clear(s.Value)
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}
