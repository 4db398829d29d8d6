// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// Get returns a secret with its value: the current revision, or
// opts.Revision. Errors: ErrNotFound (missing, or deleted), ErrExpired (the
// returned Secret then carries every field but Value),
// ErrKeyVersionUnavailable, and ErrIntegrity for a corrupt or tampered
// record of this secret. The current revision costs one LIST and one GET.
func (s *Store) Get(ctx context.Context, namespace, name string, opts GetOptions) (Secret, error) {
	if err := s.enter(); err != nil {
		return Secret{}, err
	}
	defer s.leave()
	if err := s.prepareRead(ctx); err != nil {
		return Secret{}, err
	}
	if err := validateSecretID(namespace, name); err != nil {
		return Secret{}, err
	}
	if opts.Revision < 0 {
		return Secret{}, invalid(FieldRevision, "is %d; revisions are numbered from 1 (0 means the current one)", opts.Revision)
	}
	ref := secretRef(namespace, name)
	if !s.created() {
		return Secret{}, fmt.Errorf("secret %s: %w", ref, ErrNotFound)
	}
	rev, rec, data, err := s.readRevision(ctx, namespace, name, opts.Revision)
	if err != nil {
		return Secret{}, err
	}
	kek, err := s.kek(ctx, int(rec.Header.KeyVersion))
	if err != nil {
		return Secret{}, recordError(ref, rev, err)
	}
	now := s.now()
	if rec.Header.Tombstone || expired(rec.Header.ExpiresAt, now) {
		// Authenticate the header before trusting what it says, but
		// never decrypt the value of a deleted or expired secret.
		h, id, err := envelope.VerifyID(kek, data)
		if err != nil {
			return Secret{}, recordError(ref, rev, err)
		}
		if h.Tombstone {
			return Secret{}, fmt.Errorf("secret %s is deleted (revision %d): %w", ref, rev, ErrNotFound)
		}
		sec := secretFromHeader(h, now)
		sec.ValueID = hex.EncodeToString(id)
		return sec, fmt.Errorf("secret %s expired at %s: %w", ref, sec.ExpiresAt.Format(time.RFC3339), ErrExpired)
	}
	h, value, id, err := envelope.OpenID(kek, data)
	if err != nil {
		return Secret{}, recordError(ref, rev, err)
	}
	sec := secretFromHeader(h, now)
	sec.Value, sec.ValueID = value, hex.EncodeToString(id)
	return sec, nil
}

// head reads and authenticates the current revision's header, and returns
// it with its value id.
func (s *Store) head(ctx context.Context, namespace, name string) (envelope.Header, string, error) {
	rev, rec, data, err := s.readRevision(ctx, namespace, name, 0)
	if err != nil {
		return envelope.Header{}, "", err
	}
	return s.verifyRecordID(ctx, secretRef(namespace, name), rev, rec, data)
}

// Head returns the current revision without decrypting its value. An
// expired secret is returned with State StateExpired and a nil error; a
// deleted one is ErrNotFound.
func (s *Store) Head(ctx context.Context, namespace, name string) (Secret, error) {
	if err := s.enter(); err != nil {
		return Secret{}, err
	}
	defer s.leave()
	if err := s.prepareRead(ctx); err != nil {
		return Secret{}, err
	}
	if err := validateSecretID(namespace, name); err != nil {
		return Secret{}, err
	}
	if !s.created() {
		return Secret{}, fmt.Errorf("secret %s: %w", secretRef(namespace, name), ErrNotFound)
	}
	h, id, err := s.head(ctx, namespace, name)
	if err != nil {
		return Secret{}, err
	}
	if h.Tombstone {
		return Secret{}, fmt.Errorf("secret %s is deleted (revision %d): %w", secretRef(namespace, name), h.Revision, ErrNotFound)
	}
	sec := secretFromHeader(h, s.now())
	sec.ValueID = id
	return sec, nil
}

