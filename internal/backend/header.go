// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"

	"gocloud.dev/secrets"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// headerState is the opened store header: the store secret and the keys
// derived from it.
type headerState struct {
	rev         int64 // header revision
	rootEpoch   int64 // the header revision that began the current root key's wrapping (<= rev)
	retired     []int // retired key versions, ascending; only ever grows
	createdAt   int64
	storeID     string
	rootCurrent bool            // opened with the current root key
	openedWith  *secrets.Keeper // the root key that opened it
	secret      []byte
	keyringKey  []byte // MACs key version records
	headerKey   []byte // MACs header revisions
	auditKey    []byte // MACs audit events
}

// headerBody is the JSON body of a store header revision. The store secret
// is random, made once, and only ever stored wrapped by a root key; a root
// key rotation writes a new revision with the same secret rewrapped.
//
// Retiring a key version also writes a header revision, which lists every
// retired version (so a bucket writer who deletes the version's retiring
// record does not bring it back) and names the root-key epoch, the header
// revision whose root key still wraps the secret. Those two fields exist
// only in header format version 2 (headerFormatRetired); a version 1 header
// has neither, its epoch is its revision, and it retires nothing.
type headerBody struct {
	Format        string `json:"format"`
	StoreID       string `json:"store_id"`
	Revision      int64  `json:"revision"`
	CreatedAt     int64  `json:"created_at"`
	WrappedSecret []byte `json:"wrapped_secret"`
	RootEpoch     int64  `json:"root_epoch,omitempty"`
	Retired       []int  `json:"retired,omitempty"`
	// RootKeyTag names the key service root key that wrapped
	// WrappedSecret (see rootKeyTag); absent under a local root key.
	RootKeyTag []byte `json:"root_key_tag,omitempty"`
}

const storeFormatName = "secretstore/v1"

// headerFormatRetired is the framing version of a header revision that
// carries a root-key epoch other than its revision or retired versions.
const headerFormatRetired = 2

// isRetired reports whether the header lists key version v as retired.
func (hs *headerState) isRetired(v int) bool {
	_, found := slices.BinarySearch(hs.retired, v)
	return found
}

// openHeader reads the newest store header revision and opens its secret
// with the root key (or a previous one). It reports found false when the
// store has no header and is empty (see checkEmpty): then, when create is
// set, it creates the header, or, when another process created one first,
// opens theirs, and reports found true. A store that holds objects but no
// header lost its header and is ErrIntegrity, whether create is set or not.
func (s *Store) openHeader(ctx context.Context, create bool) (found bool, _ error) {
	for attempt := 0; attempt < 3; attempt++ {
		key, found, err := s.firstKey(ctx, prefixHeader, 4, func(k string) bool { _, ok := parseHeaderKey(k); return ok })
		if err != nil {
			return false, fmt.Errorf("reading the store header: %w", err)
		}
		if !found {
			if err := s.checkEmpty(ctx); err != nil {
				if errors.Is(err, errHeaderAppeared) {
					continue
				}
				return false, err
			}
			if !create {
				return false, nil
			}
			err := s.initHeader(ctx)
			if errors.Is(err, ErrConcurrentModification) {
				continue // another process created it first; read theirs
			}
			return err == nil, err
		}
		rev, _ := parseHeaderKey(key)
		data, err := s.obj().get(ctx, key, maxObjectLen)
		if err != nil {
			if errors.Is(err, errObjectNotFound) {
				continue
			}
			return false, fmt.Errorf("reading the store header: %w", err)
		}
		hs, err := s.decodeHeader(ctx, data, rev)
		if err != nil {
			return false, err
		}
		s.mu.Lock()
		s.header = hs
		s.mu.Unlock()
		return true, nil
	}
	return false, fmt.Errorf("reading the store header: it keeps changing: %w", ErrConcurrentModification)
}

// errHeaderAppeared: another Store created the store while checkEmpty
// looked at it.
var errHeaderAppeared = errors.New("store header appeared")

