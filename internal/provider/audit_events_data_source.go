// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

var (
	_ datasource.DataSource                   = (*auditEventsDataSource)(nil)
	_ datasource.DataSourceWithConfigure      = (*auditEventsDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*auditEventsDataSource)(nil)
)

const (
	auditOrderAsc     = "asc"
	auditOrderDesc    = "desc"
	auditDefaultLimit = 100
)

// newAuditEventsDataSource returns the secretstore_audit_events data source.
func newAuditEventsDataSource() datasource.DataSource { return &auditEventsDataSource{} }

type auditEventsDataSource struct {
	data *providerData
}

type auditEventsDataSourceModel struct {
	Namespace  types.String `tfsdk:"namespace"`
	Name       types.String `tfsdk:"name"`
	Operations types.Set    `tfsdk:"operations"`
	Since      types.String `tfsdk:"since"`
	Until      types.String `tfsdk:"until"`
	Order      types.String `tfsdk:"order"`
	Limit      types.Int64  `tfsdk:"limit"`
	Events     []auditEvent `tfsdk:"events"`
}

type auditEvent struct {
	ID         types.String `tfsdk:"id"`
	Time       types.String `tfsdk:"time"`
	Operation  types.String `tfsdk:"operation"`
	Namespace  types.String `tfsdk:"namespace"`
	Name       types.String `tfsdk:"name"`
	Revision   types.Int64  `tfsdk:"revision"`
	KeyVersion types.Int64  `tfsdk:"key_version"`
	Actor      types.String `tfsdk:"actor"`
	Reason     types.String `tfsdk:"reason"`
	Metadata   types.Map    `tfsdk:"metadata"`
}

func (d *auditEventsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_audit_events"
}

func (d *auditEventsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Queries the store's audit log: who created, changed, rotated, deleted or read which secret, and when. " +
			"Filters combine (all must match). Events never carry values or key material.\n\n" +
			"Every event is authenticated with a key derived from the keyring; an event that was altered or forged " +
			"in the bucket fails the read with an error naming the event, instead of appearing as a row.",
		Attributes: map[string]schema.Attribute{
			"namespace": schema.StringAttribute{
				MarkdownDescription: "Only events of secrets in this namespace. When the provider sets " +
					"`allowed_namespaces`, it must match one of its patterns. Unset: every namespace, " +
					"and the key version events, which belong to none.",
				Optional:   true,
				Validators: []validator.String{namespaceValidator},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Only events of the secret with this name. Requires `namespace`.",
				Optional:            true,
				Validators: []validator.String{
					stringvalidator.AlsoRequires(path.MatchRoot("namespace")),
					nameValidator,
				},
			},
			"operations": schema.SetAttribute{
				MarkdownDescription: "Only events with one of these operations: " + markdownList(backend.Operations) + ".",
				ElementType:         types.StringType,
				Optional:            true,
				Validators: []validator.Set{
					setvalidator.SizeAtLeast(1),
					setvalidator.ValueStringsAre(stringvalidator.OneOf(backend.Operations...)),
				},
			},
			"since": schema.StringAttribute{
				MarkdownDescription: "Only events at or after this time (RFC 3339, for example `2025-01-31T00:00:00Z`), " +
					"from `1970-01-01T00:00:00Z` to `2262-04-11T23:47:16Z`.",
				Optional:   true,
				Validators: []validator.String{sinceValidator},
			},
			"until": schema.StringAttribute{
				MarkdownDescription: "Only events before this time (RFC 3339, exclusive), from `1970-01-01T00:00:00Z` " +
					"to `2262-04-11T23:47:16Z`. Must be after `since`.",
				Optional:   true,
				Validators: []validator.String{untilValidator},
			},
			"order": schema.StringAttribute{
				MarkdownDescription: "`desc` (default): newest first. `asc`: oldest first. " +
					"With `limit`, `desc` returns the newest matching events and `asc` the oldest.",
				Optional: true,
				Computed: true,
				Validators: []validator.String{
					stringvalidator.OneOf(auditOrderAsc, auditOrderDesc),
				},
			},
			"limit": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("Maximum number of events returned: default %d, at most %d.",
					auditDefaultLimit, backend.MaxEventLimit),
				Optional: true,
				Computed: true,
				Validators: []validator.Int64{
					int64validator.Between(1, backend.MaxEventLimit),
				},
			},
			"events": schema.ListNestedAttribute{
				MarkdownDescription: "Matching events in the requested order.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"id": schema.StringAttribute{
							MarkdownDescription: "Event identifier, unique in the store.",
							Computed:            true,
						},
						"time": schema.StringAttribute{
							MarkdownDescription: "When the operation happened (RFC 3339, UTC).",
							Computed:            true,
						},
						"operation": schema.StringAttribute{
							MarkdownDescription: "One of " + markdownList(backend.Operations) + ".",
							Computed:            true,
						},
						"namespace": schema.StringAttribute{
							MarkdownDescription: "Namespace of the secret; null for key version events.",
							Computed:            true,
						},
						"name": schema.StringAttribute{
							MarkdownDescription: "Name of the secret; null for key version events.",
							Computed:            true,
						},
						"revision": schema.Int64Attribute{
							MarkdownDescription: "Revision written or read; null when the event concerns no revision.",
							Computed:            true,
						},
						"key_version": schema.Int64Attribute{
							MarkdownDescription: "Key version involved; null when none.",
							Computed:            true,
						},
						"actor": schema.StringAttribute{
							MarkdownDescription: "Who performed the operation: the provider's `actor`, " +
								"the Terraform Cloud run, or user@host.",
							Computed: true,
						},
						"reason": schema.StringAttribute{
							MarkdownDescription: "Why, when recorded (for example `expired_cleanup`); null otherwise.",
							Computed:            true,
						},
						"metadata": schema.MapAttribute{
							MarkdownDescription: "Extra details, for example `count` for an audit purge. Empty when none.",
							ElementType:         types.StringType,
							Computed:            true,
						},
					},
				},
			},
		},
	}
}

