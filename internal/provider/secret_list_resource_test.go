// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// TestProtocolSecretListResource: `terraform query` over a namespace
// lists its live secrets by name, each with its identity, its display name
// and, with include_resource, exactly the state an import records (never
// a value); name_prefix and the limit narrow it; deleted secrets and
// other namespaces are left out; allowed_namespaces applies.
func TestProtocolSecretListResource(t *testing.T) {
	t.Parallel()
	ts := newTestStore(t)
	store := ts.open(t)
	ctx := context.Background()
	seedKeyVersion(t, store)
	seedSecret(t, store, "app:production", "api-key", time.Time{})
	seedSecret(t, store, "app:production", "api-token", time.Now().Add(48*time.Hour).Truncate(time.Second))
	if _, err := store.Put(ctx, backend.PutInput{
		Namespace: "app:production", Name: "db", Value: []byte("seed-db"), SetMetadata: true,
		Metadata: map[string]string{"owner": "team-a"},
	}); err != nil {
		t.Fatal(err)
	}
	gone := seedSecret(t, store, "app:production", "old", time.Time{})
	if err := store.Delete(ctx, backend.DeleteInput{Namespace: "app:production", Name: "old", IfRevision: gone.Revision}); err != nil {
		t.Fatal(err)
	}
	seedSecret(t, store, "app:staging", "api-key", time.Time{})

	p := newConfiguredProto(t, ts, nil, nil)
	ns := map[string]tftypes.Value{"namespace": tfString("app:production")}
	results := p.listResults("secretstore_secret", ns, true, 0)
	var names []string
	for _, r := range results {
		if hasError(r.Diagnostics) || len(r.Diagnostics) > 0 {
			t.Fatalf("list result diagnostics: %s", diagnosticsText(r.Diagnostics))
		}
		names = append(names, r.DisplayName)
		id := p.decodeIdentity("secretstore_secret", r.Identity)
		name := strings.TrimPrefix(r.DisplayName, "app:production/")
		checkValues(t, r.DisplayName+" identity", id, map[string]tftypes.Value{
			"namespace": tfString("app:production"), "name": tfString(name),
		})
		if r.Resource == nil {
			t.Fatalf("%s: no resource with include_resource", r.DisplayName)
		}
		listed := tftypes.NewValue(p.resourceType("secretstore_secret"), p.decode(p.resourceType("secretstore_secret"), r.Resource))
		imported, _, diags := p.importResource("secretstore_secret", "", id)
		if hasError(diags) {
			t.Fatalf("importing %s: %s", r.DisplayName, diagnosticsText(diags))
		}
		if !listed.Equal(tftypes.NewValue(p.resourceType("secretstore_secret"), imported)) {
			t.Errorf("%s: the listed resource differs from what import records:\nlisted   %v\nimported %v", r.DisplayName, listed, imported)
		}
		attrs := p.decode(p.resourceType("secretstore_secret"), r.Resource)
		for _, a := range []string{"value", "value_wo"} {
			if !attrs[a].IsNull() {
				t.Errorf("%s: %s is not null in the list result", r.DisplayName, a)
			}
		}
	}
	if got, want := strings.Join(names, ","), "app:production/api-key,app:production/api-token,app:production/db"; got != want {
		t.Errorf("listed %s, want %s", got, want)
	}

	// Without include_resource: identities only.
	for _, r := range p.listResults("secretstore_secret", ns, false, 0) {
		if r.Resource != nil {
			t.Errorf("%s: resource returned without include_resource", r.DisplayName)
		}
	}
	prefixed := p.listResults("secretstore_secret", map[string]tftypes.Value{
		"namespace": tfString("app:production"), "name_prefix": tfString("api-"),
	}, false, 0)
	if len(prefixed) != 2 || prefixed[0].DisplayName != "app:production/api-key" || prefixed[1].DisplayName != "app:production/api-token" {
		t.Errorf("name_prefix api-: %d results %v", len(prefixed), prefixed)
	}
	if limited := p.listResults("secretstore_secret", ns, false, 1); len(limited) != 1 {
		t.Errorf("limit 1: %d results", len(limited))
	}

	restricted := newConfiguredProto(t, ts, nil, map[string]tftypes.Value{
		"allowed_namespaces": tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, []tftypes.Value{tfString("*:staging")}),
	})
	refused := restricted.listResults("secretstore_secret", ns, false, 0)
	if len(refused) != 1 || !hasError(refused[0].Diagnostics) || refused[0].Identity != nil ||
		!strings.Contains(diagnosticsText(refused[0].Diagnostics), "Namespace not allowed") {
		t.Errorf("listing a namespace allowed_namespaces forbids: %v", refused)
	}
	if allowed := restricted.listResults("secretstore_secret", map[string]tftypes.Value{"namespace": tfString("app:staging")}, false, 0); len(allowed) != 1 || hasError(allowed[0].Diagnostics) {
		t.Errorf("listing an allowed namespace: %v", allowed)
	}

	unconfigured := newProtoProvider(t, nil)
	if r := unconfigured.listResults("secretstore_secret", ns, false, 0); len(r) != 1 || !strings.Contains(diagnosticsText(r[0].Diagnostics), "Provider not configured") {
		t.Errorf("listing before ConfigureProvider: %v", r)
	}
}
