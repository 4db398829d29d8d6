// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/storeconfig"
)

// Environment variables read when the matching provider attribute is unset
// (package storeconfig defines them for every program of this module).
const (
	envURL              = storeconfig.EnvURL
	envRootKey          = storeconfig.EnvRootKey
	envPreviousRootKeys = storeconfig.EnvPreviousRootKeys
	envActor            = storeconfig.EnvActor
	envAllowedNS        = storeconfig.EnvAllowedNamespaces
	envDefaultTTL       = storeconfig.EnvDefaultTTL
	envAuditReads       = storeconfig.EnvAuditReads
)

// defaultStoreDir is the store directory used when no url is configured,
// relative to Terraform's working directory.
const defaultStoreDir = storeconfig.DefaultStoreDir

// providerModel maps the provider block.
type providerModel struct {
	URL               types.String `tfsdk:"url"`
	RootKey           types.String `tfsdk:"root_key"`
	PreviousRootKeys  types.List   `tfsdk:"previous_root_keys"`
	Actor             types.String `tfsdk:"actor"`
	AllowedNamespaces types.List   `tfsdk:"allowed_namespaces"`
	DefaultTTL        types.String `tfsdk:"default_ttl"`
	AuditReads        types.Bool   `tfsdk:"audit_reads"`
}

// unknown reports whether any attribute, or any element of a list, is
// unknown (e.g. a URL that comes from a resource not yet created).
func (m providerModel) unknown() bool {
	return m.URL.IsUnknown() || m.RootKey.IsUnknown() || listUnknown(m.PreviousRootKeys) ||
		m.Actor.IsUnknown() || listUnknown(m.AllowedNamespaces) || m.DefaultTTL.IsUnknown() ||
		m.AuditReads.IsUnknown()
}

// listUnknown reports whether l or any of its elements is unknown.
func listUnknown(l types.List) bool {
	if l.IsUnknown() {
		return true
	}
	for _, e := range l.Elements() {
		if e.IsUnknown() {
			return true
		}
	}
	return false
}

// Format prints the provider block like providerConfig.Format.
func (m providerModel) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "{URL:%s RootKey:<redacted> PreviousRootKeys:<%d redacted> Actor:%s AllowedNamespaces:%s DefaultTTL:%s AuditReads:%s}",
		backend.RedactURL(m.URL.ValueString()), len(m.PreviousRootKeys.Elements()), m.Actor, m.AllowedNamespaces, m.DefaultTTL, m.AuditReads)
}

// providerConfig is the resolved configuration: attributes, then
// environment, then defaults. It holds key material, so it formats itself
// with the keys redacted.
type providerConfig struct {
	URL               string
	RootKey           string
	PreviousRootKeys  []string
	Actor             string
	AllowedNamespaces []string
	DefaultTTL        time.Duration
	AuditReads        bool
}

// Format prints the configuration without key material (nor the URL's
// user info and query, which may carry credentials), whatever the verb.
func (c providerConfig) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "{URL:%s RootKey:<redacted> PreviousRootKeys:<%d redacted> Actor:%s AllowedNamespaces:%q DefaultTTL:%s AuditReads:%t}",
		backend.RedactURL(c.URL), len(c.PreviousRootKeys), c.Actor, c.AllowedNamespaces, c.DefaultTTL, c.AuditReads)
}

// environment abstracts os.Getenv and the working directory for tests.
type environment struct {
	Getenv func(string) string
	Getwd  func() (string, error)
}

// osEnvironment is the process environment.
func osEnvironment() environment {
	return environment{Getenv: os.Getenv, Getwd: os.Getwd}
}

