// SPDX-License-Identifier: MPL-2.0

package envelope

import (
	"testing"
)

// TestSealsAreDistinct seals 2^17 values and checks that no value nonce, DEK
// nonce or DEK repeats. A repeat would mean a broken random source: with
// 96-bit nonces the chance of an honest collision here is about 2^-63.
func TestSealsAreDistinct(t *testing.T) {
	const n = 1 << 17
	kek := mustKey(t)
	h := Header{Namespace: "ns", Name: "n", KeyVersion: 1}
	valueNonces := make(map[[NonceSize]byte]struct{}, n)
	dekNonces := make(map[[NonceSize]byte]struct{}, n)
	deks := make(map[[KeySize]byte]struct{}, n)
	pt := []byte("v")
	for i := range n {
		h.Revision = uint64(i)
		rec, err := Seal(kek, h, pt)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Decode(rec)
		if err != nil {
			t.Fatal(err)
		}
		dek, err := unwrapDEK(kek, r)
		if err != nil {
			t.Fatal(err)
		}
		var vn, dn [NonceSize]byte
		var k [KeySize]byte
		copy(vn[:], r.Ciphertext)
		copy(dn[:], r.WrappedDEK)
		copy(k[:], dek)
		valueNonces[vn] = struct{}{}
		dekNonces[dn] = struct{}{}
		deks[k] = struct{}{}
		if len(valueNonces) != i+1 || len(dekNonces) != i+1 || len(deks) != i+1 {
			t.Fatalf("seal %d repeats a nonce or DEK (%d value nonces, %d DEK nonces, %d DEKs)",
				i, len(valueNonces), len(dekNonces), len(deks))
		}
	}
}
