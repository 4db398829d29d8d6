// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"encoding/hex"
	"fmt"
)

// auditOps turns events into the create-only writes that store them,
// filling in ID, Time and Actor, and linking each event of a secret to
// the newest event of that secret (see Audit chain in the package
// documentation).
func (s *Store) auditOps(ctx context.Context, events []Event) ([]*writeOp, error) {
	s.mu.Lock()
	key := s.header.auditKey
	s.mu.Unlock()
	now := s.now()
	bodies := make([]eventBody, len(events))
	for i, ev := range events {
		if ev.Time.IsZero() {
			ev.Time = now
		}
		b := eventBody{
			ID: newID(), Time: ev.Time.UnixNano(), Operation: ev.Operation, Namespace: ev.Namespace,
			Name: ev.Name, Revision: ev.Revision, KeyVersion: ev.KeyVersion, Actor: s.actor, Reason: ev.Reason,
			Metadata: ev.Metadata,
		}
		if b.Time < 0 {
			return nil, fmt.Errorf("audit event time %s is before 1970", ev.Time)
		}
		bodies[i] = b
	}
	if auditWriteFormat == eventFormat {
		heads, err := s.auditHeads(ctx, bodies)
		if err != nil {
			return nil, err
		}
		for i := range bodies {
			b := &bodies[i]
			b.V = eventFormat
			if b.Namespace == "" || b.Name == "" {
				continue
			}
			id := secretID{b.Namespace, b.Name}
			if head, ok := heads[id]; ok {
				b.Prev, b.PrevTime, b.PrevOp = head.ID, head.Min, head.Op
			}
			heads[id] = auditItem{ID: b.ID, Min: b.Time, Max: b.Time, Op: b.Operation}
		}
	}
	for i := range bodies {
		bodies[i].MAC = hex.EncodeToString(eventMAC(key, &bodies[i]))
	}
	var ops []*writeOp
	type group struct {
		index, op string
		slot      int64 // maxBatchSpan slot; slots never span a day
	}
	batches := map[group][]eventBody{}
	var order []group
	add := func(g group, b eventBody) {
		if _, ok := batches[g]; !ok {
			order = append(order, g)
		}
		batches[g] = append(batches[g], b)
	}
	for _, b := range bodies {
		if b.Namespace != "" && b.Name != "" {
			data, err := frame(magicEvent, b)
			if err != nil {
				return nil, err
			}
			ops = append(ops, &writeOp{Key: auditEventKey(auditSecretIndex(b.Namespace, b.Name), b.Time, b.ID, b.Operation), Data: data})
		}
		// Batches never span a slot, hence never a day: day directories
		// are self-contained.
		slot := b.Time / maxBatchSpan
		if b.Namespace != "" {
			add(group{auditNamespaceIndex(b.Namespace), b.Operation, slot}, b)
		}
		add(group{prefixAuditO, b.Operation, slot}, b)
	}
	for _, g := range order {
		evs := batches[g]
		for len(evs) > 0 {
			n := min(len(evs), maxBatchEvents)
			chunk := evs[:n]
			evs = evs[n:]
			lo, hi := chunk[0].Time, chunk[0].Time
			for _, e := range chunk {
				lo, hi = min(lo, e.Time), max(hi, e.Time)
			}
			bb := batchBody{Events: chunk}
			if auditWriteFormat == eventFormat {
				bb.V = eventFormat
				bb.MAC = hex.EncodeToString(batchMAC(key, g.index, g.op, chunk))
			}
			data, err := frame(magicBatch, bb)
			if err != nil {
				return nil, err
			}
			// A batch of one event is named by the event's id, so
			// that its key orders it exactly among other entries.
			id := chunk[0].ID
			if n > 1 {
				id = newID()
			}
			ops = append(ops, &writeOp{Key: auditBatchKey(g.index, g.op, lo, hi, n, id), Data: data})
		}
	}
	return ops, nil
}

// appendEvents writes events that accompany no other write (a read, or
// the deletions that follow them). If any fails, those written are
// withdrawn (see commitAudited).
func (s *Store) appendEvents(ctx context.Context, events []Event) error {
	ops, err := s.auditOps(ctx, events)
	if err != nil {
		return err
	}
	if err := s.commitAudited(ctx, ops); err != nil {
		return fmt.Errorf("writing audit events: %w", err)
	}
	return nil
}

// RecordRead appends a read event for an audited read of sec's revision.
// In a store that does not exist nothing was read, so nothing is written
// (and the store is not created). It writes the event's objects only,
// without the probe prepareWrite runs: every event object has a key of its
// own (a new random id), so no create-only write of it can meet another
// writer's, and a bucket that ignored conditional writes could not lose
// it; the probe guards the writes whose keys writers share (records,
// headers, key versions), which are all made through prepareWrite.
func (s *Store) RecordRead(ctx context.Context, sec Secret) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := validateSecretID(sec.Namespace, sec.Name); err != nil {
		return err
	}
	if err := s.prepareRead(ctx); err != nil || !s.created() {
		return err
	}
	return s.appendEvents(ctx, []Event{{
		Operation: OpRead, Namespace: sec.Namespace, Name: sec.Name,
		Revision: sec.Revision, KeyVersion: sec.KeyVersion,
	}})
}
