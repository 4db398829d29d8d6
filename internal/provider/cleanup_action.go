// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

var (
	_ action.Action                   = (*cleanupAction)(nil)
	_ action.ActionWithConfigure      = (*cleanupAction)(nil)
	_ action.ActionWithModifyPlan     = (*cleanupAction)(nil)
	_ action.ActionWithValidateConfig = (*cleanupAction)(nil)
)

func newCleanupAction() action.Action { return &cleanupAction{storeAction{name: "cleanup"}} }

// cleanupAction purges, when invoked, what the retentions of
// secretstore_cleanup make purgeable now (Terraform 1.14 and later), with
// the store's cleanup engine: the same one the resource's apply runs.
type cleanupAction struct {
	storeAction
}

// cleanupActionModel is the configuration of the action: the scope and
// retention arguments of secretstore_cleanup.
type cleanupActionModel struct {
	Namespace              types.String `tfsdk:"namespace"`
	ExpiredSecretRetention types.String `tfsdk:"expired_secret_retention"`
	DeletedSecretRetention types.String `tfsdk:"deleted_secret_retention"`
	RevisionRetention      types.String `tfsdk:"revision_retention"`
	AuditEventRetention    types.String `tfsdk:"audit_event_retention"`
}

// settings is m as the resource's model, whose scope and retentions the
// store input is made from (cleanupModel.input).
func (m cleanupActionModel) settings() cleanupModel {
	return cleanupModel{
		Namespace:              m.Namespace,
		ExpiredSecretRetention: m.ExpiredSecretRetention,
		DeletedSecretRetention: m.DeletedSecretRetention,
		RevisionRetention:      m.RevisionRetention,
		AuditEventRetention:    m.AuditEventRetention,
	}
}

func (a *cleanupAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	attrs := map[string]schema.Attribute{
		"namespace": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "Only clean secrets and revisions of this namespace. Unset: every namespace. " +
				"Audit events are one log for the whole store, so `audit_event_retention` applies to all of " +
				"them either way.",
		},
	}
	for _, r := range cleanupRetentions {
		attrs[r.attr] = schema.StringAttribute{
			Optional:            true,
			MarkdownDescription: r.description(),
			Validators:          []validator.String{retentionValidator},
		}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Purges now (Terraform 1.14 and later) what the retentions make purgeable: expired " +
			"secrets, deleted secrets (tombstones), superseded revisions and old audit events, each after its own " +
			"retention, with the same engine and guarantees as the `secretstore_cleanup` resource: nothing still " +
			"readable is purged, nor any current revision, a secret renewed meanwhile is kept, each purged secret " +
			"gets a final `deleted` audit event and an audit purge one `purged` event with the count. Every " +
			"retention is extended by the same five-minute clock-skew margin.\n\n" +
			"Invoke it with `terraform apply -invoke=action.secretstore_cleanup.NAME` (for example from a " +
			"scheduled job). It reports what is purgeable as progress, then what it purged. Unlike the resource, " +
			"it keeps no counts in state: a plan shows nothing pending.",
		Attributes: attrs,
	}
}

func (a *cleanupAction) ValidateConfig(ctx context.Context, req action.ValidateConfigRequest, resp *action.ValidateConfigResponse) {
	var m cleanupActionModel
	resp.Diagnostics.Append(getActionConfig(ctx, req.Config, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	s := m.settings()
	for _, r := range cleanupRetentions {
		if !r.value(&s).IsNull() {
			return // set, or unknown until apply
		}
	}
	resp.Diagnostics.Append(diagCleanupNoRetention())
}

func (a *cleanupAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m cleanupActionModel
	if !a.invokeConfig(ctx, req.Config, &m, &m.Namespace, &resp.Diagnostics) {
		return
	}
	s := m.settings()
	in, diags := s.input()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	send := progressSender(resp)
	plan, err := a.data.Store.PlanCleanup(ctx, in)
	if err = warnDamaged(err, "the purgeable counts", &resp.Diagnostics); err != nil {
		resp.Diagnostics.Append(diagCleanupFailed(err))
		return
	}
	send("Purgeable now: " + cleanupCounts(plan))
	res, err := a.data.Store.Cleanup(ctx, in)
	if err != nil {
		send("Purged before the failure: " + cleanupCounts(res))
		resp.Diagnostics.Append(diagCleanupFailed(err))
		return
	}
	send("Purged: " + cleanupCounts(res))
	tflog.Info(ctx, "cleanup: purged", map[string]any{
		"namespace": in.Namespace, "secrets": res.Secrets, "revisions": res.Revisions, "events": res.Events,
	})
}

// cleanupCounts words the counts of a cleanup plan or result.
func cleanupCounts(c backend.CleanupPlan) string {
	return fmt.Sprintf("%d secret(s), %d superseded revision(s), %d audit event(s)", c.Secrets, c.Revisions, c.Events)
}
