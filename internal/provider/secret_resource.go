// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/resourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

var (
	_ resource.ResourceWithConfigure        = (*secretResource)(nil)
	_ resource.ResourceWithImportState      = (*secretResource)(nil)
	_ resource.ResourceWithModifyPlan       = (*secretResource)(nil)
	_ resource.ResourceWithValidateConfig   = (*secretResource)(nil)
	_ resource.ResourceWithConfigValidators = (*secretResource)(nil)
)

func newSecretResource() resource.Resource { return secretIdentityResource{&secretResource{}} }

// secretResource manages one secret: each write is a new immutable
// revision in the store, and destroy writes a tombstone.
type secretResource struct {
	data *providerData
}

type secretModel struct {
	ID             types.String `tfsdk:"id"`
	Namespace      types.String `tfsdk:"namespace"`
	Name           types.String `tfsdk:"name"`
	Value          types.String `tfsdk:"value"`
	ValueWO        types.String `tfsdk:"value_wo"`
	ValueWOVersion types.Int64  `tfsdk:"value_wo_version"`
	Metadata       types.Map    `tfsdk:"metadata"`
	ExpiresAt      types.String `tfsdk:"expires_at"`
	EffectiveExpAt types.String `tfsdk:"effective_expires_at"`
	TTL            types.String `tfsdk:"ttl"`
	Revision       types.Int64  `tfsdk:"revision"`
	KeyVersion     types.Int64  `tfsdk:"key_version"`
	CreatedAt      types.String `tfsdk:"created_at"`
	UpdatedAt      types.String `tfsdk:"updated_at"`
	Expired        types.Bool   `tfsdk:"expired"`
	ValueID        types.String `tfsdk:"value_id"`
	MinKeyVersion  types.Int64  `tfsdk:"min_key_version"`
}

// Format prints the model without its value, whatever the verb.
func (m secretModel) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "{ID:%s Revision:%s Value:<redacted> ValueWO:<redacted>}", m.ID, m.Revision)
}

func (m secretModel) id() string { return secretID(m.Namespace.ValueString(), m.Name.ValueString()) }

func (r *secretResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_secret"
}