func (d *auditEventsDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var since, until types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("since"), &since)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("until"), &until)...)
	if resp.Diagnostics.HasError() || !isKnownString(since) || !isKnownString(until) {
		return
	}
	s, serr := time.Parse(time.RFC3339, since.ValueString())
	u, uerr := time.Parse(time.RFC3339, until.ValueString())
	if serr != nil || uerr != nil {
		return // reported by sinceValidator or untilValidator
	}
	if !u.After(s) {
		resp.Diagnostics.Append(diagEmptyTimeRange(since.ValueString(), until.ValueString()))
	}
}

func (d *auditEventsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (d *auditEventsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m auditEventsDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !dataSourceReady(d.data, req, resp) {
		return
	}
	f, diags := m.filter()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !d.data.namespaceAllowed(m.Namespace, &resp.Diagnostics) {
		return
	}

	limit := f.Limit
	m.Events = make([]auditEvent, 0, min(limit, auditDefaultLimit))
	for len(m.Events) < limit {
		f.Limit = limit - len(m.Events)
		page, err := d.data.Store.ListEvents(ctx, f)
		if err != nil {
			resp.Diagnostics.Append(diagAuditEventsFailed(err))
			return
		}
		for _, e := range page.Events {
			m.Events = append(m.Events, auditEventValue(e))
		}
		if page.NextPageToken == "" || len(page.Events) == 0 {
			break
		}
		f.PageToken = page.NextPageToken
	}
	if len(m.Events) > limit {
		m.Events = m.Events[:limit]
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// filter converts the configuration into the store's filter and sets the
// defaults of order and limit in the model.
func (m *auditEventsDataSourceModel) filter() (backend.EventFilter, diag.Diagnostics) {
	var diags diag.Diagnostics
	f := backend.EventFilter{
		Namespace: m.Namespace.ValueString(),
		Name:      m.Name.ValueString(),
		Limit:     auditDefaultLimit,
	}
	if !m.Operations.IsNull() {
		diags.Append(m.Operations.ElementsAs(context.Background(), &f.Operations, false)...)
	}
	for _, t := range []struct {
		attr string
		v    types.String
		dst  *time.Time
	}{{"since", m.Since, &f.Since}, {"until", m.Until, &f.Until}} {
		if t.v.IsNull() {
			continue
		}
		parsed, err := time.Parse(time.RFC3339, t.v.ValueString())
		if err != nil {
			diags.Append(diagInvalidTime(path.Root(t.attr), t.v.ValueString()))
			continue
		}
		*t.dst = parsed
	}
	if m.Order.IsNull() {
		m.Order = types.StringValue(auditOrderDesc)
	}
	f.Descending = m.Order.ValueString() == auditOrderDesc
	if m.Limit.IsNull() {
		m.Limit = types.Int64Value(auditDefaultLimit)
	}
	f.Limit = int(m.Limit.ValueInt64())
	return f, diags
}

func auditEventValue(e backend.Event) auditEvent {
	return auditEvent{
		ID:         types.StringValue(e.ID),
		Time:       timeString(e.Time),
		Operation:  types.StringValue(e.Operation),
		Namespace:  optionalString(e.Namespace),
		Name:       optionalString(e.Name),
		Revision:   optionalInt64(e.Revision),
		KeyVersion: optionalInt64(int64(e.KeyVersion)),
		Actor:      types.StringValue(e.Actor),
		Reason:     optionalString(e.Reason),
		Metadata:   metadataMap(e.Metadata),
	}
}

// markdownList renders words as `a`, `b` and `c`.
func markdownList(words []string) string {
	out := ""
	for i, w := range words {
		switch {
		case i == 0:
		case i == len(words)-1:
			out += " and "
		default:
			out += ", "
		}
		out += "`" + w + "`"
	}
	return out
}
