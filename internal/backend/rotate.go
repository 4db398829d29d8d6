// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// PlanRotate counts the secrets whose current revision is not under the
// primary key version, from one listing of the secrets: it reads no object
// (unless a write was interrupted between a record and its marker).
// Deleted secrets are not counted; expired ones are, since their records
// still use the key version. A secret whose record must be read and cannot
// be decoded is left out and reported in a *DamagedSecretsError returned
// with the plan of the others. In a store that does not exist yet it finds
// nothing, with no request past the look for the store.
func (s *Store) PlanRotate(ctx context.Context, in RotateInput) (RotatePlan, error) {
	if err := s.enter(); err != nil {
		return RotatePlan{}, err
	}
	defer s.leave()
	if err := s.prepareRead(ctx); err != nil {
		return RotatePlan{}, err
	}
	if err := validateScope(in.Namespace); err != nil {
		return RotatePlan{}, err
	}
	if !s.created() {
		return RotatePlan{}, nil
	}
	if err := s.refreshKeyring(ctx); err != nil {
		return RotatePlan{}, err
	}
	counts, damaged, err := s.countByKeyVersion(ctx, in.Namespace)
	if err != nil {
		return RotatePlan{}, err
	}
	plan := RotatePlan{Primary: s.primaryVersion(), ByVersion: counts}
	if plan.Primary != 0 {
		for v, n := range counts {
			if v != plan.Primary {
				plan.Pending += n
			}
		}
	}
	return plan, damaged
}

// rotateCandidate is a secret whose current revision (as listed) is not
// under the primary.
type rotateCandidate struct {
	ns, name string
	rev      int64
}

type rotateOutcome int

const (
	outcomeRotated  rotateOutcome = iota
	outcomeSkipped                // changed, deleted or already rotated meanwhile
	outcomeConflict               // lost the create-only race to another writer
	outcomeFailed
)

// Rotate rewraps the data key of every current revision not under the
// primary key version, writing revision+1 with the same value ciphertext
// and a `rotated` audit event. It streams the listing page by page and
// works in chunks with at most Options.Concurrency requests in flight, so
// memory does not depend on the number of secrets. Each chunk is committed
// on its own: after an interruption every secret is readable (at its old or
// new revision) and a rerun does the rest; a rerun with nothing to do
// writes nothing. A secret changed by a concurrent writer is re-examined
// (and counted as skipped when the writer already wrapped it under the
// primary); the writer's value is never overwritten. Secrets that cannot
// be rotated (unavailable key version, integrity failure) are left alone
// and reported in the returned error, which wraps the first one's, after
// the others are done. Any other error (I/O, a canceled context) stops the
// run and is returned; a rerun resumes.
func (s *Store) Rotate(ctx context.Context, in RotateInput) (RotateResult, error) {
	if err := s.enter(); err != nil {
		return RotateResult{}, err
	}
	defer s.leave()
	var res RotateResult
	if err := validateScope(in.Namespace); err != nil {
		return res, err
	}
	if exists, err := s.prepareUpdate(ctx); err != nil || !exists {
		return res, err // a store that does not exist holds nothing to rotate
	}
	if err := s.refreshKeyring(ctx); err != nil {
		return res, err
	}
	pv, kek, err := s.primary(ctx)
	if err != nil {
		return res, err
	}
	var failures []error
	progress := func() {
		if in.Progress != nil {
			in.Progress(res)
		}
	}
	chunkSize := max(64, 8*s.conc)
	chunk := make([]rotateCandidate, 0, chunkSize)
	flush := func() error {
		err := s.rotateAndRetry(ctx, pv, kek, chunk, &res, &failures, progress)
		chunk = chunk[:0]
		return err
	}
	// fail records a damaged secret and goes on; other errors stop the run.
	fail := func(err error) error {
		if !secretDamage(err) {
			return err
		}
		res.Processed++
		failures = append(failures, err)
		progress()
		return nil
	}
	err = s.scanSecrets(ctx, in.Namespace, false, func(g *secretGroup) error {
		cur, err := s.currentInfo(ctx, g)
		if err != nil {
			return fail(err)
		}
		if cur == nil || cur.Flag != flagLive {
			return nil
		}
		res.Processed++
		if cur.KeyVersion == pv {
			res.Skipped++
			progress()
			return nil
		}
		chunk = append(chunk, rotateCandidate{g.Namespace, g.Name, cur.Rev})
		if len(chunk) == chunkSize {
			return flush()
		}
		return nil
	})
	if err == nil && len(chunk) > 0 {
		err = flush()
	}
	if err != nil {
		return res, fmt.Errorf("rotating: %w", err)
	}
	if len(failures) > 0 {
		var names []string
		for i, f := range failures {
			if i == 3 {
				names = append(names, "...")
				break
			}
			names = append(names, f.Error())
		}
		return res, fmt.Errorf("rotating: %d secret(s) could not be rotated (%s): %w", len(failures), strings.Join(names, "; "), failures[0])
	}
	return res, nil
}

