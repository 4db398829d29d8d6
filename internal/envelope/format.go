// SPDX-License-Identifier: MPL-2.0

package envelope

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
)

const (
	magic = "SSEV"

	flagTombstone = 1 << 0
	knownFlags    = flagTombstone

	// fixedHeaderLen covers magic, version, flags, key version, revision
	// and the three timestamps.
	fixedHeaderLen = len(magic) + 1 + 1 + 4 + 8 + 8 + 8 + 8

	minBoxLen = NonceSize + TagSize
	maxBoxLen = NonceSize + MaxValueLen + TagSize

	roleValue   = "value"
	roleDEK     = "dek"
	versionPart = string(rune(FormatVersion)) // the first AAD part, one byte
)

// validateHeader checks h against the format's limits; the backend validates
// with friendlier messages first, so these errors are a backstop.
func validateHeader(h *Header) error {
	switch {
	case h.Namespace == "":
		return fmt.Errorf("namespace is empty: %w", ErrMalformed)
	case len(h.Namespace) > MaxNamespaceLen:
		return fmt.Errorf("namespace is %d bytes, limit %d: %w", len(h.Namespace), MaxNamespaceLen, ErrTooLarge)
	case h.Name == "":
		return fmt.Errorf("name is empty: %w", ErrMalformed)
	case len(h.Name) > MaxNameLen:
		return fmt.Errorf("name is %d bytes, limit %d: %w", len(h.Name), MaxNameLen, ErrTooLarge)
	case len(h.Metadata) > MaxMetadataKeys:
		return fmt.Errorf("metadata has %d keys, limit %d: %w", len(h.Metadata), MaxMetadataKeys, ErrTooLarge)
	}
	if n := metadataLen(h.Metadata); n > MaxMetadataLen {
		return fmt.Errorf("metadata is %d bytes, limit %d: %w", n, MaxMetadataLen, ErrTooLarge)
	}
	return nil
}

func metadataLen(m map[string]string) int {
	n := 0
	for k, v := range m {
		n += len(k) + len(v)
	}
	return n
}

func (h *Header) flags() byte {
	if h.Tombstone {
		return flagTombstone
	}
	return 0
}

// valueAAD binds a value's ciphertext to its secret:
// AAD(V, "value", namespace, name).
func valueAAD(namespace, name string) []byte {
	b := make([]byte, 0, 4*4+1+len(roleValue)+len(namespace)+len(name))
	b = appendPart(b, versionPart)
	b = appendPart(b, roleValue)
	b = appendPart(b, namespace)
	return appendPart(b, name)
}

// dekAAD binds a wrapped DEK to every header field; keys are h.Metadata's
// keys in ascending order (sortedKeys). It equals
// AAD(V, "dek", namespace, name, revision, key version, flags, created,
// updated, expires, key1, value1, ...) with fixed-width big-endian integers,
// built in one buffer.
func dekAAD(h *Header, keys []string) []byte {
	n := 10*4 + len(versionPart) + len(roleDEK) + len(h.Namespace) + len(h.Name) + 8 + 4 + 1 + 3*8
	for _, k := range keys {
		n += 2*4 + len(k) + len(h.Metadata[k])
	}
	b := make([]byte, 0, n)
	b = appendPart(b, versionPart)
	b = appendPart(b, roleDEK)
	b = appendPart(b, h.Namespace)
	b = appendPart(b, h.Name)
	b = binary.BigEndian.AppendUint32(b, 8)
	b = binary.BigEndian.AppendUint64(b, h.Revision)
	b = binary.BigEndian.AppendUint32(b, 4)
	b = binary.BigEndian.AppendUint32(b, h.KeyVersion)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = append(b, h.flags())
	for _, t := range [...]int64{h.CreatedAt, h.UpdatedAt, h.ExpiresAt} {
		b = binary.BigEndian.AppendUint32(b, 8)
		b = binary.BigEndian.AppendUint64(b, uint64(t))
	}
	for _, k := range keys {
		b = appendPart(b, k)
		b = appendPart(b, h.Metadata[k])
	}
	return b
}

// appendPart appends one AAD part: its u32 length, then its bytes.
func appendPart(b []byte, p string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
	return append(b, p...)
}

