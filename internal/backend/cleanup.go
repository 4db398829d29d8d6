// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"fmt"
	"time"
)

// strayAge is how old a temporary file of an interrupted local write must
// be before Cleanup removes it (a younger one may belong to a write in
// progress).
const strayAge = time.Hour

// ClockSkewMargin is how far ahead of the writers' clocks the clock of a
// host running Cleanup may run without purging anything early. Every
// retention is measured against the cleanup host's clock minus this
// margin: Cleanup and PlanCleanup purge, and count, only what is past its
// retention plus ClockSkewMargin by their own clock. Times in records,
// markers and audit events come from the clock of the host that wrote
// them, and no host can tell from the bucket that its own clock is ahead;
// a cleanup host more than ClockSkewMargin ahead of a writer can purge
// that writer's objects up to the excess early. Five minutes is the
// customary tolerance between hosts kept by NTP (Kerberos allows the
// same), far above the skew of a synchronised clock and negligible beside
// retentions counted in hours or days.
const ClockSkewMargin = 5 * time.Minute

// retentionNow is the time a cleanup host's clock reading now measures
// retentions against: ClockSkewMargin earlier, so that PlanCleanup, Cleanup
// and the checks before each purge agree on what is past retention.
func retentionNow(now time.Time) time.Time { return now.Add(-ClockSkewMargin) }

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
	by        []revInfo // for each of revisions, the revision that superseded it
	junk      []string  // markers whose record is gone
}

// decide applies the retentions to one listed secret. Rules: nothing
// readable is purged (an expired secret only once expired longer than its
// retention), the current revision is never purged on its own, and a
// deleted secret keeps its last value until the secret itself is purged,
// so that a mistaken delete stays recoverable. asOf is the cleanup clock's
// reading less ClockSkewMargin (retentionNow).
func (s *Store) decide(ctx context.Context, g *secretGroup, asOf time.Time, r Retention) (cleanupDecision, error) {
	var d cleanupDecision
	cur, err := s.currentInfo(ctx, g)
	if err != nil || cur == nil {
		return d, err
	}
	d.cur = cur
	past := func(t int64, ret *time.Duration) bool {
		return ret != nil && asOf.UnixNano()-t > int64(*ret)
	}
	switch {
	case cur.Flag == flagPurging:
		d.kind = purgeResume
		return d, nil
	case cur.Flag == flagTombstone && past(cur.Written, r.DeletedSecrets):
		d.kind = purgeDeleted
		return d, nil
	case cur.Flag == flagLive && cur.Expires != 0 && expired(cur.Expires, asOf) && past(cur.Expires, r.ExpiredSecrets):
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
			d.by = append(d.by, *newer)
		}
		newer = rv
	}
	return d, nil
}

// PlanCleanup counts what Cleanup would purge with the same input (what is
// past its retention plus ClockSkewMargin by the store's clock), from
// listings alone: it reads no object (unless a write was interrupted
// between a record and its marker). A secret whose record must be read and
// cannot be decoded is left out of the counts and reported in a
// *DamagedSecretsError returned with the plan of the others. In a store
// that does not exist yet it finds nothing, with no request past the look
// for the store.
func (s *Store) PlanCleanup(ctx context.Context, in CleanupInput) (CleanupPlan, error) {
	if err := s.enter(); err != nil {
		return CleanupPlan{}, err
	}
	defer s.leave()
	if err := s.prepareRead(ctx); err != nil {
		return CleanupPlan{}, err
	}
	var plan CleanupPlan
	if err := validateCleanup(in); err != nil {
		return plan, err
	}
	if !s.created() {
		return plan, nil
	}
	asOf := retentionNow(s.now())
	r := in.Retention
	var damaged damageLog
	if r.ExpiredSecrets != nil || r.DeletedSecrets != nil || r.Revisions != nil {
		err := s.scanSecrets(ctx, in.Namespace, true, func(g *secretGroup) error {
			d, err := s.decide(ctx, g, asOf, r)
			if err != nil {
				if damaged.add(g.Namespace, g.Name, err) {
					return nil
				}
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
		n, err := s.countOldEvents(ctx, asOf.Add(-*r.AuditEvents).UnixNano())
		if err != nil {
			return plan, err
		}
		plan.Events = n
	}
	return plan, damaged.err()
}

// Cleanup purges what PlanCleanup counts: what is past its retention plus
// ClockSkewMargin by the store's clock. Every purged secret first gets a
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
// Cleanup also finishes a root-key rotation whose last rewrap did not
// delete the copies wrapped under a previous root key (see
// RewrapKeyVersion).
func (s *Store) Cleanup(ctx context.Context, in CleanupInput) (CleanupResult, error) {
	if err := s.enter(); err != nil {
		return CleanupResult{}, err
	}
	defer s.leave()
	var res CleanupResult
	if err := validateCleanup(in); err != nil {
		return res, err
	}
	if exists, err := s.prepareUpdate(ctx); err != nil || !exists {
		return res, err // a store that does not exist holds nothing to purge
	}
	if err := s.refreshKeyring(ctx); err != nil {
		return res, err
	}
	// Copies under a previous root key that outlived a finished root-key
	// rotation (an interrupted run, or objects restored from a backup)
	// are removed here.
	if err := s.finishRootRotation(ctx); err != nil {
		return res, fmt.Errorf("cleanup: %w", err)
	}
	now := s.now()
	asOf := retentionNow(now)
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
			d, err := s.decide(ctx, g, asOf, r)
			if err != nil {
				return fail(err)
			}
			if err := s.obj().deleteAll(ctx, d.junk); err != nil {
				return err
			}
			switch {
			case d.kind != purgeNone:
				done, err := s.purgeSecret(ctx, g, d, now, asOf, r)
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
		n, err := s.purgeEvents(ctx, asOf.Add(-*r.AuditEvents).UnixNano())
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
