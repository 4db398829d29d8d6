// SPDX-License-Identifier: MPL-2.0

package secretstore

import "github.com/secretstore/terraform-provider-secretstore/internal/backend"

// Errors returned by this package wrap at most one of these sentinels;
// branch on them with errors.Is and show err.Error() to people. The words
// of the first four are the store's result kinds, as the provider and the
// CLI report them.
var (
	// ErrNotFound: the secret or revision does not exist, the secret is
	// deleted, or (from Open) the bucket holds no store.
	ErrNotFound = backend.ErrNotFound
	// ErrExpired: the secret exists but its expiry has passed. Its value is
	// not returned.
	ErrExpired = backend.ErrExpired
	// ErrKeyVersionUnavailable: the revision's data key is wrapped under a
	// key version the store's keyring does not hold (never created, or its
	// material is gone).
	ErrKeyVersionUnavailable = backend.ErrKeyVersionUnavailable
	// ErrIntegrity: an object of the store is tampered with or corrupt (an
	// authentication tag or MAC does not verify, it is truncated, or it is
	// labelled for another secret, revision or key version).
	ErrIntegrity = backend.ErrIntegrity
	// ErrRootKeyMismatch: from Open, the root key (and every previous root
	// key) fails to open this store's keyring: the wrong key, or the wrong
	// store.
	ErrRootKeyMismatch = backend.ErrRootKeyMismatch
	// ErrInvalidArgument: an argument or configuration value is malformed
	// (a namespace, name, revision, reference, URL, root key or actor).
	ErrInvalidArgument = backend.ErrInvalidArgument
	// ErrUnsupportedFormat: an object of the store names a format version
	// this build does not know; a newer release wrote it.
	ErrUnsupportedFormat = backend.ErrUnsupportedFormat
	// ErrClosed: the Store was closed.
	ErrClosed = backend.ErrClosed
)
