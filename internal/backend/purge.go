// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"errors"
	"strconv"
	"time"

	"gocloud.dev/blob"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// recheck re-reads the revision a listing showed as current,
// authenticates it, and checks that it is what its marker said (key
// version, expiry, and live, deleted or being purged): every purge decision
// rests on that record, not on the marker alone. With value set it also
// decrypts (and discards) the value, so that a current revision that Get
// could not return counts as damaged. A revision purged since the listing,
// or purged and written again (its listed marker gone), gives found false.
func (s *Store) recheck(ctx context.Context, g *secretGroup, cur *curInfo, value bool) (h envelope.Header, found bool, err error) {
	ref := secretRef(g.Namespace, g.Name)
	rec, data, err := s.readRecord(ctx, g.Namespace, g.Name, cur.Rev)
	if errors.Is(err, ErrNotFound) {
		return envelope.Header{}, false, nil
	}
	if err != nil {
		return envelope.Header{}, false, err
	}
	kek, err := s.kek(ctx, int(rec.Header.KeyVersion))
	if err != nil {
		return envelope.Header{}, false, recordError(ref, cur.Rev, err)
	}
	if value {
		var v []byte
		h, v, err = envelope.Open(kek, data)
		clear(v)
	} else {
		h, err = envelope.Verify(kek, data)
	}
	if err != nil {
		return envelope.Header{}, false, recordError(ref, cur.Rev, err)
	}
	if err := checkMarker(ref, cur.Rev, &cur.marker, &h); err != nil {
		// A record that disagrees with the listed marker is a forgery
		// only while that marker stands: a secret purged by another
		// Cleanup and written again since the listing reuses the
		// revision number under a new marker.
		gone, lerr := s.markerGone(ctx, g, cur)
		if lerr != nil {
			return envelope.Header{}, false, lerr
		}
		if gone {
			return envelope.Header{}, false, nil
		}
		return envelope.Header{}, false, err
	}
	return h, true, nil
}

// markerGone reports whether the marker that the listing showed for
// revision cur.Rev of g is no longer in the bucket (one LIST).
func (s *Store) markerGone(ctx context.Context, g *secretGroup, cur *curInfo) (bool, error) {
	want := markerKey(g.Dir, cur.Rev, cur.marker)
	found := false
	err := s.obj().eachKey(ctx, recordKey(g.Dir, cur.Rev)+"_", func(o *blob.ListObject) error {
		found = found || o.Key == want
		return nil
	})
	return !found, err
}

