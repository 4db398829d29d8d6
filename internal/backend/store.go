// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/gcerrors"
	"gocloud.dev/secrets"
	"gocloud.dev/secrets/localsecrets"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// Store is an encrypted secret store over one bucket. It is safe for
// concurrent use by many goroutines, and several Stores (in one process or
// many) may share a bucket: every write is create-only, so a lost race is
// ErrConcurrentModification and never a lost update.
type Store struct {
	obj       *objects
	ownBucket bool
	local     *localWriter // set for file:// buckets opened from a URL

	keeper   *secrets.Keeper   // current root key
	previous []*secrets.Keeper // previous root keys, in order
	actor    string
	clock    func() time.Time
	conc     int

	// mu guards the header state and the keyring cache.
	mu      sync.Mutex
	header  headerState
	keyring map[int]*keyVersionState
	// refreshMu serialises keyring reloads.
	refreshMu sync.Mutex
	// wrapMu guards wraps.
	wrapMu sync.Mutex
	wraps  map[int]*wrapBudget

	closeOnce sync.Once
}

// headerState is the opened store header: the store secret and the keys
// derived from it.
type headerState struct {
	rev         int64 // header revision: the root-key epoch
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
type headerBody struct {
	Format        string `json:"format"`
	StoreID       string `json:"store_id"`
	Revision      int64  `json:"revision"`
	CreatedAt     int64  `json:"created_at"`
	WrappedSecret []byte `json:"wrapped_secret"`
}

const storeFormatName = "secretstore/v1"

// Open opens the store described by opts, creating it (create-only) on the
// first use of an empty bucket. It checks that the bucket enforces
// create-only writes (ErrConditionalWritesUnsupported otherwise) and that
// the root key, or one of PreviousRootKeys, opens the store
// (ErrRootKeyMismatch otherwise).
//
// For file:// URLs the Store writes files itself: atomic create-only writes
// across processes (link(2)) and durable before a call returns (see
// localWriter). A fileblob bucket passed as opts.Bucket gets neither, so
// pass file:// stores as a URL.
func Open(ctx context.Context, opts Options) (_ *Store, err error) {
	s := &Store{
		actor:   opts.Actor,
		clock:   opts.Now,
		conc:    opts.Concurrency,
		keyring: map[int]*keyVersionState{},
		wraps:   map[int]*wrapBudget{},
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.conc <= 0 {
		s.conc = 8
	}
	if s.actor == "" {
		s.actor = defaultActor()
	}
	if len(s.actor) > MaxActorLen {
		return nil, invalid("actor", "is %d bytes; the limit is %d", len(s.actor), MaxActorLen)
	}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	if strings.TrimSpace(opts.RootKey) == "" {
		return nil, invalid("root_key", "is empty; set a gocloud.dev/secrets keeper URL (base64key://<key>, awskms://, gcpkms://, azurekeyvault://) or a base64-encoded 32-byte key (generate one with: openssl rand -base64 32)")
	}
	if s.keeper, err = openKeeper(ctx, "root_key", opts.RootKey); err != nil {
		return nil, err
	}
	for i, k := range opts.PreviousRootKeys {
		kp, err := openKeeper(ctx, fmt.Sprintf("previous_root_keys[%d]", i), k)
		if err != nil {
			return nil, err
		}
		s.previous = append(s.previous, kp)
	}

	var bucket *blob.Bucket
	switch {
	case opts.Bucket != nil:
		bucket = opts.Bucket
	case opts.BucketURL == "":
		return nil, invalid("url", "is empty; set a bucket URL such as file:///path/to/dir, s3://bucket, gs://bucket, azblob://container or mem://")
	default:
		bucket, s.local, err = openBucketURL(ctx, opts.BucketURL)
		if err != nil {
			return nil, err
		}
		s.ownBucket = true
	}
	s.obj = &objects{bucket: bucket, conc: s.conc}
	if s.local != nil {
		s.obj.w = s.local
		s.obj.localRoot = s.local.root
	} else {
		s.obj.w = &blobWriter{bucket: bucket, conc: s.conc}
	}
	if err := s.probe(ctx); err != nil {
		return nil, err
	}
	if err := s.openHeader(ctx); err != nil {
		return nil, err
	}
	if err := s.refreshKeyring(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Close releases the bucket (when Open opened it) and the root keepers,
// and clears key material from memory. Calling it twice is harmless.
func (s *Store) Close() error {
	var errs []error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		for _, kv := range s.keyring {
			clear(kv.material)
		}
		clear(s.header.secret)
		clear(s.header.keyringKey)
		clear(s.header.auditKey)
		clear(s.header.headerKey)
		s.mu.Unlock()
		if s.ownBucket && s.obj != nil {
			errs = append(errs, s.obj.bucket.Close())
		}
		if s.keeper != nil {
			errs = append(errs, s.keeper.Close())
		}
		for _, k := range s.previous {
			errs = append(errs, k.Close())
		}
	})
	return errors.Join(errs...)
}

func (s *Store) now() time.Time { return s.clock().UTC() }

func defaultActor() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		name += "@" + h
	}
	return name
}

