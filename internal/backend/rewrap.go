// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// RewrapKeyVersion rewraps a version's material under the current root key
// (after a root-key rotation; the old root key must be among
// PreviousRootKeys). When the store header is still under a previous root
// key, it is rewrapped in the same commit, after the audit event and
// before the key version record. A version already under the current root
// key is left alone.
//
// When that leaves no version that is not retired under a previous root
// key, the rotation is finished (see finishRootRotation): retired versions
// are rewrapped too, and every copy of the store secret and of key
// material wrapped under a previous root key is deleted, so that a
// previous root key no longer opens anything in the bucket.
func (s *Store) RewrapKeyVersion(ctx context.Context, version int) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := validateKeyVersion(version); err != nil {
		return err
	}
	if exists, err := s.prepareUpdate(ctx); err != nil || !exists {
		if err == nil {
			err = keyVersionNotFound(version)
		}
		return err
	}
	if err := s.rewrapKeyVersion(ctx, version); err != nil {
		return err
	}
	return s.finishRootRotation(ctx)
}

func (s *Store) rewrapKeyVersion(ctx context.Context, version int) error {
	s.headerMu.Lock()
	defer s.headerMu.Unlock()
	for attempt := 0; ; attempt++ {
		st, err := s.existingKeyVersion(ctx, version)
		if err != nil {
			return err
		}
		s.mu.Lock()
		hdr := s.header
		s.mu.Unlock()
		next := hdr
		var headerOp *writeOp
		switch {
		case !hdr.rootCurrent:
			next.rev++
			next.rootEpoch, next.rootCurrent, next.openedWith = next.rev, true, s.keeper
			if headerOp, err = s.headerOp(ctx, &next); err != nil {
				return err
			}
		case st.body.RootEpoch >= hdr.rootEpoch:
			return nil
		}
		material, err := s.material(ctx, st)
		if err != nil {
			return err
		}
		wrapped, err := s.encryptRoot(ctx, material)
		if err != nil {
			return fmt.Errorf("wrapping key version %d with the root key: %w", version, err)
		}
		nb := st.body
		nb.Revision++
		nb.RootEpoch = next.rev
		// A version the store header retires stays retired, even if the
		// record that retired it is gone.
		nb.Retired = nb.Retired || next.isRetired(version)
		nb.WrappedMaterial = wrapped
		kv := &keyVersionState{body: nb, key: keyVersionKey(version, nb.Revision), material: slices.Clone(material)}
		ev := Event{Operation: OpKeyVersionRewrapped, KeyVersion: version, Metadata: map[string]string{"root_key_epoch": strconv.FormatInt(next.rev, 10)}}
		if headerOp != nil {
			ev.Metadata["store_header"] = "rewrapped"
		}
		headerDone, err := s.writeKeyVersion(ctx, kv, ev, headerOp)
		retry, rerr := s.settleHeader(ctx, headerOp, headerDone, next, attempt)
		if rerr != nil {
			return rerr
		}
		if retry {
			continue
		}
		return err
	}
}

// finishRootRotation completes a root-key rotation once the store header
// and every key version that is not retired are under the current root
// key: it rewraps the retired versions still under a previous root key
// (no secretstore_key_version manages them any more, and their material
// still opens older revisions), then deletes the superseded copies: every
// store header revision older than the current root-key epoch, and every
// key version record revision, other than a version's newest, that a
// previous root key wraps. Until then it does nothing. A record that does
// not verify is left alone. Copies kept outside the bucket's current
// objects (bucket versioning, backups) are beyond its reach.
func (s *Store) finishRootRotation(ctx context.Context) error {
	if err := s.refreshKeyring(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	hdr := s.header
	var retired []int
	pending := false
	for v, st := range s.keyring {
		switch {
		case st.err != nil:
			pending = true // cannot tell which root key wraps it
		case st.body.RootEpoch >= hdr.rootEpoch:
		case s.retired(v, st):
			retired = append(retired, v)
		default:
			pending = true
		}
	}
	s.mu.Unlock()
	if !hdr.rootCurrent || pending {
		return nil
	}
	slices.Sort(retired)
	for _, v := range retired {
		if err := s.rewrapKeyVersion(ctx, v); err != nil {
			return err
		}
	}
	if err := s.refreshKeyring(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	hdr = s.header
	newest := make(map[int]int64, len(s.keyring))
	unfinished := false
	for v, st := range s.keyring {
		// A damaged version, or one still under a previous root key,
		// leaves the rotation unfinished.
		if st.err != nil || st.body.RootEpoch < hdr.rootEpoch {
			unfinished = true
			break
		}
		newest[v] = st.body.Revision
	}
	s.mu.Unlock()
	if unfinished {
		return nil
	}

	var stale []string
	err := s.eachKey(ctx, prefixHeader, func(key string) error {
		if rev, ok := parseHeaderKey(key); ok && rev < hdr.rootEpoch {
			stale = append(stale, key)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading the store header revisions: %w", err)
	}
	err = s.eachKey(ctx, prefixKeyring, func(key string) error {
		v, rev, ok := parseKeyVersionKey(key)
		if !ok || rev >= newest[v] {
			return nil
		}
		data, err := s.obj().get(ctx, key, maxObjectLen)
		switch {
		case errors.Is(err, errObjectNotFound):
			return nil
		case err != nil:
			return err
		}
		b, err := decodeKeyVersion(hdr.keyringKey, data, v, rev)
		if err == nil && b.RootEpoch < hdr.rootEpoch {
			stale = append(stale, key)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading the keyring: %w", err)
	}
	if err := s.obj().deleteAll(ctx, stale); err != nil {
		return fmt.Errorf("deleting copies wrapped under a previous root key: %w", err)
	}
	return nil
}

// eachKey calls fn for every key under prefix.
func (s *Store) eachKey(ctx context.Context, prefix string, fn func(string) error) error {
	var token []byte
	for {
		objs, next, err := s.obj().listPage(ctx, prefix, "", token, 1000)
		if err != nil {
			return err
		}
		for _, o := range objs {
			if err := fn(o.Key); err != nil {
				return err
			}
		}
		if len(next) == 0 {
			return nil
		}
		token = next
	}
}
