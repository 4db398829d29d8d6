// SPDX-License-Identifier: MPL-2.0

package envelope

import (
	"bytes"
	"errors"
	"testing"
)

// TestValueID: Rewrap keeps a record's value id, a new Seal of the same
// plaintext gets another one, OpenID and VerifyID agree, and a record whose
// ciphertext was swapped for another write's shows a different id.
func TestValueID(t *testing.T) {
	k1, _ := NewKey()
	k2, _ := NewKey()
	h := Header{Namespace: "app", Name: "db", Revision: 1, KeyVersion: 1}
	a, err := Seal(k1, h, []byte("v"))
	if err != nil {
		t.Fatal(err)
	}
	_, idA, err := VerifyID(k1, a)
	if err != nil || len(idA) != ValueIDSize {
		t.Fatalf("VerifyID: %x, %v", idA, err)
	}
	_, pt, idOpen, err := OpenID(k1, a)
	if err != nil || string(pt) != "v" || !bytes.Equal(idOpen, idA) {
		t.Fatalf("OpenID: %q %x %v; want %x", pt, idOpen, err, idA)
	}
	h2 := h
	h2.Revision, h2.KeyVersion, h2.Metadata = 2, 2, map[string]string{"k": "v"}
	r, err := Rewrap(k1, k2, a, h2)
	if err != nil {
		t.Fatal(err)
	}
	if _, id, err := VerifyID(k2, r); err != nil || !bytes.Equal(id, idA) {
		t.Fatalf("after Rewrap: %x, %v; want %x kept", id, err, idA)
	}
	b, err := Seal(k1, h, []byte("v"))
	if err != nil {
		t.Fatal(err)
	}
	_, idB, err := VerifyID(k1, b)
	if err != nil || bytes.Equal(idB, idA) {
		t.Fatalf("a second Seal of the same value: id %x, %v; want an id other than %x", idB, err, idA)
	}
	// b's header and wrapped DEK with a's ciphertext: the header still
	// verifies (the ciphertext is not bound into it), the id does not match.
	ra, _ := Decode(a)
	rb, _ := Decode(b)
	swapped := bytes.Replace(b, rb.Ciphertext, ra.Ciphertext, 1)
	if _, id, err := VerifyID(k1, swapped); err != nil || bytes.Equal(id, idA) || bytes.Equal(id, idB) {
		t.Fatalf("swapped ciphertext: id %x, %v; want an id matching neither write", id, err)
	}
	if _, _, _, err := OpenID(k1, swapped); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("OpenID of a swapped ciphertext: %v, want ErrIntegrity", err)
	}
}
