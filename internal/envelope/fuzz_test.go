// SPDX-License-Identifier: MPL-2.0

package envelope

import (
	"bytes"
	"testing"
)

// FuzzDecode checks that Decode never panics, refuses with ErrMalformed or
// ErrUnsupportedVersion, and that whatever it accepts is the one canonical
// encoding of what it returned.
func FuzzDecode(f *testing.F) {
	for _, g := range loadGolden(f) {
		f.Add(g.rec)
		f.Add(g.rec[:len(g.rec)/2])
	}
	f.Add([]byte{})
	f.Add([]byte(magic + "\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Decode(b)
		if err != nil {
			if r != nil || !isRejection(err) {
				t.Fatalf("Decode = %v, %v", r, err)
			}
			return
		}
		again, err := encodeRecord(&r.Header, sortedKeys(r.Header.Metadata), r.WrappedDEK, r.Ciphertext)
		if err != nil {
			t.Fatalf("decoded record does not re-encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("non-canonical encoding accepted:\n in %x\nout %x", b, again)
		}
	})
}

// FuzzOpen checks that Open never panics and never releases plaintext with
// an error, under the KEK of the golden records it is seeded with.
func FuzzOpen(f *testing.F) {
	golden := loadGolden(f)
	g, ok := golden["v1-metadata"]
	if !ok {
		f.Fatal("golden record v1-metadata missing")
	}
	kek := goldenKEK(f, g.c)
	f.Add(g.rec)
	f.Fuzz(func(t *testing.T, b []byte) {
		h, pt, err := Open(kek, b)
		if err != nil {
			if pt != nil || !sameHeader(h, Header{}) || !isRejection(err) {
				t.Fatalf("Open = %+v, %x, %v", h, pt, err)
			}
			return
		}
		if !bytes.Equal(b, g.rec) {
			t.Fatalf("Open accepted a record other than its seed: %x", b)
		}
	})
}