func (r *secretResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A secret in the store. The value is encrypted on this machine with a fresh data key " +
			"(AES-256-GCM) wrapped under the primary key version; only ciphertext reaches the bucket. Every write " +
			"is a new immutable revision, and destroy writes a tombstone (bytes are removed only by " +
			"`secretstore_cleanup`).\n\n" +
			"Set exactly one of `value` (kept in state, marked sensitive) or `value_wo` (write-only, Terraform 1.11 " +
			"and later: never in state or plan). With `value_wo` the provider never decrypts the secret to plan.\n\n" +
			"Set `min_key_version = secretstore_key_version.<name>.version` so that Terraform creates the key version " +
			"before the secret and destroys the secret before the key version.\n\n" +
			importDescription,
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`<namespace>/<name>`; also the import ID.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"namespace": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Namespace of the secret: 1 to 128 bytes of letters, digits, `-`, `_`, `.` and `:`, " +
					"for example `openai:production`. It must match the " +
					"provider's `allowed_namespaces` when that is set (checked during plan). Changing it replaces the secret.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{namespaceValidator},
			},
			"name": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Name of the secret within its namespace: 1 to 256 bytes of visible characters " +
					"without `/`, `\\` or spaces, for example `OPENAI_API_KEY`. Changing it replaces the secret.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{nameValidator},
			},
			"value": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "The secret value. Stored in Terraform state (sensitive): prefer `value_wo` on " +
					"Terraform 1.11 and later. A value changed outside this configuration shows as a planned update. " +
					"After an import, the first apply writes nothing when `value` equals the stored value (see Import).",
			},
			"value_wo": schema.StringAttribute{
				Optional:  true,
				WriteOnly: true,
				Sensitive: true,
				MarkdownDescription: "Write-only secret value (Terraform 1.11 and later): never stored in state or plan. " +
					"Requires `value_wo_version`; the value is written when the secret is created and whenever " +
					"`value_wo_version` changes.",
				Validators: []validator.String{
					stringvalidator.AlsoRequires(path.MatchRoot("value_wo_version")),
				},
			},
			"value_wo_version": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "Version of `value_wo`: change it (for example increment it) to write a new " +
					"`value_wo`. Terraform cannot see changes of a write-only value by itself.",
				Validators: []validator.Int64{
					int64validator.AlsoRequires(path.MatchRoot("value_wo")),
				},
			},
			"metadata": schema.MapAttribute{
				ElementType: types.StringType,
				Optional:    true,
				MarkdownDescription: "String labels stored with each revision **in clear** (not encrypted): shown in " +
					"listings, audit tooling and data sources. Never put secrets in metadata.",
			},
			"expires_at": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Absolute expiry (RFC 3339, for example `2030-01-01T00:00:00Z`). After it, reads " +
					"fail with `expired` and the resource shows `expired = true`. The latest accepted expiry is " +
					"`2262-04-11T23:47:16Z`; for a secret that never expires, leave `expires_at` and `ttl` unset. " +
					"Conflicts with `ttl`.",
				Validators: []validator.String{rfc3339Validator},
			},
			"ttl": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Expiry relative to each write, as a duration such as `720h`: every write of this " +
					"resource (new value, metadata or ttl) sets the expiry to the write time plus `ttl`. Conflicts " +
					"with `expires_at`. When neither is set, the provider's `default_ttl` applies to new secrets. The " +
					"expiry must end by `2262-04-11T23:47:16Z`, the latest the store can record.",
				Validators: []validator.String{durationValidator},
			},
			"effective_expires_at": effectiveExpiresAtAttribute(),
			"revision": schema.Int64Attribute{
				Computed: true,
				MarkdownDescription: "Current revision number in the store. A revision written elsewhere (another " +
					"configuration, a rotation) shows here on refresh.",
			},
			"key_version": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Key version the current revision's data key is wrapped under.",
			},
			"value_id": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "Identifier of the write of the current value: a key rotation or a metadata- or " +
					"expiry-only update keeps it, every new value gets a new one. Refresh compares it with the " +
					"store, so that a store which lost its newest revisions is caught even when a later write " +
					"reused the recorded revision number over an older value. It is a MAC of the value's " +
					"ciphertext under a key only the store's key versions give, and says nothing about the value.",
			},
			"created_at": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "Time of the secret's first revision (RFC 3339, UTC).",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"updated_at": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "Time of the last change to the value, metadata or expiry (RFC 3339, UTC). A key " +
					"rotation writes a new revision but keeps this time.",
			},
			"min_key_version": minKeyVersionAttribute(),
			"expired": schema.BoolAttribute{
				Computed: true,
				MarkdownDescription: "Whether the secret's expiry has passed. An expired secret stays in state, and " +
					"each plan warns until it is renewed or removed.",
			},
		},
	}
}

func (r *secretResource) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{
		resourcevalidator.ExactlyOneOf(path.MatchRoot("value"), path.MatchRoot("value_wo")),
		expiryConflictValidator{},
	}
}

func (r *secretResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if pd := providerDataFrom(req.ProviderData, &resp.Diagnostics); pd != nil {
		r.data = pd
	}
}

// ValidateConfig checks the namespace policy when the provider is already
// configured; ModifyPlan checks it again, since validation may run first.
func (r *secretResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	if r.data == nil {
		return
	}
	var ns types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("namespace"), &ns)...)
	r.data.namespaceAllowed(ns, &resp.Diagnostics)
}