// checkEmpty is called when the store has no header: nil when the store is
// empty, so that a header may be written, otherwise ErrIntegrity. Every
// object of a store is written after its header (key versions, secrets
// and audit events are all MACed under keys derived from it), so an
// object without a header means the header was deleted: writing a new one
// (a new store secret) would make everything stored fail its MACs while
// new writes went on. Only probes, which a Store writes before its first
// write (and so before it creates a header), and names the layout never
// produces (temporary files of a fileblob bucket: '.' is not a key
// character) may precede a header.
//
// It costs one LIST of page size 1 on an empty store; an object it finds
// may also be a concurrent creator's work, so the header is looked for once
// more before reporting (errHeaderAppeared when it is there now).
func (s *Store) checkEmpty(ctx context.Context) error {
	key, found, err := s.firstKey(ctx, prefixStore, 1, isStoreContent)
	if err != nil {
		return fmt.Errorf("reading the store: %w", err)
	}
	if !found {
		return nil
	}
	if _, ok := parseHeaderKey(key); ok {
		return errHeaderAppeared
	}
	_, found, err = s.firstKey(ctx, prefixHeader, 4, func(k string) bool { _, ok := parseHeaderKey(k); return ok })
	if err != nil {
		return fmt.Errorf("reading the store header: %w", err)
	}
	if found {
		return errHeaderAppeared
	}
	return fmt.Errorf("the store header is missing and the store is not empty (it holds %s), so the header was deleted: a new store is initialised only in an empty bucket; restoring the header (from bucket versioning or a backup) makes the store readable again: %w", storeObjectKind(key), ErrIntegrity)
}

// isStoreContent reports whether key is an object that only a store with
// a header writes.
func isStoreContent(key string) bool {
	return !strings.HasPrefix(key, prefixProbe) && !strings.Contains(key, ".")
}

// storeObjectKind names, in the store's words, what the object at key is.
func storeObjectKind(key string) string {
	switch {
	case strings.HasPrefix(key, prefixKeyring):
		return "key versions"
	case strings.HasPrefix(key, prefixSecrets):
		return "secrets"
	case strings.HasPrefix(key, prefixAudit):
		return "audit events"
	case strings.HasPrefix(key, prefixWraps):
		return "key version wrap counts"
	}
	return "objects of the store's layout"
}

func (s *Store) decodeHeader(ctx context.Context, data []byte, rev int64) (headerState, error) {
	version, body, mac, err := unframeVersion(magicHeader, data, true, headerFormatRetired)
	if err != nil {
		return headerState{}, fmt.Errorf("store header revision %d: %w", rev, err)
	}
	var hb headerBody
	if err := decodeJSON(body, &hb); err != nil {
		return headerState{}, fmt.Errorf("store header revision %d: %w", rev, err)
	}
	if hb.Format != storeFormatName {
		return headerState{}, fmt.Errorf("store header names format %q, this build knows %q: %w", hb.Format, storeFormatName, ErrUnsupportedFormat)
	}
	if hb.Revision != rev {
		return headerState{}, fmt.Errorf("store header revision %d holds revision %d: %w", rev, hb.Revision, ErrIntegrity)
	}
	if err := checkHeaderFields(version, &hb); err != nil {
		return headerState{}, fmt.Errorf("store header revision %d: %w", rev, err)
	}
	hs := headerState{rev: rev, rootEpoch: rev, retired: hb.Retired, createdAt: hb.CreatedAt, storeID: hb.StoreID}
	if hb.RootEpoch != 0 {
		hs.rootEpoch = hb.RootEpoch
	}
	var lastErr error
	keepers := append([]*secrets.Keeper{s.keeper}, s.previous...)
	errs := make([]error, 0, len(keepers))
	for i, k := range keepers {
		secret, err := k.Decrypt(ctx, hb.WrappedSecret)
		if err != nil {
			lastErr = s.redactKeeperError(k, err)
			errs = append(errs, err)
			continue
		}
		if len(secret) != envelope.KeySize {
			clear(secret)
			return headerState{}, fmt.Errorf("store header revision %d: store secret is %d bytes: %w", rev, len(secret), ErrIntegrity)
		}
		hs.secret, hs.openedWith, hs.rootCurrent = secret, k, i == 0
		break
	}
	if hs.secret == nil {
		// A key service that fails says nothing of whether its key
		// matches: report the failure, not a mismatch.
		if err := s.firstDecryptFailure(ctx, keepers, errs); err != nil {
			return headerState{}, fmt.Errorf("opening the store header: %w", err)
		}
		return headerState{}, fmt.Errorf("%w: neither the root key nor any of %d previous root keys opens this store's header (last error: %w)", ErrRootKeyMismatch, len(s.previous), lastErr)
	}
	if err := hs.derive(); err != nil {
		return headerState{}, err
	}
	if err := verifyMAC(hs.headerKey, magicHeader, fmt.Sprintf("h/%d", rev), body, mac); err != nil {
		clear(hs.secret)
		return headerState{}, fmt.Errorf("store header revision %d: %w", rev, err)
	}
	if err := s.checkRootKeyTag(&hs, hb.RootKeyTag, rev); err != nil {
		clear(hs.secret)
		return headerState{}, err
	}
	return hs, nil
}