// sortedKeys returns m's keys in ascending byte order, nil for no keys.
func sortedKeys(m map[string]string) []string {
	if len(m) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(m))
}

// encodeRecord writes the version-1 encoding of a record; keys are
// h.Metadata's keys from sortedKeys. It validates h and
// the sizes of the wrapped DEK and box, and never produces bytes that Decode
// would refuse.
func encodeRecord(h *Header, keys []string, wrappedDEK, box []byte) ([]byte, error) {
	if err := validateHeader(h); err != nil {
		return nil, err
	}
	if len(wrappedDEK) != WrappedKeySize {
		return nil, fmt.Errorf("wrapped data key is %d bytes, want %d: %w", len(wrappedDEK), WrappedKeySize, ErrMalformed)
	}
	if len(box) < minBoxLen || len(box) > maxBoxLen {
		return nil, fmt.Errorf("value ciphertext is %d bytes, want %d to %d: %w", len(box), minBoxLen, maxBoxLen, ErrMalformed)
	}
	if h.Tombstone && len(box) != minBoxLen {
		return nil, fmt.Errorf("tombstone carries a value: %w", ErrMalformed)
	}
	size := fixedHeaderLen + 2 + len(h.Namespace) + 2 + len(h.Name) + 2 +
		4*len(keys) + metadataLen(h.Metadata) + WrappedKeySize + 4 + len(box)

	b := make([]byte, 0, size)
	b = append(b, magic...)
	b = append(b, FormatVersion, h.flags())
	b = binary.BigEndian.AppendUint32(b, h.KeyVersion)
	b = binary.BigEndian.AppendUint64(b, h.Revision)
	b = binary.BigEndian.AppendUint64(b, uint64(h.CreatedAt))
	b = binary.BigEndian.AppendUint64(b, uint64(h.UpdatedAt))
	b = binary.BigEndian.AppendUint64(b, uint64(h.ExpiresAt))
	b = appendString16(b, h.Namespace)
	b = appendString16(b, h.Name)
	b = binary.BigEndian.AppendUint16(b, uint16(len(keys)))
	for _, k := range keys {
		b = appendString16(b, k)
		b = appendString16(b, h.Metadata[k])
	}
	b = append(b, wrappedDEK...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(box)))
	b = append(b, box...)
	return b, nil
}

