package provider

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Environment variables read when the matching provider attribute is unset.
const (
	envURL              = "SECRETSTORE_URL"
	envRootKey          = "SECRETSTORE_ROOT_KEY"
	envPreviousRootKeys = "SECRETSTORE_PREVIOUS_ROOT_KEYS"
	envActor            = "SECRETSTORE_ACTOR"
	envAllowedNS        = "SECRETSTORE_ALLOWED_NAMESPACES"
	envDefaultTTL       = "SECRETSTORE_DEFAULT_TTL"
	envAuditReads       = "SECRETSTORE_AUDIT_READS"
)

// defaultStoreDir is the store directory used when no url is configured,
// relative to Terraform's working directory.
const defaultStoreDir = ".secretstore"

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

// unknown reports whether any attribute is unknown (e.g. a URL that comes
// from a resource not yet created).
func (m providerModel) unknown() bool {
	return m.URL.IsUnknown() || m.RootKey.IsUnknown() || m.PreviousRootKeys.IsUnknown() ||
		m.Actor.IsUnknown() || m.AllowedNamespaces.IsUnknown() || m.DefaultTTL.IsUnknown() ||
		m.AuditReads.IsUnknown()
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
	// CreateDir is the local directory to create before opening URL (the
	// default .secretstore directory); empty for configured URLs.
	CreateDir string
}

// Format prints the configuration without key material, whatever the verb.
func (c providerConfig) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "{URL:%s RootKey:<redacted> PreviousRootKeys:<%d redacted> Actor:%s AllowedNamespaces:%q DefaultTTL:%s AuditReads:%t}",
		c.URL, len(c.PreviousRootKeys), c.Actor, c.AllowedNamespaces, c.DefaultTTL, c.AuditReads)
}

// environment abstracts os.Getenv and the working directory for tests.
type environment struct {
	Getenv   func(string) string
	Getwd    func() (string, error)
	Username func() string
	Hostname func() (string, error)
}

// osEnvironment is the process environment.
func osEnvironment() environment {
	return environment{
		Getenv: os.Getenv,
		Getwd:  os.Getwd,
		Username: func() string {
			if u, err := user.Current(); err == nil && u.Username != "" {
				return u.Username
			}
			for _, k := range []string{"USER", "USERNAME", "LOGNAME"} {
				if v := os.Getenv(k); v != "" {
					return v
				}
			}
			return "unknown"
		},
		Hostname: os.Hostname,
	}
}

