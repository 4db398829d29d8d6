// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// errReported marks a failure whose diagnostic is already added.
var errReported = errors.New("reported")

// reactivate handles the create of a version number the store already
// has: a retired version whose material is the given one (or any, when
// none is given) is reactivated, with a warning; an active one, or one
// retired with other material, is refused with advice that works (an
// import of the active version, or a version number never used).
func (r *keyVersionResource) reactivate(ctx context.Context, version int, material []byte, diags *diag.Diagnostics) (backend.KeyVersion, error) {
	kv, err := r.data.Store.ReactivateKeyVersion(ctx, version, material)
	switch {
	case err == nil:
		tflog.Info(ctx, "reactivated retired key version", map[string]any{"version": kv.Version, "check_value": kv.CheckValue})
		diags.Append(diagKeyVersionReactivated(kv.Version, kv.CheckValue))
		return kv, nil
	case errors.Is(err, backend.ErrKeyVersionExists):
		diags.Append(diagKeyVersionExists(version, r.nextUnused(ctx, version), err))
	case errors.Is(err, backend.ErrKeyMaterialMismatch):
		diags.Append(diagKeyVersionOtherMaterial(version, r.nextUnused(ctx, version), err))
	default:
		diags.Append(diagStoreError(fmt.Sprintf("reactivating retired key version %d", version), err, targetKeyVersion))
	}
	return backend.KeyVersion{}, errReported
}

// nextUnused is the lowest version number above every one in the keyring
// (version+1 when the keyring cannot be read).
func (r *keyVersionResource) nextUnused(ctx context.Context, version int) int {
	next := version + 1
	kvs, err := r.data.Store.KeyVersions(ctx)
	var damaged *backend.DamagedSecretsError
	if err != nil && !errors.As(err, &damaged) {
		return next
	}
	for _, kv := range kvs {
		next = max(next, kv.Version+1)
	}
	return next
}

// planDestroy warns, at the plan of a destroy, when secrets' current
// revisions still use the version. It reads the store (one keyring and
// one secrets listing) and writes nothing. It is a warning, not an error:
// a resource's plan cannot see the other resources' plans, and in the
// usual cases the same apply destroys or rewraps those secrets first
// (terraform destroy, or secrets whose min_key_version moves to a newer
// version); when it does not, the destroy fails at apply, before
// anything is retired.
func (r *keyVersionResource) planDestroy(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if r.data == nil || req.State.Raw.IsNull() {
		return
	}
	var v types.Int64
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("version"), &v)...)
	if resp.Diagnostics.HasError() || v.IsNull() || v.IsUnknown() {
		return
	}
	kv, _, found, err := r.lookup(ctx, int(v.ValueInt64()), &resp.Diagnostics)
	if err != nil || !found || kv.Secrets == 0 {
		return // apply reports a store that cannot be read
	}
	resp.Diagnostics.Append(diagKeyVersionDestroyInUse(kv.Version, kv.Secrets))
}
