// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// providerData is what Configure hands to every resource, data source and
// ephemeral resource (resp.ResourceData, DataSourceData, EphemeralResourceData).
// It is nil while the provider configuration is still unknown (plan before a
// dependency is applied); objects must then skip store access in plan.
type providerData struct {
	// Store is the opened secret store.
	Store backend.StoreAPI
	// Namespaces is the allowed_namespaces policy; Check returns an error
	// naming the namespace and the patterns when none matches.
	Namespaces namespacePolicy
	// DefaultTTL applies to new secrets that set no expiry; 0 means none.
	DefaultTTL time.Duration
	// AuditReads records a read event for data-source reads and ephemeral opens.
	AuditReads bool
	// Now is the clock (tests inject one through NewTestProvider).
	Now func() time.Time
	// StoreURL is the store URL as diagnostics show it (backend.RedactURL).
	StoreURL string
}

// providerDataFrom converts the ProviderData of a Configure request of a
// resource, data source or ephemeral resource. It returns nil without a
// diagnostic when the provider is not configured yet (nil data).
func providerDataFrom(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.Append(diagUnexpectedProviderData(data))
		return nil
	}
	return pd
}

// requireProviderData reports an error when an operation that must reach the
// store runs before the provider is configured (an unknown provider
// configuration at apply time). It returns false when pd is nil.
func requireProviderData(pd *providerData, diags *diag.Diagnostics) bool {
	if pd != nil {
		return true
	}
	diags.Append(diagProviderNotConfigured())
	return false
}

// dataSourceReady reports whether a data source read can reach the store.
// While the provider configuration is unknown (pd nil) it defers the read
// when Terraform allows deferrals, else it reports
// diagProviderNotConfigured; either way it returns false.
func dataSourceReady(pd *providerData, req datasource.ReadRequest, resp *datasource.ReadResponse) bool {
	if pd != nil {
		return true
	}
	if req.ClientCapabilities.DeferralAllowed {
		resp.Deferred = &datasource.Deferred{Reason: datasource.DeferredReasonProviderConfigUnknown}
		return false
	}
	resp.Diagnostics.Append(diagProviderNotConfigured())
	return false
}

// ephemeralReady is dataSourceReady for an ephemeral resource's Open.
func ephemeralReady(pd *providerData, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) bool {
	if pd != nil {
		return true
	}
	if req.ClientCapabilities.DeferralAllowed {
		resp.Deferred = &ephemeral.Deferred{Reason: ephemeral.DeferredReasonProviderConfigUnknown}
		return false
	}
	resp.Diagnostics.Append(diagProviderNotConfigured())
	return false
}

// namespaceAllowed applies the allowed_namespaces policy to the namespace
// attribute ns. It reports false, after adding diagNamespaceNotAllowed on
// the namespace attribute, when the policy forbids ns. A null or unknown
// namespace, or a provider that is not configured yet (pd nil), passes:
// the check runs again once both are known.
func (pd *providerData) namespaceAllowed(ns types.String, diags *diag.Diagnostics) bool {
	if pd == nil || ns.IsNull() || ns.IsUnknown() {
		return true
	}
	if err := pd.Namespaces.Check(ns.ValueString()); err != nil {
		diags.Append(diagNamespaceNotAllowed(path.Root("namespace"), err))
		return false
	}
	return true
}

// storeExists reports whether the store exists, for an object that
// expects it to: when it does not, it adds diagStoreMissing, which says
// what expected (such as `the state holds secret "app/db"`), and returns
// false. Nothing is written. A failure to find out is reported with
// diagStoreError and also returns false.
func (pd *providerData) storeExists(ctx context.Context, expected string, diags *diag.Diagnostics) bool {
	ok, err := pd.Store.Exists(ctx)
	switch {
	case err != nil:
		diags.Append(diagStoreError("looking for the store at "+pd.StoreURL, err, targetProvider))
		return false
	case !ok:
		diags.Append(diagStoreMissing(pd.StoreURL, expected))
		return false
	}
	return true
}

// now returns the provider clock's current time in UTC.
func (pd *providerData) now() time.Time {
	if pd == nil || pd.Now == nil {
		return time.Now().UTC()
	}
	return pd.Now().UTC()
}
