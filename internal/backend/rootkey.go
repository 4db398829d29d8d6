// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"gocloud.dev/gcerrors"
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
		return nil, invalidAt(field, index, "cannot open %s:// keeper: %s", strings.ToLower(scheme), redactKeeperText(err.Error(), form.url, "<root key URL>"))
	}
	return k, nil
}

// rootKeyURL is a root key given as a keeper URL of a key service, as
// errors name it.
type rootKeyURL struct {
	raw      string // the URL as configured, to redact from the service's messages
	previous int    // 0 for the root key, i+1 for previous root key i
}

// keyServiceURL returns the keeper URL of root key s, or false for a local
// key (bare or base64key://), whose encryption never fails and whose
// decryption fails only for a key that does not match.
func keyServiceURL(s string, previous int) (rootKeyURL, bool) {
	form, err := checkRootKey(FieldRootKey, 0, s)
	if err != nil || form.url == "" {
		if form.local != nil {
			clear(form.local[:])
		}
		return rootKeyURL{}, false
	}
	return rootKeyURL{raw: form.url, previous: previous}, true
}

// rootKeyError wraps err, a failed op ("encrypt" or "decrypt") of keeper
// k, in a *RootKeyError when k is a key service; a local key's error is
// returned as it is.
func (s *Store) rootKeyError(k *secrets.Keeper, op string, err error) error {
	u, ok := s.keyServices[k]
	if !ok {
		return err
	}
	safe := RedactURL(u.raw)
	scheme, _, _ := strings.Cut(u.raw, "://")
	return &RootKeyError{
		Key: safe, Scheme: strings.ToLower(scheme), Previous: u.previous, Op: op,
		Err: &redactedError{msg: redactKeeperText(err.Error(), u.raw, safe), err: err},
	}
}

// redactKeeperError is err, an error of keeper k, with a message that
// shows neither k's keeper URL nor any value of its query (see
// redactKeeperText); it still unwraps to err. A local key's error is
// returned as it is.
func (s *Store) redactKeeperError(k *secrets.Keeper, err error) error {
	u, ok := s.keyServices[k]
	if !ok || err == nil {
		return err
	}
	return &redactedError{msg: redactKeeperText(err.Error(), u.raw, RedactURL(u.raw)), err: err}
}

// redactedValue replaces a keeper URL's query value in a message.
const redactedValue = "<redacted>"

// redactKeeperText replaces in msg the keeper URL raw with safe (as
// redactText does), then every value of its query, and the host of a
// value that is itself a URL, with redactedValue: a key service's message
// repeats them on their own (the endpoint it dialled, the region). Values
// are replaced wherever they occur, longest first, so a short value may
// blank out an unrelated word; a message that says less is preferred to
// one that shows a query value.
func redactKeeperText(msg, raw, safe string) string {
	msg = redactText(msg, raw, safe)
	u, err := url.Parse(raw)
	if err != nil {
		return msg
	}
	var vals []string
	for _, vs := range u.Query() {
		for _, v := range vs {
			if v == "" {
				continue
			}
			vals = append(vals, v, url.QueryEscape(v))
			if vu, err := url.Parse(v); err == nil && vu.Host != "" {
				vals = append(vals, vu.Host, vu.Hostname())
			}
		}
	}
	sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
	for _, v := range vals {
		if v != "" {
			msg = strings.ReplaceAll(msg, v, redactedValue)
		}
	}
	return msg
}

// encryptRoot wraps plaintext with the current root key; a failing key
// service is a *RootKeyError.
func (s *Store) encryptRoot(ctx context.Context, plaintext []byte) ([]byte, error) {
	wrapped, err := s.keeper.Encrypt(ctx, plaintext)
	if err != nil {
		return nil, s.rootKeyError(s.keeper, "encrypt", err)
	}
	return wrapped, nil
}

// decryptFailure tells why keeper k failed to decrypt with decErr: a
// *RootKeyError when its key service fails, nil when the key merely does
// not match the ciphertext. A local key only ever mismatches. A key
// service that refuses the ciphertext as invalid mismatches; one that
// reports a missing key, a refused permission, a timeout or an internal
// error fails. For any other error (unreachable, no credentials, or a
// ciphertext of another key all look alike) the service is asked to
// encrypt a block of zeros: if it cannot, it is failing. That one
// request is made only on this failure path.
func (s *Store) decryptFailure(ctx context.Context, k *secrets.Keeper, decErr error) error {
	if _, ok := s.keyServices[k]; !ok {
		return nil
	}
	switch gcerrors.Code(decErr) {
	case gcerrors.InvalidArgument:
		return nil
	case gcerrors.NotFound, gcerrors.PermissionDenied, gcerrors.DeadlineExceeded, gcerrors.Internal,
		gcerrors.ResourceExhausted, gcerrors.FailedPrecondition:
		return s.rootKeyError(k, "decrypt", decErr)
	}
	if _, err := k.Encrypt(ctx, make([]byte, KeySize)); err != nil {
		return s.rootKeyError(k, "decrypt", decErr)
	}
	return nil
}

// firstDecryptFailure is decryptFailure of the first of keepers (with
// their decryption errors errs) whose key service fails, or nil when every
// one merely mismatches.
func (s *Store) firstDecryptFailure(ctx context.Context, keepers []*secrets.Keeper, errs []error) error {
	for i, k := range keepers {
		if err := s.decryptFailure(ctx, k, errs[i]); err != nil {
			return err
		}
	}
	return nil
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
