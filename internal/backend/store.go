// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"errors"
	"os"
	"os/user"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/secrets"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend/createonly"
)

// Store is an encrypted secret store over one bucket. It is safe for
// concurrent use by many goroutines, and several Stores (in one process or
// many) may share a bucket: every write is create-only, so a lost race is
// ErrConcurrentModification and never a lost update.
type Store struct {
	obj       *objects
	ownBucket bool
	local     *createonly.Dir // set for file:// buckets opened from a URL
	readOnly  bool            // Options.ReadOnly

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
	life      lifecycle // admits calls until Close
}

// Open opens the store described by opts, creating it (create-only) on the
// first use of an empty bucket (unless opts.ReadOnly). It checks that the bucket enforces
// create-only writes (ErrConditionalWritesUnsupported otherwise) and that
// the root key, or one of PreviousRootKeys, opens the store
// (ErrRootKeyMismatch otherwise).
//
// For file:// URLs the Store writes files itself: atomic create-only writes
// across processes (link(2)) and durable before a call returns (see
// createonly.Dir). A fileblob bucket passed as opts.Bucket gets neither, so
// pass file:// stores as a URL.
func Open(ctx context.Context, opts Options) (_ *Store, err error) {
	s := &Store{
		actor:    opts.Actor,
		readOnly: opts.ReadOnly,
		clock:    opts.Now,
		conc:     opts.Concurrency,
		keyring:  map[int]*keyVersionState{},
		wraps:    map[int]*wrapBudget{},
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
	for i, k := range opts.PreviousRootKeys {
		kp, err := ParseRootKey(ctx, FieldPreviousRootKey, i, k)
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
		return nil, invalid(FieldBucketURL, "is empty; set a bucket URL such as file:///path/to/dir, s3://bucket, gs://bucket, azblob://container or mem://")
	default:
		bucket, s.local, err = openBucketURL(ctx, opts.BucketURL, !opts.ReadOnly)
		if err != nil {
			return nil, err
		}
		s.ownBucket = true
	}
	s.obj = &objects{bucket: bucket, conc: s.conc}
	if s.local != nil {
		s.obj.w = s.local
		s.obj.local = s.local
	} else {
		s.obj.w = &blobWriter{bucket: bucket, conc: s.conc}
	}
	if !s.readOnly {
		if err := s.probe(ctx); err != nil {
			return nil, err
		}
	}
	if err := s.openHeader(ctx); err != nil {
		return nil, err
	}
	if err := s.refreshKeyring(ctx); err != nil {
		return nil, err
	}
	return s, nil
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
		if s.ownBucket && s.obj != nil {
			errs = append(errs, s.obj.bucket.Close())
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

// Exists reports whether the store exists.
func (s *Store) Exists(context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.header.rev > 0, nil
}
