// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

var (
	_ resource.Resource                   = (*cleanupResource)(nil)
	_ resource.ResourceWithConfigure      = (*cleanupResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*cleanupResource)(nil)
	_ resource.ResourceWithValidateConfig = (*cleanupResource)(nil)
)

// newCleanupResource returns the secretstore_cleanup resource.
func newCleanupResource() resource.Resource { return &cleanupResource{} }

// cleanupResource turns the store's cleanup engine into plan/apply: refresh
// counts what the retentions make purgeable, the plan shows those counts
// going to zero, and apply purges.
type cleanupResource struct {
	data *providerData
}

type cleanupModel struct {
	ID                     types.String `tfsdk:"id"`
	Namespace              types.String `tfsdk:"namespace"`
	ExpiredSecretRetention types.String `tfsdk:"expired_secret_retention"`
	DeletedSecretRetention types.String `tfsdk:"deleted_secret_retention"`
	RevisionRetention      types.String `tfsdk:"revision_retention"`
	AuditEventRetention    types.String `tfsdk:"audit_event_retention"`
	PurgeableSecrets       types.Int64  `tfsdk:"purgeable_secrets"`
	PurgeableRevisions     types.Int64  `tfsdk:"purgeable_revisions"`
	PurgeableEvents        types.Int64  `tfsdk:"purgeable_events"`
	LastPurgedAt           types.String `tfsdk:"last_purged_at"`
}

// cleanupRetention is one retention argument of secretstore_cleanup: its
// attribute, the words of its description, where the model holds it and
// where the store's Retention takes it.
type cleanupRetention struct {
	attr   string
	what   string // what it keeps, for the description
	note   string // appended to the description
	value  func(*cleanupModel) types.String
	target func(*backend.Retention) **time.Duration
}

// cleanupRetentions is every retention argument, in schema order.
var cleanupRetentions = []cleanupRetention{
	{
		attr: "expired_secret_retention", what: "expired secrets (counted from their expiry)",
		note:   " Until then an expired secret can be renewed.",
		value:  func(m *cleanupModel) types.String { return m.ExpiredSecretRetention },
		target: func(r *backend.Retention) **time.Duration { return &r.ExpiredSecrets },
	},
	{
		attr: "deleted_secret_retention", what: "destroyed secrets (counted from their deletion)",
		note:   " Until then a destroyed secret's revisions stay in the bucket, so a mistaken destroy is recoverable.",
		value:  func(m *cleanupModel) types.String { return m.DeletedSecretRetention },
		target: func(r *backend.Retention) **time.Duration { return &r.DeletedSecrets },
	},
	{
		attr: "revision_retention", what: "superseded revisions (counted from when they were superseded)",
		note:   " The current revision of a secret is never purged on its own.",
		value:  func(m *cleanupModel) types.String { return m.RevisionRetention },
		target: func(r *backend.Retention) **time.Duration { return &r.Revisions },
	},
	{
		attr: "audit_event_retention", what: "audit events (counted from the event time)",
		value:  func(m *cleanupModel) types.String { return m.AuditEventRetention },
		target: func(r *backend.Retention) **time.Duration { return &r.AuditEvents },
	},
}

func (r *cleanupResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_cleanup"
}