// ModifyPlan plans the id of a new secret, fails the plan of an expiry
// the store cannot record, fails the plan for a namespace that
// allowed_namespaces forbids, fails the plan of a create whose secret
// another configuration already holds, and fails the plan of a secret in
// state when the store does not exist (also with -refresh=false).
func (r *secretResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if !req.State.Raw.IsNull() && r.data != nil {
		var sns, sname types.String
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("namespace"), &sns)...)
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("name"), &sname)...)
		if resp.Diagnostics.HasError() ||
			!r.data.storeExists(ctx, fmt.Sprintf("the state holds secret %q", secretID(sns.ValueString(), sname.ValueString())), &resp.Diagnostics) {
			return
		}
	}
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var ns, name types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("namespace"), &ns)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("name"), &name)...)
	if resp.Diagnostics.HasError() {
		return
	}
	create := req.State.Raw.IsNull()
	known := !ns.IsUnknown() && !name.IsUnknown()
	if create && known {
		id := secretID(ns.ValueString(), name.ValueString())
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("id"), id)...)
	}
	r.checkPlannedExpiry(ctx, req.Plan, create, &resp.Diagnostics)
	r.checkPastExpiry(ctx, req, &resp.Diagnostics)
	r.planMinKeyVersion(ctx, req, resp)
	if r.data == nil {
		return // provider configuration not known yet
	}
	if !r.data.namespaceAllowed(ns, &resp.Diagnostics) || !create || !known {
		return
	}
	// Head reads the record without decrypting the value. Apply refuses a
	// create over any current revision that is not a tombstone, expired
	// or not, so the plan refuses the same ones.
	id := secretID(ns.ValueString(), name.ValueString())
	_, err := r.data.Store.Head(ctx, ns.ValueString(), name.ValueString())
	switch {
	case errors.Is(err, backend.ErrNotFound):
	case err != nil:
		resp.Diagnostics.Append(diagStoreError(fmt.Sprintf("checking secret %q", id), err, targetSecret))
	default:
		resp.Diagnostics.Append(diagAlreadyExists(id, nil))
	}
}

// checkPlannedExpiry fails the plan of an expires_at, ttl or (for a create
// that sets neither) default_ttl that ends later than the store can record
// (backend.CheckExpiresAt, backend.CheckTTL). A ttl is counted from the
// provider clock's now, so it is checked once the provider is configured;
// apply checks it again against the write time.
func (r *secretResource) checkPlannedExpiry(ctx context.Context, plan tfsdk.Plan, create bool, diags *diag.Diagnostics) {
	var at, ttl types.String
	diags.Append(plan.GetAttribute(ctx, path.Root("expires_at"), &at)...)
	diags.Append(plan.GetAttribute(ctx, path.Root("ttl"), &ttl)...)
	if diags.HasError() || at.IsUnknown() || ttl.IsUnknown() {
		return
	}
	switch {
	case !at.IsNull():
		t, err := time.Parse(time.RFC3339, at.ValueString())
		if err != nil {
			return // reported by rfc3339Validator
		}
		if err := backend.CheckExpiresAt(t); err != nil {
			diags.Append(diagExpiryTooLate(at.ValueString(), err))
		}
	case r.data == nil:
	case !ttl.IsNull():
		d, err := parseTTL(ttl.ValueString())
		if err != nil {
			return // reported by durationValidator
		}
		if err := backend.CheckTTL(d, r.data.now()); err != nil {
			diags.Append(diagExpiryTooLate(ttl.ValueString(), err))
		}
	case create && r.data.DefaultTTL > 0:
		if err := backend.CheckTTL(r.data.DefaultTTL, r.data.now()); err != nil {
			diags.Append(diagDefaultTTLTooLate(r.data.DefaultTTL, err))
		}
	}
}

