// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// Input limits. The byte limits of namespaces, names, values and metadata
// are the record format's (package envelope).
const (
	MaxNamespaceLen   = envelope.MaxNamespaceLen
	MaxNameLen        = envelope.MaxNameLen
	MaxValueLen       = envelope.MaxValueLen
	MaxMetadataKeys   = envelope.MaxMetadataKeys
	MaxMetadataLen    = envelope.MaxMetadataLen
	MaxMetadataKeyLen = 128
	MaxReasonLen      = 256
	MaxActorLen       = 256
	MaxListPageSize   = 1000
)

// ValidateNamespace checks a namespace: 1 to 128 bytes of UTF-8 letters,
// digits, '-', '_', '.' and ':' (for example "acme:production" or
// "team-alpha:testing"), and not "." or "..". It never contains '/', so
// "<namespace>/<name>" identifies a secret unambiguously.
func ValidateNamespace(ns string) error {
	const accepted = "a namespace is 1 to 128 bytes of letters, digits, '-', '_', '.' and ':' (for example \"acme:production\"), and not \".\" or \"..\""
	switch {
	case ns == "":
		return invalid(FieldNamespace, "is empty; %s", accepted)
	case len(ns) > MaxNamespaceLen:
		return invalid(FieldNamespace, "is %d bytes long; %s", len(ns), accepted)
	case ns == "." || ns == "..":
		return invalid(FieldNamespace, "%q is reserved; %s", ns, accepted)
	case !utf8.ValidString(ns):
		return invalid(FieldNamespace, "is not valid UTF-8; %s", accepted)
	}
	for i, r := range ns {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' || r == ':') {
			return invalid(FieldNamespace, "contains %s at byte %d; %s", describeRune(r), i, accepted)
		}
	}
	return nil
}

// ValidateName checks a secret name: 1 to 256 bytes of UTF-8 made of
// visible characters (letters, digits, punctuation, symbols), without '/',
// '\', spaces or control characters, and not "." or "..".
func ValidateName(name string) error {
	return validateNameLike(FieldName, name, false)
}

func validateNameLike(field Field, s string, prefix bool) error {
	const accepted = "a name is 1 to 256 bytes of visible UTF-8 characters without '/', '\\', spaces or control characters (for example \"OPENAI_API_KEY\" or \"db.password\"), and not \".\" or \"..\""
	switch {
	case s == "" && !prefix:
		return invalid(field, "is empty; %s", accepted)
	case len(s) > MaxNameLen:
		return invalid(field, "is %d bytes long; %s", len(s), accepted)
	case !prefix && (s == "." || s == ".."):
		return invalid(field, "%q is reserved; %s", s, accepted)
	case !utf8.ValidString(s):
		return invalid(field, "is not valid UTF-8; %s", accepted)
	}
	for i, r := range s {
		if r == '/' || r == '\\' || unicode.IsSpace(r) || !unicode.IsGraphic(r) {
			return invalid(field, "contains %q at byte %d; %s", r, i, accepted)
		}
	}
	return nil
}

func describeRune(r rune) string {
	if unicode.IsControl(r) {
		return fmt.Sprintf("control character %U", r)
	}
	return fmt.Sprintf("%q", r)
}

func validateValue(v []byte) error {
	if len(v) > MaxValueLen {
		return invalid(FieldValue, "is %d bytes; the limit is %d bytes (64 KiB)", len(v), MaxValueLen)
	}
	return nil
}

// validateMetadata checks a metadata map: at most 64 entries, keys of 1 to
// 128 visible characters, values of valid UTF-8 without control characters,
// and at most 8 KiB of keys and values together. Metadata is stored in
// clear: it must not hold secrets.
func validateMetadata(md map[string]string) error {
	if len(md) > MaxMetadataKeys {
		return invalid(FieldMetadata, "has %d entries; the limit is %d", len(md), MaxMetadataKeys)
	}
	total := 0
	for k, v := range md {
		total += len(k) + len(v)
		if k == "" || len(k) > MaxMetadataKeyLen || !utf8.ValidString(k) {
			return invalid(FieldMetadata, "key %q must be 1 to %d bytes of valid UTF-8", k, MaxMetadataKeyLen)
		}
		for _, r := range k {
			if unicode.IsSpace(r) || !unicode.IsGraphic(r) {
				return invalid(FieldMetadata, "key %q contains %q; keys are visible characters without spaces", k, r)
			}
		}
		if !utf8.ValidString(v) {
			return invalid(FieldMetadata, "value of %q is not valid UTF-8", k)
		}
		if strings.IndexFunc(v, unicode.IsControl) >= 0 {
			return invalid(FieldMetadata, "value of %q contains a control character", k)
		}
	}
	if total > MaxMetadataLen {
		return invalid(FieldMetadata, "is %d bytes of keys and values; the limit is %d bytes (8 KiB)", total, MaxMetadataLen)
	}
	return nil
}

// ValidateActor checks an actor (Options.Actor) by the rule of a reason:
// at most MaxActorLen bytes of UTF-8 without control characters, so that
// an audit event never carries a line break or a terminal escape. The
// error is a *ValidationError on FieldActor that does not repeat the actor.
func ValidateActor(actor string) error {
	if len(actor) > MaxActorLen || !utf8.ValidString(actor) || strings.IndexFunc(actor, unicode.IsControl) >= 0 {
		return invalid(FieldActor, "must be at most %d bytes of UTF-8 without control characters (such as line breaks or terminal escapes)", MaxActorLen)
	}
	return nil
}

func validateReason(field Field, r string) error {
	if len(r) > MaxReasonLen || !utf8.ValidString(r) || strings.IndexFunc(r, unicode.IsControl) >= 0 {
		return invalid(field, "must be at most %d bytes of UTF-8 without control characters", MaxReasonLen)
	}
	return nil
}

func validateScope(ns string) error {
	if ns == "" {
		return nil
	}
	return ValidateNamespace(ns)
}

// validateCleanup checks the input of PlanCleanup and Cleanup.
func validateCleanup(in CleanupInput) error {
	if err := validateScope(in.Namespace); err != nil {
		return err
	}
	return validateRetention(in.Retention)
}

func validateRetention(r Retention) error {
	for _, f := range []struct {
		field Field
		d     *time.Duration
	}{
		{FieldExpiredSecretRetention, r.ExpiredSecrets},
		{FieldDeletedSecretRetention, r.DeletedSecrets},
		{FieldRevisionRetention, r.Revisions},
		{FieldAuditEventRetention, r.AuditEvents},
	} {
		if f.d != nil && *f.d < 0 {
			return invalid(f.field, "is negative (%s); give a duration of zero or more, such as 720h", *f.d)
		}
	}
	return nil
}

func validateSecretID(ns, name string) error {
	if err := ValidateNamespace(ns); err != nil {
		return err
	}
	return ValidateName(name)
}