// rotateAndRetry rotates a chunk, then re-examines the secrets that lost a
// race, a few times.
func (s *Store) rotateAndRetry(ctx context.Context, pv int, kek []byte, cands []rotateCandidate, res *RotateResult, failures *[]error, progress func()) error {
	for attempt := 0; len(cands) > 0; attempt++ {
		outcomes, errs, err := s.rotateChunk(ctx, pv, kek, cands)
		if err != nil {
			return err
		}
		var retry []rotateCandidate
		for i, o := range outcomes {
			switch {
			case o == outcomeConflict && attempt < 3:
				c, ok, err := s.recheckCandidate(ctx, pv, cands[i])
				switch {
				case err != nil && !secretDamage(err):
					return err
				case err != nil:
					*failures = append(*failures, err)
				case ok:
					retry = append(retry, c)
					continue
				default:
					res.Skipped++
				}
			case o == outcomeRotated:
				res.Rotated++
			case o == outcomeFailed:
				*failures = append(*failures, errs[i])
			default:
				res.Skipped++
			}
			progress()
		}
		cands = retry
	}
	return nil
}

// recheckCandidate looks at a secret again after a lost race: it still
// needs rotating (at its new current revision) unless it is deleted or
// already under the primary.
func (s *Store) recheckCandidate(ctx context.Context, pv int, c rotateCandidate) (rotateCandidate, bool, error) {
	rev, m, found, err := s.loadCurrent(ctx, secretDir(c.ns, c.name))
	if err != nil || !found {
		return c, false, err
	}
	c.rev = rev
	if m != nil {
		return c, m.Flag == flagLive && m.KeyVersion != pv, nil
	}
	rec, _, err := s.readRecord(ctx, c.ns, c.name, rev)
	if errors.Is(err, ErrNotFound) {
		return c, false, nil
	}
	if err != nil {
		return c, false, err
	}
	return c, !rec.Header.Tombstone && int(rec.Header.KeyVersion) != pv, nil
}

// rotateChunk rewraps a chunk: read and rewrap every record concurrently,
// write all the chunk's audit events, then all the new revisions.
func (s *Store) rotateChunk(ctx context.Context, pv int, kek []byte, cands []rotateCandidate) ([]rotateOutcome, []error, error) {
	outcomes := make([]rotateOutcome, len(cands))
	errs := make([]error, len(cands))
	ops := make([]*writeOp, len(cands))
	events := make([]Event, len(cands))
	now := s.now()
	err := forEach(ctx, s.conc, len(cands), func(ctx context.Context, i int) error {
		c := cands[i]
		ref := secretRef(c.ns, c.name)
		// fail leaves a damaged secret alone; other errors stop the chunk.
		fail := func(err error) error {
			if !secretDamage(err) {
				return err
			}
			outcomes[i], errs[i] = outcomeFailed, err
			return nil
		}
		rec, data, err := s.readRecord(ctx, c.ns, c.name, c.rev)
		switch {
		case errors.Is(err, ErrNotFound):
			outcomes[i] = outcomeSkipped
			return nil
		case err != nil:
			return fail(err)
		case rec.Header.Tombstone || int(rec.Header.KeyVersion) == pv:
			outcomes[i] = outcomeSkipped
			return nil
		}
		// A rotation changes no content: the header, times included, is
		// carried over (prepareRevision authenticates it through Rewrap
		// before anything is written).
		next, err := nextRevision(ref, c.rev)
		if err != nil {
			return fail(err)
		}
		h := rec.Header
		events[i] = Event{Operation: OpRotated, Metadata: map[string]string{"previous_key_version": strconv.Itoa(int(rec.Header.KeyVersion))}}
		ops[i], err = s.prepareRevision(ctx, pv, kek, &h, next, nil, data, int(rec.Header.KeyVersion), &events[i], now)
		if err != nil {
			ops[i] = nil
			return fail(recordError(ref, c.rev, err))
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var writeOps []*writeOp
	var writeEvents []Event
	for i := range cands {
		if ops[i] != nil {
			writeOps = append(writeOps, ops[i])
			writeEvents = append(writeEvents, events[i])
		}
	}
	if len(writeOps) == 0 {
		return outcomes, errs, nil
	}
	if err := s.reserveWraps(ctx, pv, len(writeOps)); err != nil {
		return nil, nil, err
	}
	auditOps, err := s.auditOps(ctx, writeEvents)
	if err != nil {
		return nil, nil, err
	}
	if err := s.commitAudited(ctx, auditOps, stage{Ops: writeOps}); err != nil {
		return nil, nil, err
	}
	for i, op := range ops {
		if op == nil {
			continue
		}
		if op.Exists {
			outcomes[i] = outcomeConflict
		} else {
			outcomes[i] = outcomeRotated
		}
	}
	return outcomes, errs, nil
}
