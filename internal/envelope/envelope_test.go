// SPDX-License-Identifier: MPL-2.0

package envelope

import (
	"bytes"
	"encoding/hex"
	"errors"
	"maps"
	"strings"
	"testing"
)

func mustKey(t testing.TB) []byte {
	t.Helper()
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sampleHeader() Header {
	return Header{
		Namespace:  "acme:production",
		Name:       "db-password",
		Revision:   5,
		KeyVersion: 3,
		CreatedAt:  1767225600000000000,
		UpdatedAt:  1767312000000000000,
		ExpiresAt:  1798761600000000000,
		Metadata:   map[string]string{"owner": "team-alpha", "env": "prod"},
	}
}

func mustSeal(t testing.TB, kek []byte, h Header, pt []byte) []byte {
	t.Helper()
	rec, err := Seal(kek, h, pt)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestSealOpenRoundTrip(t *testing.T) {
	kek := mustKey(t)
	for _, tc := range []struct {
		name string
		h    func(*Header)
		pt   []byte
	}{
		{"value", func(*Header) {}, []byte("s3cr3t")},
		{"no metadata", func(h *Header) { h.Metadata = nil }, []byte("s3cr3t")},
		{"empty value", func(*Header) {}, []byte{}},
		{"nil value", func(*Header) {}, nil},
		{"tombstone", func(h *Header) { h.Tombstone = true }, nil},
		{"largest value", func(*Header) {}, bytes.Repeat([]byte{0xa5}, MaxValueLen)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := sampleHeader()
			tc.h(&h)
			rec := mustSeal(t, kek, h, tc.pt)
			if bytes.Contains(rec, []byte("s3cr3t")) {
				t.Fatal("plaintext appears in the record")
			}
			got, pt, err := Open(kek, rec)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pt, tc.pt) || pt == nil {
				t.Errorf("plaintext %q, want %q (never nil)", pt, tc.pt)
			}
			if !sameHeader(got, h) {
				t.Errorf("header %+v, want %+v", got, h)
			}
			vh, err := Verify(kek, rec)
			if err != nil || !sameHeader(vh, h) {
				t.Errorf("Verify = %+v, %v", vh, err)
			}
			dec, err := Decode(rec)
			if err != nil || !sameHeader(dec.Header, h) {
				t.Errorf("Decode = %+v, %v", dec, err)
			}
		})
	}
}

func TestSealIsRandomized(t *testing.T) {
	kek := mustKey(t)
	a := mustSeal(t, kek, sampleHeader(), []byte("same"))
	b := mustSeal(t, kek, sampleHeader(), []byte("same"))
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same value are identical")
	}
}

func TestOpenWrongKey(t *testing.T) {
	kek := mustKey(t)
	rec := mustSeal(t, kek, sampleHeader(), []byte("v"))
	h, pt, err := Open(mustKey(t), rec)
	if !errors.Is(err, ErrIntegrity) || pt != nil || !sameHeader(h, Header{}) {
		t.Fatalf("Open under another key = %+v, %q, %v; want ErrIntegrity", h, pt, err)
	}
	if _, err := Verify(mustKey(t), rec); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("Verify under another key: %v", err)
	}
	if strings.Contains(err.Error(), hex.EncodeToString(kek)) {
		t.Fatal("error mentions key material")
	}
}

func TestKeySizes(t *testing.T) {
	rec := mustSeal(t, mustKey(t), sampleHeader(), []byte("v"))
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		bad := make([]byte, n)
		if _, err := Seal(bad, sampleHeader(), nil); !errors.Is(err, ErrKeySize) {
			t.Errorf("Seal with %d-byte key: %v", n, err)
		}
		if _, _, err := Open(bad, rec); !errors.Is(err, ErrKeySize) {
			t.Errorf("Open with %d-byte key: %v", n, err)
		}
		if _, err := Verify(bad, rec); !errors.Is(err, ErrKeySize) {
			t.Errorf("Verify with %d-byte key: %v", n, err)
		}
		if _, err := Rewrap(bad, mustKey(t), rec, sampleHeader()); !errors.Is(err, ErrKeySize) {
			t.Errorf("Rewrap with %d-byte old key: %v", n, err)
		}
		if _, err := Rewrap(mustKey(t), bad, rec, sampleHeader()); !errors.Is(err, ErrKeySize) {
			t.Errorf("Rewrap with %d-byte new key: %v", n, err)
		}
		if _, err := WrapKey(bad, mustKey(t), nil); !errors.Is(err, ErrKeySize) {
			t.Errorf("WrapKey with %d-byte kek: %v", n, err)
		}
		if _, err := WrapKey(mustKey(t), bad, nil); !errors.Is(err, ErrKeySize) {
			t.Errorf("WrapKey of a %d-byte key: %v", n, err)
		}
		if _, err := UnwrapKey(bad, make([]byte, WrappedKeySize), nil); !errors.Is(err, ErrKeySize) {
			t.Errorf("UnwrapKey with %d-byte kek: %v", n, err)
		}
	}
}

