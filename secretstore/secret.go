// SPDX-License-Identifier: MPL-2.0

package secretstore

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// Secret is one revision of a secret with its decrypted value.
//
// Value is the only field that is secret. A Secret never shows it: fmt
// prints a Secret (or a *Secret) with every verb as String does, JSON
// marshalling omits it and log/slog logs the other fields only. Read
// s.Value where the value is needed, and clear(s.Value) when done if the
// program wants it out of memory early.
type Secret struct {
	Namespace string
	Name      string
	// Value is the decrypted value, exactly the bytes that were written.
	Value []byte
	// Revision is the revision that was read, from 1. Every write (a new
	// value, metadata or expiry, or a key rotation) makes a new revision.
	Revision int64
	// KeyVersion is the key version the revision's data key is wrapped
	// under.
	KeyVersion int64
	// ValueID names the write of the value this revision carries: a key
	// rotation and a metadata- or expiry-only update keep it, each new
	// value (even an equal one) gets a new one. It is a MAC under a key
	// derived from the value's data key (32 hex characters) and reveals
	// nothing about the value, so it may be logged to tell which value a
	// program runs with.
	ValueID string
	// Metadata is stored in clear beside the value; nil when there is
	// none.
	Metadata map[string]string
	// CreatedAt is the time of the secret's first revision.
	CreatedAt time.Time
	// UpdatedAt is the time of the last change to the value, metadata or
	// expiry as of this revision (a key rotation keeps it).
	UpdatedAt time.Time
	// ExpiresAt is the secret's expiry; nil when it never expires.
	ExpiresAt *time.Time
}

// String describes the secret without its value, for example
// "secret acme:production/OPENAI_API_KEY revision 3 (key version 2, value redacted)".
func (s Secret) String() string {
	return fmt.Sprintf("secret %s/%s revision %d (key version %d, value redacted)", s.Namespace, s.Name, s.Revision, s.KeyVersion)
}

// Format prints the secret as String does, whatever the verb (%v, %+v,
// %#v, %s, %q, %x...), so that a value never reaches a log by accident.
func (s Secret) Format(f fmt.State, _ rune) {
	fmt.Fprint(f, s.String())
}

// secretJSON is a Secret as JSON: every field but the value.
type secretJSON struct {
	Namespace  string            `json:"namespace"`
	Name       string            `json:"name"`
	Revision   int64             `json:"revision"`
	KeyVersion int64             `json:"key_version"`
	ValueID    string            `json:"value_id"`
	Metadata   map[string]string `json:"metadata,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
	ExpiresAt  *time.Time        `json:"expires_at,omitempty"`
}

// MarshalJSON encodes every field except Value.
func (s Secret) MarshalJSON() ([]byte, error) {
	return json.Marshal(secretJSON{
		Namespace: s.Namespace, Name: s.Name, Revision: s.Revision, KeyVersion: s.KeyVersion,
		ValueID: s.ValueID, Metadata: s.Metadata, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, ExpiresAt: s.ExpiresAt,
	})
}

// LogValue logs the secret's namespace, name, revision, key version and
// value ID: never its value.
func (s Secret) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("namespace", s.Namespace),
		slog.String("name", s.Name),
		slog.Int64("revision", s.Revision),
		slog.Int64("key_version", s.KeyVersion),
		slog.String("value_id", s.ValueID),
	)
}

// SecretInfo describes a secret's current revision as List sees it,
// without its value (List never decrypts).
type SecretInfo struct {
	Namespace  string
	Name       string
	Revision   int64
	KeyVersion int64
	Metadata   map[string]string // nil when none
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ExpiresAt  *time.Time // nil when the secret never expires
	// Expired reports that the expiry had passed when List ran: Get would
	// fail with ErrExpired.
	Expired bool
}

// newSecret converts a backend secret; the value is the backend's slice.
func newSecret(b backend.Secret) *Secret {
	return &Secret{
		Namespace: b.Namespace, Name: b.Name, Value: b.Value, Revision: b.Revision,
		KeyVersion: int64(b.KeyVersion), ValueID: b.ValueID, Metadata: copyMetadata(b.Metadata),
		CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt, ExpiresAt: optionalTime(b.ExpiresAt),
	}
}

func newSecretInfo(b backend.Secret) SecretInfo {
	return SecretInfo{
		Namespace: b.Namespace, Name: b.Name, Revision: b.Revision, KeyVersion: int64(b.KeyVersion),
		Metadata: copyMetadata(b.Metadata), CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt,
		ExpiresAt: optionalTime(b.ExpiresAt), Expired: b.State == backend.StateExpired,
	}
}

func copyMetadata(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