func (r *secretResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, config secretModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() || !requireProviderData(r.data, &resp.Diagnostics) {
		return
	}
	if !r.data.namespaceAllowed(plan.Namespace, &resp.Diagnostics) {
		return
	}
	value, writeOnly := newValue(plan, config, secretModel{}, true)
	if value == nil {
		resp.Diagnostics.Append(diagMissingValue())
		return
	}
	ctx = maskValue(ctx, value)
	in := backend.PutInput{
		Namespace:   plan.Namespace.ValueString(),
		Name:        plan.Name.ValueString(),
		Value:       value,
		SetMetadata: !plan.Metadata.IsNull(),
		Metadata:    stringMap(ctx, plan.Metadata, &resp.Diagnostics),
		IfRevision:  -1,
	}
	in.MinKeyVersion = minKeyVersion(plan)
	in.Expiry = r.expiry(plan, secretModel{}, true, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	s, d := r.write(ctx, in, secretTarget(writeOnly))
	clear(value)
	if d != nil {
		resp.Diagnostics.Append(d)
		return
	}
	tflog.Info(ctx, "created secret", map[string]any{"id": plan.id(), "revision": s.Revision, "key_version": s.KeyVersion})
	plan.fill(s)
	plan.ValueWO = types.StringNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *secretResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state secretModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || r.data == nil {
		return // provider configuration unknown: keep state as recorded
	}
	ns, name, id := state.Namespace.ValueString(), state.Name.ValueString(), state.id()
	imported := state.Revision.IsNull()
	// Only a secret managed with value is decrypted, so that a value changed
	// outside this configuration shows as a planned update. With value_wo,
	// and on import (which cannot tell which of the two the configuration
	// uses), Head reads the authenticated record without decrypting, so no
	// plaintext reaches state.
	wantValue := !state.Value.IsNull()

	var (
		s       backend.Secret
		err     error
		expired bool
	)
	if wantValue {
		s, err = r.data.Store.Get(ctx, ns, name, backend.GetOptions{})
		if errors.Is(err, backend.ErrExpired) {
			// s carries every field but the value; state keeps the
			// recorded value.
			expired, err = true, nil
		}
	} else {
		s, err = r.data.Store.Head(ctx, ns, name)
	}
	if errors.Is(err, backend.ErrNotFound) {
		// No store at all is a wrong URL far more often than a store
		// emptied outside Terraform: refuse to plan creating everything.
		if !r.data.storeExists(ctx, fmt.Sprintf("the state holds secret %q", id), &resp.Diagnostics) {
			return
		}
		tflog.Warn(ctx, "secret not found (deleted outside Terraform?); removing from state", map[string]any{"id": id})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.Append(diagSecretRead(ns, name, 0, time.Time{}, err))
		return
	}
	if !imported && s.Revision < state.Revision.ValueInt64() {
		resp.Diagnostics.Append(diagRolledBack(id, state.Revision.ValueInt64(), s.Revision))
		return
	}
	// The recorded revision number is current, but it may have been
	// written again over an older value after the store lost revisions.
	// A state written before value_id existed just records it.
	if !imported && s.Revision == state.Revision.ValueInt64() && !state.ValueID.IsNull() && !state.ValueID.IsUnknown() &&
		s.ValueID != state.ValueID.ValueString() {
		clear(s.Value)
		resp.Diagnostics.Append(diagRevisionReused(id, s.Revision))
		return
	}
	if wantValue && !expired {
		if !utf8.Valid(s.Value) {
			clear(s.Value)
			resp.Diagnostics.Append(diagNotText(id))
			return
		}
		state.Value = types.StringValue(string(s.Value))
		clear(s.Value)
	}
	state.fill(s)
	if s.State == backend.StateExpired {
		expired = true
	}
	state.Expired = types.BoolValue(expired)
	if expired {
		resp.Diagnostics.Append(diagSecretExpired(id, s.ExpiresAt))
	}
	state.refreshExpiresAt(s.ExpiresAt, imported)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *secretResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state, config secretModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() || !requireProviderData(r.data, &resp.Diagnostics) {
		return
	}
	if !r.data.namespaceAllowed(plan.Namespace, &resp.Diagnostics) {
		return
	}
	if onlyMinKeyVersionChanged(plan, state) {
		r.updateKeyVersion(ctx, plan, state, resp)
		return
	}
	value, writeOnly := newValue(plan, config, state, false)
	if writeOnly && value == nil && (state.ValueWOVersion.IsNull() || !plan.ValueWOVersion.Equal(state.ValueWOVersion)) {
		resp.Diagnostics.Append(diagMissingValueWO())
		return
	}
	ctx = maskValue(ctx, value)
	in := backend.PutInput{
		Namespace:  plan.Namespace.ValueString(),
		Name:       plan.Name.ValueString(),
		Value:      value,
		IfRevision: state.Revision.ValueInt64(),
	}
	in.MinKeyVersion = minKeyVersion(plan)
	if !plan.Metadata.Equal(state.Metadata) {
		in.SetMetadata = true
		in.Metadata = stringMap(ctx, plan.Metadata, &resp.Diagnostics)
	}
	in.Expiry = r.expiry(plan, state, false, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if importedState(state) {
		s, unchanged, d := r.settleImported(ctx, &in, state.Revision.ValueInt64())
		if d != nil {
			clear(value)
			resp.Diagnostics.Append(d)
			return
		}
		if unchanged {
			clear(value)
			tflog.Info(ctx, "imported secret matches the configuration: nothing written", map[string]any{"id": plan.id(), "revision": s.Revision})
			plan.fill(s)
			plan.ValueWO = types.StringNull()
			resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
			return
		}
	}
	s, d := r.write(ctx, in, secretTarget(writeOnly))
	clear(value)
	if d != nil {
		resp.Diagnostics.Append(d)
		return
	}
	tflog.Info(ctx, "updated secret", map[string]any{"id": plan.id(), "revision": s.Revision, "key_version": s.KeyVersion})
	plan.fill(s)
	plan.ValueWO = types.StringNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *secretResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state secretModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !requireProviderData(r.data, &resp.Diagnostics) {
		return
	}
	id := state.id()
	err := r.data.Store.Delete(ctx, backend.DeleteInput{
		Namespace:      state.Namespace.ValueString(),
		Name:           state.Name.ValueString(),
		IfRevision:     state.Revision.ValueInt64(),
		AllowRotations: true,
	})
	switch {
	case err == nil:
		tflog.Info(ctx, "deleted secret (tombstone written)", map[string]any{"id": id})
	case errors.Is(err, backend.ErrNotFound):
		// Already deleted outside Terraform.
	default:
		resp.Diagnostics.Append(diagWriteFailed(id, fmt.Sprintf("deleting secret %q", id), err, targetSecret))
	}
}

// write puts a new revision of a secret. A create (IfRevision < 0) is
// refused when the secret exists. An update (IfRevision > 0) is applied
// when the recorded revision is current or only key rotations, which
// change neither value, metadata nor expiry, were written since; it is
// refused when another run changed the secret or the store lost revisions.
// Failures come back as the diagnostic to report, on the attributes of t.
func (r *secretResource) write(ctx context.Context, in backend.PutInput, t errorTarget) (backend.Secret, diag.Diagnostic) {
	id := secretID(in.Namespace, in.Name)
	in.AllowRotations = in.IfRevision > 0
	s, err := r.data.Store.Put(ctx, in)
	var below *backend.MinKeyVersionError
	switch {
	case err == nil:
		return s, nil
	case errors.As(err, &below):
		return backend.Secret{}, diagMinKeyVersion(below)
	case in.IfRevision < 0 && errors.Is(err, backend.ErrConcurrentModification):
		return backend.Secret{}, diagAlreadyExists(id, err)
	case in.IfRevision < 0:
		return backend.Secret{}, diagStoreError(fmt.Sprintf("creating secret %q", id), err, t)
	default:
		return backend.Secret{}, diagWriteFailed(id, fmt.Sprintf("updating secret %q", id), err, t)
	}
}

// secretTarget is the error target of a secretstore_secret managed with
// value_wo (writeOnly) or value.
func secretTarget(writeOnly bool) errorTarget {
	if writeOnly {
		return targetSecretWO
	}
	return targetSecret
}

// ImportState accepts `<namespace>/<name>`. The namespace cannot contain a
// slash, so the first slash separates the two.
func (r *secretResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	ns, name, ok := strings.Cut(req.ID, "/")
	if !ok || ns == "" || name == "" {
		resp.Diagnostics.Append(diagInvalidImportID(req.ID, "<namespace>/<name>, for example openai:production/api-key"))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), secretID(ns, name))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("namespace"), ns)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), name)...)
}