func TestSealValidates(t *testing.T) {
	kek := mustKey(t)
	long := func(n int) string { return strings.Repeat("x", n) }
	tooManyKeys := map[string]string{}
	for i := range MaxMetadataKeys + 1 {
		tooManyKeys[string(rune('A'+i))] = ""
	}
	for _, tc := range []struct {
		name string
		h    func(*Header)
		pt   []byte
		want error
	}{
		{"empty namespace", func(h *Header) { h.Namespace = "" }, nil, ErrMalformed},
		{"empty name", func(h *Header) { h.Name = "" }, nil, ErrMalformed},
		{"namespace too long", func(h *Header) { h.Namespace = long(MaxNamespaceLen + 1) }, nil, ErrTooLarge},
		{"name too long", func(h *Header) { h.Name = long(MaxNameLen + 1) }, nil, ErrTooLarge},
		{"value too long", func(*Header) {}, make([]byte, MaxValueLen+1), ErrTooLarge},
		{"too many metadata keys", func(h *Header) { h.Metadata = tooManyKeys }, nil, ErrTooLarge},
		{"metadata too large", func(h *Header) { h.Metadata = map[string]string{"k": long(MaxMetadataLen)} }, nil, ErrTooLarge},
		{"tombstone with value", func(h *Header) { h.Tombstone = true }, []byte("v"), ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := sampleHeader()
			tc.h(&h)
			rec, err := Seal(kek, h, tc.pt)
			if !errors.Is(err, tc.want) || rec != nil {
				t.Fatalf("Seal = %d bytes, %v; want %v", len(rec), err, tc.want)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("%v does not wrap ErrMalformed", err)
			}
		})
	}
	// The limits themselves are allowed.
	h := sampleHeader()
	h.Namespace, h.Name = long(MaxNamespaceLen), long(MaxNameLen)
	h.Metadata = map[string]string{"k": long(MaxMetadataLen - 1)}
	if _, err := Seal(kek, h, make([]byte, MaxValueLen)); err != nil {
		t.Fatalf("Seal at the limits: %v", err)
	}
}