// checkRootKeyTag settles, from the header's tag (see rootKeyTag), which
// configured root key wrapped its secret: a key service may decrypt what
// another of its keys wrapped (AWS KMS decrypts with whichever key made
// the ciphertext), so the key that opened it does not tell. hs.rootCurrent
// is true only when the tag names the current root key and it opened the
// header. A tag that names none of the configured keys is
// ErrRootKeyMismatch, as when none of them opens the header. A header
// without a tag was written under a local key (which only that key opens)
// or by an earlier build: opened by a key service, it is not current, so
// that the next rewrap wraps and tags it anew.
func (s *Store) checkRootKeyTag(hs *headerState, tag []byte, rev int64) error {
	if len(tag) == 0 {
		if _, service := s.keyServices[hs.openedWith]; service {
			hs.rootCurrent = false
		}
		return nil
	}
	if hmac.Equal(tag, s.rootKeyTag(s.keeper, hs.headerKey)) {
		hs.rootCurrent = hs.openedWith == s.keeper
		return nil
	}
	for _, k := range s.previous {
		if hmac.Equal(tag, s.rootKeyTag(k, hs.headerKey)) {
			hs.rootCurrent = false
			return nil
		}
	}
	return fmt.Errorf("%w: store header revision %d is wrapped under another key than the root key and the %d previous root keys (the key service decrypted it all the same)", ErrRootKeyMismatch, rev, len(s.previous))
}

// checkHeaderFields checks the fields of format version 2: a version 1
// header has none, a version 2 header needs one, its epoch is a header
// revision up to its own, and its retired versions are valid version
// numbers in strictly ascending order.
func checkHeaderFields(version byte, hb *headerBody) error {
	extended := hb.RootEpoch != 0 || hb.Retired != nil
	switch {
	case version == objectFormat && extended:
		return fmt.Errorf("format version %d carries a root-key epoch or retired key versions: %w", version, ErrIntegrity)
	case version == headerFormatRetired && !extended:
		return fmt.Errorf("format version %d carries neither a root-key epoch nor retired key versions: %w", version, ErrIntegrity)
	case hb.RootEpoch < 0 || hb.RootEpoch > hb.Revision:
		return fmt.Errorf("root-key epoch %d is not a revision up to %d: %w", hb.RootEpoch, hb.Revision, ErrIntegrity)
	}
	for i, v := range hb.Retired {
		if v < 1 || int64(v) > math.MaxUint32 || (i > 0 && v <= hb.Retired[i-1]) {
			return fmt.Errorf("retired key versions are not ascending valid versions: %w", ErrIntegrity)
		}
	}
	return nil
}

func (hs *headerState) derive() error {
	var err error
	if hs.keyringKey, err = envelope.DeriveKey(hs.secret, "keyring"); err != nil {
		return err
	}
	if hs.headerKey, err = envelope.DeriveKey(hs.secret, "header"); err != nil {
		return err
	}
	hs.auditKey, err = envelope.DeriveKey(hs.secret, "audit")
	return err
}