// appendString16 appends a u16-length-prefixed string; callers have bounded
// len(s) far below 1<<16 already.
func appendString16(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// Decode parses an encoded record without authenticating it, so that the
// caller can learn which key version to fetch; nothing in the result may be
// trusted until Verify or Open succeeds. Decode is strict: a wrong magic,
// truncation, trailing bytes, a length over its bound, unknown flag bits,
// unsorted or duplicate metadata keys and a tombstone with a value all give
// ErrMalformed (ErrTooLarge for lengths over a Max* limit), and a format
// version other than FormatVersion gives ErrUnsupportedVersion. Every length
// is checked before anything is allocated. The record does not alias
// encoded. Header.Metadata is nil when the record has no metadata.
func Decode(encoded []byte) (*Record, error) {
	r, err := decode(encoded)
	if err != nil {
		return nil, fmt.Errorf("decoding record: %w", err)
	}
	return r, nil
}

func decode(encoded []byte) (*Record, error) {
	n := min(len(encoded), len(magic))
	if !bytes.Equal(encoded[:n], []byte(magic)[:n]) {
		return nil, fmt.Errorf("not a secret record (bad magic): %w", ErrMalformed)
	}
	if len(encoded) < len(magic)+1 {
		return nil, fmt.Errorf("truncated before the format version: %w", ErrMalformed)
	}
	d := decoder{b: encoded[len(magic):]}
	if v := d.u8(); v != FormatVersion {
		return nil, fmt.Errorf("format version %d, this build reads %d: %w", v, FormatVersion, ErrUnsupportedVersion)
	}
	if len(d.b) < fixedHeaderLen-len(magic)-1 {
		return nil, fmt.Errorf("header truncated: %w", ErrMalformed)
	}
	flags := d.u8()
	if flags&^knownFlags != 0 {
		return nil, fmt.Errorf("unknown flags %#02x: %w", flags&^knownFlags, ErrMalformed)
	}
	var r Record
	h := &r.Header
	h.Tombstone = flags&flagTombstone != 0
	h.KeyVersion = d.u32()
	h.Revision = d.u64()
	h.CreatedAt = int64(d.u64())
	h.UpdatedAt = int64(d.u64())
	h.ExpiresAt = int64(d.u64())

	h.Namespace = d.string16("namespace", 1, MaxNamespaceLen)
	h.Name = d.string16("name", 1, MaxNameLen)
	count := int(d.u16())
	if d.err == nil && count > MaxMetadataKeys {
		return nil, fmt.Errorf("metadata has %d keys, limit %d: %w", count, MaxMetadataKeys, ErrTooLarge)
	}
	if d.err == nil && count > 0 {
		// Each entry takes at least 4 bytes; checking that first bounds the
		// map allocation by the input's size.
		if len(d.b) < 4*count {
			return nil, fmt.Errorf("metadata truncated: %w", ErrMalformed)
		}
		h.Metadata = make(map[string]string, count)
		total, prev := 0, ""
		for i := 0; i < count; i++ {
			k := d.metaString(&total)
			v := d.metaString(&total)
			if d.err != nil {
				return nil, d.err
			}
			if i > 0 && k <= prev {
				return nil, fmt.Errorf("metadata keys not strictly ascending at entry %d: %w", i, ErrMalformed)
			}
			h.Metadata[k] = v
			prev = k
		}
	}
	r.WrappedDEK = d.bytes("wrapped data key", WrappedKeySize)
	boxLen := int(d.u32())
	if d.err == nil && (boxLen < minBoxLen || boxLen > maxBoxLen) {
		if boxLen > maxBoxLen {
			return nil, fmt.Errorf("value ciphertext is %d bytes, limit %d: %w", boxLen, maxBoxLen, ErrTooLarge)
		}
		return nil, fmt.Errorf("value ciphertext is %d bytes, minimum %d: %w", boxLen, minBoxLen, ErrMalformed)
	}
	r.Ciphertext = d.bytes("value ciphertext", boxLen)
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%d trailing bytes: %w", len(d.b), ErrMalformed)
	}
	if h.Tombstone && len(r.Ciphertext) != minBoxLen {
		return nil, fmt.Errorf("tombstone carries a value: %w", ErrMalformed)
	}
	return &r, nil
}

// decoder reads big-endian fields from b; the first failure sticks in err
// and later reads return zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.err = fmt.Errorf("truncated: %w", ErrMalformed)
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u8() byte {
	if p := d.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (d *decoder) u16() uint16 {
	if p := d.take(2); p != nil {
		return binary.BigEndian.Uint16(p)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if p := d.take(4); p != nil {
		return binary.BigEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if p := d.take(8); p != nil {
		return binary.BigEndian.Uint64(p)
	}
	return 0
}

// string16 reads a u16-length-prefixed string whose length must lie in
// [minLen, maxLen]; the bound is checked before the copy.
func (d *decoder) string16(what string, minLen, maxLen int) string {
	n := int(d.u16())
	if d.err != nil {
		return ""
	}
	switch {
	case n > maxLen:
		d.err = fmt.Errorf("%s is %d bytes, limit %d: %w", what, n, maxLen, ErrTooLarge)
		return ""
	case n < minLen:
		d.err = fmt.Errorf("%s is empty: %w", what, ErrMalformed)
		return ""
	}
	return string(d.take(n))
}

// metaString reads a u16-length-prefixed metadata key or value, adding its
// length to *total and refusing it before the copy if the sum would pass
// MaxMetadataLen.
func (d *decoder) metaString(total *int) string {
	n := int(d.u16())
	if d.err != nil {
		return ""
	}
	if *total+n > MaxMetadataLen {
		d.err = fmt.Errorf("metadata is over %d bytes: %w", MaxMetadataLen, ErrTooLarge)
		return ""
	}
	*total += n
	return string(d.take(n))
}

// bytes reads n bytes into a fresh slice; n has been bounded by the caller.
func (d *decoder) bytes(what string, n int) []byte {
	if d.err != nil {
		return nil
	}
	p := d.take(n)
	if d.err != nil {
		d.err = fmt.Errorf("%s truncated: %w", what, ErrMalformed)
		return nil
	}
	return bytes.Clone(p)
}
