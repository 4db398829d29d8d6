// SPDX-License-Identifier: MPL-2.0

package envelope

import (
	"errors"
	"fmt"
)

// Sizes fixed by the format.
const (
	KeySize        = 32 // AES-256 keys: DEKs and key versions (KEKs)
	NonceSize      = 12 // 96-bit GCM nonces from crypto/rand
	TagSize        = 16 // 128-bit GCM tags
	CheckValueSize = 8  // truncated HMAC-SHA256 key check value

	// FormatVersion is the only record format this build writes and reads.
	FormatVersion = 1

	MaxNamespaceLen = 128
	MaxNameLen      = 256
	MaxValueLen     = 64 << 10 // plaintext bytes
	MaxMetadataKeys = 64
	MaxMetadataLen  = 8 << 10 // sum of key and value bytes

	// WrappedKeySize is the size of a key wrapped by WrapKey, and of a
	// record's wrapped DEK: nonce || ciphertext || tag.
	WrappedKeySize = NonceSize + KeySize + TagSize

	// MaxRecordLen bounds the encoded size of any valid record, so a reader
	// can limit how much it reads before calling Decode.
	MaxRecordLen = fixedHeaderLen +
		2 + MaxNamespaceLen + 2 + MaxNameLen +
		2 + MaxMetadataKeys*4 + MaxMetadataLen +
		WrappedKeySize + 4 + NonceSize + MaxValueLen + TagSize
)

// Errors. Decoding and opening failures wrap exactly one of ErrIntegrity,
// ErrMalformed and ErrUnsupportedVersion (ErrTooLarge is a kind of
// ErrMalformed); a key of the wrong size gives ErrKeySize.
var (
	// ErrIntegrity: authentication failed (wrong key, tampered or moved
	// ciphertext, altered header). No plaintext is released.
	ErrIntegrity = errors.New("integrity check failed")
	// ErrMalformed: bytes that are not a canonical encoding (truncated,
	// trailing bytes, oversized lengths, bad flags).
	ErrMalformed = errors.New("malformed record")
	// ErrUnsupportedVersion: a format version this build does not know.
	ErrUnsupportedVersion = errors.New("unsupported format version")
	// ErrKeySize: a key that is not KeySize bytes.
	ErrKeySize = errors.New("key must be 32 bytes")
	// ErrTooLarge: a namespace, name, value or metadata over its Max* limit,
	// whether given to Seal or Rewrap or found by Decode. It wraps
	// ErrMalformed, so errors.Is(err, ErrMalformed) also holds.
	ErrTooLarge = fmt.Errorf("%w: size limit exceeded", ErrMalformed)
	// ErrIdentityChanged: Rewrap was asked to change a record's namespace,
	// name or tombstone flag. It is an argument error, not an integrity one:
	// moving a value to another secret needs its plaintext and a new Seal.
	ErrIdentityChanged = errors.New("rewrap cannot change namespace, name or tombstone")
)

// Header is the authenticated, unencrypted part of a secret revision.
// Every field is bound into the wrapped DEK's AAD, so changing any of them
// (or moving the record to another secret, revision or key version) makes
// Open fail with ErrIntegrity.
type Header struct {
	Namespace  string
	Name       string
	Revision   uint64
	KeyVersion uint32
	Tombstone  bool
	CreatedAt  int64 // unix nanoseconds
	UpdatedAt  int64 // unix nanoseconds
	ExpiresAt  int64 // unix nanoseconds; 0 never expires
	Metadata   map[string]string
}

// Record is a decoded secret revision object.
type Record struct {
	Header     Header
	WrappedDEK []byte // nonce || AES-GCM(KEK, DEK, AAD(dek, header)) || tag
	Ciphertext []byte // nonce || AES-GCM(DEK, value, AAD(value, ns, name)) || tag
}