// Has reports whether Get of the current revision would return a value:
// the secret exists, is not deleted, has not expired, its key version is
// available and its value decrypts (which Has checks, then discards the
// value). Integrity and I/O failures are errors (with false).
func (s *Store) Has(ctx context.Context, namespace, name string) (bool, error) {
	if err := s.enter(); err != nil {
		return false, err
	}
	defer s.leave()
	sec, err := s.Get(ctx, namespace, name, GetOptions{})
	clear(sec.Value)
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrExpired), errors.Is(err, ErrKeyVersionUnavailable):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// resolveExpiry applies an Expiry change to the stored expiry. An absolute
// time wins over a TTL given with it. Either must end by LatestTime
// (CheckExpiresAt, CheckTTL).
func resolveExpiry(e Expiry, stored int64, now time.Time) (int64, error) {
	if !e.Set {
		return stored, nil
	}
	switch {
	case !e.At.IsZero():
		if !e.At.After(now) {
			return 0, invalid(FieldExpiresAt, "%s is not in the future", e.At.UTC().Format(time.RFC3339))
		}
		if err := CheckExpiresAt(e.At); err != nil {
			return 0, err
		}
		return e.At.UnixNano(), nil
	case e.TTL < 0:
		return 0, invalid(FieldTTL, "is negative (%s); give a positive duration such as 720h", e.TTL)
	case e.TTL == 0:
		return 0, nil
	}
	if err := CheckTTL(e.TTL, now); err != nil {
		return 0, err
	}
	return now.Add(e.TTL).UnixNano(), nil
}

// maxWriteAttempts bounds the attempts of a write with AllowRotations that
// keeps losing create-only races to concurrent rotations.
const maxWriteAttempts = 3

// Put creates or updates a secret (see PutInput) and returns the new
// revision without its value. The new revision is wrapped under the primary
// key version. A value-less update (metadata or expiry only) rewraps the
// stored data key and keeps the value ciphertext byte for byte. The audit
// event is written first: if it cannot be written, nothing is.
//
// With AllowRotations, a write that loses its create-only race is retried
// (a few times) against the new current revision when that is a rotation.
func (s *Store) Put(ctx context.Context, in PutInput) (Secret, error) {
	if err := s.enter(); err != nil {
		return Secret{}, err
	}
	defer s.leave()
	now := s.now()
	if err := validatePut(in, now); err != nil {
		return Secret{}, err
	}
	if err := s.prepareWrite(ctx); err != nil {
		return Secret{}, err
	}
	for attempt := 1; ; attempt++ {
		sec, lost, err := s.put(ctx, in, now)
		if !lost || !in.AllowRotations || in.IfRevision <= 0 || attempt == maxWriteAttempts {
			return sec, err
		}
	}
}

func validatePut(in PutInput, now time.Time) error {
	if err := validateSecretID(in.Namespace, in.Name); err != nil {
		return err
	}
	if err := validateValue(in.Value); err != nil {
		return err
	}
	if in.SetMetadata {
		if err := validateMetadata(in.Metadata); err != nil {
			return err
		}
	}
	if err := validateReason(FieldReason, in.Reason); err != nil {
		return err
	}
	if err := validateMinKeyVersion(in.MinKeyVersion); err != nil {
		return err
	}
	_, err := resolveExpiry(in.Expiry, 0, now)
	return err
}

// put is one attempt of Put; lost reports a lost create-only race.
func (s *Store) put(ctx context.Context, in PutInput, now time.Time) (_ Secret, lost bool, _ error) {
	cur, err := s.loadCurrentRevision(ctx, in.Namespace, in.Name)
	if err != nil {
		return Secret{}, false, err
	}
	if err := s.checkPut(ctx, in, &cur); err != nil {
		return Secret{}, false, err
	}
	h, err := putHeader(in, &cur, now)
	if err != nil {
		return Secret{}, false, err
	}
	ev := Event{Operation: OpUpdated, Reason: in.Reason}
	if !cur.live() {
		ev.Operation = OpCreated
	}
	h, id, lost, err := s.writeRevision(ctx, &cur, h, in.Value, ev, in.MinKeyVersion, now)
	if err != nil {
		return Secret{}, lost, err
	}
	sec := secretFromHeader(h, now)
	sec.ValueID = id
	return sec, false, nil
}

