// SPDX-License-Identifier: MPL-2.0

package envelope

import "fmt"

// ValueIDSize is the size in bytes of a value id.
const ValueIDSize = 16

// valueIDLabel derives, from a record's DEK, the key of its value id.
const valueIDLabel = "secretstore value id v1"

// A value id names one write of a value: HMAC-SHA256, under a key derived
// from the record's DEK, of the value ciphertext (nonce, ciphertext and
// tag), truncated to ValueIDSize bytes. Seal makes a fresh DEK and nonce, so
// every write of a value (even of the same plaintext) gets its own id;
// Rewrap keeps the DEK and the ciphertext, so rotations and metadata-only
// updates keep it. Being keyed by the DEK, an id says nothing about the
// plaintext, cannot be computed without the key version that wraps the DEK,
// and changes when a record's ciphertext is swapped for another one.
func valueID(dek []byte, rec *Record) ([]byte, error) {
	k, err := DeriveKey(dek, valueIDLabel)
	if err != nil {
		return nil, err
	}
	defer clear(k)
	return MAC(k, rec.Ciphertext)[:ValueIDSize], nil
}

// VerifyID is Verify that also returns the record's value id (see
// ValueIDSize): equal ids of two revisions of a secret mean that one value
// write carries both (a rotation or a metadata-only update); different ids
// mean different writes. The value is not decrypted.
func VerifyID(kek []byte, encoded []byte) (Header, []byte, error) {
	if err := checkKey("key encryption key", kek); err != nil {
		return Header{}, nil, fmt.Errorf("verifying: %w", err)
	}
	rec, err := Decode(encoded)
	if err != nil {
		return Header{}, nil, fmt.Errorf("verifying: %w", err)
	}
	dek, err := unwrapDEK(kek, rec)
	if err != nil {
		return Header{}, nil, fmt.Errorf("verifying: %w", err)
	}
	defer clear(dek)
	id, err := valueID(dek, rec)
	if err != nil {
		return Header{}, nil, fmt.Errorf("verifying: %w", err)
	}
	return rec.Header, id, nil
}

// OpenID is Open that also returns the record's value id, as VerifyID.
func OpenID(kek []byte, encoded []byte) (Header, []byte, []byte, error) {
	if err := checkKey("key encryption key", kek); err != nil {
		return Header{}, nil, nil, fmt.Errorf("opening: %w", err)
	}
	rec, err := Decode(encoded)
	if err != nil {
		return Header{}, nil, nil, fmt.Errorf("opening: %w", err)
	}
	dek, err := unwrapDEK(kek, rec)
	if err != nil {
		return Header{}, nil, nil, fmt.Errorf("opening: %w", err)
	}
	defer clear(dek)
	pt, err := openBox(dek, rec.Ciphertext, valueAAD(rec.Header.Namespace, rec.Header.Name))
	if err != nil {
		return Header{}, nil, nil, fmt.Errorf("opening: value: %w", err)
	}
	if pt == nil {
		pt = []byte{}
	}
	id, err := valueID(dek, rec)
	if err != nil {
		clear(pt)
		return Header{}, nil, nil, fmt.Errorf("opening: %w", err)
	}
	return rec.Header, pt, id, nil
}
