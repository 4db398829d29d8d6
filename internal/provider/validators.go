// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// stringValidator checks a known string attribute during validate and plan
// with check, which returns the diagnostic for the attribute at p, or nil
// when the value is accepted. Null and unknown values are not checked.
type stringValidator struct {
	description string
	check       func(p path.Path, value string) diag.Diagnostic
}

var _ validator.String = stringValidator{}

func (v stringValidator) Description(context.Context) string { return v.description }

func (v stringValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v stringValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if d := v.check(req.Path, req.ConfigValue.ValueString()); d != nil {
		resp.Diagnostics.Append(d)
	}
}

// The string validators of the provider's schemas, each applying the same
// rule as the code that later uses the value.
var (
	// rfc3339Validator accepts an RFC 3339 time.
	rfc3339Validator = stringValidator{
		description: "must be an RFC 3339 time such as 2030-01-01T00:00:00Z",
		check: func(p path.Path, v string) diag.Diagnostic {
			if _, err := time.Parse(time.RFC3339, v); err != nil {
				return diagInvalidTime(p, v)
			}
			return nil
		},
	}

	// sinceValidator and untilValidator accept an RFC 3339 time within
	// the times the store records (backend.CheckEventTime).
	sinceValidator = eventTimeValidator(backend.FieldSince)
	untilValidator = eventTimeValidator(backend.FieldUntil)

	// durationValidator accepts a positive duration (parseTTL).
	durationValidator = stringValidator{
		description: "must be a positive duration such as 720h",
		check: func(p path.Path, v string) diag.Diagnostic {
			if _, err := parseTTL(v); err != nil {
				return diagInvalidDuration(p, v, err)
			}
			return nil
		},
	}

	// retentionValidator accepts a non-negative duration (parseRetention).
	retentionValidator = stringValidator{
		description: "must be a non-negative duration such as 720h",
		check: func(p path.Path, v string) diag.Diagnostic {
			if _, err := parseRetention(v); err != nil {
				return diagInvalidRetention(p, v, err)
			}
			return nil
		},
	}

	// namespaceValidator and nameValidator apply the store's own naming
	// rules (backend.ValidateNamespace, backend.ValidateName).
	namespaceValidator = storeNameValidator("namespace", backend.ValidateNamespace)
	nameValidator      = storeNameValidator("name", backend.ValidateName)

	// keyMaterialValidator accepts what decodeKeyMaterial decodes.
	keyMaterialValidator = stringValidator{
		description: fmt.Sprintf("must be standard base64 of exactly %d bytes", backend.KeySize),
		check: func(p path.Path, v string) diag.Diagnostic {
			raw, d := decodeKeyMaterial(p, v)
			clear(raw)
			return d
		},
	}
)

// eventTimeValidator checks a bound of an audit query, the store input
// field: an RFC 3339 time that backend.CheckEventTime accepts.
func eventTimeValidator(field backend.Field) stringValidator {
	return stringValidator{
		description: "must be an RFC 3339 time from 1970-01-01T00:00:00Z to " + latestTimeWords,
		check: func(p path.Path, v string) diag.Diagnostic {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return diagInvalidTime(p, v)
			}
			if err := backend.CheckEventTime(field, t); err != nil {
				return diagEventTimeOutOfRange(v, err)
			}
			return nil
		},
	}
}

// storeNameValidator checks a secret's namespace or name (what) with the
// store's rule check.
func storeNameValidator(what string, check func(string) error) stringValidator {
	return stringValidator{
		description: "must be a valid secret " + what,
		check: func(p path.Path, v string) diag.Diagnostic {
			if err := check(v); err != nil {
				return diagInvalidSecretName(p, what, v, validationReason(err))
			}
			return nil
		},
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
