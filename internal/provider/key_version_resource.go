// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
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
	_ resource.ResourceWithModifyPlan  = (*keyVersionResource)(nil)
)

func newKeyVersionResource() resource.Resource {
	return keyVersionIdentityResource{&keyVersionResource{}}
}

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
	// Rotation: see ModifyPlan.
	Rewrap         types.Bool  `tfsdk:"rewrap"`
	PendingRewrap  types.Int64 `tfsdk:"pending_rewrap"`
	RootKeyCurrent types.Bool  `tfsdk:"root_key_current"`
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
			"wrapped under it (`secrets > 0`): rotate them to a newer version first.\n\n" +
			"Rotation is plan/apply. On the primary version, refresh counts the secrets whose current revision is " +
			"wrapped under an older version (`pending_rewrap`); with `rewrap = true` the plan then shows " +
			"`pending_rewrap` going to `0` as an in-place update, and apply rewraps those secrets' data keys under " +
			"this version (value ciphertext is not rewritten; each secret gets a `rotated` audit event). Likewise, " +
			"after a root-key change a version still wrapped under a key from `previous_root_keys` shows " +
			"`root_key_current` going from `false` to `true`, and apply rewraps its material under the current root key.",
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
				MarkdownDescription: "Write-only (Terraform 1.11 and later): bring an existing 32-byte key, given as " +
					"standard base64. Used only when the version is created; when omitted, fresh material is generated " +
					"from a cryptographic random source. Never stored in state or plan.",
				Validators: []validator.String{keyMaterialValidator},
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
			"rewrap": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(true),
				MarkdownDescription: "Whether plans of this version, while it is primary, rewrap the secrets counted in " +
					"`pending_rewrap`. Default `true`. Set `false` to add a version without rotating yet: new writes " +
					"use it and `pending_rewrap` still reports the work, but no plan schedules it.",
			},
			"pending_rewrap": schema.Int64Attribute{
				Computed: true,
				MarkdownDescription: "While this version is primary: the number of secrets whose current revision is " +
					"wrapped under an older version, as counted at the last refresh (listings only, nothing is " +
					"decrypted). `0` on versions that are not primary.",
			},
			"root_key_current": schema.BoolAttribute{
				Computed: true,
				MarkdownDescription: "Whether this version's material is wrapped under the provider's current " +
					"`root_key`. `false` while it is still wrapped under a key listed in `previous_root_keys`; the " +
					"plan then shows it going to `true`, and apply rewraps the material under the current root key. " +
					"Once every version shows `true`, the previous root key can be removed from the configuration.",
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
		m, d := decodeKeyMaterial(path.Root("key_material_wo"), config.KeyMaterialWO.ValueString())
		if d != nil {
			resp.Diagnostics.Append(d)
			return
		}
		material = m
	}
	kv, err := r.data.Store.CreateKeyVersion(ctx, version, material)
	if errors.Is(err, backend.ErrKeyVersionExists) {
		kv, err = r.reactivate(ctx, version, material, &resp.Diagnostics)
	}
	clear(material)
	if err != nil {
		if !errors.Is(err, errReported) {
			resp.Diagnostics.Append(diagStoreError(fmt.Sprintf("creating key version %d", version), err, targetKeyVersion))
		}
		return
	}
	tflog.Info(ctx, "created key version", map[string]any{"version": kv.Version, "check_value": kv.CheckValue})
	plan.fill(kv)
	if err := r.measurePending(ctx, &plan, kv, &resp.Diagnostics); err != nil {
		resp.Diagnostics.Append(diagStoreError(fmt.Sprintf("counting secrets to rewrap under key version %d", version), err, targetKeyVersion))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *keyVersionResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state keyVersionModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || r.data == nil {
		return // provider configuration unknown: keep state as recorded
	}
	version := int(state.Version.ValueInt64())
	kv, kvs, found, err := r.lookup(ctx, version, &resp.Diagnostics)
	if err != nil {
		resp.Diagnostics.Append(diagStoreError(fmt.Sprintf("reading key version %d", version), err, targetKeyVersion))
		return
	}
	if !found {
		if !r.data.storeExists(ctx, fmt.Sprintf("the state holds key version %d", version), &resp.Diagnostics) {
			return
		}
		tflog.Warn(ctx, "key version not found or retired; removing from state", map[string]any{"version": version})
		resp.State.RemoveResource(ctx)
		return
	}
	state.fill(kv)
	if state.Rewrap.IsNull() {
		state.Rewrap = types.BoolValue(true) // imported: the schema default
	}
	state.PendingRewrap = types.Int64Value(pendingRewrap(kv, kvs))
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// ModifyPlan turns pending work found by refresh into an in-place update:
// pending_rewrap N -> 0 on the primary version when rewrap is true, and
// root_key_current false -> true. It decides from prior state and
// configuration only, so applying a saved plan plans the same update.
func (r *keyVersionResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if !req.State.Raw.IsNull() && r.data != nil {
		// A key version in state in a store that does not exist: see
		// storeExists (also with -refresh=false).
		var v types.Int64
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("version"), &v)...)
		if resp.Diagnostics.HasError() ||
			!r.data.storeExists(ctx, fmt.Sprintf("the state holds key version %d", v.ValueInt64()), &resp.Diagnostics) {
			return
		}
	}
	if req.Plan.Raw.IsNull() {
		r.planDestroy(ctx, req, resp)
		return
	}
	if req.State.Raw.IsNull() {
		// New material is always wrapped under the current root key.
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("root_key_current"), true)...)
		return
	}
	var plan, state keyVersionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !plan.Version.Equal(state.Version) {
		return // replacement: planned as a create
	}
	pending := state.PendingRewrap
	if rotationPlanned(plan, state) {
		pending = types.Int64Value(0)
	}
	rootKeyCurrent := state.RootKeyCurrent
	if rootKeyRewrapPlanned(state) {
		rootKeyCurrent = types.BoolValue(true)
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("pending_rewrap"), pending)...)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("root_key_current"), rootKeyCurrent)...)
	if rotationPlanned(plan, state) || rootKeyRewrapPlanned(state) {
		// Known only after the apply: the rotation moves secrets to the
		// primary, and other resources of the same apply may add versions.
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("secrets"), types.Int64Unknown())...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("primary"), types.BoolUnknown())...)
	}
}