// initHeader creates revision 1 of the store header with a new store
// secret wrapped by the root key.
func (s *Store) initHeader(ctx context.Context) error {
	secret, err := envelope.NewKey()
	if err != nil {
		return err
	}
	hs := headerState{rev: 1, rootEpoch: 1, createdAt: s.now().UnixNano(), storeID: randomID(16), rootCurrent: true, openedWith: s.keeper, secret: secret}
	if err := hs.derive(); err != nil {
		return err
	}
	if err := s.writeHeader(ctx, &hs); err != nil {
		clear(secret)
		return err
	}
	s.mu.Lock()
	s.header = hs
	s.mu.Unlock()
	return nil
}

// writeHeader writes header revision hs.rev (see headerOp).
func (s *Store) writeHeader(ctx context.Context, hs *headerState) error {
	op, err := s.headerOp(ctx, hs)
	if err != nil {
		return err
	}
	if err := s.obj().commit(ctx, stage{Ops: []*writeOp{op}, Strict: true}); err != nil {
		return fmt.Errorf("writing store header revision %d: %w", hs.rev, err)
	}
	return nil
}

// headerOp is the create-only write of header revision hs.rev, with the
// store secret wrapped anew by the current root key (one root-key call).
// It never copies the wrapped secret of an earlier revision: a key
// service may decrypt under the current root key what another key wrapped
// (AWS KMS decrypts with whichever key made the ciphertext), so that a
// header opened with the current root key is no proof that it wraps it.
// It is written in format version 1 unless it retires key versions or
// keeps an earlier root-key epoch.
func (s *Store) headerOp(ctx context.Context, hs *headerState) (*writeOp, error) {
	wrapped, err := s.encryptRoot(ctx, hs.secret)
	if err != nil {
		return nil, fmt.Errorf("wrapping the store secret with the root key: %w", err)
	}
	body := headerBody{Format: storeFormatName, StoreID: hs.storeID, Revision: hs.rev, CreatedAt: hs.createdAt, WrappedSecret: wrapped,
		RootKeyTag: s.rootKeyTag(s.keeper, hs.headerKey)}
	version := byte(objectFormat)
	if hs.rootEpoch != hs.rev || len(hs.retired) > 0 {
		body.RootEpoch, body.Retired, version = hs.rootEpoch, hs.retired, headerFormatRetired
	}
	data, err := frameMACVersion(magicHeader, version, hs.headerKey, fmt.Sprintf("h/%d", hs.rev), body)
	if err != nil {
		return nil, err
	}
	return &writeOp{Key: headerKey(hs.rev), Data: data}, nil
}

// settleHeader ends one attempt of a write that carried the store header
// revision op (nil when it carried none). When the header was written
// (done), next becomes the opened header. When another run wrote that
// header revision first, the store's header is read again and retry is
// true, for at most three retries (attempt counts from 0).
func (s *Store) settleHeader(ctx context.Context, op *writeOp, done bool, next headerState, attempt int) (retry bool, _ error) {
	if done {
		s.mu.Lock()
		s.header = next
		s.mu.Unlock()
	}
	if op == nil || !op.Exists || attempt >= 3 {
		return false, nil
	}
	found, err := s.openHeader(ctx, false)
	if err != nil {
		return false, err
	}
	if !found {
		return false, fmt.Errorf("reading the store header: it was there and is gone: %w", ErrIntegrity)
	}
	return true, nil
}

// rootKeyTag is the tag of root key k in a header whose header key is
// headerKey: an HMAC-SHA256 of the key's identity (the keeper URL without
// its query: scheme, host and path), or nil for a local key. The identity
// is keyed so the bucket does not name the key; the same key named
// another way (an alias, then its ARN) counts as another key, and is
// rewrapped as in a root key rotation.
func (s *Store) rootKeyTag(k *secrets.Keeper, headerKey []byte) []byte {
	u, ok := s.keyServices[k]
	if !ok {
		return nil
	}
	id := u.raw
	if p, err := url.Parse(u.raw); err == nil {
		id = strings.ToLower(p.Scheme) + "://" + p.Host + p.Path
	}
	m := hmac.New(sha256.New, headerKey)
	m.Write([]byte("secretstore root key\x00" + id))
	return m.Sum(nil)
}
