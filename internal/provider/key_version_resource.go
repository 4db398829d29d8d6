package provider

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

var (
	_ resource.ResourceWithConfigure   = (*keyVersionResource)(nil)
	_ resource.ResourceWithImportState = (*keyVersionResource)(nil)
)

func newKeyVersionResource() resource.Resource { return &keyVersionResource{} }

// keyVersionResource manages one key-encryption key of the store's keyring.
type keyVersionResource struct {
	data *providerData
}

type keyVersionModel struct {
	ID            types.String `tfsdk:"id"`
	Version       types.Int64  `tfsdk:"version"`
	KeyMaterialWO types.String `tfsdk:"key_material_wo"`
	Primary       types.Bool   `tfsdk:"primary"`
	CheckValue    types.String `tfsdk:"check_value"`
	CreatedAt     types.String `tfsdk:"created_at"`
	Secrets       types.Int64  `tfsdk:"secrets"`
}

func (r *keyVersionResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_key_version"
}

func (r *keyVersionResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A key version: a 256-bit key-encryption key in the store's keyring, stored wrapped " +
			"under the provider's root key. The newest version that is not retired is the primary: new data keys " +
			"are wrapped under it. Key material never appears in state, plan or logs.\n\n" +
			"Destroying a key version retires it, and is refused while current revisions of secrets are still " +
			"wrapped under it (`secrets > 0`): rotate them to a newer version first.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The version number as a string.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"version": schema.Int64Attribute{
				Required:            true,
				MarkdownDescription: "Version number, 1 or greater. Numbers are never reused. Changing it creates a new key version.",
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.RequiresReplace()},
			},
			"key_material_wo": schema.StringAttribute{
				Optional:  true,
				WriteOnly: true,
				Sensitive: true,
				MarkdownDescription: "Write-only (Terraform 1.11 and later): existing key material to import, as standard " +
					"base64 of exactly 32 bytes (for example a key used with the original Convex component). Used only " +
					"when the version is created; when omitted, fresh material is generated from a cryptographic random " +
					"source. Never stored in state or plan.",
				Validators: []validator.String{keyMaterialValidator{}},
			},
			"primary": schema.BoolAttribute{
				Computed:            true,
				MarkdownDescription: "Whether this is the primary version, under which new data keys are wrapped.",
			},
			"check_value": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "Key check value (truncated HMAC-SHA256 of a fixed label under the key, hex): " +
					"identifies the key material without revealing it, so the same key can be recognised in another store.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"created_at": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Creation time (RFC 3339, UTC).",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"secrets": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Number of secrets whose current revision is wrapped under this version.",
			},
		},
	}
}

func (r *keyVersionResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if pd := providerDataFrom(req.ProviderData, &resp.Diagnostics); pd != nil {
		r.data = pd
	}
}

