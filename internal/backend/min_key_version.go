// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"fmt"
	"math"
	"strconv"
)

// validateMinKeyVersion checks a minimum key version of a write: 0 (none)
// or a valid version number.
func validateMinKeyVersion(v int) error {
	if v < 0 || int64(v) > math.MaxUint32 {
		return invalid(FieldKeyVersion, "is %d as a minimum; key versions are numbered from 1 to %d", v, uint32(math.MaxUint32))
	}
	return nil
}

// primaryAtLeast is primary, refused with a *MinKeyVersionError when the
// primary is below minKV (0: no minimum). A cached primary below minKV
// reloads the keyring once first: another process may have created a
// newer version since it was cached.
func (s *Store) primaryAtLeast(ctx context.Context, minKV int) (int, []byte, error) {
	if minKV > 0 && s.primaryVersion() < minKV {
		if err := s.refreshKeyring(ctx); err != nil {
			return 0, nil, err
		}
		if pv := s.primaryVersion(); pv < minKV {
			e := &MinKeyVersionError{Min: minKV, Primary: pv, MinState: "missing"}
			s.mu.Lock()
			if st := s.keyring[minKV]; st != nil && st.err == nil && s.retired(minKV, st) {
				e.MinState = "retired"
			}
			s.mu.Unlock()
			return 0, nil, e
		}
	}
	return s.primary(ctx)
}

// RotateSecret rewraps the data key of one secret's current revision under
// the primary key version, as Rotate does for many: it writes the next
// revision with the same value ciphertext, metadata and times, and a
// `rotated` audit event. A secret already under the primary is returned
// as it is, and nothing is written. It returns the current revision
// (without its value). Errors: ErrNotFound for a missing or deleted
// secret; the conditions of in as for Put (IfRevision, AllowRotations,
// MinKeyVersion); an unreadable current revision as read.
func (s *Store) RotateSecret(ctx context.Context, in RotateSecretInput) (Secret, error) {
	if err := s.enter(); err != nil {
		return Secret{}, err
	}
	defer s.leave()
	if err := validateSecretID(in.Namespace, in.Name); err != nil {
		return Secret{}, err
	}
	if err := validateMinKeyVersion(in.MinKeyVersion); err != nil {
		return Secret{}, err
	}
	if exists, err := s.prepareUpdate(ctx); err != nil || !exists {
		if err == nil {
			err = fmt.Errorf("secret %s: %w", secretRef(in.Namespace, in.Name), ErrNotFound)
		}
		return Secret{}, err
	}
	for attempt := 1; ; attempt++ {
		sec, lost, err := s.rotateSecret(ctx, in)
		if !lost || !in.AllowRotations || in.IfRevision <= 0 || attempt == maxWriteAttempts {
			return sec, err
		}
	}
}

// rotateSecret is one attempt of RotateSecret; lost reports a lost
// create-only race.
func (s *Store) rotateSecret(ctx context.Context, in RotateSecretInput) (_ Secret, lost bool, _ error) {
	ref := secretRef(in.Namespace, in.Name)
	cur, err := s.loadCurrentRevision(ctx, in.Namespace, in.Name)
	switch {
	case err != nil:
		return Secret{}, false, err
	case !cur.live():
		return Secret{}, false, fmt.Errorf("secret %s: %w", ref, ErrNotFound)
	case cur.err != nil:
		return Secret{}, false, cur.err
	}
	if err := s.checkExpected(ctx, in.Namespace, in.Name, &cur, in.IfRevision, in.AllowRotations); err != nil {
		return Secret{}, false, err
	}
	now := s.now()
	pv, _, err := s.primaryAtLeast(ctx, in.MinKeyVersion)
	if err != nil {
		return Secret{}, false, err
	}
	if int(cur.hdr.KeyVersion) == pv {
		_, id, err := s.verifyRecordID(ctx, ref, cur.rev, cur.rec, cur.data)
		if err != nil {
			return Secret{}, false, err
		}
		sec := secretFromHeader(cur.hdr, now)
		sec.ValueID = id
		return sec, false, nil
	}
	ev := Event{Operation: OpRotated, Metadata: map[string]string{"previous_key_version": strconv.Itoa(int(cur.hdr.KeyVersion))}}
	h, id, lost, err := s.writeRevision(ctx, &cur, cur.hdr, nil, ev, in.MinKeyVersion, now)
	if err != nil {
		return Secret{}, lost, err
	}
	sec := secretFromHeader(h, now)
	sec.ValueID = id
	return sec, false, nil
}