func (r *cleanupResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Purges what the store keeps after it stops being useful: expired secrets, " +
			"deleted secrets (tombstones), superseded revisions and old audit events, each after its own " +
			"retention. Cleanup is plan/apply: refresh counts what is purgeable into `purgeable_*`, a plan " +
			"shows those counts going to `0` as an in-place update, and apply purges. A scheduled " +
			"`terraform plan` therefore reports pending cleanup without a cron job.\n\n" +
			"Creating this resource, or changing its `namespace` or a retention, never purges in the same " +
			"apply: that apply only counts what the new settings would purge, so the next plan shows the " +
			"numbers before anything is removed. Nothing still readable is ever purged, nor any current " +
			"revision, and a secret renewed between plan and apply is kept. Each purged secret gets a final " +
			"`deleted` audit event (reason `expired_cleanup` or `deleted_cleanup`); purging audit events " +
			"records one `purged` event with the count. Destroying this resource only removes it from state.\n\n" +
			"Every retention is extended by a clock-skew margin of five minutes: only what is past its " +
			"retention plus the margin, by the clock of the host running Terraform, is counted and purged, " +
			"so a host whose clock runs up to five minutes ahead of the writers' never purges early.",
		Attributes: cleanupAttributes(map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "The namespace this resource cleans, or `*` when it cleans every namespace.",
			},
			"namespace": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Only clean secrets and revisions of this namespace. Unset: every namespace. " +
					"Audit events are one log for the whole store, so `audit_event_retention` applies to " +
					"all of them either way.",
			},
			"purgeable_secrets": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Expired and deleted secrets past their retention, as counted at the last refresh.",
			},
			"purgeable_revisions": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Superseded revisions past `revision_retention`, as counted at the last refresh.",
			},
			"purgeable_events": schema.Int64Attribute{
				Computed:            true,
				MarkdownDescription: "Audit events past `audit_event_retention`, as counted at the last refresh.",
			},
			"last_purged_at": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "When this resource last purged (RFC 3339), or null if it never has.",
			},
		}),
	}
}

// cleanupAttributes adds the retention arguments of cleanupRetentions to
// attrs.
func cleanupAttributes(attrs map[string]schema.Attribute) map[string]schema.Attribute {
	for _, r := range cleanupRetentions {
		attrs[r.attr] = schema.StringAttribute{
			Optional:            true,
			MarkdownDescription: r.description(),
			Validators:          []validator.String{retentionValidator},
		}
	}
	return attrs
}

// description is the retention argument's schema description.
func (r cleanupRetention) description() string {
	return fmt.Sprintf("How long to keep %s before purging them, as a duration such as `720h` "+
		"(units `s`, `m`, `h`; `0s` purges as soon as they qualify). Unset: never purge them.%s", r.what, r.note)
}

func (r *cleanupResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if pd := providerDataFrom(req.ProviderData, &resp.Diagnostics); pd != nil {
		r.data = pd
	}
}

func (r *cleanupResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg cleanupModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	for _, r := range cleanupRetentions {
		if !r.value(&cfg).IsNull() {
			return // set, or unknown until apply
		}
	}
	resp.Diagnostics.Append(diagCleanupNoRetention())
}

