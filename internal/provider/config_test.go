// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// fakeEnv is an environment with the given variables and working directory
// /work/infra.
func fakeEnv(vars map[string]string) environment {
	return environment{
		Getenv: func(k string) string { return vars[k] },
		Getwd:  func() (string, error) { return "/work/infra", nil },
	}
}

func nullModel() providerModel {
	return providerModel{
		URL:               types.StringNull(),
		RootKey:           types.StringNull(),
		PreviousRootKeys:  types.ListNull(types.StringType),
		Actor:             types.StringNull(),
		AllowedNamespaces: types.ListNull(types.StringType),
		DefaultTTL:        types.StringNull(),
		AuditReads:        types.BoolNull(),
	}
}

const (
	keyA = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" // 32 bytes
	keyB = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=" // 32 bytes
)

// attrError returns the first error diagnostic on attribute p.
func attrError(diags diag.Diagnostics, p path.Path) diag.Diagnostic {
	for _, d := range diags.Errors() {
		if wp, ok := d.(diag.DiagnosticWithPath); ok && wp.Path().Equal(p) {
			return d
		}
	}
	return nil
}

func TestResolveConfigEnvironmentOnly(t *testing.T) {
	t.Parallel()
	var diags diag.Diagnostics
	c := resolveConfig(context.Background(), nullModel(), fakeEnv(map[string]string{
		envURL:              "file:///var/store",
		envRootKey:          keyA,
		envPreviousRootKeys: keyB + ", base64key://" + keyA,
		envActor:            "ci-bot",
		envAllowedNS:        "*:production, shared",
		envDefaultTTL:       "720h",
		envAuditReads:       "true",
	}), &diags)
	if diags.HasError() {
		t.Fatalf("unexpected diagnostics: %v", diags)
	}
	if c.URL != "file:///var/store" || c.RootKey != keyA || c.Actor != "ci-bot" || !c.AuditReads ||
		c.DefaultTTL != 720*time.Hour {
		t.Errorf("resolved %v", c)
	}
	if len(c.PreviousRootKeys) != 2 || c.PreviousRootKeys[0] != keyB || c.PreviousRootKeys[1] != "base64key://"+keyA {
		t.Errorf("previous root keys not parsed from the comma-separated variable (%d keys)", len(c.PreviousRootKeys))
	}
	if fmt.Sprint(c.AllowedNamespaces) != "[*:production shared]" {
		t.Errorf("allowed namespaces = %q", c.AllowedNamespaces)
	}
}

func TestResolveConfigAttributesWinOverEnvironment(t *testing.T) {
	t.Parallel()
	m := nullModel()
	m.URL = types.StringValue("mem://")
	m.RootKey = types.StringValue(keyB)
	m.Actor = types.StringValue("alice-config")
	m.AuditReads = types.BoolValue(false)
	m.AllowedNamespaces = types.ListValueMust(types.StringType, []attr.Value{types.StringValue("app:*")})
	var diags diag.Diagnostics
	c := resolveConfig(context.Background(), m, fakeEnv(map[string]string{
		envURL: "file:///ignored", envRootKey: keyA, envActor: "env", envAuditReads: "true", envAllowedNS: "x",
	}), &diags)
	if diags.HasError() {
		t.Fatalf("unexpected diagnostics: %v", diags)
	}
	if c.URL != "mem://" || c.RootKey != keyB || c.Actor != "alice-config" || c.AuditReads ||
		fmt.Sprint(c.AllowedNamespaces) != "[app:*]" {
		t.Errorf("attributes did not win: %v", c)
	}
}

func TestResolveConfigDefaults(t *testing.T) {
	t.Parallel()
	var diags diag.Diagnostics
	c := resolveConfig(context.Background(), nullModel(), fakeEnv(map[string]string{envRootKey: keyA}), &diags)
	if diags.HasError() {
		t.Fatalf("unexpected diagnostics: %v", diags)
	}
	if c.URL != "file:///work/infra/.secretstore" {
		t.Errorf("default store: URL %q", c.URL)
	}
	if want := backend.DefaultActor(); c.Actor != want || !strings.Contains(want, "@") {
		t.Errorf("default actor = %q, want the store's user@host %q", c.Actor, want)
	}
	if c.DefaultTTL != 0 || c.AuditReads || c.AllowedNamespaces != nil || c.PreviousRootKeys != nil {
		t.Errorf("defaults: %v", c)
	}
}

func TestResolveConfigTerraformCloud(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		envRootKey:           keyA,
		"TFC_RUN_ID":         "run-abc123",
		"TFC_WORKSPACE_NAME": "payments",
		"TFC_WORKSPACE_SLUG": "acme/payments",
	}
	var diags diag.Diagnostics
	resolveConfig(context.Background(), nullModel(), fakeEnv(env), &diags)
	d := attrError(diags, path.Root("url"))
	if d == nil || !strings.Contains(d.Detail(), "Terraform Cloud") || !strings.Contains(d.Detail(), "Set url") {
		t.Fatalf("default directory in a Terraform Cloud run: want an error on url saying to set url, got %v", diags)
	}

	env[envURL] = "s3://bucket?region=eu-west-1"
	diags = nil
	c := resolveConfig(context.Background(), nullModel(), fakeEnv(env), &diags)
	if diags.HasError() {
		t.Fatalf("unexpected diagnostics: %v", diags)
	}
	if c.Actor != "terraform-cloud acme/payments run run-abc123" {
		t.Errorf("actor = %q", c.Actor)
	}
	delete(env, "TFC_WORKSPACE_SLUG")
	if got := defaultActor(fakeEnv(env)); got != "terraform-cloud payments run run-abc123" {
		t.Errorf("actor without slug = %q", got)
	}
}

func TestResolveConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		env    map[string]string
		model  func(*providerModel)
		attr   path.Path
		detail string
	}{
		{"missing root key", map[string]string{}, nil, path.Root("root_key"), "openssl rand -base64 32"},
		{"root key bad base64", map[string]string{envRootKey: "not base64!"}, nil, path.Root("root_key"), "base64"},
		{"root key wrong length", map[string]string{envRootKey: "AAECAwQFBgcICQoLDA0ODw=="}, nil, path.Root("root_key"), "decodes to 16 bytes"},
		{"url without scheme", map[string]string{envRootKey: keyA, envURL: "/tmp/store"}, nil, path.Root("url"), "no scheme"},
		{"bad default ttl", map[string]string{envRootKey: keyA, envDefaultTTL: "30 days"}, nil, path.Root("default_ttl"), `"30 days" is not a duration`},
		{"negative default ttl", map[string]string{envRootKey: keyA}, func(m *providerModel) { m.DefaultTTL = types.StringValue("-1h") }, path.Root("default_ttl"), "not positive"},
		{"bad audit_reads", map[string]string{envRootKey: keyA, envAuditReads: "yes please"}, nil, path.Root("audit_reads"), "not a boolean"},
		{"bad pattern", map[string]string{envRootKey: keyA}, func(m *providerModel) {
			m.AllowedNamespaces = types.ListValueMust(types.StringType, []attr.Value{types.StringValue("ok"), types.StringValue("[a-")})
		}, path.Root("allowed_namespaces").AtListIndex(1), `"[a-" is not a valid glob`},
		{"bad previous key", map[string]string{envRootKey: keyA}, func(m *providerModel) {
			m.PreviousRootKeys = types.ListValueMust(types.StringType, []attr.Value{types.StringValue(keyB), types.StringValue("short")})
		}, path.Root("previous_root_keys").AtListIndex(1), "Previous root key 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := nullModel()
			if tc.model != nil {
				tc.model(&m)
			}
			var diags diag.Diagnostics
			resolveConfig(context.Background(), m, fakeEnv(tc.env), &diags)
			d := attrError(diags, tc.attr)
			if d == nil {
				t.Fatalf("no error on %s; diagnostics: %v", tc.attr, diags)
			}
			if !strings.Contains(d.Detail(), tc.detail) {
				t.Errorf("detail %q does not contain %q", d.Detail(), tc.detail)
			}
			for _, k := range []string{keyA, keyB} {
				for _, dd := range diags {
					if strings.Contains(dd.Detail(), k) || strings.Contains(dd.Summary(), k) {
						t.Errorf("diagnostic reveals a key: %q", dd.Detail())
					}
				}
			}
		})
	}
}

func TestProviderConfigFormatRedactsKeys(t *testing.T) {
	t.Parallel()
	c := providerConfig{URL: "file:///s", RootKey: keyA, PreviousRootKeys: []string{keyB}, Actor: "a"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out := fmt.Sprintf(verb, c)
		if strings.Contains(out, keyA) || strings.Contains(out, keyB) {
			t.Errorf("%s of providerConfig reveals a key: %s", verb, out)
		}
		if !strings.Contains(out, "file:///s") {
			t.Errorf("%s of providerConfig lost the URL: %s", verb, out)
		}
	}
}

// Models that hold a value or key material format without it.
func TestModelFormatRedactsSecrets(t *testing.T) {
	t.Parallel()
	m := nullModel()
	m.URL = types.StringValue("s3://bucket?access_key=AKIDSECRET")
	m.RootKey = types.StringValue(keyA)
	m.PreviousRootKeys = types.ListValueMust(types.StringType, []attr.Value{types.StringValue(keyB)})
	canary := "canary-" + keyB
	values := []any{
		m,
		secretModel{ID: types.StringValue("a/b"), Value: types.StringValue(canary), ValueWO: types.StringValue(canary)},
		secretReadModel{Namespace: types.StringValue("a"), Value: types.StringValue(canary)},
	}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range []string{keyA, keyB, "AKIDSECRET"} {
				if strings.Contains(out, secret) {
					t.Errorf("%s of %T reveals a secret: %s", verb, v, out)
				}
			}
			if !strings.Contains(out, "<redacted>") {
				t.Errorf("%s of %T does not use its redacting Format: %s", verb, v, out)
			}
		}
	}
}

func TestCheckRootKey(t *testing.T) {
	t.Parallel()
	urlSafe := base64.RawURLEncoding.EncodeToString([]byte("\xfb\xff0123456789abcdef0123456789abcd"))
	for _, ok := range []string{keyA, urlSafe, "base64key://" + keyA, "awskms://alias/k?region=eu-west-1"} {
		if err := backend.CheckRootKey(backend.FieldRootKey, 0, ok); err != nil {
			t.Errorf("CheckRootKey(%q) = %v", ok, err)
		}
	}
	if err := backend.CheckRootKey(backend.FieldRootKey, 0, "%%%"); err == nil {
		t.Error("CheckRootKey accepted garbage")
	}
}

func TestFileURL(t *testing.T) {
	t.Parallel()
	if got := fileURL("/tmp/a b"); got != "file:///tmp/a%20b" {
		t.Errorf("fileURL = %q", got)
	}
}