// moved re-encodes rec's wrapped DEK and value ciphertext under a changed
// header, as an attacker with write access to the bucket could.
func moved(t *testing.T, rec []byte, change func(*Header)) []byte {
	t.Helper()
	r, err := Decode(rec)
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header
	h.Metadata = maps.Clone(h.Metadata)
	change(&h)
	out, err := encodeRecord(&h, sortedKeys(h.Metadata), r.WrappedDEK, r.Ciphertext)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMovedRecordFails moves a record to another secret, revision or key
// version, or edits any other header field, keeping its wrapped DEK and
// ciphertext: each must fail authentication.
func TestMovedRecordFails(t *testing.T) {
	kek := mustKey(t)
	rec := mustSeal(t, kek, sampleHeader(), []byte("value"))
	empty := mustSeal(t, kek, sampleHeader(), nil)
	for _, tc := range []struct {
		name   string
		rec    []byte
		change func(*Header)
	}{
		{"namespace", rec, func(h *Header) { h.Namespace = "acme:staging" }},
		{"name", rec, func(h *Header) { h.Name = "db-password2" }},
		{"revision", rec, func(h *Header) { h.Revision++ }},
		{"older revision", rec, func(h *Header) { h.Revision-- }},
		{"key version", rec, func(h *Header) { h.KeyVersion++ }},
		{"tombstone", empty, func(h *Header) { h.Tombstone = true }},
		{"created at", rec, func(h *Header) { h.CreatedAt++ }},
		{"updated at", rec, func(h *Header) { h.UpdatedAt++ }},
		{"expiry extended", rec, func(h *Header) { h.ExpiresAt += 1e9 }},
		{"expiry removed", rec, func(h *Header) { h.ExpiresAt = 0 }},
		{"metadata value", rec, func(h *Header) { h.Metadata["owner"] = "mallory" }},
		{"metadata added", rec, func(h *Header) { h.Metadata["extra"] = "" }},
		{"metadata removed", rec, func(h *Header) { delete(h.Metadata, "env") }},
		{"metadata cleared", rec, func(h *Header) { h.Metadata = nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := moved(t, tc.rec, tc.change)
			if _, pt, err := Open(kek, m); !errors.Is(err, ErrIntegrity) || pt != nil {
				t.Fatalf("Open = %q, %v; want ErrIntegrity", pt, err)
			}
			if _, err := Verify(kek, m); !errors.Is(err, ErrIntegrity) {
				t.Fatalf("Verify = %v; want ErrIntegrity", err)
			}
		})
	}
	// The unchanged re-encoding still opens, so the failures above come from
	// the change and not from re-encoding.
	if _, _, err := Open(kek, moved(t, rec, func(*Header) {})); err != nil {
		t.Fatal(err)
	}
}

// TestValueBoundToSecret checks the value layer on its own: even a correctly
// rewrapped DEK (someone holding the KEK) cannot carry a value ciphertext to
// another namespace or name.
func TestValueBoundToSecret(t *testing.T) {
	kek := mustKey(t)
	rec := mustSeal(t, kek, sampleHeader(), []byte("value"))
	r, err := Decode(rec)
	if err != nil {
		t.Fatal(err)
	}
	dek, err := unwrapDEK(kek, r)
	if err != nil {
		t.Fatal(err)
	}
	for _, change := range []func(*Header){
		func(h *Header) { h.Namespace = "other:ns" },
		func(h *Header) { h.Name = "other" },
	} {
		h := r.Header
		change(&h)
		wrapped, err := sealRandom(kek, dek, dekAAD(&h, sortedKeys(h.Metadata)))
		if err != nil {
			t.Fatal(err)
		}
		m, err := encodeRecord(&h, sortedKeys(h.Metadata), wrapped, r.Ciphertext)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(kek, m); err != nil {
			t.Fatalf("header layer should verify: %v", err)
		}
		if _, pt, err := Open(kek, m); !errors.Is(err, ErrIntegrity) || pt != nil {
			t.Fatalf("value moved to %s/%s: Open = %q, %v", h.Namespace, h.Name, pt, err)
		}
	}
	// Ciphertext of another revision of the same secret has another DEK.
	other, err := Decode(mustSeal(t, kek, sampleHeader(), []byte("value")))
	if err != nil {
		t.Fatal(err)
	}
	swapped, err := encodeRecord(&r.Header, sortedKeys(r.Header.Metadata), r.WrappedDEK, other.Ciphertext)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(kek, swapped); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("swapped ciphertext: %v", err)
	}
}