// openKeeper opens a root key given as a keeper URL or a bare base64 key.
// Error messages never contain the key.
func openKeeper(ctx context.Context, field, s string) (*secrets.Keeper, error) {
	s = strings.TrimSpace(s)
	scheme, rest, isURL := strings.Cut(s, "://")
	if !isURL {
		key, err := decodeKey(s)
		if err != nil {
			return nil, invalid(field, "is neither a keeper URL (base64key://, awskms://, gcpkms://, azurekeyvault://) nor a base64-encoded 32-byte key: %v (generate a key with: openssl rand -base64 32)", err)
		}
		return localsecrets.NewKeeper(key), nil
	}
	// net/url lowercases schemes: BASE64KEY:// would reach localsecrets too.
	if strings.EqualFold(scheme, localsecrets.Scheme) {
		rest, _, _ = strings.Cut(rest, "?")
		if rest == "" {
			return nil, invalid(field, "base64key:// without a key would make a new random key on every run, so nothing stored could be read back; give the key as base64key://<base64 of 32 bytes> (generate one with: openssl rand -base64 32)")
		}
		key, err := decodeKey(rest)
		if err != nil {
			return nil, invalid(field, "base64key:// key is not a base64-encoded 32-byte key: %v (generate one with: openssl rand -base64 32)", err)
		}
		return localsecrets.NewKeeper(key), nil
	}
	k, err := secrets.OpenKeeper(ctx, s)
	if err != nil {
		// The scheme is safe to show; the rest of the URL may name
		// credentials.
		return nil, invalid(field, "cannot open %s:// keeper: %s", scheme, redactURLText(err.Error(), s, "<root key URL>"))
	}
	return k, nil
}

// redactURLText replaces in msg every form in which a driver may print the
// URL raw (as given, or re-encoded by net/url) with safe, so that
// credentials in its userinfo or query (passwords, signatures, tokens)
// never reach an error message.
func redactURLText(msg, raw, safe string) string {
	msg = strings.ReplaceAll(msg, raw, safe)
	if u, err := url.Parse(raw); err == nil {
		msg = strings.ReplaceAll(msg, u.String(), safe)
	}
	return msg
}

// redactedURL is u without userinfo, query or fragment: what errors may
// show of a bucket URL.
func redactedURL(u *url.URL) string {
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// redactedError shows msg, from which credentials were removed, and still
// unwraps to the original error for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// decodeKey decodes a 32-byte key in standard or URL-safe base64, padded or
// not.
func decodeKey(s string) ([32]byte, error) {
	var key [32]byte
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(b) != 32 {
			clear(b)
			return key, fmt.Errorf("it decodes to %d bytes, not 32", len(b))
		}
		copy(key[:], b)
		clear(b)
		return key, nil
	}
	return key, errors.New("it is not valid base64")
}

