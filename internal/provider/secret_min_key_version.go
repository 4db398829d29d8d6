// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// minKeyVersionAttribute is min_key_version of secretstore_secret: the
// reference to a key version that gives Terraform the order of creates and
// destroys, and the lowest version the secret may stay wrapped under.
func minKeyVersionAttribute() schema.Int64Attribute {
	return schema.Int64Attribute{
		Optional: true,
		MarkdownDescription: "The lowest key version this secret's value may be encrypted under. Set it to " +
			"`secretstore_key_version.<name>.version` so that Terraform creates the key version before the secret " +
			"and destroys the secret before the key version (no `depends_on` needed). Values are always written " +
			"under the primary key version; when the current revision is under a version below `min_key_version` " +
			"(for example after pointing it at a newer key version), the plan shows an update and apply rewraps " +
			"the data key under the primary (the value is not rewritten; the audit event is `rotated`). Apply " +
			"fails, writing nothing, when the primary key version is below `min_key_version`.",
		Validators: []validator.Int64{int64validator.AtLeast(1)},
	}
}

// minKeyVersion is the minimum key version a write of m must use, or 0.
func minKeyVersion(m secretModel) int {
	if m.MinKeyVersion.IsNull() || m.MinKeyVersion.IsUnknown() {
		return 0
	}
	return int(m.MinKeyVersion.ValueInt64())
}

// planMinKeyVersion plans a rewrap of a secret whose current revision, as
// refreshed, is under a key version below min_key_version: key_version and
// revision become unknown, so Terraform plans an update.
func (r *secretResource) planMinKeyVersion(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() {
		return
	}
	var planned, current types.Int64
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("min_key_version"), &planned)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("key_version"), &current)...)
	if resp.Diagnostics.HasError() || planned.IsNull() || planned.IsUnknown() || current.IsNull() || current.IsUnknown() {
		return
	}
	if current.ValueInt64() >= planned.ValueInt64() {
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("key_version"), types.Int64Unknown())...)
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("revision"), types.Int64Unknown())...)
}

// onlyMinKeyVersionChanged reports whether an update changes nothing a
// write would store: value, value_wo_version, metadata and expiry are as
// recorded, so only min_key_version (or the refreshed key version) moved.
func onlyMinKeyVersionChanged(plan, state secretModel) bool {
	return plan.Value.Equal(state.Value) && plan.ValueWOVersion.Equal(state.ValueWOVersion) &&
		plan.Metadata.Equal(state.Metadata) && plan.ExpiresAt.Equal(state.ExpiresAt) && plan.TTL.Equal(state.TTL)
}

// updateKeyVersion performs an update that changes only min_key_version:
// a secret under a version below it is rewrapped under the primary (a
// rotation: same value, metadata and expiry); one already at or above it
// is left as it is, and nothing is written.
func (r *secretResource) updateKeyVersion(ctx context.Context, plan, state secretModel, resp *resource.UpdateResponse) {
	minKV := minKeyVersion(plan)
	plan.ValueWO = types.StringNull()
	if minKV == 0 || state.KeyVersion.ValueInt64() >= int64(minKV) {
		plan.Revision, plan.KeyVersion, plan.ValueID = state.Revision, state.KeyVersion, state.ValueID
		plan.CreatedAt, plan.UpdatedAt, plan.Expired = state.CreatedAt, state.UpdatedAt, state.Expired
		plan.EffectiveExpAt = state.EffectiveExpAt
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}
	id := plan.id()
	s, err := r.data.Store.RotateSecret(ctx, backend.RotateSecretInput{
		Namespace:      plan.Namespace.ValueString(),
		Name:           plan.Name.ValueString(),
		IfRevision:     state.Revision.ValueInt64(),
		AllowRotations: true,
		MinKeyVersion:  minKV,
	})
	var below *backend.MinKeyVersionError
	switch {
	case errors.As(err, &below):
		resp.Diagnostics.Append(diagMinKeyVersion(below))
		return
	case err != nil:
		resp.Diagnostics.Append(diagWriteFailed(id, fmt.Sprintf("rewrapping secret %q", id), err, targetSecret))
		return
	}
	tflog.Info(ctx, "rewrapped secret under the primary key version", map[string]any{
		"id": id, "revision": s.Revision, "key_version": s.KeyVersion, "previous_key_version": state.KeyVersion.ValueInt64(),
	})
	plan.fill(s)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// checkPastExpiry fails the plan of an expires_at that a write would set
// and that is already past, by the provider's clock less
// backend.ClockSkewMargin (so that a plan on a machine whose clock runs
// ahead does not refuse what the apply would accept). An expires_at that
// is not written (unchanged on an update) is left alone: a secret may
// expire while it is managed.
func (r *secretResource) checkPastExpiry(ctx context.Context, req resource.ModifyPlanRequest, diags *diag.Diagnostics) {
	if r.data == nil {
		return
	}
	var at, prior types.String
	diags.Append(req.Plan.GetAttribute(ctx, path.Root("expires_at"), &at)...)
	if !req.State.Raw.IsNull() {
		diags.Append(req.State.GetAttribute(ctx, path.Root("expires_at"), &prior)...)
	}
	if diags.HasError() || at.IsNull() || at.IsUnknown() || at.Equal(prior) {
		return
	}
	t, err := time.Parse(time.RFC3339, at.ValueString())
	if err != nil {
		return // reported by rfc3339Validator
	}
	if now := r.data.now(); !t.After(now.Add(-backend.ClockSkewMargin)) {
		diags.Append(diagExpiryInPast(at.ValueString(), now))
	}
}

// expiryConflictValidator refuses ttl together with expires_at, saying
// which to keep.
type expiryConflictValidator struct{}

var _ resource.ConfigValidator = expiryConflictValidator{}

func (expiryConflictValidator) Description(context.Context) string {
	return "ttl and expires_at are not set together"
}

func (v expiryConflictValidator) MarkdownDescription(ctx context.Context) string {
	return "`ttl` and `expires_at` are not set together"
}

func (expiryConflictValidator) ValidateResource(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var at, ttl types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("expires_at"), &at)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("ttl"), &ttl)...)
	if resp.Diagnostics.HasError() || at.IsNull() || ttl.IsNull() {
		return
	}
	resp.Diagnostics.Append(diagTTLWithExpiresAt())
}