func TestRewrap(t *testing.T) {
	oldKEK, newKEK := mustKey(t), mustKey(t)
	h := sampleHeader()
	rec := mustSeal(t, oldKEK, h, []byte("value"))

	h2 := h
	h2.KeyVersion, h2.Revision, h2.UpdatedAt = 4, 6, h.UpdatedAt+1
	h2.Metadata = map[string]string{"owner": "team-beta"}
	h2.ExpiresAt = 0
	out, err := Rewrap(oldKEK, newKEK, rec, h2)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := Decode(rec)
	b, _ := Decode(out)
	if !bytes.Equal(a.Ciphertext, b.Ciphertext) {
		t.Fatal("Rewrap changed the value ciphertext")
	}
	if bytes.Equal(a.WrappedDEK, b.WrappedDEK) {
		t.Fatal("Rewrap kept the wrapped DEK")
	}
	got, pt, err := Open(newKEK, out)
	if err != nil || string(pt) != "value" || !sameHeader(got, h2) {
		t.Fatalf("Open rewrapped = %+v, %q, %v", got, pt, err)
	}
	if _, _, err := Open(oldKEK, out); !errors.Is(err, ErrIntegrity) {
		t.Errorf("rewrapped record under the old KEK: %v", err)
	}
	if _, _, err := Open(newKEK, rec); !errors.Is(err, ErrIntegrity) {
		t.Errorf("old record under the new KEK: %v", err)
	}
	if _, _, err := Open(oldKEK, rec); err != nil {
		t.Errorf("old record no longer opens under its own KEK: %v", err)
	}
	// The old revision's wrapped DEK does not open as the new revision.
	if _, _, err := Open(oldKEK, moved(t, rec, func(x *Header) { *x = h2 })); !errors.Is(err, ErrIntegrity) {
		t.Errorf("old wrapped DEK under the new header: %v", err)
	}

	// Metadata-only update under the same KEK.
	h3 := h
	h3.Revision++
	h3.Metadata = nil
	same, err := Rewrap(oldKEK, oldKEK, rec, h3)
	if err != nil {
		t.Fatal(err)
	}
	if got, pt, err := Open(oldKEK, same); err != nil || string(pt) != "value" || !sameHeader(got, h3) {
		t.Fatalf("metadata-only update: %+v, %q, %v", got, pt, err)
	}

	// Tombstones rewrap too.
	tomb := h
	tomb.Tombstone = true
	trec := mustSeal(t, oldKEK, tomb, nil)
	tomb.KeyVersion = 9
	if _, err := Rewrap(oldKEK, newKEK, trec, tomb); err != nil {
		t.Fatalf("rewrapping a tombstone: %v", err)
	}
}

func TestRewrapRefuses(t *testing.T) {
	oldKEK, newKEK := mustKey(t), mustKey(t)
	h := sampleHeader()
	rec := mustSeal(t, oldKEK, h, []byte("value"))
	for _, tc := range []struct {
		name   string
		change func(*Header)
	}{
		{"namespace", func(h *Header) { h.Namespace = "other:ns" }},
		{"name", func(h *Header) { h.Name = "other" }},
		{"tombstone", func(h *Header) { h.Tombstone = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h2 := h
			tc.change(&h2)
			out, err := Rewrap(oldKEK, newKEK, rec, h2)
			if !errors.Is(err, ErrIdentityChanged) || out != nil {
				t.Fatalf("Rewrap = %d bytes, %v; want ErrIdentityChanged", len(out), err)
			}
			if errors.Is(err, ErrIntegrity) {
				t.Fatal("an argument error must not read as an integrity failure")
			}
		})
	}
	if _, err := Rewrap(mustKey(t), newKEK, rec, h); !errors.Is(err, ErrIntegrity) {
		t.Errorf("Rewrap under the wrong old KEK: %v", err)
	}
	r, _ := Decode(rec)
	r.Ciphertext[len(r.Ciphertext)-1] ^= 1
	bad, err := encodeRecord(&r.Header, sortedKeys(r.Header.Metadata), r.WrappedDEK, r.Ciphertext)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Rewrap(oldKEK, newKEK, bad, h); !errors.Is(err, ErrIntegrity) {
		t.Errorf("Rewrap of a corrupt value: %v", err)
	}
	big := h
	big.Metadata = map[string]string{"k": strings.Repeat("x", MaxMetadataLen+1)}
	if _, err := Rewrap(oldKEK, newKEK, rec, big); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Rewrap with oversized metadata: %v", err)
	}
	if _, err := Rewrap(oldKEK, newKEK, rec[:len(rec)-1], h); !errors.Is(err, ErrMalformed) {
		t.Errorf("Rewrap of a truncated record: %v", err)
	}
}