func (r *keyVersionResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, config keyVersionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() || !requireProviderData(r.data, &resp.Diagnostics) {
		return
	}
	version := int(plan.Version.ValueInt64())
	var material []byte
	if !config.KeyMaterialWO.IsNull() && !config.KeyMaterialWO.IsUnknown() {
		m, err := decodeKeyMaterial(config.KeyMaterialWO.ValueString())
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("key_material_wo"), "Invalid key material", err.Error())
			return
		}
		material = m
	}
	kv, err := r.data.Store.CreateKeyVersion(ctx, version, material)
	clear(material)
	if err != nil {
		if errors.Is(err, backend.ErrKeyVersionExists) {
			resp.Diagnostics.Append(diagKeyVersionExists(version, err))
			return
		}
		resp.Diagnostics.Append(diagStoreError(fmt.Sprintf("creating key version %d", version), err,
			map[string]path.Path{"version": path.Root("version"), "material": path.Root("key_material_wo")}))
		return
	}
	tflog.Info(ctx, "created key version", map[string]any{"version": kv.Version, "check_value": kv.CheckValue})
	plan.fill(kv)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *keyVersionResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state keyVersionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || r.data == nil {
		return // provider configuration unknown: keep state as recorded
	}
	version := int(state.Version.ValueInt64())
	kv, found, err := r.lookup(ctx, version)
	if err != nil {
		resp.Diagnostics.Append(diagStoreError(fmt.Sprintf("reading key version %d", version), err, nil))
		return
	}
	if !found {
		tflog.Warn(ctx, "key version not found or retired; removing from state", map[string]any{"version": version})
		resp.State.RemoveResource(ctx)
		return
	}
	state.fill(kv)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update has nothing to change in the store (version forces replacement and
// key material is used only on create); it refreshes the computed results.
func (r *keyVersionResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan keyVersionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !requireProviderData(r.data, &resp.Diagnostics) {
		return
	}
	version := int(plan.Version.ValueInt64())
	kv, found, err := r.lookup(ctx, version)
	if err != nil {
		resp.Diagnostics.Append(diagStoreError(fmt.Sprintf("reading key version %d", version), err, nil))
		return
	}
	if !found {
		resp.Diagnostics.AddError("Key version not found",
			fmt.Sprintf("Key version %d is no longer in the store's keyring. Run terraform plan again to re-create it.", version))
		return
	}
	plan.fill(kv)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *keyVersionResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state keyVersionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !requireProviderData(r.data, &resp.Diagnostics) {
		return
	}
	version := int(state.Version.ValueInt64())
	err := r.data.Store.RetireKeyVersion(ctx, version)
	switch {
	case err == nil:
		tflog.Info(ctx, "retired key version", map[string]any{"version": version})
	case errors.Is(err, backend.ErrNotFound):
		// Already gone: nothing to retire.
	case errors.Is(err, backend.ErrKeyVersionInUse):
		count := -1
		if kv, found, lerr := r.lookup(ctx, version); lerr == nil && found {
			count = kv.Secrets
		}
		resp.Diagnostics.Append(diagKeyVersionInUse(version, count, err))
	default:
		resp.Diagnostics.Append(diagStoreError(fmt.Sprintf("retiring key version %d", version), err, nil))
	}
}

// ImportState accepts the version number.
func (r *keyVersionResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	v, err := strconv.ParseInt(strings.TrimSpace(req.ID), 10, 64)
	if err != nil || v < 1 {
		resp.Diagnostics.Append(diagInvalidImportID(req.ID, "a key version number such as 1"))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("version"), v)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), strconv.FormatInt(v, 10))...)
}

// lookup returns the version from the keyring; found is false when it does
// not exist or is retired.
func (r *keyVersionResource) lookup(ctx context.Context, version int) (backend.KeyVersion, bool, error) {
	kvs, err := r.data.Store.KeyVersions(ctx)
	if err != nil {
		return backend.KeyVersion{}, false, err
	}
	for _, kv := range kvs {
		if kv.Version == version {
			return kv, !kv.Retired, nil
		}
	}
	return backend.KeyVersion{}, false, nil
}

// fill sets the computed results from the keyring entry.
func (m *keyVersionModel) fill(kv backend.KeyVersion) {
	m.ID = types.StringValue(strconv.Itoa(kv.Version))
	m.Version = types.Int64Value(int64(kv.Version))
	m.KeyMaterialWO = types.StringNull()
	m.Primary = types.BoolValue(kv.Primary)
	m.CheckValue = types.StringValue(kv.CheckValue)
	m.CreatedAt = timeString(kv.CreatedAt)
	m.Secrets = types.Int64Value(int64(kv.Secrets))
}

// decodeKeyMaterial decodes base64 key material of exactly 32 bytes. The
// error never includes the input.
func decodeKeyMaterial(s string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("key_material_wo is not valid standard base64. Encode exactly 32 bytes, for example the output of `openssl rand -base64 32`")
	}
	if len(raw) != 32 {
		n := len(raw)
		clear(raw)
		return nil, fmt.Errorf("key_material_wo decodes to %d bytes; key material must be exactly 32 bytes (256 bits)", n)
	}
	return raw, nil
}

// keyMaterialValidator checks key_material_wo during validate and plan.
type keyMaterialValidator struct{}

func (keyMaterialValidator) Description(context.Context) string {
	return "must be standard base64 of exactly 32 bytes"
}

func (v keyMaterialValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (keyMaterialValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	raw, err := decodeKeyMaterial(req.ConfigValue.ValueString())
	clear(raw)
	if err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid key material", err.Error()+".")
	}
}
