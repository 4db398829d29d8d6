// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// commitWithAudit writes the audit events, then each op in turn, each one
// durable before the next is written (see commitAudited for a failed
// audit write). When an op loses its create-only race, the ops after it
// are not written and ErrConcurrentModification is returned; if it was the
// first op, nothing was changed and the events (which describe a write
// that did not happen) are withdrawn.
func (s *Store) commitWithAudit(ctx context.Context, events []Event, ops ...*writeOp) error {
	auditOps, err := s.auditOps(ctx, events)
	if err != nil {
		return err
	}
	stages := make([]stage, len(ops))
	for i, op := range ops {
		stages[i] = stage{Ops: []*writeOp{op}, Strict: true}
	}
	err = s.commitAudited(ctx, auditOps, stages...)
	for i, op := range ops {
		if op.Exists {
			if i == 0 {
				s.withdraw(ctx, auditOps)
			}
			return fmt.Errorf("%s was written by another writer first: %w", op.Key, ErrConcurrentModification)
		}
	}
	return err
}

// commitAudited commits the audit objects (a strict stage), then stages.
// Audit is written ahead and fails closed: if the audit stage fails,
// nothing of stages is attempted, and the audit objects it wrote, or may
// have written, are withdrawn, since they describe a change that did not
// happen.
func (s *Store) commitAudited(ctx context.Context, auditOps []*writeOp, stages ...stage) error {
	err := s.obj().commit(ctx, append([]stage{{Ops: auditOps, Strict: true}}, stages...)...)
	if err != nil && slices.ContainsFunc(auditOps, func(op *writeOp) bool { return !op.Done }) {
		s.withdraw(ctx, auditOps)
	}
	return err
}

// withdraw deletes the audit objects of a change that was not made (its
// audit write failed, or its write lost a race), except keys that already
// existed, which belong to someone else. Another writer of the same secret
// may already have linked its event to one of these, so the withdrawal of
// every secret event is recorded first (see recordWithdrawn); when that
// record cannot be written, nothing is deleted. It is best effort: an event
// left behind is the record of an intended change (see Audit log in the
// package documentation).
func (s *Store) withdraw(ctx context.Context, auditOps []*writeOp) {
	ctx = context.WithoutCancel(ctx)
	keys := make([]string, 0, len(auditOps))
	var ids []string
	for _, op := range auditOps {
		if op.Exists {
			continue
		}
		keys = append(keys, op.Key)
		if it, ok := parseAuditKey(op.Key); ok && !it.Batch && strings.HasPrefix(op.Key, prefixAuditS) {
			ids = append(ids, it.ID)
		}
	}
	if err := s.recordWithdrawn(ctx, ids); err != nil {
		return
	}
	_ = s.obj().deleteAll(ctx, keys)
}
