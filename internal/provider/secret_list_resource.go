// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

var (
	_ list.ListResource              = (*secretListResource)(nil)
	_ list.ListResourceWithConfigure = (*secretListResource)(nil)
)

func newSecretListResource() list.ListResource { return &secretListResource{} }

// secretListResource lists the secrets of one namespace for `terraform
// query` (Terraform 1.14 and later), so that secrets written elsewhere
// (the CLI, another configuration) can be found and imported.
type secretListResource struct {
	data *providerData
}

type secretListModel struct {
	Namespace  types.String `tfsdk:"namespace"`
	NamePrefix types.String `tfsdk:"name_prefix"`
}

func (r *secretListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_secret"
}

func (r *secretListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the secrets of one namespace (Terraform 1.14 and later, `terraform query`), sorted by " +
			"name, so that secrets written outside this configuration can be imported. Each result carries the " +
			"secret's identity (`namespace`, `name`) and is displayed as `<namespace>/<name>`. With " +
			"`include_resource = true` it also carries the resource as an import would record it, never the value: " +
			"`value` and `value_wo` are null, and nothing is decrypted. Deleted secrets are not listed. The " +
			"provider's `allowed_namespaces` applies.\n\n" +
			"`terraform query -generate-config-out=FILE` writes an `import` block and a `secretstore_secret` block " +
			"per result. Add the value to each (`value_wo` with `value_wo_version`, or `value`): applying then " +
			"imports the secret and writes that value as a new revision; nothing else differs.",
		Attributes: map[string]schema.Attribute{
			"namespace": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Namespace to list, for example `openai:production`.",
				Validators:          []validator.String{namespaceValidator},
			},
			"name_prefix": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Only list secrets whose name starts with this prefix.",
			},
		},
	}
}

func (r *secretListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// List streams the namespace's secrets page by page, up to req.Limit when
// Terraform sets one. Damaged secrets are left out with a warning.
func (r *secretListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var m secretListModel
	var diags diag.Diagnostics
	diags.Append(req.Config.Get(ctx, &m)...)
	if !diags.HasError() && requireProviderData(r.data, &diags) {
		r.data.namespaceAllowed(m.Namespace, &diags)
	}
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	namespace := m.Namespace.ValueString()
	stream.Results = func(push func(list.ListResult) bool) {
		in := backend.ListInput{Namespace: namespace, NamePrefix: m.NamePrefix.ValueString()}
		var pushed int64
		for {
			page, err := r.data.Store.List(ctx, in)
			var warnings diag.Diagnostics
			if err = warnDamaged(err, fmt.Sprintf("the listing of namespace %q", namespace), &warnings); err != nil {
				push(list.ListResult{Diagnostics: diag.Diagnostics{diagListFailed(namespace, err)}})
				return
			}
			if len(warnings) > 0 && !push(list.ListResult{Diagnostics: warnings}) {
				return
			}
			for _, s := range page.Secrets {
				if req.Limit > 0 && pushed >= req.Limit {
					return
				}
				if !push(r.result(ctx, req, s)) {
					return
				}
				pushed++
			}
			if page.NextPageToken == "" {
				return
			}
			in.PageToken = page.NextPageToken
		}
	}
}

// result is the list result of one listed secret.
func (r *secretListResource) result(ctx context.Context, req list.ListRequest, s backend.Secret) list.ListResult {
	res := req.NewListResult(ctx)
	res.DisplayName = secretID(s.Namespace, s.Name)
	res.Diagnostics.Append(res.Identity.Set(ctx, secretIdentityModel{
		Namespace: types.StringValue(s.Namespace),
		Name:      types.StringValue(s.Name),
	})...)
	if req.IncludeResource {
		m := importedSecretModel(s)
		res.Diagnostics.Append(res.Resource.Set(ctx, &m)...)
	}
	return res
}

// importedSecretModel is the state that importing a listed secret records
// (ImportState, then Read of an imported secret): the stored attributes,
// the stored expiry as expires_at, and no value.
func importedSecretModel(s backend.Secret) secretModel {
	m := secretModel{
		Value:          types.StringNull(),
		ValueWO:        types.StringNull(),
		ValueWOVersion: types.Int64Null(),
		Metadata:       types.MapNull(types.StringType),
		ExpiresAt:      types.StringNull(),
		TTL:            types.StringNull(),
	}
	m.fill(s)
	m.refreshExpiresAt(s.ExpiresAt, true)
	return m
}
