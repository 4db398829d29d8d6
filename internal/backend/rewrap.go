package backend

import (
	"context"
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
func (s *Store) RewrapKeyVersion(ctx context.Context, version int) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
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
			next.rootCurrent, next.openedWith = true, s.keeper
			if headerOp, err = s.headerOp(ctx, &next); err != nil {
				return err
			}
		case st.body.RootEpoch == hdr.rev:
			return nil
		}
		material, err := s.material(ctx, st)
		if err != nil {
			return err
		}
		wrapped, err := s.keeper.Encrypt(ctx, material)
		if err != nil {
			return fmt.Errorf("wrapping key version %d with the root key: %w", version, err)
		}
		nb := st.body
		nb.Revision++
		nb.RootEpoch = next.rev
		nb.WrappedMaterial = wrapped
		kv := &keyVersionState{body: nb, key: keyVersionKey(version, nb.Revision), material: slices.Clone(material)}
		ev := Event{Operation: OpKeyVersionRewrapped, KeyVersion: version, Metadata: map[string]string{"root_key_epoch": strconv.FormatInt(next.rev, 10)}}
		if headerOp != nil {
			ev.Metadata["store_header"] = "rewrapped"
		}
		headerDone, err := s.writeKeyVersion(ctx, kv, ev, headerOp)
		if headerDone {
			s.mu.Lock()
			s.header = next
			s.mu.Unlock()
		}
		if headerOp != nil && headerOp.Exists && attempt < 3 {
			// Another run rewrapped the store header first: read its
			// revision and start again.
			if err := s.openHeader(ctx); err != nil {
				return err
			}
			continue
		}
		return err
	}
}
