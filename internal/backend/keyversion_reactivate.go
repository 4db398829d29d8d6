// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// ReactivateKeyVersion makes retired key version `version` active again,
// with the material it always had (still in the keyring, wrapped under a
// root key): new data keys are wrapped under it again when it is the
// newest active version. material, when not nil, must be that material;
// nil means whatever it is. It returns the version as reactivated (without
// secret counts).
//
// It undoes both writes of RetireKeyVersion, in one commit after its
// `key_version_reactivated` audit event: a store header revision that no
// longer lists the version, then the version's next record revision, not
// retired. Either object deleted afterwards leaves the version retired
// again (a retirement shown by either one wins), never the reverse.
//
// Errors: ErrNotFound when the version was never created;
// ErrKeyVersionExists when it is active; ErrKeyMaterialMismatch when
// material is not its own; ErrKeyVersionUnavailable when no configured
// root key opens its material; a ValidationError for a bad version number
// or material length.
func (s *Store) ReactivateKeyVersion(ctx context.Context, version int, material []byte) (KeyVersion, error) {
	if err := s.enter(); err != nil {
		return KeyVersion{}, err
	}
	defer s.leave()
	if err := validateKeyVersion(version); err != nil {
		return KeyVersion{}, err
	}
	if material != nil && len(material) != envelope.KeySize {
		return KeyVersion{}, invalid(FieldKeyMaterial, "is %d bytes; key material is exactly %d bytes", len(material), KeySize)
	}
	if exists, err := s.prepareUpdate(ctx); err != nil || !exists {
		if err == nil {
			err = keyVersionNotFound(version)
		}
		return KeyVersion{}, err
	}
	s.headerMu.Lock()
	defer s.headerMu.Unlock()
	for attempt := 0; ; attempt++ {
		st, err := s.existingKeyVersion(ctx, version)
		if err != nil {
			return KeyVersion{}, err
		}
		s.mu.Lock()
		hdr := s.header
		s.mu.Unlock()
		inHeader := hdr.isRetired(version)
		if !st.body.Retired && !inHeader {
			return KeyVersion{}, fmt.Errorf("key version %d is active: %w", version, ErrKeyVersionExists)
		}
		if material != nil {
			if cv := hex.EncodeToString(envelope.CheckValue(material)); cv != st.body.CheckValue {
				return KeyVersion{}, fmt.Errorf("key version %d was retired with material of check value %s, not the given material (check value %s): %w",
					version, st.body.CheckValue, cv, ErrKeyMaterialMismatch)
			}
		}
		// The material must still open before the version takes writes.
		if _, err := s.material(ctx, st); err != nil {
			return KeyVersion{}, err
		}
		ev := Event{Operation: OpKeyVersionReactivated, KeyVersion: version, Metadata: map[string]string{"check_value": st.body.CheckValue}}
		var headerOp *writeOp
		next := hdr
		if inHeader {
			next.rev++
			next.retired = slices.DeleteFunc(slices.Clone(hdr.retired), func(v int) bool { return v == version })
			if !hdr.rootCurrent {
				// The header is rewrapped under the current root key: a
				// new root-key epoch begins.
				next.rootEpoch, next.rootCurrent, next.openedWith = next.rev, true, s.keeper
			}
			if headerOp, err = s.headerOp(ctx, &next); err != nil {
				return KeyVersion{}, err
			}
		}
		headerDone := false
		if st.body.Retired {
			nb := st.body
			nb.Revision++
			nb.Retired = false
			rec := &keyVersionState{body: nb, key: keyVersionKey(version, nb.Revision)}
			st.mu.Lock()
			rec.material = slices.Clone(st.material)
			st.mu.Unlock()
			headerDone, err = s.writeKeyVersion(ctx, rec, ev, headerOp)
		} else {
			err = s.commitWithAudit(ctx, []Event{ev}, headerOp)
			if err != nil {
				err = fmt.Errorf("reactivating key version %d: %w", version, err)
			}
			headerDone = err == nil
		}
		retry, rerr := s.settleHeader(ctx, headerOp, headerDone, next, attempt)
		if rerr != nil {
			return KeyVersion{}, rerr
		}
		if retry {
			continue
		}
		if err != nil {
			return KeyVersion{}, err
		}
		kvs, err := s.describeKeyVersions(ctx, false)
		if err != nil {
			return KeyVersion{}, err
		}
		for _, kv := range kvs {
			if kv.Version == version {
				return kv, nil
			}
		}
		return KeyVersion{}, fmt.Errorf("key version %d left the keyring while it was reactivated: %w", version, ErrConcurrentModification)
	}
}
