// SPDX-License-Identifier: MPL-2.0

package envelope

import "testing"

// Compare with BenchmarkOpen in the same run: the value id adds one HKDF
// derivation and one HMAC of the value ciphertext to Verify and Open.

func BenchmarkVerify(b *testing.B) {
	kek := mustKey(b)
	rec := mustSeal(b, kek, benchHeader(), benchValue)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(kek, rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyID(b *testing.B) {
	kek := mustKey(b)
	rec := mustSeal(b, kek, benchHeader(), benchValue)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := VerifyID(kek, rec); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenID(b *testing.B) {
	kek := mustKey(b)
	rec := mustSeal(b, kek, benchHeader(), benchValue)
	b.SetBytes(int64(len(benchValue)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, err := OpenID(kek, rec); err != nil {
			b.Fatal(err)
		}
	}
}
