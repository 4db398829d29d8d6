// SPDX-License-Identifier: MPL-2.0

package envelope

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"runtime"
	"testing"
)

// isRejection reports whether err is one of the three ways a bad record is
// refused; the backend maps all three to its integrity error.
func isRejection(err error) bool {
	return errors.Is(err, ErrIntegrity) || errors.Is(err, ErrMalformed) || errors.Is(err, ErrUnsupportedVersion)
}

func goldenKEK(t testing.TB, c goldenCase) []byte {
	t.Helper()
	kek, err := hex.DecodeString(c.KEK)
	if err != nil {
		t.Fatal(err)
	}
	return kek
}

// boxStart is the offset of the value box's first byte (after its length).
func boxStart(t testing.TB, rec []byte) int {
	t.Helper()
	r, err := Decode(rec)
	if err != nil {
		t.Fatal(err)
	}
	return len(rec) - len(r.Ciphertext)
}

// TestEveryBitFlipFails flips each bit of each golden record in turn. Open
// must refuse every one without plaintext; Verify must refuse every flip
// outside the value box (which it does not decrypt). Flips in the fixed-width
// header fields, the wrapped DEK and the value box decode fine and must fail
// authentication specifically.
func TestEveryBitFlipFails(t *testing.T) {
	golden := loadGolden(t)
	if len(golden) == 0 {
		t.Fatal("no golden records")
	}
	for name, g := range golden {
		t.Run(name, func(t *testing.T) {
			kek := goldenKEK(t, g.c)
			start := boxStart(t, g.rec)
			dekStart := start - 4 - WrappedKeySize
			flipped := bytes.Clone(g.rec)
			for i := range len(flipped) * 8 {
				flipped[i/8] ^= 1 << (i % 8)
				h, pt, err := Open(kek, flipped)
				if err == nil || pt != nil || !sameHeader(h, Header{}) {
					t.Fatalf("bit %d flipped: Open = %v, %x, %v", i, h, pt, err)
				}
				if !isRejection(err) {
					t.Fatalf("bit %d flipped: Open error %v is not a rejection", i, err)
				}
				off := i / 8
				switch {
				case off < 4:
					if !errors.Is(err, ErrMalformed) {
						t.Fatalf("bit %d of magic flipped: %v, want ErrMalformed", i, err)
					}
				case off == 4:
					if !errors.Is(err, ErrUnsupportedVersion) {
						t.Fatalf("bit %d of version flipped: %v, want ErrUnsupportedVersion", i, err)
					}
				case off >= 6 && off < fixedHeaderLen, off >= dekStart && off < start-4, off >= start:
					if !errors.Is(err, ErrIntegrity) {
						t.Fatalf("bit %d (byte %d) flipped: %v, want ErrIntegrity", i, off, err)
					}
				}
				_, verr := Verify(kek, flipped)
				if off < start && (verr == nil || !isRejection(verr)) {
					t.Fatalf("bit %d flipped: Verify error %v", i, verr)
				}
				if off >= start && verr != nil {
					t.Fatalf("bit %d of value box flipped: Verify %v; the header is intact", i, verr)
				}
				flipped[i/8] ^= 1 << (i % 8)
			}
		})
	}
}

// TestEveryTruncationFails cuts each golden record at every length, and
// appends bytes to it.
func TestEveryTruncationFails(t *testing.T) {
	for name, g := range loadGolden(t) {
		t.Run(name, func(t *testing.T) {
			kek := goldenKEK(t, g.c)
			for n := range len(g.rec) {
				cut := bytes.Clone(g.rec[:n])
				_, pt, err := Open(kek, cut)
				if !errors.Is(err, ErrMalformed) || pt != nil {
					t.Fatalf("truncated to %d bytes: %x, %v; want ErrMalformed", n, pt, err)
				}
				if _, err := Decode(cut); !errors.Is(err, ErrMalformed) {
					t.Fatalf("Decode of %d bytes: %v", n, err)
				}
			}
			for _, extra := range [][]byte{{0}, {0xff}, g.rec} {
				long := append(bytes.Clone(g.rec), extra...)
				_, pt, err := Open(kek, long)
				if !errors.Is(err, ErrMalformed) || pt != nil {
					t.Fatalf("%d trailing bytes: %x, %v; want ErrMalformed", len(extra), pt, err)
				}
			}
		})
	}
}

