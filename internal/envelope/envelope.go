// SPDX-License-Identifier: MPL-2.0

package envelope

import (
	"fmt"
)

// Seal encrypts plaintext under a fresh random DEK and wraps the DEK under
// kek, returning the encoded record (see the package documentation for the
// layout and the additional data of each layer). h.KeyVersion must name kek:
// readers fetch the key by that number and never trial-decrypt. A tombstone
// is a Seal of an empty plaintext with h.Tombstone set; a tombstone with a
// value is refused.
//
// Errors: ErrKeySize for a kek that is not KeySize bytes, ErrTooLarge for a
// namespace, name, value or metadata over its limit, ErrMalformed for an
// empty namespace or name or a tombstone with a value.
func Seal(kek []byte, h Header, plaintext []byte) ([]byte, error) {
	if err := checkKey("key encryption key", kek); err != nil {
		return nil, fmt.Errorf("sealing: %w", err)
	}
	if err := validateHeader(&h); err != nil {
		return nil, fmt.Errorf("sealing: %w", err)
	}
	if len(plaintext) > MaxValueLen {
		return nil, fmt.Errorf("sealing: value is %d bytes, limit %d: %w", len(plaintext), MaxValueLen, ErrTooLarge)
	}
	if h.Tombstone && len(plaintext) != 0 {
		return nil, fmt.Errorf("sealing: tombstone carries a value: %w", ErrMalformed)
	}
	dek, err := NewKey()
	if err != nil {
		return nil, fmt.Errorf("sealing: %w", err)
	}
	defer clear(dek)
	// One DEK seals exactly one value, so its random nonce can never repeat.
	box, err := sealRandom(dek, plaintext, valueAAD(h.Namespace, h.Name))
	if err != nil {
		return nil, fmt.Errorf("sealing: %w", err)
	}
	keys := sortedKeys(h.Metadata)
	wrapped, err := sealRandom(kek, dek, dekAAD(&h, keys))
	if err != nil {
		return nil, fmt.Errorf("sealing: wrapping data key: %w", err)
	}
	out, err := encodeRecord(&h, keys, wrapped, box)
	if err != nil {
		return nil, fmt.Errorf("sealing: %w", err)
	}
	return out, nil
}

// Rewrap authenticates encoded under oldKEK (the wrapped DEK against the
// record's header, and the value ciphertext against the DEK) and returns a
// new record with header h whose DEK is wrapped under newKEK. The value
// ciphertext is copied byte for byte: this is how rotation and
// metadata-only updates avoid re-encrypting values. oldKEK and newKEK may be
// the same key.
//
// h may change anything except the record's identity: a different
// namespace, name or tombstone flag gives ErrIdentityChanged. Authentication
// failures give ErrIntegrity, checked before h is compared.
func Rewrap(oldKEK, newKEK []byte, encoded []byte, h Header) ([]byte, error) {
	if err := checkKey("old key encryption key", oldKEK); err != nil {
		return nil, fmt.Errorf("rewrapping: %w", err)
	}
	if err := checkKey("new key encryption key", newKEK); err != nil {
		return nil, fmt.Errorf("rewrapping: %w", err)
	}
	if err := validateHeader(&h); err != nil {
		return nil, fmt.Errorf("rewrapping: %w", err)
	}
	rec, err := Decode(encoded)
	if err != nil {
		return nil, fmt.Errorf("rewrapping: %w", err)
	}
	dek, err := unwrapDEK(oldKEK, rec)
	if err != nil {
		return nil, fmt.Errorf("rewrapping: %w", err)
	}
	defer clear(dek)
	// GCM has no verify-only mode: decrypt to check the tag, then discard.
	// Carrying a corrupt value into a new revision would hide the damage.
	pt, err := openBox(dek, rec.Ciphertext, valueAAD(rec.Header.Namespace, rec.Header.Name))
	clear(pt)
	if err != nil {
		return nil, fmt.Errorf("rewrapping: value: %w", err)
	}
	old := &rec.Header
	if h.Namespace != old.Namespace || h.Name != old.Name || h.Tombstone != old.Tombstone {
		return nil, fmt.Errorf("rewrapping %s/%s: %w", old.Namespace, old.Name, ErrIdentityChanged)
	}
	keys := sortedKeys(h.Metadata)
	wrapped, err := sealRandom(newKEK, dek, dekAAD(&h, keys))
	if err != nil {
		return nil, fmt.Errorf("rewrapping: wrapping data key: %w", err)
	}
	out, err := encodeRecord(&h, keys, wrapped, rec.Ciphertext)
	if err != nil {
		return nil, fmt.Errorf("rewrapping: %w", err)
	}
	return out, nil
}

// Verify authenticates a record's header under kek by unwrapping its DEK
// (which binds every header field), then clears the DEK; the value is not
// decrypted. It returns the authenticated header. Errors are those of Decode,
// ErrKeySize, and ErrIntegrity for a wrong key or an altered record.
func Verify(kek []byte, encoded []byte) (Header, error) {
	if err := checkKey("key encryption key", kek); err != nil {
		return Header{}, fmt.Errorf("verifying: %w", err)
	}
	rec, err := Decode(encoded)
	if err != nil {
		return Header{}, fmt.Errorf("verifying: %w", err)
	}
	dek, err := unwrapDEK(kek, rec)
	if err != nil {
		return Header{}, fmt.Errorf("verifying: %w", err)
	}
	clear(dek)
	return rec.Header, nil
}

// Open authenticates a record under kek and decrypts its value. On any
// failure it returns a zero Header, no plaintext and an error wrapping
// ErrKeySize, ErrMalformed, ErrUnsupportedVersion or ErrIntegrity (wrong key,
// altered header, wrapped DEK or ciphertext, or a record moved to another
// secret, revision or key version). On success the plaintext is never nil;
// a tombstone opens to an empty value.
func Open(kek []byte, encoded []byte) (Header, []byte, error) {
	if err := checkKey("key encryption key", kek); err != nil {
		return Header{}, nil, fmt.Errorf("opening: %w", err)
	}
	rec, err := Decode(encoded)
	if err != nil {
		return Header{}, nil, fmt.Errorf("opening: %w", err)
	}
	dek, err := unwrapDEK(kek, rec)
	if err != nil {
		return Header{}, nil, fmt.Errorf("opening: %w", err)
	}
	defer clear(dek)
	pt, err := openBox(dek, rec.Ciphertext, valueAAD(rec.Header.Namespace, rec.Header.Name))
	if err != nil {
		return Header{}, nil, fmt.Errorf("opening: value: %w", err)
	}
	if pt == nil {
		pt = []byte{}
	}
	return rec.Header, pt, nil
}

// unwrapDEK authenticates rec's header and wrapped DEK under kek and returns
// the DEK, which the caller must clear.
func unwrapDEK(kek []byte, rec *Record) ([]byte, error) {
	dek, err := openBox(kek, rec.WrappedDEK, dekAAD(&rec.Header, sortedKeys(rec.Header.Metadata)))
	if err != nil {
		return nil, fmt.Errorf("unwrapping data key under key version %d: %w", rec.Header.KeyVersion, err)
	}
	return dek, nil
}