func TestWrapKey(t *testing.T) {
	kek, key := mustKey(t), mustKey(t)
	aad := AAD([]byte("keyring"), []byte{0, 0, 0, 2})
	w, err := WrapKey(kek, key, aad)
	if err != nil {
		t.Fatal(err)
	}
	if len(w) != WrappedKeySize || bytes.Contains(w, key) {
		t.Fatalf("wrapped key is %d bytes or contains the key", len(w))
	}
	got, err := UnwrapKey(kek, w, aad)
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("UnwrapKey = %x, %v", got, err)
	}
	if _, err := UnwrapKey(mustKey(t), w, aad); !errors.Is(err, ErrIntegrity) {
		t.Errorf("wrong kek: %v", err)
	}
	if _, err := UnwrapKey(kek, w, AAD([]byte("keyring"), []byte{0, 0, 0, 3})); !errors.Is(err, ErrIntegrity) {
		t.Errorf("wrong aad: %v", err)
	}
	for i := range len(w) * 8 {
		f := bytes.Clone(w)
		f[i/8] ^= 1 << (i % 8)
		if k, err := UnwrapKey(kek, f, aad); !errors.Is(err, ErrIntegrity) || k != nil {
			t.Fatalf("bit %d flipped: %x, %v", i, k, err)
		}
	}
	for _, n := range []int{0, WrappedKeySize - 1, WrappedKeySize + 1} {
		if _, err := UnwrapKey(kek, make([]byte, n), aad); !errors.Is(err, ErrMalformed) {
			t.Errorf("%d-byte wrapped key: %v", n, err)
		}
	}
}

func TestAAD(t *testing.T) {
	got := AAD([]byte("a"), nil, []byte("bc"))
	want, _ := hex.DecodeString("0000000161" + "00000000" + "000000026263")
	if !bytes.Equal(got, want) {
		t.Fatalf("AAD = %x, want %x", got, want)
	}
	if len(AAD()) != 0 {
		t.Fatal("AAD of nothing is not empty")
	}
	pairs := [][2][][]byte{
		{{[]byte("ab"), []byte("c")}, {[]byte("a"), []byte("bc")}},
		{{[]byte("a:b"), []byte("c")}, {[]byte("a"), []byte("b:c")}},
		{{[]byte("a"), nil}, {[]byte("a")}},
		{{nil, []byte("a")}, {[]byte("a"), nil}},
	}
	for _, p := range pairs {
		if bytes.Equal(AAD(p[0]...), AAD(p[1]...)) {
			t.Errorf("AAD(%q) == AAD(%q)", p[0], p[1])
		}
	}
}

// TestKnownAnswers pins CheckValue, DeriveKey and MAC to values computed
// outside Go (Python hmac/hashlib; RFC 4231 test case 2 for HMAC-SHA256).
// Stored check values and audit MACs depend on them never changing.
func TestKnownAnswers(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	if got := hex.EncodeToString(CheckValue(key)); got != "2ac8840d5d2fc79b" {
		t.Errorf("CheckValue = %s", got)
	}
	if len(CheckValue(key)) != CheckValueSize {
		t.Errorf("CheckValue is %d bytes", len(CheckValue(key)))
	}
	if bytes.Equal(CheckValue(key), CheckValue(mustKey(t))) {
		t.Error("two keys share a check value")
	}
	d, err := DeriveKey(key, "audit-mac")
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(d); got != "edb58b2baa7dc0aeab77f89d2137e67660298b6cee5103487d5772dc75af0b4a" {
		t.Errorf("DeriveKey = %s", got)
	}
	other, _ := DeriveKey(key, "audit-mac2")
	if bytes.Equal(d, other) {
		t.Error("labels do not separate subkeys")
	}
	if _, err := DeriveKey(key[:31], "x"); !errors.Is(err, ErrKeySize) {
		t.Errorf("short secret: %v", err)
	}
	if _, err := DeriveKey(key, ""); err == nil {
		t.Error("empty label accepted")
	}
	msg := []byte("what do ya want for nothing?")
	tag := MAC([]byte("Jefe"), msg)
	if got := hex.EncodeToString(tag); got != "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Errorf("MAC = %s", got)
	}
	if !VerifyMAC([]byte("Jefe"), msg, tag) {
		t.Error("VerifyMAC refuses a good tag")
	}
	for _, bad := range [][]byte{tag[:16], nil, append(bytes.Clone(tag), 0)} {
		if VerifyMAC([]byte("Jefe"), msg, bad) {
			t.Errorf("VerifyMAC accepts a %d-byte tag", len(bad))
		}
	}
	flipped := bytes.Clone(tag)
	flipped[31] ^= 1
	if VerifyMAC([]byte("Jefe"), msg, flipped) || VerifyMAC([]byte("Jeff"), msg, tag) {
		t.Error("VerifyMAC accepts a wrong tag or key")
	}
}
