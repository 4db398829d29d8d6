// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"gocloud.dev/secrets"
	"gocloud.dev/secrets/localsecrets"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// KeySize is the size in bytes of every key the store uses: a bare root
// key, key version material, data keys.
const KeySize = envelope.KeySize

// CheckRootKey checks the syntax of a root key without any I/O: a keeper
// URL of a scheme this build registers (see KeeperSchemes), or a bare
// base64 encoding (standard or URL-safe, padded or not) of exactly KeySize
// bytes. A base64key:// URL must carry such a key. field and index name the
// input in the *ValidationError returned; its reason never contains the key.
// A key that passes may still fail to open (ParseRootKey) or to match the
// store (ErrRootKeyMismatch).
func CheckRootKey(field Field, index int, s string) error {
	_, err := checkRootKey(field, index, s)
	return err
}

// rootKeyForm is a checked root key: a local key, or a keeper URL.
type rootKeyForm struct {
	local *[KeySize]byte // bare key or base64key://
	url   string         // any other keeper URL
}

func checkRootKey(field Field, index int, s string) (rootKeyForm, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return rootKeyForm{}, invalidAt(field, index, "is empty; give a keeper URL (%s) or a base64-encoded %d-byte key", keeperSchemeList(), KeySize)
	}
	scheme, rest, isURL := strings.Cut(s, "://")
	if !isURL {
		key, err := decodeKey(s)
		if err != nil {
			return rootKeyForm{}, invalidAt(field, index, "is neither a keeper URL (%s) nor a base64-encoded %d-byte key: %v", keeperSchemeList(), KeySize, err)
		}
		return rootKeyForm{local: &key}, nil
	}
	// net/url lowercases schemes: BASE64KEY:// would reach localsecrets too.
	scheme = strings.ToLower(scheme)
	if scheme == localsecrets.Scheme {
		rest, _, _ = strings.Cut(rest, "?")
		if rest == "" {
			return rootKeyForm{}, invalidAt(field, index, "base64key:// without a key would make a new random key on every run, so nothing stored could be read back; give the key as base64key://<base64 of %d bytes>", KeySize)
		}
		key, err := decodeKey(rest)
		if err != nil {
			return rootKeyForm{}, invalidAt(field, index, "base64key:// key is not a base64-encoded %d-byte key: %v", KeySize, err)
		}
		return rootKeyForm{local: &key}, nil
	}
	if !secrets.DefaultURLMux().ValidKeeperScheme(scheme) {
		return rootKeyForm{}, invalidAt(field, index, "keeper scheme %q is not supported; the supported keeper URLs are %s", scheme, keeperSchemeList())
	}
	if _, err := url.Parse(s); err != nil {
		// url.Error repeats the whole URL; show only the reason.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return rootKeyForm{}, invalidAt(field, index, "is not a valid %s:// keeper URL: %v", scheme, err)
	}
	return rootKeyForm{url: s}, nil
}

// ParseRootKey checks a root key as CheckRootKey does and opens its keeper.
// Errors are *ValidationError for field and index; they never contain the
// key, nor credentials of the keeper URL.
func ParseRootKey(ctx context.Context, field Field, index int, s string) (*secrets.Keeper, error) {
	form, err := checkRootKey(field, index, s)
	if err != nil {
		return nil, err
	}
	if form.local != nil {
		k := localsecrets.NewKeeper(*form.local)
		clear(form.local[:])
		return k, nil
	}
	k, err := secrets.OpenKeeper(ctx, form.url)
	if err != nil {
		// The scheme is safe to show; the rest of the URL may name
		// credentials.
		scheme, _, _ := strings.Cut(form.url, "://")
		return nil, invalidAt(field, index, "cannot open %s:// keeper: %s", strings.ToLower(scheme), redactText(err.Error(), form.url, "<root key URL>"))
	}
	return k, nil
}

// KeeperSchemes lists the keeper URL schemes a root key may use, sorted:
// those this build registers (see drivers.go).
func KeeperSchemes() []string {
	return secrets.DefaultURLMux().KeeperSchemes()
}

func keeperSchemeList() string {
	schemes := KeeperSchemes()
	for i, s := range schemes {
		schemes[i] = s + "://"
	}
	return strings.Join(schemes, ", ")
}

// decodeKey decodes a KeySize-byte key in standard or URL-safe base64,
// padded or not.
func decodeKey(s string) ([KeySize]byte, error) {
	var key [KeySize]byte
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(b) != KeySize {
			clear(b)
			return key, fmt.Errorf("it decodes to %d bytes, not %d", len(b), KeySize)
		}
		copy(key[:], b)
		clear(b)
		return key, nil
	}
	return key, errors.New("it is not valid base64")
}