// resolveConfig merges the provider block with the environment and checks
// every value, adding attribute diagnostics. The model must be fully known.
func resolveConfig(ctx context.Context, m providerModel, env environment, diags *diag.Diagnostics) providerConfig {
	var c providerConfig

	// url
	c.URL = stringOr(m.URL, env.Getenv(envURL))
	if c.URL == "" {
		if runID := env.Getenv("TFC_RUN_ID"); runID != "" {
			diags.AddAttributeError(path.Root("url"), "Store URL required in Terraform Cloud",
				"Neither url nor "+envURL+" is set, and this run executes in Terraform Cloud (TFC_RUN_ID is set), "+
					"where the working directory and a local .secretstore directory in it are discarded after the run. "+
					"Set url (or the "+envURL+" workspace variable) to a bucket that outlives the run, "+
					"for example s3://my-bucket?region=eu-west-1, gs://my-bucket or azblob://my-container.")
		} else if wd, err := env.Getwd(); err != nil {
			diags.AddAttributeError(path.Root("url"), "Store URL required",
				"Neither url nor "+envURL+" is set and the working directory cannot be determined for the default "+
					".secretstore directory: "+err.Error()+". Set url to a bucket URL such as file:///path/to/dir.")
		} else {
			c.CreateDir = filepath.Join(wd, defaultStoreDir)
			c.URL = fileURL(c.CreateDir)
		}
	} else if err := checkBucketURL(c.URL); err != nil {
		diags.AddAttributeError(path.Root("url"), "Invalid store URL",
			fmt.Sprintf("The store URL %q is not usable: %s. Use a gocloud.dev bucket URL: file:///abs/dir, mem://, "+
				"s3://bucket?region=..., gs://bucket or azblob://container.", redactURL(c.URL), err))
	}

	// root_key
	c.RootKey = stringOr(m.RootKey, env.Getenv(envRootKey))
	if c.RootKey == "" {
		diags.AddAttributeError(path.Root("root_key"), "Root key required",
			"Neither root_key nor "+envRootKey+" is set. The root key encrypts the store's key versions. "+
				"Generate a local key with `openssl rand -base64 32` and export it as "+envRootKey+
				" (keep it out of your configuration and version control), or use a KMS keeper URL such as "+
				"awskms://alias/my-key?region=eu-west-1, gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k "+
				"or azurekeyvault://my-vault.vault.azure.net/keys/my-key.")
	} else if err := checkRootKey(c.RootKey); err != nil {
		diags.AddAttributeError(path.Root("root_key"), "Invalid root key",
			"The root key (from root_key or "+envRootKey+") is not usable: "+err.Error()+
				". Generate one with `openssl rand -base64 32`, or use a KMS keeper URL.")
	}

	// previous_root_keys
	if !m.PreviousRootKeys.IsNull() {
		var keys []types.String
		diags.Append(m.PreviousRootKeys.ElementsAs(ctx, &keys, false)...)
		for i, k := range keys {
			if k.IsNull() || k.ValueString() == "" {
				diags.AddAttributeError(path.Root("previous_root_keys").AtListIndex(i), "Invalid previous root key",
					"A previous root key is empty. Remove the empty entry.")
				continue
			}
			if err := checkRootKey(k.ValueString()); err != nil {
				diags.AddAttributeError(path.Root("previous_root_keys").AtListIndex(i), "Invalid previous root key",
					fmt.Sprintf("Previous root key %d is not usable: %s.", i, err))
				continue
			}
			c.PreviousRootKeys = append(c.PreviousRootKeys, k.ValueString())
		}
	} else if v := env.Getenv(envPreviousRootKeys); v != "" {
		for i, k := range strings.Split(v, ",") {
			k = strings.TrimSpace(k)
			if k == "" {
				continue
			}
			if err := checkRootKey(k); err != nil {
				diags.AddAttributeError(path.Root("previous_root_keys"), "Invalid previous root key",
					fmt.Sprintf("Entry %d of %s is not usable: %s.", i, envPreviousRootKeys, err))
				continue
			}
			c.PreviousRootKeys = append(c.PreviousRootKeys, k)
		}
	}

	// actor
	c.Actor = stringOr(m.Actor, env.Getenv(envActor))
	if c.Actor == "" {
		c.Actor = defaultActor(env)
	}

	// allowed_namespaces
	if !m.AllowedNamespaces.IsNull() {
		var pats []types.String
		diags.Append(m.AllowedNamespaces.ElementsAs(ctx, &pats, false)...)
		for i, p := range pats {
			if err := validatePatterns([]string{p.ValueString()}); err != nil {
				diags.AddAttributeError(path.Root("allowed_namespaces").AtListIndex(i), "Invalid namespace pattern", err.Error()+".")
				continue
			}
			c.AllowedNamespaces = append(c.AllowedNamespaces, p.ValueString())
		}
	} else if v := env.Getenv(envAllowedNS); v != "" {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.AllowedNamespaces = append(c.AllowedNamespaces, p)
			}
		}
		if err := validatePatterns(c.AllowedNamespaces); err != nil {
			diags.AddAttributeError(path.Root("allowed_namespaces"), "Invalid namespace pattern",
				"In "+envAllowedNS+": "+err.Error()+".")
		}
	}

	// default_ttl
	if ttl := stringOr(m.DefaultTTL, env.Getenv(envDefaultTTL)); ttl != "" {
		d, err := parseTTL(ttl)
		if err != nil {
			diags.AddAttributeError(path.Root("default_ttl"), "Invalid default TTL", err.Error())
		}
		c.DefaultTTL = d
	}

	// audit_reads
	if !m.AuditReads.IsNull() {
		c.AuditReads = m.AuditReads.ValueBool()
	} else if v := env.Getenv(envAuditReads); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			diags.AddAttributeError(path.Root("audit_reads"), "Invalid audit_reads",
				fmt.Sprintf("%s=%q is not a boolean; use true or false.", envAuditReads, v))
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
func fileURL(dir string) string {
	p := filepath.ToSlash(dir)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: file:///C:/dir
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// checkBucketURL rejects strings that are not URLs with a scheme.
func checkBucketURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("cannot parse it as a URL")
	}
	if u.Scheme == "" {
		return fmt.Errorf("it has no scheme")
	}
	return nil
}

// redactURL drops user info and query (which may carry credentials).
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "<unparsable>"
	}
	u.User = nil
	u.RawQuery = ""
	return u.String()
}

// checkRootKey accepts a keeper URL (scheme://...) or a bare standard base64
// encoding of exactly 32 bytes. The error never includes the key.
func checkRootKey(k string) error {
	if strings.Contains(k, "://") {
		if _, err := url.Parse(k); err != nil {
			return fmt.Errorf("it looks like a keeper URL but cannot be parsed")
		}
		return nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(k))
	if err != nil {
		return fmt.Errorf("it is neither a keeper URL (base64key://, awskms://, gcpkms://, azurekeyvault://, hashivault://) nor valid standard base64")
	}
	if len(raw) != 32 {
		return fmt.Errorf("it decodes to %d bytes; a bare root key must be exactly 32 bytes", len(raw))
	}
	return nil
}

// parseTTL parses a positive Go duration ("720h", "90m"); the error is a
// full sentence naming the input.
func parseTTL(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration. Use Go duration syntax with units h, m, s, for example \"720h\" for 30 days or \"90m\".", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q is not positive. Use a duration greater than zero, for example \"720h\".", s)
	}
	return d, nil
}

// defaultActor names the run: Terraform Cloud's run environment when
// present, else user@host.
func defaultActor(env environment) string {
	if run := env.Getenv("TFC_RUN_ID"); run != "" {
		ws := env.Getenv("TFC_WORKSPACE_SLUG")
		if ws == "" {
			ws = env.Getenv("TFC_WORKSPACE_NAME")
		}
		if ws == "" {
			return "terraform-cloud run " + run
		}
		return "terraform-cloud " + ws + " run " + run
	}
	host, err := env.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return env.Username() + "@" + host
}
