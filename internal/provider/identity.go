// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
)

// setIdentity is the step a resource with an identity (Terraform 1.12 and
// later) adds after each Create, Read, Update and ImportState of the
// resource it wraps: unless diags already hold an error, it sets identity
// (nil when Terraform does not support identities) by copying each of
// attrs, from the first of states that is not null, to the identity
// attribute of the same name and type. Read passes its response's state,
// then its request's, so that a read that removes the resource or keeps
// the recorded state still returns the identity.
func setIdentity(ctx context.Context, diags *diag.Diagnostics, identity *tfsdk.ResourceIdentity, attrs []string, states ...tfsdk.State) {
	if diags.HasError() || identity == nil {
		return
	}
	for _, state := range states {
		if state.Raw.IsNull() {
			continue
		}
		for _, name := range attrs {
			var v attr.Value
			diags.Append(state.GetAttribute(ctx, path.Root(name), &v)...)
			if diags.HasError() {
				return
			}
			diags.Append(identity.SetAttribute(ctx, path.Root(name), v)...)
		}
		return
	}
}
