// SPDX-License-Identifier: MPL-2.0

// Package secretstore reads secrets from a secret store written by the
// secretstore Terraform provider (or the secretstore CLI), for
// applications that load their secrets at start-up.
//
// A store is a gocloud.dev blob bucket (a local directory, S3, GCS or
// Azure Blob) holding only ciphertext, and a root key (a base64 32-byte key
// or a KMS keeper URL) that unlocks it. An application opens the store with
// the same settings as Terraform, usually from the same environment
// variables (see ConfigFromEnv), and reads values by namespace and name:
//
//	cfg, err := secretstore.ConfigFromEnv()
//	...
//	store, err := secretstore.Open(ctx, cfg)
//	...
//	defer store.Close()
//	s, err := store.Get(ctx, "acme:production", "OPENAI_API_KEY")
//	if errors.Is(err, secretstore.ErrNotFound) { ... }
//	useKey(s.Value)
//
// Alternatively the environment names secrets by reference, as
// "secretstore:acme:production/OPENAI_API_KEY" (see ParseReference), and
// Store.ResolveEnv replaces each reference by its value.
//
// # What the client does and does not do
//
// The client changes no secret, key version or store header: opening a
// store writes nothing to the bucket, and opening an empty bucket, or a
// directory that does not exist, fails with ErrNotFound instead of creating
// a store there. Its only writes are audit events: when Config.AuditReads is
// set, each value returned by Get, GetRevision or ResolveEnv appends a
// "read" event to the store's audit log first, as the provider's
// audit_reads does, and the read fails if that event cannot be written.
// Without AuditReads the client writes nothing at all.
//
// Every value is authenticated before it is returned: a value that was
// altered, moved to another secret or revision, or wrapped under another
// key version fails with ErrIntegrity, never returns wrong bytes.
//
// # Errors
//
// Errors are usable with errors.Is against ErrNotFound, ErrExpired,
// ErrKeyVersionUnavailable, ErrIntegrity and the other sentinels of this
// package. Their messages name secrets and revisions, never a value or
// key material, so they may be logged.
//
// # Secrecy
//
// Secret.Value is the only place a value appears. A Secret formats (with
// any fmt verb), marshals to JSON and logs through log/slog without its
// value; pass Value itself where the value is meant to go.
package secretstore
