// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"errors"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// timeString formats t as RFC 3339 (with fractional seconds when present)
// in UTC; the zero time is null. Data sources use the same format, so a
// time read through either matches.
func timeString(t time.Time) types.String {
	if t.IsZero() {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339Nano))
}

// stringMap converts a Terraform map of strings; null and unknown are nil.
func stringMap(ctx context.Context, m types.Map, diags *diag.Diagnostics) map[string]string {
	if m.IsNull() || m.IsUnknown() {
		return nil
	}
	out := make(map[string]string, len(m.Elements()))
	diags.Append(m.ElementsAs(ctx, &out, false)...)
	return out
}

// metadataMap converts stored metadata to a Terraform map of strings.
func metadataMap(m map[string]string) types.Map {
	elems := make(map[string]attr.Value, len(m))
	for k, v := range m {
		elems[k] = types.StringValue(v)
	}
	return types.MapValueMust(types.StringType, elems)
}

// rfc3339Validator checks an RFC 3339 time during validate and plan.
type rfc3339Validator struct{}

func (rfc3339Validator) Description(context.Context) string {
	return "must be an RFC 3339 time such as 2030-01-01T00:00:00Z"
}

func (v rfc3339Validator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (rfc3339Validator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := time.Parse(time.RFC3339, req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.Append(diagInvalidTime(req.Path, req.ConfigValue.ValueString()))
	}
}

// durationValidator checks a positive Go duration during validate and plan.
type durationValidator struct{}

func (durationValidator) Description(context.Context) string {
	return "must be a positive duration such as 720h"
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := parseTTL(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.Append(diagInvalidDuration(req.Path, err))
	}
}

// namespaceValidator and nameValidator check a secret's namespace and name
// with the store's own rules during validate and plan.
var (
	namespaceValidator = storeNameValidator{what: "namespace", check: backend.ValidateNamespace}
	nameValidator      = storeNameValidator{what: "name", check: backend.ValidateName}
)

// storeNameValidator checks a namespace or name with the store's own rule
// (backend.ValidateNamespace, backend.ValidateName) during validate and plan.
type storeNameValidator struct {
	what  string // "namespace" or "name"
	check func(string) error
}

func (v storeNameValidator) Description(context.Context) string {
	return "must be a valid secret " + v.what
}

func (v storeNameValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v storeNameValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.Append(diagInvalidSecretName(req.Path, v.what, req.ConfigValue.ValueString(), validationReason(err)))
	}
}

// validationReason is the reason of a *backend.ValidationError, else the
// error text.
func validationReason(err error) string {
	var verr *backend.ValidationError
	if errors.As(err, &verr) {
		return verr.Reason
	}
	return err.Error()
}