// openBucketURL opens a bucket URL. file:// URLs get the local writer and a
// fileblob reader that writes no sidecar files.
func openBucketURL(ctx context.Context, raw string) (*blob.Bucket, *localWriter, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole URL, credentials included; show
		// only the reason.
		reason := err
		var uerr *url.Error
		if errors.As(err, &uerr) {
			reason = uerr.Err
		}
		return nil, nil, invalid("url", "is not a valid URL (%v); give a bucket URL such as file:///path/to/dir, s3://bucket, gs://bucket, azblob://container or mem://", reason)
	}
	if u.Scheme != fileblob.Scheme {
		b, err := blob.OpenBucket(ctx, raw)
		if err != nil {
			safe := redactedURL(u)
			return nil, nil, &redactedError{msg: "opening bucket " + safe + ": " + redactURLText(err.Error(), raw, safe), err: err}
		}
		return b, nil, nil
	}
	if u.Host != "" && u.Host != "." && u.Host != "localhost" {
		return nil, nil, invalid("url", "file URL has host %q; use file:///absolute/path or file://./relative/path", u.Host)
	}
	for k := range u.Query() {
		// create_dir and no_tmp_dir describe what the store does anyway.
		if k != "create_dir" && k != "no_tmp_dir" {
			return nil, nil, invalid("url", "file URL parameter %q is not supported; the store chooses its own file options", k)
		}
	}
	p := u.Path
	if u.Host == "." || os.PathSeparator != '/' {
		p = strings.TrimPrefix(p, "/")
	}
	if p == "" {
		return nil, nil, invalid("url", "file URL has no path; use file:///absolute/path or file://./relative/path")
	}
	dir, err := filepath.Abs(filepath.FromSlash(p))
	if err != nil {
		return nil, nil, invalid("url", "cannot resolve %q: %v", p, err)
	}
	if err := os.MkdirAll(dir, localDirMode); err != nil {
		return nil, nil, fmt.Errorf("creating store directory %s: %w", dir, err)
	}
	b, err := fileblob.OpenBucket(dir, &fileblob.Options{NoTempDir: true, Metadata: fileblob.MetadataDontWrite})
	if err != nil {
		return nil, nil, fmt.Errorf("opening store directory %s: %w", dir, err)
	}
	return b, &localWriter{root: dir}, nil
}

// idLen is the length of an event or batch id (see newID).
const idLen = 24

var (
	idMu   sync.Mutex
	idLast int64
)

// newID returns an event or batch id: 16 hex digits of a process-wide,
// strictly increasing wall-clock nanosecond count, then 8 random hex
// digits. Events are ordered by time then id, so events written by one
// process at the same (possibly frozen, in tests) time keep the order they
// were written in, and ids from different processes cannot collide.
func newID() string {
	idMu.Lock()
	t := max(time.Now().UnixNano(), idLast+1)
	idLast = t
	idMu.Unlock()
	return fmt.Sprintf("%016x%s", uint64(t), randomID(4))
}

func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(b)
}

// probe checks once per Open that the bucket refuses a second create-only
// write of one key. A bucket without write permission is not probed: it
// can serve reads, and any write will fail anyway.
func (s *Store) probe(ctx context.Context) error {
	key := prefixProbe + randomID(8)
	first := &writeOp{Key: key, Data: []byte("probe")}
	if err := s.obj.commit(ctx, stage{Ops: []*writeOp{first}}); err != nil {
		if gcerrors.Code(err) == gcerrors.PermissionDenied {
			return nil
		}
		return fmt.Errorf("probing the bucket: %w", err)
	}
	defer func() { _ = s.obj.delete(context.WithoutCancel(ctx), key) }()
	second := &writeOp{Key: key, Data: []byte("probe again")}
	if err := s.obj.commit(ctx, stage{Ops: []*writeOp{second}}); err != nil {
		return fmt.Errorf("probing the bucket: %w", err)
	}
	if !first.Done || !second.Exists {
		return fmt.Errorf("%w: a second create-only write of %s succeeded, so this bucket (or the S3-compatible service behind it) ignores conditional writes (If-None-Match) and concurrent runs could silently overwrite each other; use a service that supports them", ErrConditionalWritesUnsupported, key)
	}
	return nil
}

