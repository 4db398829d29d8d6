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
	_ action.Action               = (*rotateAction)(nil)
	_ action.ActionWithConfigure  = (*rotateAction)(nil)
	_ action.ActionWithModifyPlan = (*rotateAction)(nil)
)

func newRotateAction() action.Action { return &rotateAction{storeAction{name: "rotate"}} }

// rotateAction rewraps, when invoked, every current revision that is not
// under the primary key version (Terraform 1.14 and later), with the
// store's rotation engine: the same one secretstore_key_version's rewrap
// runs.
type rotateAction struct {
	storeAction
}

type rotateActionModel struct {
	Namespace types.String `tfsdk:"namespace"`
}

func (a *rotateAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Rotates now (Terraform 1.14 and later): rewraps the data key of every current revision " +
			"that is not under the primary key version, writing a new revision with the same value ciphertext and " +
			"one `rotated` audit event per secret. Value ciphertext is never rewritten, and nothing is decrypted " +
			"but data keys. The work runs with the store's bounded concurrency (at most 8 requests in flight), and " +
			"the action reports progress as it goes: the number of secrets to rewrap, every tenth of them, and the " +
			"totals.\n\n" +
			"Invoke it with `terraform apply -invoke=action.secretstore_rotate.NAME`, or from the " +
			"`lifecycle { action_trigger { ... } }` of the new `secretstore_key_version` " +
			"(`events = [after_create]`) so that adding a version rotates in the same apply. A run that stops " +
			"leaves every secret readable, rewrapped or untouched; invoking it again finishes the rest, and a run " +
			"with nothing to do writes nothing. Without actions (Terraform before 1.14), the `pending_rewrap` " +
			"plan/apply of `secretstore_key_version` does the same work.",
		Attributes: map[string]schema.Attribute{
			"namespace": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Only rotate the secrets of this namespace. Unset: every namespace. It must match " +
					"the provider's `allowed_namespaces` when that is set.",
				Validators: []validator.String{namespaceValidator},
			},
		},
	}
}

func (a *rotateAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m rotateActionModel
	if !a.invokeConfig(ctx, req.Config, &m, &m.Namespace, &resp.Diagnostics) {
		return
	}
	send := progressSender(resp)
	in := backend.RotateInput{Namespace: m.Namespace.ValueString()}
	scope := "every namespace"
	if in.Namespace != "" {
		scope = fmt.Sprintf("namespace %q", in.Namespace)
	}
	plan, err := a.data.Store.PlanRotate(ctx, in)
	if err = warnDamaged(err, "the count of secrets to rewrap", &resp.Diagnostics); err != nil {
		resp.Diagnostics.Append(diagRotateActionFailed(plan.Primary, 0, err))
		return
	}
	pending := int64(plan.Pending)
	res, err := rotateWithProgress(ctx, a.data.Store, in, pending, func(step rotationStep, p backend.RotateResult) {
		switch step {
		case rotationStarted:
			send(fmt.Sprintf("Rewrapping %d secret(s) of %s under key version %d", pending, scope, plan.Primary))
		case rotationProgressed:
			send(fmt.Sprintf("Rewrapped %d of %d secret(s)", p.Rotated, pending))
		case rotationFinished:
			send(fmt.Sprintf("Rotation done: %d secret(s) rewrapped under key version %d, %d already under it",
				p.Rotated, plan.Primary, p.Skipped))
		}
	})
	if err != nil {
		resp.Diagnostics.Append(diagRotateActionFailed(plan.Primary, res.Rotated, err))
		return
	}
	tflog.Info(ctx, "rotation: done", map[string]any{
		"primary": plan.Primary, "namespace": in.Namespace, "rotated": res.Rotated, "skipped": res.Skipped, "processed": res.Processed,
	})
}