// newValue returns the value to write (nil: keep the stored one) and
// whether the resource uses value_wo. On create, the value always comes
// from value or value_wo.
func newValue(plan, config, state secretModel, create bool) ([]byte, bool) {
	if !plan.Value.IsNull() && !plan.Value.IsUnknown() {
		if create || !plan.Value.Equal(state.Value) {
			return []byte(plan.Value.ValueString()), false
		}
		return nil, false
	}
	changed := create || !state.Value.IsNull() || !plan.ValueWOVersion.Equal(state.ValueWOVersion)
	if changed && !config.ValueWO.IsNull() && !config.ValueWO.IsUnknown() {
		return []byte(config.ValueWO.ValueString()), true
	}
	return nil, true
}

// expiry works out the expiry change of a write. expires_at wins; a ttl is
// re-applied on every write; removing both clears the expiry; a create
// with neither uses the provider's default_ttl.
func (r *secretResource) expiry(plan, state secretModel, create bool, diags *diag.Diagnostics) backend.Expiry {
	switch {
	case !plan.ExpiresAt.IsNull():
		t, err := time.Parse(time.RFC3339, plan.ExpiresAt.ValueString())
		if err != nil {
			diags.Append(diagInvalidTime(path.Root("expires_at"), plan.ExpiresAt.ValueString()))
			return backend.Expiry{}
		}
		if !create && plan.ExpiresAt.Equal(state.ExpiresAt) {
			return backend.Expiry{}
		}
		return backend.Expiry{Set: true, At: t}
	case !plan.TTL.IsNull():
		d, err := parseTTL(plan.TTL.ValueString())
		if err != nil {
			diags.Append(diagInvalidDuration(path.Root("ttl"), plan.TTL.ValueString(), err))
			return backend.Expiry{}
		}
		return backend.Expiry{Set: true, TTL: d}
	case create:
		if r.data.DefaultTTL > 0 {
			return backend.Expiry{Set: true, TTL: r.data.DefaultTTL}
		}
		return backend.Expiry{}
	case !state.ExpiresAt.IsNull() || !state.TTL.IsNull():
		return backend.Expiry{Set: true} // both removed: clear
	default:
		return backend.Expiry{}
	}
}