// firstKey returns the first key under prefix that parse accepts, reading
// pages of size pageSize; keys that do not parse (temporary files) are
// skipped.
func (s *Store) firstKey(ctx context.Context, prefix string, pageSize int, parse func(string) bool) (string, bool, error) {
	var token []byte
	for {
		objs, next, err := s.obj.listPage(ctx, prefix, "", token, pageSize)
		if err != nil {
			return "", false, err
		}
		for _, o := range objs {
			if parse(o.Key) {
				return o.Key, true, nil
			}
		}
		if len(next) == 0 {
			return "", false, nil
		}
		token = next
	}
}

// openHeader reads the newest store header revision and opens its secret
// with the root key (or a previous one); an empty store is initialised.
func (s *Store) openHeader(ctx context.Context) error {
	for attempt := 0; attempt < 3; attempt++ {
		key, found, err := s.firstKey(ctx, prefixHeader, 4, func(k string) bool { _, ok := parseHeaderKey(k); return ok })
		if err != nil {
			return fmt.Errorf("reading the store header: %w", err)
		}
		if !found {
			err := s.initHeader(ctx)
			if errors.Is(err, ErrConcurrentModification) {
				continue // another process initialised it first; read theirs
			}
			return err
		}
		rev, _ := parseHeaderKey(key)
		data, err := s.obj.get(ctx, key, maxObjectLen)
		if err != nil {
			if errors.Is(err, errObjectNotFound) {
				continue
			}
			return fmt.Errorf("reading the store header: %w", err)
		}
		hs, err := s.decodeHeader(ctx, data, rev)
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.header = hs
		s.mu.Unlock()
		return nil
	}
	return fmt.Errorf("reading the store header: it keeps changing: %w", ErrConcurrentModification)
}

func (s *Store) decodeHeader(ctx context.Context, data []byte, rev int64) (headerState, error) {
	body, mac, err := unframe(magicHeader, data, true)
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
	hs := headerState{rev: rev, createdAt: hb.CreatedAt, storeID: hb.StoreID}
	var lastErr error
	for i, k := range append([]*secrets.Keeper{s.keeper}, s.previous...) {
		secret, err := k.Decrypt(ctx, hb.WrappedSecret)
		if err != nil {
			lastErr = err
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
		return headerState{}, fmt.Errorf("%w: neither the root key nor any of %d previous root keys opens this store's header (last error: %w)", ErrRootKeyMismatch, len(s.previous), lastErr)
	}
	if err := hs.derive(); err != nil {
		return headerState{}, err
	}
	if err := verifyMAC(hs.headerKey, magicHeader, fmt.Sprintf("h/%d", rev), body, mac); err != nil {
		clear(hs.secret)
		return headerState{}, fmt.Errorf("store header revision %d: %w", rev, err)
	}
	return hs, nil
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
	hs := headerState{rev: 1, createdAt: s.now().UnixNano(), storeID: randomID(16), rootCurrent: true, openedWith: s.keeper, secret: secret}
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
	if err := s.obj.commit(ctx, stage{Ops: []*writeOp{op}, Strict: true}); err != nil {
		return fmt.Errorf("writing store header revision %d: %w", hs.rev, err)
	}
	return nil
}

// headerOp is the create-only write of header revision hs.rev, with the
// store secret wrapped by the current root key.
func (s *Store) headerOp(ctx context.Context, hs *headerState) (*writeOp, error) {
	wrapped, err := s.keeper.Encrypt(ctx, hs.secret)
	if err != nil {
		return nil, fmt.Errorf("wrapping the store secret with the root key: %w", err)
	}
	body := headerBody{Format: storeFormatName, StoreID: hs.storeID, Revision: hs.rev, CreatedAt: hs.createdAt, WrappedSecret: wrapped}
	data, err := frameMAC(magicHeader, hs.headerKey, fmt.Sprintf("h/%d", hs.rev), body)
	if err != nil {
		return nil, err
	}
	return &writeOp{Key: headerKey(hs.rev), Data: data}, nil
}