// rotationPlanned reports whether the plan rewraps the secrets that refresh
// found under older versions.
func rotationPlanned(plan, state keyVersionModel) bool {
	return plan.Rewrap.ValueBool() && state.Primary.ValueBool() && state.PendingRewrap.ValueInt64() > 0
}

// rootKeyRewrapPlanned reports whether the plan rewraps the version's
// material under the current root key.
func rootKeyRewrapPlanned(state keyVersionModel) bool {
	return !state.RootKeyCurrent.IsNull() && !state.RootKeyCurrent.IsUnknown() && !state.RootKeyCurrent.ValueBool()
}

// Update performs what ModifyPlan scheduled: the root-key rewrap of this
// version's material, then the rotation of pending secrets. Version forces
// replacement and key material is used only on create, so nothing else
// changes in the store.
func (r *keyVersionResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state keyVersionModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !requireProviderData(r.data, &resp.Diagnostics) {
		return
	}
	version := int(plan.Version.ValueInt64())
	if rootKeyRewrapPlanned(state) {
		if err := r.data.Store.RewrapKeyVersion(ctx, version); err != nil {
			resp.Diagnostics.Append(diagRootKeyRewrapFailed(version, err))
			return
		}
		tflog.Info(ctx, "rewrapped key version under the current root key", map[string]any{"version": version})
	}
	if rotationPlanned(plan, state) {
		if !r.rotate(ctx, version, state.PendingRewrap.ValueInt64(), &resp.Diagnostics) {
			return
		}
	}
	kv, kvs, found, err := r.lookup(ctx, version, &resp.Diagnostics)
	if err != nil {
		resp.Diagnostics.Append(diagStoreError(fmt.Sprintf("reading key version %d", version), err, targetKeyVersion))
		return
	}
	if !found {
		resp.Diagnostics.Append(diagKeyVersionGone(version))
		return
	}
	plan.fill(kv)
	if plan.PendingRewrap.IsUnknown() {
		plan.PendingRewrap = types.Int64Value(pendingRewrap(kv, kvs))
	}
	// A planned pending_rewrap stays as planned: a secret written under an
	// older version during this apply is counted by the next refresh.
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// rotate rewraps every current revision not under the primary version,
// logging progress (counts only) at INFO. It reports false after adding a
// diagnostic when the rotation did not finish.
func (r *keyVersionResource) rotate(ctx context.Context, version int, pending int64, diags *diag.Diagnostics) bool {
	res, err := rotateWithProgress(ctx, r.data.Store, backend.RotateInput{}, pending, func(step rotationStep, p backend.RotateResult) {
		switch step {
		case rotationStarted:
			tflog.Info(ctx, "rotation: rewrapping data keys", map[string]any{"primary": version, "pending": pending})
		case rotationProgressed:
			tflog.Info(ctx, "rotation: progress", map[string]any{
				"primary": version, "rotated": p.Rotated, "pending": pending, "processed": p.Processed,
			})
		case rotationFinished:
			tflog.Info(ctx, "rotation: done", map[string]any{
				"primary": version, "rotated": p.Rotated, "skipped": p.Skipped, "processed": p.Processed,
			})
		}
	})
	if err != nil {
		diags.Append(diagRotateFailed(version, res.Rotated, err))
		return false
	}
	return true
}

// pendingRewrap is pending_rewrap from one keyring listing (whose counts
// come from one listing of the secrets): on the primary version, the
// secrets whose current revision is under another version; 0 otherwise.
func pendingRewrap(kv backend.KeyVersion, kvs []backend.KeyVersion) int64 {
	if !kv.Primary {
		return 0
	}
	var n int64
	for _, other := range kvs {
		if other.Version != kv.Version {
			n += int64(other.Secrets)
		}
	}
	return n
}

// measurePending sets pending_rewrap after a create, whose keyring entry
// carries no counts: on the primary version, the secrets whose current
// revision is under an older version; 0 otherwise.
//
// Damaged secrets left out of the count are a warning in diags.
func (r *keyVersionResource) measurePending(ctx context.Context, m *keyVersionModel, kv backend.KeyVersion, diags *diag.Diagnostics) error {
	if !kv.Primary {
		m.PendingRewrap = types.Int64Value(0)
		return nil
	}
	p, err := r.data.Store.PlanRotate(ctx, backend.RotateInput{})
	if err = warnDamaged(err, "the count of secrets to rewrap", diags); err != nil {
		return err
	}
	if p.Primary != kv.Version {
		p.Pending = 0 // another version became primary meanwhile
	}
	m.PendingRewrap = types.Int64Value(int64(p.Pending))
	return nil
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
		if kv, _, found, lerr := r.lookup(ctx, version, nil); lerr == nil && found {
			count = kv.Secrets
		}
		resp.Diagnostics.Append(diagKeyVersionInUse(version, count, err))
	default:
		resp.Diagnostics.Append(diagStoreError(fmt.Sprintf("retiring key version %d", version), err, targetKeyVersion))
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

// lookup returns the version and the whole keyring it was found in; found
// is false when the version does not exist or is retired. Damaged secrets
// left out of the counts are a warning in diags (ignored when nil).
func (r *keyVersionResource) lookup(ctx context.Context, version int, diags *diag.Diagnostics) (backend.KeyVersion, []backend.KeyVersion, bool, error) {
	if diags == nil {
		diags = &diag.Diagnostics{}
	}
	kvs, err := r.data.Store.KeyVersions(ctx)
	if err = warnDamaged(err, "the secret counts of key versions", diags); err != nil {
		return backend.KeyVersion{}, nil, false, err
	}
	for _, kv := range kvs {
		if kv.Version == version {
			return kv, kvs, !kv.Retired, nil
		}
	}
	return backend.KeyVersion{}, kvs, false, nil
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
	m.RootKeyCurrent = types.BoolValue(kv.RootKeyCurrent)
}

// decodeKeyMaterial decodes key material given at p: standard base64 of
// exactly 32 bytes. On failure it returns a diagnostic that never includes
// the input.
func decodeKeyMaterial(p path.Path, s string) ([]byte, diag.Diagnostic) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, diagInvalidKeyMaterial(p, -1)
	}
	if len(raw) != backend.KeySize {
		n := len(raw)
		clear(raw)
		return nil, diagInvalidKeyMaterial(p, n)
	}
	return raw, nil
}