// recordBuilder hand-encodes records field by field, so tests can write
// encodings that encodeRecord refuses to produce.
type recordBuilder struct{ b []byte }

func (r *recordBuilder) raw(p ...byte) *recordBuilder { r.b = append(r.b, p...); return r }
func (r *recordBuilder) u16(v int) *recordBuilder {
	r.b = binary.BigEndian.AppendUint16(r.b, uint16(v))
	return r
}
func (r *recordBuilder) u32(v int) *recordBuilder {
	r.b = binary.BigEndian.AppendUint32(r.b, uint32(v))
	return r
}
func (r *recordBuilder) str(s string) *recordBuilder { return r.u16(len(s)).raw([]byte(s)...) }

// fixed writes magic, version, flags and zeroed integer fields.
func (r *recordBuilder) fixed(version, flags byte) *recordBuilder {
	r.raw([]byte(magic)...).raw(version, flags)
	return r.raw(make([]byte, fixedHeaderLen-len(magic)-2)...)
}

func (r *recordBuilder) tail(boxLen int) *recordBuilder {
	r.raw(make([]byte, WrappedKeySize)...).u32(boxLen)
	return r.raw(make([]byte, boxLen)...)
}

func TestDecodeRejectsNonCanonical(t *testing.T) {
	ok := func() *recordBuilder { return (&recordBuilder{}).fixed(1, 0).str("ns").str("n") }
	if _, err := Decode(ok().u16(0).tail(minBoxLen).b); err != nil {
		t.Fatalf("baseline record refused: %v", err)
	}
	if _, err := Decode(ok().u16(2).str("a").str("1").str("b").str("2").tail(minBoxLen + 5).b); err != nil {
		t.Fatalf("baseline record with metadata refused: %v", err)
	}
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"magic only", []byte(magic), ErrMalformed},
		{"bad magic", (&recordBuilder{}).raw('X', 'S', 'E', 'V', 1).b, ErrMalformed},
		{"version 0", (&recordBuilder{}).fixed(0, 0).b, ErrUnsupportedVersion},
		{"version 2", (&recordBuilder{}).fixed(2, 0).str("ns").str("n").u16(0).tail(minBoxLen).b, ErrUnsupportedVersion},
		{"unknown flag", (&recordBuilder{}).fixed(1, 2).str("ns").str("n").u16(0).tail(minBoxLen).b, ErrMalformed},
		{"high flag", (&recordBuilder{}).fixed(1, 0x81).str("ns").str("n").u16(0).tail(minBoxLen).b, ErrMalformed},
		{"empty namespace", (&recordBuilder{}).fixed(1, 0).str("").str("n").u16(0).tail(minBoxLen).b, ErrMalformed},
		{"empty name", (&recordBuilder{}).fixed(1, 0).str("ns").str("").u16(0).tail(minBoxLen).b, ErrMalformed},
		{"namespace too long", (&recordBuilder{}).fixed(1, 0).str(string(make([]byte, MaxNamespaceLen+1))).str("n").u16(0).tail(minBoxLen).b, ErrTooLarge},
		{"name too long", (&recordBuilder{}).fixed(1, 0).str("ns").str(string(make([]byte, MaxNameLen+1))).u16(0).tail(minBoxLen).b, ErrTooLarge},
		{"namespace length past end", (&recordBuilder{}).fixed(1, 0).u16(100).raw('a').b, ErrMalformed},
		{"unsorted metadata", ok().u16(2).str("b").str("1").str("a").str("2").tail(minBoxLen).b, ErrMalformed},
		{"duplicate metadata", ok().u16(2).str("a").str("1").str("a").str("2").tail(minBoxLen).b, ErrMalformed},
		{"too many metadata keys", ok().u16(MaxMetadataKeys + 1).b, ErrTooLarge},
		{"metadata count past end", ok().u16(3).str("a").str("1").b, ErrMalformed},
		{"metadata too large", ok().u16(2).str("a").str(string(make([]byte, MaxMetadataLen-1))).str("b").str("x").tail(minBoxLen).b, ErrTooLarge},
		{"metadata value length huge", ok().u16(1).str("a").u16(0xffff).b, ErrTooLarge},
		{"wrapped dek truncated", ok().u16(0).raw(make([]byte, WrappedKeySize-1)...).b, ErrMalformed},
		{"box length missing", ok().u16(0).raw(make([]byte, WrappedKeySize)...).raw(0, 0).b, ErrMalformed},
		{"box too short", ok().u16(0).tail(minBoxLen - 1).b, ErrMalformed},
		{"box length huge", ok().u16(0).raw(make([]byte, WrappedKeySize)...).u32(1<<32 - 1).b, ErrTooLarge},
		{"box one over limit", ok().u16(0).raw(make([]byte, WrappedKeySize)...).u32(maxBoxLen + 1).b, ErrTooLarge},
		{"box length past end", ok().u16(0).raw(make([]byte, WrappedKeySize)...).u32(minBoxLen + 1).raw(make([]byte, minBoxLen)...).b, ErrMalformed},
		{"tombstone with value", (&recordBuilder{}).fixed(1, flagTombstone).str("ns").str("n").u16(0).tail(minBoxLen + 1).b, ErrMalformed},
		{"trailing byte", ok().u16(0).tail(minBoxLen).raw(0).b, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Decode(tc.b)
			if !errors.Is(err, tc.want) || r != nil {
				t.Fatalf("Decode = %v, %v; want %v", r, err, tc.want)
			}
			if _, _, err := Open(make([]byte, KeySize), tc.b); !errors.Is(err, tc.want) {
				t.Fatalf("Open error %v, want %v", err, tc.want)
			}
		})
	}
}

