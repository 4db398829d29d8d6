// SPDX-License-Identifier: MPL-2.0

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
	magicPurge      = "SSAC"
	magicWithdrawn  = "SSAW"

	objectFormat = 1
	macSize      = 32
	objectLabel  = "secretstore/object/v1"
)

// frame returns magic || version || body, in format version 1.
func frame(magic string, body any) ([]byte, error) {
	return frameVersion(magic, objectFormat, body)
}

// frameVersion returns magic || version || body.
func frameVersion(magic string, version byte, body any) ([]byte, error) {
	js, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(magic)+1+len(js)+macSize)
	out = append(out, magic...)
	out = append(out, version)
	return append(out, js...), nil
}

// frameMAC returns frame(magic, body) followed by its MAC under key.
func frameMAC(magic string, key []byte, context string, body any) ([]byte, error) {
	return frameMACVersion(magic, objectFormat, key, context, body)
}

// frameMACVersion is frameMAC in format version version.
func frameMACVersion(magic string, version byte, key []byte, context string, body any) ([]byte, error) {
	out, err := frameVersion(magic, version, body)
	if err != nil {
		return nil, err
	}
	js := out[len(magic)+1:]
	return append(out, objectMAC(key, magic, context, js)...), nil
}

func objectMAC(key []byte, magic, context string, body []byte) []byte {
	return envelope.MAC(key, envelope.AAD([]byte(objectLabel), []byte(magic), []byte(context), body))
}

// unframe checks magic and version (1) and returns the body (and the MAC
// trailer when withMAC).
func unframe(magic string, data []byte, withMAC bool) (body, mac []byte, err error) {
	_, body, mac, err = unframeVersion(magic, data, withMAC, objectFormat)
	return body, mac, err
}

// unframeVersion is unframe for an object kind whose format versions are
// 1 to maxVersion; it returns the object's version.
func unframeVersion(magic string, data []byte, withMAC bool, maxVersion byte) (version byte, body, mac []byte, err error) {
	minLen := len(magic) + 1 + 2
	if withMAC {
		minLen += macSize
	}
	if len(data) < minLen {
		return 0, nil, nil, fmt.Errorf("object is %d bytes, too short: %w", len(data), ErrIntegrity)
	}
	if string(data[:len(magic)]) != magic {
		return 0, nil, nil, fmt.Errorf("object does not start with %q: %w", magic, ErrIntegrity)
	}
	version = data[len(magic)]
	if version < objectFormat || version > maxVersion {
		known := fmt.Sprint(objectFormat)
		if maxVersion > objectFormat {
			known = fmt.Sprintf("%d to %d", objectFormat, maxVersion)
		}
		return 0, nil, nil, fmt.Errorf("object format version %d (this build knows %s): %w", version, known, ErrUnsupportedFormat)
	}
	body = data[len(magic)+1:]
	if withMAC {
		mac = body[len(body)-macSize:]
		body = body[:len(body)-macSize]
	}
	return version, body, mac, nil
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
