// SPDX-License-Identifier: MPL-2.0

// Package provider adapts the secret store in internal/backend to the
// Terraform plugin framework: schemas, models, plan logic and diagnostics.
package provider

import (
	"context"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

var (
	_ provider.Provider                       = (*secretstoreProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*secretstoreProvider)(nil)
	_ provider.ProviderWithActions            = (*secretstoreProvider)(nil)
	_ provider.ProviderWithListResources      = (*secretstoreProvider)(nil)
)

type secretstoreProvider struct {
	version string
	now     func() time.Time
	env     environment
	// wrapStore, when set, wraps the opened store (tests count or fail
	// store calls through it).
	wrapStore func(backend.StoreAPI) backend.StoreAPI
}

// New returns a constructor for the provider at the given release version.
func New(version string) func() provider.Provider {
	return NewTestProvider(version, nil)
}

// NewTestProvider is New with an injected clock; nil now means time.Now.
// Tests use it to control expiry and retention without sleeping.
func NewTestProvider(version string, now func() time.Time) func() provider.Provider {
	if now == nil {
		now = time.Now
	}
	return func() provider.Provider {
		return &secretstoreProvider{version: version, now: now, env: osEnvironment()}
	}
}

func (p *secretstoreProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "secretstore"
	resp.Version = p.version
}

func (p *secretstoreProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Encrypted secrets kept in a blob bucket (local directory, S3, GCS or Azure Blob). " +
			"Values are encrypted on the machine that runs Terraform under a three-tier key hierarchy " +
			"(root key, key versions, per-value data keys); only ciphertext reaches the bucket.",
		Attributes: map[string]schema.Attribute{
			"url": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "gocloud.dev bucket URL of the store: `file:///abs/dir`, `mem://`, `s3://bucket?region=...`, " +
					"`gs://bucket` or `azblob://container`. Environment: `SECRETSTORE_URL`. Default: a `.secretstore` " +
					"directory in Terraform's working directory (refused in Terraform Cloud runs, whose working directory " +
					"is discarded). A plan never creates the store, nor its directory: the first apply that writes does.",
			},
			"root_key": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "Root key that wraps the store's key versions: a gocloud.dev secrets keeper URL " +
					"(" + keeperSchemeList() + ") or a bare base64 " +
					"32-byte key (`openssl rand -base64 32`). Environment: `SECRETSTORE_ROOT_KEY` (preferred: keep keys " +
					"out of configuration). Required.",
			},
			"previous_root_keys": schema.ListAttribute{
				ElementType: types.StringType,
				Optional:    true,
				Sensitive:   true,
				MarkdownDescription: "Root keys used before `root_key`, in the same forms. Key versions still wrapped " +
					"under one of them stay readable until they are rewrapped under `root_key`; once every key version " +
					"is, the copies wrapped under a previous root key are deleted from the bucket (bucket versioning " +
					"and backups keep them: see the rotation guide). Environment: " +
					"`SECRETSTORE_PREVIOUS_ROOT_KEYS` (comma-separated).",
			},
			"actor": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Who audit events name. Environment: `SECRETSTORE_ACTOR`. Default: the Terraform " +
					"Cloud workspace and run (`TFC_WORKSPACE_SLUG`/`TFC_WORKSPACE_NAME`, `TFC_RUN_ID`) when present, " +
					"else `user@host`. At most 256 bytes of UTF-8 without control characters (line breaks, terminal escapes).",
			},
			"allowed_namespaces": schema.ListAttribute{
				ElementType: types.StringType,
				Optional:    true,
				MarkdownDescription: "Glob patterns (`*`, `?`, `[a-z]`, as Go's `path.Match`) such as `*:production`. " +
					"A secret or read whose namespace matches none of them fails during plan. Unset allows every " +
					"namespace. Environment: `SECRETSTORE_ALLOWED_NAMESPACES` (comma-separated).",
			},
			"default_ttl": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Duration such as `720h` applied to new secrets that set neither `expires_at` nor " +
					"`ttl`. Environment: `SECRETSTORE_DEFAULT_TTL`. Default: no expiry.",
			},
			"audit_reads": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "When true, every data-source read and ephemeral open of a secret appends a " +
					"`read` audit event. Off by default because plans read often. Environment: `SECRETSTORE_AUDIT_READS`.",
			},
		},
	}
}

// keeperSchemeList renders the keeper URL schemes the store accepts for a
// root key (backend.KeeperSchemes) as `a://`, `b://`, ...
func keeperSchemeList() string {
	schemes := backend.KeeperSchemes()
	for i, s := range schemes {
		schemes[i] = "`" + s + "://`"
	}
	return strings.Join(schemes, ", ")
}

// Configure resolves the configuration, opens the store and hands a
// *providerData to every object. While any attribute is unknown it returns
// without data, and objects skip store access during that plan.
func (p *secretstoreProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if m.unknown() {
		tflog.Debug(ctx, "provider configuration has unknown values; deferring store access")
		return
	}
	cfg := resolveConfig(ctx, m, p.env, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	tflog.Debug(ctx, "opening secret store", map[string]any{"url": backend.RedactURL(cfg.URL), "actor": cfg.Actor})
	store, err := backend.Open(ctx, backend.Options{
		BucketURL:        cfg.URL,
		RootKey:          cfg.RootKey,
		PreviousRootKeys: cfg.PreviousRootKeys,
		Actor:            cfg.Actor,
		Now:              p.now,
	})
	if err != nil {
		addOpenError(&resp.Diagnostics, backend.RedactURL(cfg.URL), err)
		return
	}
	var api backend.StoreAPI = store
	if p.wrapStore != nil {
		api = p.wrapStore(api)
	}
	data := &providerData{
		Store:      api,
		Namespaces: namespacePolicy{Patterns: cfg.AllowedNamespaces},
		DefaultTTL: cfg.DefaultTTL,
		AuditReads: cfg.AuditReads,
		Now:        p.now,
		StoreURL:   backend.RedactURL(cfg.URL),
	}
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.EphemeralResourceData = data
	resp.ActionData = data
	resp.ListResourceData = data
}

// Each Terraform object registers its constructor in one of the lists below.

func (p *secretstoreProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		newKeyVersionResource,
		newSecretResource,
		newCleanupResource,
	}
}

func (p *secretstoreProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		newSecretDataSource,
		newSecretsDataSource,
		newAuditEventsDataSource,
		newKeyVersionsDataSource,
	}
}

func (p *secretstoreProvider) EphemeralResources(_ context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		newSecretEphemeralResource,
	}
}

// Actions and list resources need Terraform 1.14 or later; older versions
// never ask for them.

func (p *secretstoreProvider) Actions(_ context.Context) []func() action.Action {
	return []func() action.Action{
		newRotateAction,
		newCleanupAction,
	}
}

func (p *secretstoreProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		newSecretListResource,
	}
}
