// SPDX-License-Identifier: MPL-2.0

package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"testing"
)

// The floor is one bare AES-256-GCM seal (resp. open) of the same value,
// key schedule included, since every value has its own DEK. Compare Seal and
// Open against it as ratios from the same run: both do two AES-GCM
// operations (DEK wrap and value), so about 2x the floor is the ideal; the
// rest is crypto/rand, the AAD and the encoding.

var benchValue = []byte("postgres://app:correct-horse-battery-staple@db:5432/app")

func benchHeader() Header {
	return Header{
		Namespace: "acme:production", Name: "db-url", Revision: 12, KeyVersion: 3,
		CreatedAt: 1767225600000000000, UpdatedAt: 1767312000000000000,
		Metadata: map[string]string{"owner": "team-alpha", "env": "prod"},
	}
}

func BenchmarkSeal(b *testing.B) {
	kek := mustKey(b)
	h := benchHeader()
	b.SetBytes(int64(len(benchValue)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Seal(kek, h, benchValue); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	kek := mustKey(b)
	rec := mustSeal(b, kek, benchHeader(), benchValue)
	b.SetBytes(int64(len(benchValue)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Open(kek, rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRewrap(b *testing.B) {
	oldKEK, newKEK := mustKey(b), mustKey(b)
	h := benchHeader()
	rec := mustSeal(b, oldKEK, h, benchValue)
	h.KeyVersion++
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Rewrap(oldKEK, newKEK, rec, h); err != nil {
			b.Fatal(err)
		}
	}
}

func benchGCM(b *testing.B, key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		b.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		b.Fatal(err)
	}
	return aead
}

func BenchmarkFloorGCMSeal(b *testing.B) {
	key := mustKey(b)
	nonce := make([]byte, NonceSize)
	buf := make([]byte, 0, len(benchValue)+TagSize)
	b.SetBytes(int64(len(benchValue)))
	b.ReportAllocs()
	for b.Loop() {
		buf = benchGCM(b, key).Seal(buf[:0], nonce, benchValue, nil)
	}
}

func BenchmarkFloorGCMOpen(b *testing.B) {
	key := mustKey(b)
	nonce := make([]byte, NonceSize)
	ct := benchGCM(b, key).Seal(nil, nonce, benchValue, nil)
	buf := make([]byte, 0, len(benchValue))
	b.SetBytes(int64(len(benchValue)))
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = benchGCM(b, key).Open(buf[:0], nonce, ct, nil); err != nil {
			b.Fatal(err)
		}
	}
}