// checkPut applies a Put's conditions to the current revision cur.
func (s *Store) checkPut(ctx context.Context, in PutInput, cur *currentRevision) error {
	ref := secretRef(in.Namespace, in.Name)
	if in.IfRevision > 0 && !cur.found {
		return fmt.Errorf("secret %s does not exist, expected revision %d: %w", ref, in.IfRevision, ErrConcurrentModification)
	}
	if err := s.checkExpected(ctx, in.Namespace, in.Name, cur, in.IfRevision, in.AllowRotations); err != nil {
		return err
	}
	switch {
	case in.IfRevision < 0 && cur.live():
		return fmt.Errorf("secret %s already exists at revision %d: %w", ref, cur.rev, ErrConcurrentModification)
	case in.Value == nil && !cur.live():
		return invalid(FieldValue, "is required: secret %s does not exist", ref)
	case cur.err != nil && (in.Value == nil || !in.SetMetadata || !in.Expiry.Set):
		// Keeping a stored value, metadata or expiry needs a readable
		// record; a new value with explicit metadata and expiry may
		// replace an unreadable one.
		return cur.err
	}
	return nil
}

// putHeader is the header of the revision a Put writes on top of cur: the
// stored creation time, metadata and expiry carry over unless the Put
// replaces them.
func putHeader(in PutInput, cur *currentRevision, now time.Time) (envelope.Header, error) {
	h := envelope.Header{Namespace: in.Namespace, Name: in.Name, CreatedAt: now.UnixNano(), UpdatedAt: now.UnixNano()}
	var storedExpiry int64
	if cur.live() && cur.err == nil {
		h.CreatedAt = cur.hdr.CreatedAt
		h.Metadata = cur.hdr.Metadata
		storedExpiry = cur.hdr.ExpiresAt
	}
	if in.SetMetadata {
		h.Metadata = nil
		if len(in.Metadata) > 0 {
			h.Metadata = maps.Clone(in.Metadata)
		}
	}
	var err error
	h.ExpiresAt, err = resolveExpiry(in.Expiry, storedExpiry, now)
	return h, err
}

// Delete writes a tombstone revision (see DeleteInput): the secret then
// reads as ErrNotFound, and its earlier revisions stay until Cleanup purges
// them (so a mistaken delete can be undone by reading an earlier revision).
// Deleting a deleted or missing secret is ErrNotFound, whatever
// IfRevision. A current revision that cannot be read may still be deleted:
// that is how a damaged secret is put aside.
func (s *Store) Delete(ctx context.Context, in DeleteInput) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := validateSecretID(in.Namespace, in.Name); err != nil {
		return err
	}
	if exists, err := s.prepareUpdate(ctx); err != nil || !exists {
		if err == nil {
			err = fmt.Errorf("secret %s: %w", secretRef(in.Namespace, in.Name), ErrNotFound)
		}
		return err
	}
	for attempt := 1; ; attempt++ {
		lost, err := s.delete(ctx, in)
		if !lost || !in.AllowRotations || in.IfRevision <= 0 || attempt == maxWriteAttempts {
			return err
		}
	}
}

// delete is one attempt of Delete; lost reports a lost create-only race.
func (s *Store) delete(ctx context.Context, in DeleteInput) (lost bool, _ error) {
	ref := secretRef(in.Namespace, in.Name)
	cur, err := s.loadCurrentRevision(ctx, in.Namespace, in.Name)
	switch {
	case err != nil:
		return false, err
	case !cur.found:
		return false, fmt.Errorf("secret %s: %w", ref, ErrNotFound)
	case !cur.live():
		return false, fmt.Errorf("secret %s is already deleted (revision %d): %w", ref, cur.rev, ErrNotFound)
	case in.IfRevision < 0:
		return false, fmt.Errorf("secret %s exists at revision %d: %w", ref, cur.rev, ErrConcurrentModification)
	}
	if err := s.checkExpected(ctx, in.Namespace, in.Name, &cur, in.IfRevision, in.AllowRotations); err != nil {
		return false, err
	}
	now := s.now()
	h := envelope.Header{Namespace: in.Namespace, Name: in.Name, Tombstone: true, CreatedAt: now.UnixNano(), UpdatedAt: now.UnixNano()}
	if cur.err == nil {
		h.CreatedAt = cur.hdr.CreatedAt
	}
	_, _, lost, err = s.writeRevision(ctx, &cur, h, nil, Event{Operation: OpDeleted}, 0, now)
	return lost, err
}
