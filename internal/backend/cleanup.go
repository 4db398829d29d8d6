package backend

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gocloud.dev/blob"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// strayAge is how old a temporary file of an interrupted local write must
// be before Cleanup removes it (a younger one may belong to a write in
// progress).
const strayAge = time.Hour

// purgeKind is what Cleanup does to one secret as a whole.
type purgeKind int

const (
	purgeNone    purgeKind = iota
	purgeExpired           // expired longer than the retention
	purgeDeleted           // tombstoned longer than the retention
	purgeResume            // a purge interrupted after its purge tombstone
)

// cleanupDecision is what Cleanup would do to one secret, decided from the
// listing alone.
type cleanupDecision struct {
	kind      purgeKind
	cur       *curInfo
	revisions []revInfo // superseded revisions past retention
	junk      []string  // markers whose record is gone
}

// decide applies the retentions to one listed secret. Rules: nothing
// readable is purged (an expired secret only once expired longer than its
// retention), the current revision is never purged on its own, and a
// deleted secret keeps its last value until the secret itself is purged,
// so that a mistaken delete stays recoverable.
func (s *Store) decide(ctx context.Context, g *secretGroup, now time.Time, r Retention) (cleanupDecision, error) {
	var d cleanupDecision
	cur, err := s.currentInfo(ctx, g)
	if err != nil || cur == nil {
		return d, err
	}
	d.cur = cur
	past := func(t int64, ret *time.Duration) bool {
		return ret != nil && now.UnixNano()-t > int64(*ret)
	}
	switch {
	case cur.Flag == flagPurging:
		d.kind = purgeResume
		return d, nil
	case cur.Flag == flagTombstone && past(cur.Written, r.DeletedSecrets):
		d.kind = purgeDeleted
		return d, nil
	case cur.Flag == flagLive && cur.Expires != 0 && expired(cur.Expires, now) && past(cur.Expires, r.ExpiredSecrets):
		d.kind = purgeExpired
		return d, nil
	}
	keepRestore := cur.Flag == flagTombstone
	var newer *revInfo // the next newer revision with a record
	for i := range g.Revs {
		rv := &g.Revs[i]
		if rv.RecordKey == "" {
			if rv.Rev != cur.Rev {
				d.junk = append(d.junk, rv.MarkerKey)
			}
			continue
		}
		if rv.Rev >= cur.Rev {
			newer = rv
			continue
		}
		if keepRestore {
			// The newest revision below a tombstone is the value a
			// restore needs.
			keepRestore = rv.Marker != nil && rv.Marker.Flag != flagLive
			newer = rv
			continue
		}
		// Superseded when the next newer revision was written.
		if newer.Marker != nil && past(newer.Marker.Written, r.Revisions) {
			d.revisions = append(d.revisions, *rv)
		}
		newer = rv
	}
	return d, nil
}

// PlanCleanup counts what Cleanup would purge with the same input, from
// listings alone: it reads no object (unless a write was interrupted
// between a record and its marker).
func (s *Store) PlanCleanup(ctx context.Context, in CleanupInput) (CleanupPlan, error) {
	var plan CleanupPlan
	if err := validateCleanup(in); err != nil {
		return plan, err
	}
	now := s.now()
	r := in.Retention
	if r.ExpiredSecrets != nil || r.DeletedSecrets != nil || r.Revisions != nil {
		err := s.scanSecrets(ctx, in.Namespace, true, func(g *secretGroup) error {
			d, err := s.decide(ctx, g, now, r)
			if err != nil {
				return err
			}
			if d.kind != purgeNone {
				plan.Secrets++
			} else {
				plan.Revisions += len(d.revisions)
			}
			return nil
		})
		if err != nil {
			return plan, err
		}
	}
	if r.AuditEvents != nil {
		n, err := s.countOldEvents(ctx, now.Add(-*r.AuditEvents).UnixNano())
		if err != nil {
			return plan, err
		}
		plan.Events = n
	}
	return plan, nil
}

