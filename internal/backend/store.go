// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"sync"
	"sync/atomic"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/secrets"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend/createonly"
)

// Store is an encrypted secret store over one bucket. It is safe for
// concurrent use by many goroutines, and several Stores (in one process or
// many) may share a bucket: every write is create-only, so a lost race is
// ErrConcurrentModification and never a lost update.
type Store struct {
	objs      atomic.Pointer[objects] // see obj
	ownBucket bool
	local     *createonly.Dir // set for file:// buckets opened from a URL, once the directory exists
	// absentDir is the file:// URL of a store directory that did not
	// exist at Open, and absentPath that directory; until a write creates
	// it (or a read finds it), obj is an empty bucket that refuses writes.
	// Written holding createMu and mu; read holding either.
	absentDir  string
	absentPath string
	// createMu serialises creating the store, its directory and the
	// probe (see prepareWrite).
	createMu sync.Mutex

	keeper   *secrets.Keeper   // current root key
	previous []*secrets.Keeper // previous root keys, in order
	// keyServices names the root keys that are keeper URLs of a key
	// service, for errors (see RootKeyError).
	keyServices map[*secrets.Keeper]rootKeyURL
	actor       string
	clock       func() time.Time
	conc        int

	// mu guards the header state, probed and the keyring cache.
	mu      sync.Mutex
	header  headerState // rev 0 until the store exists
	probed  bool        // the probe ran (see prepareWrite)
	keyring map[int]*keyVersionState
	// keyringWrites counts the record revisions this Store wrote into the
	// keyring cache, so that a reload whose listing predates one keeps it.
	keyringWrites uint64
	// headerMu serialises the operations of this Store that may write a
	// store header revision (retiring, reactivating and rewrapping a key
	// version), each from its reading of the header to its settling, so
	// that they do not race each other for one revision; a revision
	// another run wrote first is met by settleHeader. Taken after
	// prepareUpdate (so after createMu), before refreshMu and mu, and
	// never while holding them.
	headerMu sync.Mutex
	// refreshMu serialises keyring reloads.
	refreshMu sync.Mutex
	// wrapMu guards wraps.
	wrapMu sync.Mutex
	wraps  map[int]*wrapBudget

	closeOnce sync.Once
	life      lifecycle // admits calls until Close
}

// Open opens the store described by opts. It writes nothing: it reads
// the store header, checks that the root key, or one of PreviousRootKeys,
// opens it (ErrRootKeyMismatch otherwise; a key service that fails, rather
// than a key that does not match, is a *RootKeyError), and loads the
// keyring. A cloud bucket URL without a bucket is ErrNoBucketName, an
// azblob:// URL without a storage account ErrNoStorageAccount, and a bucket
// that lists objects it cannot read ErrUnreadableObject.
//
// A bucket that holds no store (an empty bucket, or for a file:// URL a
// directory that does not exist) opens as a store that does not exist
// yet: Exists reports false, reads find nothing, and the first write
// creates the store (see prepareWrite), after checking that the bucket
// enforces create-only writes (ErrConditionalWritesUnsupported otherwise).
// With opts.RequireStore such a bucket is ErrNotFound instead. A bucket
// that holds objects of a store but no header is ErrIntegrity (its header
// was deleted).
//
// For file:// URLs the Store writes files itself: atomic create-only writes
// across processes (link(2)) and durable before a call returns (see
// createonly.Dir). A fileblob bucket passed as opts.Bucket gets neither, so
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
		s.actor = DefaultActor()
	}
	if err := ValidateActor(s.actor); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	if s.keeper, err = ParseRootKey(ctx, FieldRootKey, 0, opts.RootKey); err != nil {
		return nil, err
	}
	s.keyServices = map[*secrets.Keeper]rootKeyURL{}
	if u, ok := keyServiceURL(opts.RootKey, 0); ok {
		s.keyServices[s.keeper] = u
	}
	for i, k := range opts.PreviousRootKeys {
		kp, err := ParseRootKey(ctx, FieldPreviousRootKey, i, k)
		if err != nil {
			return nil, err
		}
		s.previous = append(s.previous, kp)
		if u, ok := keyServiceURL(k, i+1); ok {
			s.keyServices[kp] = u
		}
	}

	var bucket *blob.Bucket
	switch {
	case opts.Bucket != nil:
		bucket = opts.Bucket
	case opts.BucketURL == "":
		return nil, invalid(FieldBucketURL, "is empty; set a bucket URL such as file:///path/to/dir, s3://bucket, gs://bucket, azblob://container or mem://")
	default:
		var local *createonly.Dir
		bucket, local, err = openBucketURL(ctx, opts.BucketURL, false)
		var missing *missingDirError
		switch {
		case errors.As(err, &missing) && !opts.RequireStore:
			s.absentDir, s.absentPath = opts.BucketURL, missing.dir
			bucket = memblob.OpenBucket(nil)
		case err != nil:
			return nil, err
		}
		s.ownBucket = true
		s.setObjects(bucket, local)
	}
	if s.obj() == nil {
		s.setObjects(bucket, nil)
	}
	if s.absentDir != "" {
		return s, nil
	}
	found, err := s.openHeader(ctx, false)
	if err != nil {
		return nil, err
	}
	if !found {
		if opts.RequireStore {
			return nil, fmt.Errorf("the bucket holds no secret store (it is empty: check the URL): %w", ErrNotFound)
		}
		return s, nil
	}
	if err := s.refreshKeyring(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// obj is the store's bucket. It changes once at most: when a file://
// store's directory did not exist at Open, from an empty bucket to the
// directory once it exists.
func (s *Store) obj() *objects { return s.objs.Load() }

// setObjects makes bucket (with local, the writer of a file:// directory,
// or nil) the store's bucket. Without a directory the bucket is written
// through a blobWriter; the placeholder of an absent directory refuses
// every write.
func (s *Store) setObjects(bucket *blob.Bucket, local *createonly.Dir) {
	o := &objects{bucket: bucket, conc: s.conc}
	switch {
	case local != nil:
		o.w, o.local = local, local
		s.local = local
	case s.absentDir != "":
		o.w = absentDirWriter{}
	default:
		o.w = &blobWriter{bucket: bucket, conc: s.conc}
	}
	s.objs.Store(o)
}

// Close refuses every later call with ErrClosed, waits for the calls in
// progress to return, then clears key material from memory and releases
// the bucket (when Open opened it) and the root keepers. Calling it twice
// is harmless; calling it from inside a call of the same Store deadlocks.
func (s *Store) Close() error {
	var errs []error
	s.closeOnce.Do(func() {
		s.shut()
		s.mu.Lock()
		for _, kv := range s.keyring {
			clear(kv.material)
		}
		clear(s.header.secret)
		clear(s.header.keyringKey)
		clear(s.header.auditKey)
		clear(s.header.headerKey)
		s.mu.Unlock()
		if o := s.obj(); s.ownBucket && o != nil {
			errs = append(errs, o.bucket.Close())
		}
		if s.local != nil {
			errs = append(errs, s.local.Close())
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

// DefaultActor names who performs writes when Options.Actor is empty:
// user@host of this process ("unknown" when the user cannot be found; the
// host is left out when it cannot be found).
func DefaultActor() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		name += "@" + h
	}
	return name
}
