// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// A store comes into existence with its first write, never with Open: a
// plan, a read or a mistyped URL leaves the bucket (and, for file://, the
// file system) as it was. So does a write with nothing to do in a store
// that does not exist (deleting, retiring or rotating what is not there, a
// cleanup): it returns what it would on an empty store (see
// prepareUpdate).

// Exists reports whether the store exists, that is whether its bucket
// holds a store header. It writes nothing. A Store opened on a bucket
// without a store looks again each time (two LISTs; for a file://
// directory that did not exist, one stat first), and when another Store
// has created the store since, opens it as Open would (ErrRootKeyMismatch
// when the root key does not open it).
func (s *Store) Exists(ctx context.Context) (bool, error) {
	if err := s.enter(); err != nil {
		return false, err
	}
	defer s.leave()
	if err := s.prepareRead(ctx); err != nil {
		return false, err
	}
	return s.created(), nil
}

// prepareRead readies s for a read. Every operation that reads calls it
// first; it costs nothing once s holds the store header. Until then it
// looks for the store (see Exists), so that a Store opened before another
// Store created the store reads that store, never its objects with no
// keys to check them. When created then reports false the store does not
// exist, and a read returns what an empty store holds (ErrNotFound, an
// empty listing) with no request of its own.
//
// It looks without createMu: reads of a store that does not exist run in
// parallel, and never wait for a write that is creating the store (they
// see the store as it was before that write). Only once it finds a header
// (or a directory for an absent file:// one) does it take createMu to open
// it, as Open would.
func (s *Store) prepareRead(ctx context.Context) error {
	if s.created() {
		return nil
	}
	present, err := s.lookForStore(ctx)
	if err != nil || !present {
		return err
	}
	s.createMu.Lock()
	defer s.createMu.Unlock()
	return s.attach(ctx, false)
}

// lookForStore reports whether the store may exist now, without createMu
// and without changing s: false when an absent file:// directory is still
// absent (one stat) or when the bucket holds no header and nothing else of
// a store (two LISTs, as openHeader); true when a header (or the
// directory) is there to open. A bucket holding a store's objects without
// its header is ErrIntegrity (see checkEmpty).
func (s *Store) lookForStore(ctx context.Context) (bool, error) {
	s.mu.Lock()
	dir := s.absentPath
	s.mu.Unlock()
	if dir != "" {
		_, err := os.Stat(dir)
		return !errors.Is(err, os.ErrNotExist), nil
	}
	_, found, err := s.firstKey(ctx, prefixHeader, 4, func(k string) bool { _, ok := parseHeaderKey(k); return ok })
	if err != nil {
		return false, fmt.Errorf("reading the store header: %w", err)
	}
	if found {
		return true, nil
	}
	err = s.checkEmpty(ctx)
	if errors.Is(err, errHeaderAppeared) {
		return true, nil
	}
	return false, err
}

// prepareUpdate readies s for a write that changes what the store holds
// (a secret, a key version, a cleanup) and so has nothing to do in a store
// that does not exist. It reports false, writing nothing, when the store
// does not exist; otherwise it calls prepareWrite. The caller checks its
// input first and, on false, returns what the operation returns on an
// empty store (ErrNotFound, an empty result).
func (s *Store) prepareUpdate(ctx context.Context) (bool, error) {
	if err := s.prepareRead(ctx); err != nil || !s.created() {
		return false, err
	}
	return true, s.prepareWrite(ctx)
}

// created reports whether s holds the store header.
func (s *Store) created() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.header.rev > 0
}

// prepareWrite readies s for a write. Every operation that writes calls it
// before it reads what its write depends on (after checking its input, so
// that an input refused creates no store; through prepareUpdate when it
// has nothing to do in a store that does not exist); it costs nothing
// after the first write of s.
//
// Before the first write of s it runs the probe (see probe), once per
// Store: a plan or a read never probes, and a bucket whose service stops
// honouring create-only writes is caught by the next run that writes.
// When the store does not exist yet, it then creates it: the directory of
// a file:// store, then header revision 1, create-only. Of concurrent
// creators (Stores in this process or in others) exactly one header is
// written, and the others open that one.
func (s *Store) prepareWrite(ctx context.Context) error {
	s.mu.Lock()
	ready := s.probed && s.header.rev > 0
	s.mu.Unlock()
	if ready {
		return nil
	}
	s.createMu.Lock()
	defer s.createMu.Unlock()
	if s.absentDir != "" {
		if _, err := s.openDir(ctx, true); err != nil {
			return err
		}
	}
	s.mu.Lock()
	probed := s.probed
	s.mu.Unlock()
	if !probed {
		if err := s.probe(ctx); err != nil {
			return err
		}
		s.mu.Lock()
		s.probed = true
		s.mu.Unlock()
	}
	return s.attach(ctx, true)
}

// attach opens the store's header and keyring when s holds no header yet
// and the store exists, creating the store first when create is set (see
// openHeader); created then reports whether it exists. The caller holds
// createMu.
func (s *Store) attach(ctx context.Context, create bool) error {
	if s.created() {
		return nil
	}
	if s.absentDir != "" {
		if ok, err := s.openDir(ctx, create); err != nil || !ok {
			return err
		}
	}
	found, err := s.openHeader(ctx, create)
	if err != nil || !found {
		return err
	}
	return s.refreshKeyring(ctx)
}

// openDir replaces the empty bucket that stands for a file:// directory
// absent at Open with the directory, creating it when create is set. It
// reports false when the directory still does not exist. The caller holds
// createMu.
func (s *Store) openDir(ctx context.Context, create bool) (bool, error) {
	bucket, local, err := openBucketURL(ctx, s.absentDir, create)
	var missing *missingDirError
	if errors.As(err, &missing) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	// The empty bucket is left open: reads that began before may still
	// list it, and it holds nothing to release.
	s.setObjects(bucket, local)
	s.mu.Lock()
	s.absentDir, s.absentPath = "", ""
	s.mu.Unlock()
	return true, nil
}

// absentDirWriter is the writer of the empty bucket that stands for an
// absent file:// directory. prepareWrite replaces it before any write, so
// it is never called; it refuses rather than lose a write.
type absentDirWriter struct{}

func (absentDirWriter) Commit(context.Context, ...stage) error {
	return errors.New("writing to a store whose directory does not exist yet")
}
