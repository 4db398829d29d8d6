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

// secretRef names a secret in errors.
func secretRef(ns, name string) string { return ns + "/" + name }

// loadCurrent finds the current revision of the secret in dir with one
// LIST: the first record key (newest first), and its marker when the same
// page shows it.
func (s *Store) loadCurrent(ctx context.Context, dir string) (rev int64, m *marker, found bool, err error) {
	l := s.obj().list(dir+"r", "", 4)
	for {
		if found && l.pageDone() {
			// The marker is not on the record's page: do without it
			// rather than pay a second LIST.
			return rev, nil, true, nil
		}
		o, err := l.next(ctx)
		if err != nil {
			return 0, nil, false, err
		}
		if o == nil {
			return rev, nil, found, nil
		}
		sk, ok := parseSecretKey(o.Key)
		if !ok || sk.Dir != dir {
			continue
		}
		if !found {
			if sk.Marker != nil {
				continue // a marker whose record is gone
			}
			rev, found = sk.Revision, true
			continue
		}
		if sk.Revision == rev && sk.Marker != nil {
			m = sk.Marker
		}
		return rev, m, true, nil
	}
}

// readRecord reads and decodes (without authenticating) a revision record
// that a listing showed, checking that it is the record its key names.
func (s *Store) readRecord(ctx context.Context, ns, name string, rev int64) (*envelope.Record, []byte, error) {
	return s.readRecordFrom(ctx, ns, name, rev, true)
}

