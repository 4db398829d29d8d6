package backend

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// The magics and format of the store's own objects (see Object framing in
// the package documentation).
const (
	magicHeader     = "SSHD"
	magicKeyVersion = "SSKV"
	magicEvent      = "SSAE"
	magicBatch      = "SSAB"

	objectFormat = 1
	macSize      = 32
	objectLabel  = "secretstore/object/v1"
)

// frame returns magic || version || body.
func frame(magic string, body any) ([]byte, error) {
	js, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(magic)+1+len(js)+macSize)
	out = append(out, magic...)
	out = append(out, objectFormat)
	return append(out, js...), nil
}

// frameMAC returns frame(magic, body) followed by its MAC under key.
func frameMAC(magic string, key []byte, context string, body any) ([]byte, error) {
	out, err := frame(magic, body)
	if err != nil {
		return nil, err
	}
	js := out[len(magic)+1:]
	return append(out, objectMAC(key, magic, context, js)...), nil
}

func objectMAC(key []byte, magic, context string, body []byte) []byte {
	return envelope.MAC(key, envelope.AAD([]byte(objectLabel), []byte(magic), []byte(context), body))
}

// unframe checks magic and version and returns the body (and the MAC
// trailer when withMAC).
func unframe(magic string, data []byte, withMAC bool) (body, mac []byte, err error) {
	minLen := len(magic) + 1 + 2
	if withMAC {
		minLen += macSize
	}
	if len(data) < minLen {
		return nil, nil, fmt.Errorf("object is %d bytes, too short: %w", len(data), ErrIntegrity)
	}
	if string(data[:len(magic)]) != magic {
		return nil, nil, fmt.Errorf("object does not start with %q: %w", magic, ErrIntegrity)
	}
	if v := data[len(magic)]; v != objectFormat {
		return nil, nil, fmt.Errorf("object format version %d (this build knows %d): %w", v, objectFormat, ErrUnsupportedFormat)
	}
	body = data[len(magic)+1:]
	if withMAC {
		mac = body[len(body)-macSize:]
		body = body[:len(body)-macSize]
	}
	return body, mac, nil
}

// verifyMAC checks an object's trailer.
func verifyMAC(key []byte, magic, context string, body, mac []byte) error {
	if !envelope.VerifyMAC(key, envelope.AAD([]byte(objectLabel), []byte(magic), []byte(context), body), mac) {
		return fmt.Errorf("object MAC does not verify: %w", ErrIntegrity)
	}
	return nil
}

// decodeJSON decodes exactly one JSON value with no unknown fields.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decoding object: %w: %w", err, ErrIntegrity)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("decoding object: trailing data: %w", ErrIntegrity)
	}
	return nil
}
