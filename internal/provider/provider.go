// Package provider adapts the secret store in internal/backend to the
// Terraform plugin framework: schemas, models, plan logic and diagnostics.
package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

var _ provider.Provider = (*secretstoreProvider)(nil)

type secretstoreProvider struct {
	version string
}

// New returns a constructor for the provider at the given release version.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &secretstoreProvider{version: version} }
}

func (p *secretstoreProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "secretstore"
	resp.Version = p.version
}

func (p *secretstoreProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{}
}

func (p *secretstoreProvider) Configure(_ context.Context, _ provider.ConfigureRequest, _ *provider.ConfigureResponse) {
}

func (p *secretstoreProvider) Resources(_ context.Context) []func() resource.Resource { return nil }

func (p *secretstoreProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return nil
}
