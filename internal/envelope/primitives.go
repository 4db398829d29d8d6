// SPDX-License-Identifier: MPL-2.0

package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// checkValueLabel is the fixed message a key check value MACs. Changing it
// changes every stored check value, so it is part of the format.
const checkValueLabel = "secretstore/v1/key-check-value"

// NewKey returns KeySize random bytes from crypto/rand, for a DEK or a new
// key version.
func NewKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generating key: %w", err)
	}
	return k, nil
}

// checkKey reports ErrKeySize unless k is an AES-256 key.
func checkKey(what string, k []byte) error {
	if len(k) != KeySize {
		return fmt.Errorf("%s is %d bytes: %w", what, len(k), ErrKeySize)
	}
	return nil
}

// newGCM returns AES-256-GCM with the standard 12-byte nonce and 16-byte
// tag, the only parameters this package uses.
func newGCM(key []byte) (cipher.AEAD, error) {
	if err := checkKey("key", key); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealBox is the single AES-256-GCM encryption path of the package: it
// returns nonce || ciphertext || tag. Every caller except the Wycheproof
// tests passes a fresh random nonce (through sealRandom).
func sealBox(key, nonce, plaintext, aad []byte) ([]byte, error) {
	if len(nonce) != NonceSize {
		return nil, fmt.Errorf("nonce is %d bytes, want %d", len(nonce), NonceSize)
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, NonceSize, NonceSize+len(plaintext)+TagSize)
	copy(out, nonce)
	return aead.Seal(out, nonce, plaintext, aad), nil
}

// sealRandom seals under a 96-bit nonce from crypto/rand.
func sealRandom(key, plaintext, aad []byte) ([]byte, error) {
	var nonce [NonceSize]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("generating nonce: %w", err)
	}
	return sealBox(key, nonce[:], plaintext, aad)
}

// openBox is the single AES-256-GCM decryption path: it authenticates and
// decrypts nonce || ciphertext || tag. On any failure it returns ErrIntegrity
// (or ErrMalformed for a box too short to hold a nonce and tag) and no
// plaintext.
func openBox(key, box, aad []byte) ([]byte, error) {
	if len(box) < NonceSize+TagSize {
		return nil, fmt.Errorf("sealed box is %d bytes, shorter than nonce and tag: %w", len(box), ErrMalformed)
	}
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, box[:NonceSize], box[NonceSize:], aad)
	if err != nil {
		return nil, ErrIntegrity
	}
	return pt, nil
}

// WrapKey wraps a KeySize key under kek with AES-256-GCM, a random nonce and
// the caller's additional data, returning nonce || ciphertext || tag
// (WrappedKeySize bytes). The caller binds the wrapped key's context through
// aad (build it with AAD) and counts wraps per kek: random nonces are safe
// for at most 2^32 wraps under one kek.
func WrapKey(kek, key, aad []byte) ([]byte, error) {
	if err := checkKey("key encryption key", kek); err != nil {
		return nil, fmt.Errorf("wrapping key: %w", err)
	}
	if err := checkKey("wrapped key", key); err != nil {
		return nil, fmt.Errorf("wrapping key: %w", err)
	}
	w, err := sealRandom(kek, key, aad)
	if err != nil {
		return nil, fmt.Errorf("wrapping key: %w", err)
	}
	return w, nil
}

// UnwrapKey reverses WrapKey. A wrapped key that is not WrappedKeySize bytes
// gives ErrMalformed; a wrong kek, wrong aad or altered bytes give
// ErrIntegrity. The caller should clear the returned key when done.
func UnwrapKey(kek, wrapped, aad []byte) ([]byte, error) {
	if err := checkKey("key encryption key", kek); err != nil {
		return nil, fmt.Errorf("unwrapping key: %w", err)
	}
	if len(wrapped) != WrappedKeySize {
		return nil, fmt.Errorf("unwrapping key: wrapped key is %d bytes, want %d: %w", len(wrapped), WrappedKeySize, ErrMalformed)
	}
	k, err := openBox(kek, wrapped, aad)
	if err != nil {
		return nil, fmt.Errorf("unwrapping key: %w", err)
	}
	return k, nil
}

// AAD returns the canonical encoding of parts: for each part, its length as
// a 4-byte big-endian integer followed by its bytes. The encoding of a list
// of parts is uniquely decodable, so two different lists never give the same
// AAD (unlike a join with a separator, which "a:b"+"c" and "a"+"b:c"
// collide under).
func AAD(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += 4 + len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = binary.BigEndian.AppendUint32(out, uint32(len(p)))
		out = append(out, p...)
	}
	return out
}

// CheckValue returns the key check value of key: HMAC-SHA256 under key of a
// fixed label, truncated to CheckValueSize bytes. Stored beside a key
// version, it lets a wrong or mismatched key be named before any decryption
// is attempted; being keyed, it is no shortcut to the key.
func CheckValue(key []byte) []byte {
	return MAC(key, []byte(checkValueLabel))[:CheckValueSize]
}

// DeriveKey derives a KeySize subkey from secret with HKDF-SHA256, no salt
// and label as the info string. The secret must be at least KeySize bytes of
// uniformly random key material (ErrKeySize otherwise) and the label must be
// non-empty; distinct labels give independent subkeys.
func DeriveKey(secret []byte, label string) ([]byte, error) {
	if len(secret) < KeySize {
		return nil, fmt.Errorf("deriving key: secret is %d bytes, need at least %d: %w", len(secret), KeySize, ErrKeySize)
	}
	if label == "" {
		return nil, errors.New("deriving key: label is empty")
	}
	k, err := hkdf.Key(sha256.New, secret, nil, label, KeySize)
	if err != nil {
		return nil, fmt.Errorf("deriving key: %w", err)
	}
	return k, nil
}

// MAC returns HMAC-SHA256(key, msg), 32 bytes.
func MAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// VerifyMAC reports whether tag is HMAC-SHA256(key, msg). The comparison is
// constant-time, and a tag of any other length (truncated, say) is refused.
func VerifyMAC(key, msg, tag []byte) bool {
	return hmac.Equal(MAC(key, msg), tag)
}
