package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
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
		Attributes: ephemeralAttributes(secretReadAttributes("The decrypted value (sensitive, ephemeral).")),
	}
}

// ephemeralAttributes builds ephemeral resource schema attributes.
func ephemeralAttributes(attrs map[string]secretReadAttribute) map[string]schema.Attribute {
	out := make(map[string]schema.Attribute, len(attrs))
	for name, a := range attrs {
		switch a.kind {
		case kindString:
			out[name] = schema.StringAttribute{MarkdownDescription: a.description, Required: a.required,
				Optional: a.optional, Computed: a.computed, Sensitive: a.sensitive, Validators: a.stringValidators}
		case kindInt64:
			out[name] = schema.Int64Attribute{MarkdownDescription: a.description, Required: a.required,
				Optional: a.optional, Computed: a.computed, Sensitive: a.sensitive, Validators: a.int64Validators}
		case kindStringMap:
			out[name] = schema.MapAttribute{ElementType: types.StringType, MarkdownDescription: a.description,
				Required: a.required, Optional: a.optional, Computed: a.computed, Sensitive: a.sensitive}
		}
	}
	return out
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