// fill sets the computed results from a stored revision.
func (m *secretModel) fill(s backend.Secret) {
	m.ID = types.StringValue(secretID(s.Namespace, s.Name))
	m.Namespace = types.StringValue(s.Namespace)
	m.Name = types.StringValue(s.Name)
	m.Revision = types.Int64Value(s.Revision)
	m.KeyVersion = types.Int64Value(int64(s.KeyVersion))
	m.ValueID = types.StringValue(s.ValueID)
	m.CreatedAt = timeString(s.CreatedAt)
	m.UpdatedAt = timeString(s.UpdatedAt)
	m.EffectiveExpAt = timeString(s.ExpiresAt)
	m.Expired = types.BoolValue(s.State == backend.StateExpired)
	if len(s.Metadata) == 0 {
		// An empty map in configuration stays empty rather than null.
		if m.Metadata.IsNull() || m.Metadata.IsUnknown() || len(m.Metadata.Elements()) > 0 {
			m.Metadata = types.MapNull(types.StringType)
		}
	} else {
		m.Metadata = metadataMap(s.Metadata)
	}
}

// refreshExpiresAt keeps a configured expires_at as written while it names
// the stored expiry, and otherwise shows the stored expiry (drift, import).
// A ttl-derived or default expiry is not shown in expires_at.
func (m *secretModel) refreshExpiresAt(stored time.Time, imported bool) {
	if imported {
		if !stored.IsZero() {
			m.ExpiresAt = types.StringValue(stored.UTC().Format(time.RFC3339))
		}
		return
	}
	if m.ExpiresAt.IsNull() {
		return
	}
	if t, err := time.Parse(time.RFC3339, m.ExpiresAt.ValueString()); err == nil && t.Equal(stored) {
		return
	}
	if stored.IsZero() {
		m.ExpiresAt = types.StringNull()
		return
	}
	m.ExpiresAt = types.StringValue(stored.UTC().Format(time.RFC3339))
}

// maskValue makes the provider logger replace the value wherever it
// appears, as a backstop: no code logs values on purpose.
func maskValue(ctx context.Context, value []byte) context.Context {
	if len(value) == 0 {
		return ctx
	}
	v := string(value)
	ctx = tflog.MaskMessageStrings(ctx, v)
	return tflog.MaskAllFieldValuesStrings(ctx, v)
}