func (r *cleanupResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy: only removes the resource from state
	}
	var plan cleanupModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !r.data.namespaceAllowed(plan.Namespace, &resp.Diagnostics) {
		return
	}
	plan.ID = cleanupID(plan.Namespace)

	if req.State.Raw.IsNull() {
		// Create counts only; the counts are unknown until it has.
		plan.PurgeableSecrets = types.Int64Unknown()
		plan.PurgeableRevisions = types.Int64Unknown()
		plan.PurgeableEvents = types.Int64Unknown()
		plan.LastPurgedAt = types.StringNull()
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	var state cleanupModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// The decision depends on prior state and configuration only, so the
	// plan is the same when a saved plan is applied.
	switch {
	case !plan.sameSettings(state):
		plan.PurgeableSecrets = types.Int64Unknown()
		plan.PurgeableRevisions = types.Int64Unknown()
		plan.PurgeableEvents = types.Int64Unknown()
		plan.LastPurgedAt = state.LastPurgedAt
	case state.pending():
		plan.PurgeableSecrets = types.Int64Value(0)
		plan.PurgeableRevisions = types.Int64Value(0)
		plan.PurgeableEvents = types.Int64Value(0)
		plan.LastPurgedAt = types.StringUnknown()
	default:
		plan.PurgeableSecrets = state.PurgeableSecrets
		plan.PurgeableRevisions = state.PurgeableRevisions
		plan.PurgeableEvents = state.PurgeableEvents
		plan.LastPurgedAt = state.LastPurgedAt
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

func (r *cleanupResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan cleanupModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() || !requireProviderData(r.data, &resp.Diagnostics) {
		return
	}
	plan.ID = cleanupID(plan.Namespace)
	plan.LastPurgedAt = types.StringNull()
	resp.Diagnostics.Append(r.measure(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *cleanupResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state cleanupModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || r.data == nil {
		return // provider configuration unknown: keep the recorded counts
	}
	resp.Diagnostics.Append(r.measure(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *cleanupResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state cleanupModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !requireProviderData(r.data, &resp.Diagnostics) {
		return
	}
	plan.ID = cleanupID(plan.Namespace)
	if !plan.sameSettings(state) || !state.pending() {
		// New settings: count what they would purge, purge nothing.
		plan.LastPurgedAt = state.LastPurgedAt
		resp.Diagnostics.Append(r.measure(ctx, &plan)...)
		if resp.Diagnostics.HasError() {
			return
		}
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		return
	}

	in, diags := plan.input()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	tflog.Info(ctx, "cleanup: purging", map[string]any{
		"namespace":         in.Namespace,
		"planned_secrets":   state.PurgeableSecrets.ValueInt64(),
		"planned_revisions": state.PurgeableRevisions.ValueInt64(),
		"planned_events":    state.PurgeableEvents.ValueInt64(),
	})
	res, err := r.data.Store.Cleanup(ctx, in)
	if err != nil {
		resp.Diagnostics.Append(diagCleanupFailed(err))
		return
	}
	tflog.Info(ctx, "cleanup: purged", map[string]any{
		"namespace": in.Namespace,
		"secrets":   res.Secrets,
		"revisions": res.Revisions,
		"events":    res.Events,
	})
	// The plan promised zero; anything that became purgeable during this
	// apply is counted by the next refresh.
	plan.PurgeableSecrets = types.Int64Value(0)
	plan.PurgeableRevisions = types.Int64Value(0)
	plan.PurgeableEvents = types.Int64Value(0)
	plan.LastPurgedAt = timeString(r.data.now())
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Delete removes the resource from state; it purges nothing.
func (r *cleanupResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

// measure sets m's purgeable counts from the store's cleanup planner.
func (r *cleanupResource) measure(ctx context.Context, m *cleanupModel) diag.Diagnostics {
	in, diags := m.input()
	if diags.HasError() {
		return diags
	}
	p, err := r.data.Store.PlanCleanup(ctx, in)
	if err = warnDamaged(err, "the purgeable counts", &diags); err != nil {
		diags.Append(diagCleanupFailed(err))
		return diags
	}
	m.PurgeableSecrets = types.Int64Value(int64(p.Secrets))
	m.PurgeableRevisions = types.Int64Value(int64(p.Revisions))
	m.PurgeableEvents = types.Int64Value(int64(p.Events))
	return diags
}

// input converts the model's scope and retentions for the store.
func (m *cleanupModel) input() (backend.CleanupInput, diag.Diagnostics) {
	var diags diag.Diagnostics
	in := backend.CleanupInput{Namespace: m.Namespace.ValueString()}
	for _, r := range cleanupRetentions {
		v := r.value(m)
		if v.IsNull() || v.IsUnknown() {
			continue
		}
		d, err := parseRetention(v.ValueString())
		if err != nil {
			diags.Append(diagInvalidRetention(path.Root(r.attr), v.ValueString(), err))
			continue
		}
		*r.target(&in.Retention) = &d
	}
	return in, diags
}

// sameSettings reports whether m and o have the same scope and retentions.
func (m *cleanupModel) sameSettings(o cleanupModel) bool {
	if !m.Namespace.Equal(o.Namespace) {
		return false
	}
	for _, r := range cleanupRetentions {
		if !r.value(m).Equal(r.value(&o)) {
			return false
		}
	}
	return true
}

// pending reports whether the recorded counts show anything to purge.
func (m *cleanupModel) pending() bool {
	return m.PurgeableSecrets.ValueInt64() > 0 ||
		m.PurgeableRevisions.ValueInt64() > 0 ||
		m.PurgeableEvents.ValueInt64() > 0
}

func cleanupID(namespace types.String) types.String {
	switch {
	case namespace.IsUnknown():
		return types.StringUnknown()
	case namespace.IsNull():
		return types.StringValue("*")
	default:
		return namespace
	}
}

// parseRetention parses a retention duration: a Go duration, not
// negative. It returns errNotDuration or errNegative.
func parseRetention(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errNotDuration
	}
	if d < 0 {
		return 0, errNegative
	}
	return d, nil
}