// readRecordFrom is readRecord; listed tells whether a listing showed the
// record's key. A missing record that no listing showed is ErrNotFound at
// the cost of its GET alone (see getUnlisted).
func (s *Store) readRecordFrom(ctx context.Context, ns, name string, rev int64, listed bool) (*envelope.Record, []byte, error) {
	ref := secretRef(ns, name)
	get := s.obj().get
	if !listed {
		get = s.obj().getUnlisted
	}
	data, err := get(ctx, recordKey(secretDir(ns, name), rev), envelope.MaxRecordLen)
	if errors.Is(err, errObjectNotFound) {
		return nil, nil, fmt.Errorf("secret %s revision %d: %w", ref, rev, ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("secret %s: %w", ref, err)
	}
	rec, err := envelope.Decode(data)
	if err != nil {
		return nil, nil, recordError(ref, rev, err)
	}
	if err := checkRecordTimes(&rec.Header); err != nil {
		return nil, nil, recordError(ref, rev, err)
	}
	h := rec.Header
	if h.Namespace != ns || h.Name != name || h.Revision != uint64(rev) {
		return nil, nil, fmt.Errorf("secret %s revision %d: the object holds revision %d of %s: %w", ref, rev, h.Revision, secretRef(h.Namespace, h.Name), ErrIntegrity)
	}
	return rec, data, nil
}

// markerFlag is the marker flag that a revision header implies. A purge
// tombstone is told from a user's tombstone by its header, not only by its
// marker: it keeps the expiry of the value it covers, while Delete writes
// tombstones without one.
func markerFlag(h *envelope.Header) byte {
	switch {
	case !h.Tombstone:
		return flagLive
	case h.ExpiresAt != 0:
		return flagPurging
	}
	return flagTombstone
}

// checkMarker compares a record's header with the marker written beside
// it. They are written from the same header, so a disagreement means one
// of them was altered: for example a record whose key version label was
// changed is an integrity failure, not a request for a key version that
// does not exist, and a user's tombstone whose marker claims a purge in
// progress is not purged.
func checkMarker(ref string, rev int64, m *marker, h *envelope.Header) error {
	if m == nil {
		return nil
	}
	if m.KeyVersion != int(h.KeyVersion) || m.Flag != markerFlag(h) || m.Expires != h.ExpiresAt {
		return fmt.Errorf("secret %s revision %d: the record disagrees with its marker (key version %d, expiry or deletion flag): %w", ref, rev, h.KeyVersion, ErrIntegrity)
	}
	return nil
}

// recordError wraps a failure to use one secret revision. A failure of
// package envelope (bad tag, truncation, trailing bytes, unknown format
// version) is that record's ErrIntegrity, with the envelope's own error
// (ErrIntegrity, ErrMalformed or ErrUnsupportedVersion) also matchable.
// Any other error keeps its own kind: an unavailable or damaged key
// version, or an I/O failure, is not the record's damage.
func recordError(ref string, rev int64, err error) error {
	if errors.Is(err, envelope.ErrIntegrity) || errors.Is(err, envelope.ErrMalformed) || errors.Is(err, envelope.ErrUnsupportedVersion) {
		return fmt.Errorf("secret %s revision %d: %w: %w", ref, rev, ErrIntegrity, err)
	}
	return fmt.Errorf("secret %s revision %d: %w", ref, rev, err)
}

// secretDamage reports whether err concerns one secret's stored state (a
// tampered or corrupt record, a key version that cannot be used, or a
// revision number at its limit), so that Rotate and Cleanup leave that
// secret alone and go on. Any other error (I/O, a canceled context) stops
// them.
func secretDamage(err error) bool {
	return errors.Is(err, ErrIntegrity) || errors.Is(err, ErrKeyVersionUnavailable) || errors.Is(err, ErrRevisionLimit)
}

// readRevision reads revision rev of a secret, or its current revision
// when rev is 0, and returns its revision number and decoded (not yet
// authenticated) record. The current revision's record is checked against
// its marker.
func (s *Store) readRevision(ctx context.Context, ns, name string, rev int64) (int64, *envelope.Record, []byte, error) {
	ref := secretRef(ns, name)
	var m *marker
	listed := rev == 0
	if listed {
		r, mk, found, err := s.loadCurrent(ctx, secretDir(ns, name))
		if err != nil {
			return 0, nil, nil, fmt.Errorf("secret %s: %w", ref, err)
		}
		if !found {
			return 0, nil, nil, fmt.Errorf("secret %s: %w", ref, ErrNotFound)
		}
		rev, m = r, mk
	}
	rec, data, err := s.readRecordFrom(ctx, ns, name, rev, listed)
	if err != nil {
		return 0, nil, nil, err
	}
	if err := checkMarker(ref, rev, m, &rec.Header); err != nil {
		return 0, nil, nil, err
	}
	return rev, rec, data, nil
}

// secretFromHeader builds the Secret an authenticated header describes.
func secretFromHeader(h envelope.Header, now time.Time) Secret {
	sec := Secret{
		Namespace:  h.Namespace,
		Name:       h.Name,
		Revision:   int64(h.Revision),
		KeyVersion: int(h.KeyVersion),
		CreatedAt:  time.Unix(0, h.CreatedAt).UTC(),
		UpdatedAt:  time.Unix(0, h.UpdatedAt).UTC(),
		State:      StateActive,
	}
	if len(h.Metadata) > 0 {
		sec.Metadata = maps.Clone(h.Metadata)
	}
	if h.ExpiresAt != 0 {
		sec.ExpiresAt = time.Unix(0, h.ExpiresAt).UTC()
		if expired(h.ExpiresAt, now) {
			sec.State = StateExpired
		}
	}
	return sec
}

func expired(expiresAt int64, now time.Time) bool {
	return expiresAt != 0 && now.UnixNano() >= expiresAt
}

// verifyRecord authenticates a decoded record's header under its key
// version.
func (s *Store) verifyRecord(ctx context.Context, ref string, rev int64, rec *envelope.Record, data []byte) (envelope.Header, error) {
	h, _, err := s.verifyRecordID(ctx, ref, rev, rec, data)
	return h, err
}

// verifyRecordID is verifyRecord that also returns the record's value id
// (Secret.ValueID).
func (s *Store) verifyRecordID(ctx context.Context, ref string, rev int64, rec *envelope.Record, data []byte) (envelope.Header, string, error) {
	kek, err := s.kek(ctx, int(rec.Header.KeyVersion))
	if err != nil {
		return envelope.Header{}, "", recordError(ref, rev, err)
	}
	h, id, err := envelope.VerifyID(kek, data)
	if err != nil {
		return envelope.Header{}, "", recordError(ref, rev, err)
	}
	return h, hex.EncodeToString(id), nil
}

// revisionRecord is a decoded record with its authenticated header.
type revisionRecord struct {
	rec *envelope.Record
	hdr envelope.Header
}

// readVerified reads revision rev of a secret and authenticates its header.
func (s *Store) readVerified(ctx context.Context, ns, name string, rev int64) (revisionRecord, error) {
	rec, data, err := s.readRecord(ctx, ns, name, rev)
	if err != nil {
		return revisionRecord{}, err
	}
	h, err := s.verifyRecord(ctx, secretRef(ns, name), rev, rec, data)
	if err != nil {
		return revisionRecord{}, err
	}
	return revisionRecord{rec: rec, hdr: h}, nil
}