// Cleanup purges what PlanCleanup counts. Every purged secret first gets a
// final `deleted` event (reason expired_cleanup or deleted_cleanup), every
// secret losing superseded revisions a `purged` event (revision_cleanup,
// with the count), and an audit purge one `purged` event (audit_cleanup,
// with the count).
//
// Before a secret or any of its revisions is purged, its current revision
// is re-read, authenticated and checked against the listing; a secret that
// fails is left alone and reported after the others are done, in an error
// wrapping ErrIntegrity or ErrKeyVersionUnavailable. An expired secret is
// first covered by a create-only "purge tombstone" revision: a secret
// renewed after the plan (or concurrently) wins that race and is not
// purged. A purged secret's revisions are deleted oldest first, so an
// interrupted purge never resurrects an older revision; the next Cleanup
// finishes it. Any other error (I/O, a canceled context) stops the run.
func (s *Store) Cleanup(ctx context.Context, in CleanupInput) (CleanupResult, error) {
	var res CleanupResult
	if err := validateCleanup(in); err != nil {
		return res, err
	}
	if err := s.refreshKeyring(ctx); err != nil {
		return res, err
	}
	now := s.now()
	r := in.Retention
	var failures []error
	if r.ExpiredSecrets != nil || r.DeletedSecrets != nil || r.Revisions != nil {
		// fail leaves a damaged secret alone; other errors stop the run.
		fail := func(err error) error {
			if !secretDamage(err) {
				return err
			}
			failures = append(failures, err)
			return nil
		}
		err := s.scanSecrets(ctx, in.Namespace, true, func(g *secretGroup) error {
			d, err := s.decide(ctx, g, now, r)
			if err != nil {
				return fail(err)
			}
			if err := s.obj.deleteAll(ctx, d.junk); err != nil {
				return err
			}
			switch {
			case d.kind != purgeNone:
				done, err := s.purgeSecret(ctx, g, d, now, r)
				if err != nil {
					return fail(err)
				}
				if done {
					res.Secrets++
				}
			case len(d.revisions) > 0:
				n, err := s.purgeRevisions(ctx, g, d)
				if err != nil {
					return fail(err)
				}
				res.Revisions += n
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("cleanup: %w", err)
		}
	}
	if r.AuditEvents != nil {
		n, err := s.purgeEvents(ctx, now.Add(-*r.AuditEvents).UnixNano())
		if err != nil {
			return res, fmt.Errorf("cleanup: %w", err)
		}
		res.Events = n
	}
	if s.local != nil {
		s.local.RemoveStaleTemps(strayAge)
		if err := s.local.Sync(); err != nil {
			return res, err
		}
	}
	if len(failures) > 0 {
		return res, fmt.Errorf("cleanup: %d secret(s) were left alone because they could not be authenticated; the first: %w", len(failures), failures[0])
	}
	return res, nil
}

// recheck re-reads the revision a listing showed as current,
// authenticates it, and checks that it is what its marker said (key
// version, expiry, and live, deleted or being purged): every purge decision
// rests on that record, not on the marker alone. With value set it also
// decrypts (and discards) the value, so that a current revision that Get
// could not return counts as damaged. A revision purged since the listing
// gives found false.
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
		return envelope.Header{}, false, err
	}
	return h, true, nil
}

// purgeSecret removes every revision of one secret, after re-reading and
// authenticating its current revision (recheck). It reports false when the
// secret changed since it was listed (and is then left alone).
func (s *Store) purgeSecret(ctx context.Context, g *secretGroup, d cleanupDecision, now time.Time, r Retention) (bool, error) {
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
		if !h.Tombstone || r.DeletedSecrets == nil || now.UnixNano()-h.UpdatedAt <= int64(*r.DeletedSecrets) {
			return false, nil
		}
		ev := Event{Operation: OpDeleted, Namespace: g.Namespace, Name: g.Name, Revision: cur.Rev, KeyVersion: int(h.KeyVersion), Reason: ReasonDeletedCleanup, Time: now}
		if err := s.appendEvents(ctx, []Event{ev}); err != nil {
			return false, err
		}
	case purgeExpired:
		if h.Tombstone || !expired(h.ExpiresAt, now) || r.ExpiredSecrets == nil || now.UnixNano()-h.ExpiresAt <= int64(*r.ExpiredSecrets) {
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
		if err := s.obj.delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// purgeRevisions deletes the superseded revisions d names and returns how
// many it deleted. It first checks that the current revision authenticates
// and its value decrypts (recheck), so that the last readable value of a
// secret whose current record is damaged is never purged.
func (s *Store) purgeRevisions(ctx context.Context, g *secretGroup, d cleanupDecision) (int, error) {
	if _, found, err := s.recheck(ctx, g, d.cur, true); err != nil || !found {
		return 0, err
	}
	ev := Event{
		Operation: OpPurged, Namespace: g.Namespace, Name: g.Name, Revision: d.cur.Rev, Reason: ReasonRevisionCleanup,
		Metadata: map[string]string{"count": strconv.Itoa(len(d.revisions))},
	}
	if err := s.appendEvents(ctx, []Event{ev}); err != nil {
		return 0, err
	}
	if err := s.obj.deleteAll(ctx, revisionKeys(d.revisions)); err != nil {
		return 0, err
	}
	return len(d.revisions), nil
}

// countOldEvents counts events older than cutoff from the operation index,
// which holds every event exactly once.
func (s *Store) countOldEvents(ctx context.Context, cutoff int64) (int, error) {
	n := 0
	err := s.obj.eachKey(ctx, prefixAuditO, func(o *blob.ListObject) error {
		if it, ok := parseAuditKey(o.Key); ok && it.Max < cutoff {
			n += it.Count
		}
		return nil
	})
	return n, err
}

// purgeEvents deletes every audit entry older than cutoff, after writing
// one `purged` event with the count.
func (s *Store) purgeEvents(ctx context.Context, cutoff int64) (int, error) {
	n, err := s.countOldEvents(ctx, cutoff)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		ev := Event{Operation: OpPurged, Reason: ReasonAuditCleanup, Metadata: map[string]string{"count": strconv.Itoa(n)}}
		if err := s.appendEvents(ctx, []Event{ev}); err != nil {
			return 0, err
		}
	}
	var keys []string
	err = s.obj.eachKey(ctx, prefixAudit, func(o *blob.ListObject) error {
		if it, ok := parseAuditKey(o.Key); ok && it.Max < cutoff {
			keys = append(keys, o.Key)
		}
		if len(keys) >= 1000 {
			err := s.obj.deleteAll(ctx, keys)
			keys = keys[:0]
			return err
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if err := s.obj.deleteAll(ctx, keys); err != nil {
		return 0, err
	}
	return n, nil
}