// purgeSecret removes every revision of one secret, after re-reading and
// authenticating its current revision (recheck). It reports false when the
// secret changed since it was listed (and is then left alone). now is the
// time the purge records; asOf, the time retentions are measured against
// (retentionNow).
func (s *Store) purgeSecret(ctx context.Context, g *secretGroup, d cleanupDecision, now, asOf time.Time, r Retention) (bool, error) {
	ref := secretRef(g.Namespace, g.Name)
	cur := d.cur
	h, found, err := s.recheck(ctx, g, cur, false)
	if err != nil || !found {
		return false, err
	}
	keys := revisionKeys(g.Revs)
	switch d.kind {
	case purgeResume:
		// recheck verified that the record is a purge tombstone.
	case purgeDeleted:
		if !h.Tombstone || r.DeletedSecrets == nil || asOf.UnixNano()-h.UpdatedAt <= int64(*r.DeletedSecrets) {
			return false, nil
		}
		ev := Event{Operation: OpDeleted, Namespace: g.Namespace, Name: g.Name, Revision: cur.Rev, KeyVersion: int(h.KeyVersion), Reason: ReasonDeletedCleanup, Time: now}
		if err := s.appendEvents(ctx, []Event{ev}); err != nil {
			return false, err
		}
	case purgeExpired:
		if h.Tombstone || !expired(h.ExpiresAt, asOf) || r.ExpiredSecrets == nil || asOf.UnixNano()-h.ExpiresAt <= int64(*r.ExpiredSecrets) {
			return false, nil
		}
		// Claim the next revision with a purge tombstone: a concurrent
		// renewal either wins this create-only race (and the secret
		// stays) or loses it (and fails as a concurrent modification).
		// The tombstone keeps the expired value's expiry, which marks it
		// in its authenticated header as a purge tombstone (markerFlag).
		next, err := nextRevision(ref, cur.Rev)
		if err != nil {
			return false, err
		}
		pv, kek, err := s.primary(ctx)
		if err != nil {
			return false, err
		}
		if err := s.reserveWraps(ctx, pv, 1); err != nil {
			return false, err
		}
		th := envelope.Header{Namespace: g.Namespace, Name: g.Name, Revision: uint64(next), KeyVersion: uint32(pv), Tombstone: true, ExpiresAt: h.ExpiresAt, CreatedAt: h.CreatedAt, UpdatedAt: now.UnixNano()}
		enc, err := envelope.Seal(kek, th, nil)
		if err != nil {
			return false, recordError(ref, next, err)
		}
		op := recordOp(g.Dir, th, enc, now)
		ev := Event{Operation: OpDeleted, Namespace: g.Namespace, Name: g.Name, Revision: cur.Rev, KeyVersion: int(h.KeyVersion), Reason: ReasonExpiredCleanup, Time: now}
		err = s.commitWithAudit(ctx, []Event{ev}, op)
		if errors.Is(err, ErrConcurrentModification) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		keys = append(keys, op.Alias, op.Key)
	}
	if err := s.deleteInOrder(ctx, keys); err != nil {
		return false, err
	}
	if s.local != nil {
		s.local.RemoveEmptyDirs([]string{g.Dir + "r"}, prefixSecrets)
	}
	return true, nil
}

// revisionKeys lists the keys of revs oldest first, each revision's marker
// before its record: deleted in that order, they never leave a marker
// without its record, nor an older revision as the current one.
func revisionKeys(revs []revInfo) []string {
	var keys []string
	for i := len(revs) - 1; i >= 0; i-- {
		if revs[i].MarkerKey != "" {
			keys = append(keys, revs[i].MarkerKey)
		}
		if revs[i].RecordKey != "" {
			keys = append(keys, revs[i].RecordKey)
		}
	}
	return keys
}

// deleteInOrder deletes keys one after the other.
func (s *Store) deleteInOrder(ctx context.Context, keys []string) error {
	for _, k := range keys {
		if err := s.obj().delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// purgeRevisions deletes the superseded revisions d names and returns how
// many it deleted. It first checks that the current revision authenticates
// and its value decrypts (recheck), so that the last readable value of a
// secret whose current record is damaged is never purged, and that the
// write time of each superseding revision, which the listing took from its
// marker, is confirmed (confirmWritten).
func (s *Store) purgeRevisions(ctx context.Context, g *secretGroup, d cleanupDecision) (int, error) {
	if _, found, err := s.recheck(ctx, g, d.cur, true); err != nil || !found {
		return 0, err
	}
	confirmed := map[int64]bool{}
	var keep []revInfo
	for i, rv := range d.revisions {
		by := d.by[i]
		ok, done := confirmed[by.Rev]
		if !done {
			var err error
			if ok, err = s.confirmWritten(ctx, g, by); err != nil {
				return 0, err
			}
			confirmed[by.Rev] = ok
		}
		if ok {
			keep = append(keep, rv)
		}
	}
	if d.revisions = keep; len(keep) == 0 {
		return 0, nil
	}
	ev := Event{
		Operation: OpPurged, Namespace: g.Namespace, Name: g.Name, Revision: d.cur.Rev, Reason: ReasonRevisionCleanup,
		Metadata: map[string]string{"count": strconv.Itoa(len(d.revisions))},
	}
	if err := s.appendEvents(ctx, []Event{ev}); err != nil {
		return 0, err
	}
	if err := s.obj().deleteAll(ctx, revisionKeys(d.revisions)); err != nil {
		return 0, err
	}
	return len(d.revisions), nil
}
