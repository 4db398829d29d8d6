// SPDX-License-Identifier: MPL-2.0

// Package envelope is the project's cryptography: sealing values under data
// keys, wrapping data keys under key versions, key check values and the
// canonical AAD encoding. It performs no I/O, holds no state, and its
// functions are safe for concurrent use.
//
// # Key hierarchy
//
// Every secret value is encrypted under its own fresh 256-bit data key (DEK)
// with AES-256-GCM. The DEK is then wrapped, again with AES-256-GCM, under a
// 256-bit key-encryption key (KEK), one of the store's key versions. Rotation
// (Rewrap) unwraps the DEK and wraps it under another KEK; the value
// ciphertext is copied byte for byte and never re-encrypted.
//
// # Crypto choices
//
//   - AES-256-GCM with 96-bit nonces drawn from crypto/rand and 128-bit tags:
//     the standard AEAD, hardware-accelerated, and covered by the Wycheproof
//     vectors this package is tested against.
//   - Random nonces are safe for values because each DEK encrypts exactly one
//     value, so a DEK never sees a second nonce at all. Under a KEK, random
//     96-bit nonces are safe up to 2^32 wraps (NIST SP 800-38D §8.3); this
//     package does not count wraps, the backend does, per key version.
//   - Additional data is a canonical length-prefixed encoding (AAD), never a
//     separator join, so distinct field tuples can never produce the same
//     bytes. The value's AAD binds the format version, the role "value", the
//     namespace and the name: value ciphertext moved to another secret fails.
//     The wrapped DEK's AAD binds the format version, the role "dek" and
//     every header field, so moving a record to another secret, revision or
//     key version, or altering its expiry, times, tombstone flag or metadata,
//     fails with ErrIntegrity.
//   - Key check values are HMAC-SHA256 of a fixed label under the key,
//     truncated to 8 bytes: enough to tell a wrong key from the right one
//     before decrypting anything, and, being keyed, they reveal nothing that
//     helps to guess the key. An unkeyed hash of a key is never stored.
//   - Subkeys come from HKDF-SHA256 (RFC 5869) with no salt and the label as
//     info: the input is already uniformly random key material, so the
//     extract step needs no salt, and the label separates the uses.
//
// # Record format, version 1
//
// A record is one secret revision: an unencrypted but authenticated header,
// the wrapped DEK and the value ciphertext. All integers are big-endian;
// "u16 len" means a 2-byte length followed by that many bytes.
//
//	offset  size  field
//	0       4     magic "SSEV"
//	4       1     format version, 1 (ErrUnsupportedVersion for any other)
//	5       1     flags: bit 0 = tombstone; bits 1-7 must be zero
//	6       4     key version (u32): the KEK that wraps the DEK
//	10      8     revision (u64)
//	18      8     created at (i64, unix nanoseconds)
//	26      8     updated at (i64, unix nanoseconds)
//	34      8     expires at (i64, unix nanoseconds; 0 = never)
//	42      2+n   namespace, u16 len, 1 <= n <= MaxNamespaceLen
//	        2+m   name, u16 len, 1 <= m <= MaxNameLen
//	        2     metadata entry count c, c <= MaxMetadataKeys, then c times:
//	        2+k     key, u16 len
//	        2+v     value, u16 len
//	              keys strictly ascending bytewise (sorted, no duplicates);
//	              the sum of all key and value bytes <= MaxMetadataLen
//	        60    wrapped DEK: nonce (12) || AES-256-GCM(KEK, DEK, dekAAD)
//	              ciphertext (32) || tag (16)
//	        4+L   value box, u32 len, L = 12 + len(value) + 16 with
//	              len(value) <= MaxValueLen: nonce (12) ||
//	              AES-256-GCM(DEK, value, valueAAD) ciphertext || tag (16);
//	              a tombstone carries an empty value (L = 28)
//
// Nothing may follow the value box. Decode checks every length against its
// bound and against the bytes remaining before it allocates, and rejects
// anything that is not the one canonical encoding of its fields (unsorted or
// duplicate metadata keys, unknown flag bits, a tombstone with a value) with
// ErrMalformed, so every accepted byte string maps to exactly one record and
// a change to any byte that still decodes changes an authenticated field.
//
// # Additional data
//
// AAD(p1, ..., pn) is the concatenation of u32 len(pi) || pi for each part.
// With V the single byte FormatVersion:
//
//	valueAAD = AAD(V, "value", namespace, name)
//	dekAAD   = AAD(V, "dek", namespace, name, u64 revision, u32 key version,
//	               u8 flags, i64 created at, i64 updated at, i64 expires at,
//	               key1, value1, key2, value2, ...)   (metadata sorted by key)
//
// Integers inside dekAAD are fixed-width big-endian parts. The backend builds
// the AAD of its own objects with the same AAD function and its own roles.
package envelope