// TestDecodeBoundsAllocation feeds Decode short records whose length
// fields claim huge sizes and checks that the bytes it allocates do not
// follow the claims.
func TestDecodeBoundsAllocation(t *testing.T) {
	ok := func() *recordBuilder { return (&recordBuilder{}).fixed(1, 0).str("ns").str("n") }
	for name, b := range map[string][]byte{
		"box length":     ok().u16(0).raw(make([]byte, WrappedKeySize)...).u32(1<<32 - 1).b,
		"metadata count": ok().u16(0xffff).b,
		"metadata value": ok().u16(1).str("k").u16(0xffff).b,
		"namespace":      (&recordBuilder{}).fixed(1, 0).u16(0xffff).b,
	} {
		const runs = 100
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			if _, err := Decode(b); err == nil {
				t.Fatalf("%s: accepted", name)
			}
		}
		runtime.ReadMemStats(&after)
		if per := (after.TotalAlloc - before.TotalAlloc) / runs; per > 2048 {
			t.Errorf("%s: %d bytes allocated per refused %d-byte record", name, per, len(b))
		}
	}
}

// TestMaxRecordLen checks that the largest record Seal can produce is
// MaxRecordLen bytes and decodes.
func TestMaxRecordLen(t *testing.T) {
	kek := mustKey(t)
	h := Header{
		Namespace: string(bytes.Repeat([]byte{'n'}, MaxNamespaceLen)),
		Name:      string(bytes.Repeat([]byte{'m'}, MaxNameLen)),
		Metadata:  map[string]string{},
	}
	per := MaxMetadataLen / MaxMetadataKeys
	for i := range MaxMetadataKeys {
		k := string([]byte{byte(i)})
		h.Metadata[k] = string(make([]byte, per-len(k)))
	}
	rec, err := Seal(kek, h, make([]byte, MaxValueLen))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec) != MaxRecordLen {
		t.Errorf("largest record is %d bytes, MaxRecordLen is %d", len(rec), MaxRecordLen)
	}
	if _, pt, err := Open(kek, rec); err != nil || len(pt) != MaxValueLen {
		t.Fatalf("Open: %d bytes, %v", len(pt), err)
	}
}