// resolveConfig merges the provider block with the environment and checks
// every value, adding attribute diagnostics. The model must be fully known.
func resolveConfig(ctx context.Context, m providerModel, env environment, diags *diag.Diagnostics) providerConfig {
	var c providerConfig

	// url
	c.URL = stringOr(m.URL, env.Getenv(envURL))
	if c.URL == "" {
		if storeconfig.InTerraformCloud(env.Getenv) {
			diags.Append(diagTerraformCloudNeedsURL())
		} else if wd, err := env.Getwd(); err != nil {
			diags.Append(diagNoWorkingDirectory(err))
		} else {
			// The directory is created by the first apply that writes
			// (the store's first write), never by a plan.
			c.URL = fileURL(filepath.Join(wd, defaultStoreDir))
		}
	} else if err := checkBucketURL(c.URL); err != nil {
		diags.Append(diagInvalidURL(backend.RedactURL(c.URL), err))
	}

	// root_key
	c.RootKey = stringOr(m.RootKey, env.Getenv(envRootKey))
	if c.RootKey == "" {
		diags.Append(diagRootKeyRequired())
	} else if err := backend.CheckRootKey(backend.FieldRootKey, 0, c.RootKey); err != nil {
		diags.Append(diagInvalidRootKey("The root key (from root_key or "+envRootKey+")", false, err))
	}

	// previous_root_keys
	if !m.PreviousRootKeys.IsNull() {
		var keys []types.String
		diags.Append(m.PreviousRootKeys.ElementsAs(ctx, &keys, false)...)
		for i, k := range keys {
			if k.IsNull() || k.ValueString() == "" {
				diags.Append(diagEmptyPreviousRootKey(path.Root("previous_root_keys").AtListIndex(i), i))
				continue
			}
			if err := backend.CheckRootKey(backend.FieldPreviousRootKey, i, k.ValueString()); err != nil {
				diags.Append(diagInvalidRootKey(fmt.Sprintf("Previous root key %d", i), false, err))
				continue
			}
			c.PreviousRootKeys = append(c.PreviousRootKeys, k.ValueString())
		}
	} else {
		keys, errs := storeconfig.ParsePreviousRootKeys(env.Getenv(envPreviousRootKeys))
		for _, err := range errs {
			var entry *storeconfig.EntryError
			if errors.As(err, &entry) {
				diags.Append(diagInvalidRootKey(fmt.Sprintf("Entry %d of %s", entry.Index, envPreviousRootKeys), true, entry.Err))
			}
		}
		c.PreviousRootKeys = keys
	}

	// actor
	c.Actor = stringOr(m.Actor, env.Getenv(envActor))
	if c.Actor == "" {
		c.Actor = defaultActor(env)
	}
	if err := backend.ValidateActor(c.Actor); err != nil {
		diags.Append(diagInvalidActor(err))
	}

	// allowed_namespaces
	if !m.AllowedNamespaces.IsNull() {
		var pats []types.String
		diags.Append(m.AllowedNamespaces.ElementsAs(ctx, &pats, false)...)
		for i, p := range pats {
			if err := validatePattern(p.ValueString()); err != nil {
				diags.Append(diagInvalidPattern(path.Root("allowed_namespaces").AtListIndex(i), "", err))
				continue
			}
			c.AllowedNamespaces = append(c.AllowedNamespaces, p.ValueString())
		}
	} else if v := env.Getenv(envAllowedNS); v != "" {
		c.AllowedNamespaces = storeconfig.SplitList(v)
		if err := validatePatterns(c.AllowedNamespaces); err != nil {
			diags.Append(diagInvalidPattern(path.Root("allowed_namespaces"), envAllowedNS, err))
		}
	}

	// default_ttl
	if ttl := stringOr(m.DefaultTTL, env.Getenv(envDefaultTTL)); ttl != "" {
		d, err := parseTTL(ttl)
		if err != nil {
			diags.Append(diagInvalidDuration(path.Root("default_ttl"), ttl, err))
		}
		c.DefaultTTL = d
	}

	// audit_reads
	if !m.AuditReads.IsNull() {
		c.AuditReads = m.AuditReads.ValueBool()
	} else if v := env.Getenv(envAuditReads); v != "" {
		b, err := storeconfig.ParseAuditReads(v)
		if err != nil {
			diags.Append(diagInvalidAuditReadsEnv(v))
		}
		c.AuditReads = b
	}
	return c
}

// stringOr returns the attribute's value when set, else fallback.
func stringOr(v types.String, fallback string) string {
	if !v.IsNull() && !v.IsUnknown() {
		return v.ValueString()
	}
	return fallback
}

// fileURL turns an absolute directory into a file:// bucket URL.
func fileURL(dir string) string { return storeconfig.FileURL(dir) }

// checkBucketURL rejects strings that are not URLs with a scheme.
func checkBucketURL(s string) error { return storeconfig.CheckURL(s) }

// Errors of parseTTL and parseRetention (diagInvalidDuration and
// diagInvalidRetention word them).
var (
	errNotDuration = errors.New("not a duration")
	errNotPositive = errors.New("not positive")
	errNegative    = errors.New("negative")
)

// parseTTL parses a positive Go duration ("720h", "90m"). It returns
// errNotDuration or errNotPositive.
func parseTTL(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errNotDuration
	}
	if d <= 0 {
		return 0, errNotPositive
	}
	return d, nil
}

// defaultActor names the run: Terraform Cloud's run environment when
// present, else the store's default (storeconfig.DefaultActor).
func defaultActor(env environment) string {
	return storeconfig.DefaultActor(env.Getenv)
}
