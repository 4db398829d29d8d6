// SPDX-License-Identifier: MPL-2.0

// Package storeconfig holds the environment variables that configure a
// connection to a secret store, and the rules for parsing them, for every
// program of this module: the Terraform provider, the secretstore CLI and
// the public Go client. A variable means the same thing, and is checked the
// same way, whichever of them reads it.
//
// Nothing here opens a store or performs I/O beyond reading the
// environment: root keys are checked for syntax only (backend.CheckRootKey);
// backend.Open parses and opens them.
package storeconfig

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// Environment variables. The first five configure every program; the
// provider alone reads EnvAllowedNamespaces and EnvDefaultTTL.
const (
	// EnvURL is the store's gocloud.dev bucket URL.
	EnvURL = "SECRETSTORE_URL"
	// EnvRootKey is the root key: a keeper URL or a bare base64 32-byte key.
	EnvRootKey = "SECRETSTORE_ROOT_KEY"
	// EnvPreviousRootKeys are older root keys, comma-separated, in order.
	EnvPreviousRootKeys = "SECRETSTORE_PREVIOUS_ROOT_KEYS"
	// EnvActor names who acts in audit events.
	EnvActor = "SECRETSTORE_ACTOR"
	// EnvAuditReads, when true, makes every read of a value append a read
	// audit event.
	EnvAuditReads = "SECRETSTORE_AUDIT_READS"
	// EnvAllowedNamespaces are the provider's namespace patterns,
	// comma-separated.
	EnvAllowedNamespaces = "SECRETSTORE_ALLOWED_NAMESPACES"
	// EnvDefaultTTL is the provider's default time to live of new secrets.
	EnvDefaultTTL = "SECRETSTORE_DEFAULT_TTL"
)

// DefaultStoreDir is the store directory of programs that default to a
// local store when no URL is configured, relative to their working
// directory (for the provider, Terraform's).
const DefaultStoreDir = ".secretstore"

// Getenv looks up an environment variable, as os.Getenv does; tests pass a
// map's lookup instead.
type Getenv func(string) string

// Config is the connection configuration read from the environment. It
// holds key material, so it formats itself with the keys redacted.
type Config struct {
	URL              string   // EnvURL; empty when unset
	RootKey          string   // EnvRootKey; empty when unset
	PreviousRootKeys []string // EnvPreviousRootKeys
	Actor            string   // EnvActor, else DefaultActor
	AuditReads       bool     // EnvAuditReads
}

// Format prints the configuration without key material (nor the URL's
// user info and query, which may carry credentials), whatever the verb.
func (c Config) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "{URL:%s RootKey:%s PreviousRootKeys:<%d redacted> Actor:%s AuditReads:%t}",
		backend.RedactURL(c.URL), redactedIfSet(c.RootKey), len(c.PreviousRootKeys), c.Actor, c.AuditReads)
}

func redactedIfSet(s string) string {
	if s == "" {
		return "<unset>"
	}
	return "<redacted>"
}

// FromEnv reads the five connection variables through getenv and checks
// each one that is set. URL and RootKey stay empty when their variables are
// unset: whether that is an error, or has a default, is the caller's rule.
// Every problem found is reported, joined into one error whose parts name
// the variable (and unwrap to a *backend.ValidationError where the store
// checks the value); no part contains a key.
func FromEnv(getenv Getenv) (Config, error) {
	var c Config
	var errs []error
	c.URL = getenv(EnvURL)
	if c.URL != "" {
		if err := CheckURL(c.URL); err != nil {
			errs = append(errs, fmt.Errorf("%s %s is not usable: %w", EnvURL, backend.RedactURL(c.URL), err))
		}
	}
	c.RootKey = getenv(EnvRootKey)
	if c.RootKey != "" {
		if err := backend.CheckRootKey(backend.FieldRootKey, 0, c.RootKey); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvRootKey, err))
		}
	}
	keys, keyErrs := ParsePreviousRootKeys(getenv(EnvPreviousRootKeys))
	c.PreviousRootKeys = keys
	for _, err := range keyErrs {
		errs = append(errs, err)
	}
	c.Actor = getenv(EnvActor)
	if c.Actor == "" {
		c.Actor = DefaultActor(getenv)
	}
	if err := backend.ValidateActor(c.Actor); err != nil {
		errs = append(errs, fmt.Errorf("%s (or the default actor): %w", EnvActor, err))
	}
	b, err := ParseAuditReads(getenv(EnvAuditReads))
	if err != nil {
		errs = append(errs, err)
	}
	c.AuditReads = b
	return c, errors.Join(errs...)
}

// EntryError is a refused entry of EnvPreviousRootKeys. Index counts the
// comma-separated entries from 0, empty ones included. Err is the
// *backend.ValidationError of backend.CheckRootKey, whose reason never
// contains the key.
type EntryError struct {
	Index int
	Err   error
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("entry %d of %s: %v", e.Index, EnvPreviousRootKeys, e.Err)
}

// Unwrap returns Err.
func (e *EntryError) Unwrap() error { return e.Err }

// ParsePreviousRootKeys splits the value of EnvPreviousRootKeys at commas,
// trims spaces and drops empty entries, and checks each key's syntax. It
// returns the accepted keys in order, and an *EntryError for each refused
// one.
func ParsePreviousRootKeys(v string) ([]string, []error) {
	if v == "" {
		return nil, nil
	}
	var keys []string
	var errs []error
	for i, k := range strings.Split(v, ",") {
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if err := backend.CheckRootKey(backend.FieldPreviousRootKey, i, k); err != nil {
			errs = append(errs, &EntryError{Index: i, Err: err})
			continue
		}
		keys = append(keys, k)
	}
	return keys, errs
}

// ErrNotBoolean is returned, wrapped, by ParseAuditReads.
var ErrNotBoolean = errors.New("not a boolean; use true or false")

// ParseAuditReads parses the value of EnvAuditReads as strconv.ParseBool
// does ("true", "false", "1", "0", ...); an empty value is false.
func ParseAuditReads(v string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q is %w", EnvAuditReads, v, ErrNotBoolean)
	}
	return b, nil
}

// SplitList splits a comma-separated variable such as EnvAllowedNamespaces,
// trimming spaces and dropping empty entries.
func SplitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// DefaultActor names who acts when no actor is configured: Terraform
// Cloud's run (TFC_RUN_ID, with TFC_WORKSPACE_SLUG or TFC_WORKSPACE_NAME)
// when its variables are set, else the store's default
// (backend.DefaultActor: user@host).
func DefaultActor(getenv Getenv) string {
	if run := getenv("TFC_RUN_ID"); run != "" {
		ws := getenv("TFC_WORKSPACE_SLUG")
		if ws == "" {
			ws = getenv("TFC_WORKSPACE_NAME")
		}
		if ws == "" {
			return "terraform-cloud run " + run
		}
		return "terraform-cloud " + ws + " run " + run
	}
	return backend.DefaultActor()
}

// InTerraformCloud reports whether getenv describes a Terraform Cloud run
// (TFC_RUN_ID is set), whose working directory is discarded after the run:
// no place for a default local store.
func InTerraformCloud(getenv Getenv) bool {
	return getenv("TFC_RUN_ID") != ""
}

// CheckURL rejects strings that are not URLs with a scheme. The store
// checks the rest when it opens the bucket.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("cannot parse it as a URL")
	}
	if u.Scheme == "" {
		return fmt.Errorf("it has no scheme")
	}
	return nil
}

// FileURL turns an absolute directory into a file:// bucket URL.
func FileURL(dir string) string {
	p := filepath.ToSlash(dir)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows: file:///C:/dir
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}
