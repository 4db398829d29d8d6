// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// storeAction is what the provider's actions (Terraform 1.14 and later)
// share: a type name, the provider data that Configure gives them, and an
// optional `namespace` argument that allowed_namespaces must admit.
type storeAction struct {
	name string // the type name after the provider's: secretstore_<name>
	data *providerData
}

func (a *storeAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + a.name
}

func (a *storeAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// ModifyPlan fails the plan of a namespace that allowed_namespaces forbids.
func (a *storeAction) ModifyPlan(ctx context.Context, req action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	var ns types.String
	if !req.Config.Raw.IsNull() {
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("namespace"), &ns)...)
	}
	if !resp.Diagnostics.HasError() {
		a.data.namespaceAllowed(ns, &resp.Diagnostics)
	}
}

// invokeConfig reads the configuration of an invocation into m
// (getActionConfig), where ns is m's namespace argument, and reports
// whether the invocation may go on: the configuration reads, the provider
// is configured, and allowed_namespaces admits the namespace.
func (a *storeAction) invokeConfig(ctx context.Context, cfg tfsdk.Config, m any, ns *types.String, diags *diag.Diagnostics) bool {
	diags.Append(getActionConfig(ctx, cfg, m)...)
	return !diags.HasError() && requireProviderData(a.data, diags) && a.data.namespaceAllowed(*ns, diags)
}

// getActionConfig reads an action's configuration into target. An action
// invoked without a config block (every argument optional) arrives with a
// null configuration, which reads as the zero model: every argument null.
func getActionConfig(ctx context.Context, cfg tfsdk.Config, target any) diag.Diagnostics {
	if cfg.Raw.IsNull() {
		return nil
	}
	return cfg.Get(ctx, target)
}

// progressSender returns a function that sends msg as a progress event of
// the invocation (dropped when the framework gives no sender).
func progressSender(resp *action.InvokeResponse) func(msg string) {
	return func(msg string) {
		if resp.SendProgress != nil {
			resp.SendProgress(action.InvokeProgressEvent{Message: msg})
		}
	}
}
