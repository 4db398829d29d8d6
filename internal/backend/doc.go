// SPDX-License-Identifier: MPL-2.0

// Package backend is the secret store: object layout, revisions, keyring,
// audit log, and the rotation and cleanup engines, over any gocloud.dev
// *blob.Bucket. It knows nothing of Terraform; the cryptography is package
// envelope's.
//
// # Keys
//
// A root key (a gocloud.dev/secrets keeper: base64key://, awskms://, ... or
// a bare base64 key) wraps a random store secret, kept in the store header
// (v1/h/). Failing to unwrap it with the root key and every previous root
// key is ErrRootKeyMismatch, reported by Open before anything else. The
// root key also wraps the material of every key version (v1/k/); keys
// derived from the store secret authenticate key version records and audit
// events. Key versions wrap the per-value data keys of secret revisions.
//
// # Objects and concurrency
//
// Every object is immutable and written create-only, so that concurrent
// writers (goroutines, processes, Terraform runs) cannot lose each other's
// updates: a secret revision's key depends on its revision number only, and
// the loser of a race gets ErrConcurrentModification. layout.go documents
// every key. The current revision of a secret costs one LIST (newest
// first) and one GET; planners (PlanRotate, PlanCleanup, KeyVersions'
// counts) read listings only. Open checks once that the bucket enforces
// create-only writes (ErrConditionalWritesUnsupported otherwise).
//
// # Local directories
//
// file:// stores opened by URL are written by the store itself (local.go):
// create-only through link(2), atomic across processes, and durable when a
// call returns. On Linux one syncfs(2) per commit stage makes a group of
// objects durable, and concurrent callers share each flush (group commit,
// sync_linux.go); elsewhere each file is fsynced, and each directory it
// touches too except on Windows.
//
// # Audit
//
// Every change appends its audit event(s) before the change itself, and
// fails if they cannot be written; events are authenticated and indexed by
// secret, namespace and operation (audit.go).
package backend
