// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"gocloud.dev/blob"
)

// auditWriteFormat is the event format written: eventFormat, or 1 (no
// links, no batch MAC) for tests of stores written by older builds.
var auditWriteFormat = eventFormat

type secretID struct{ ns, name string }

// auditHeads finds, for each secret named by an event, the newest event
// of that secret in its audit index: one delimiter LIST for its days and
// one LIST of the newest day (more only when that day holds no event).
// Secrets are looked up in parallel.
func (s *Store) auditHeads(ctx context.Context, bodies []eventBody) (map[secretID]auditItem, error) {
	var ids []secretID
	heads := map[secretID]auditItem{}
	seen := map[secretID]bool{}
	for _, b := range bodies {
		id := secretID{b.Namespace, b.Name}
		if b.Namespace == "" || b.Name == "" || seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
	}
	found := make([]auditItem, len(ids))
	ok := make([]bool, len(ids))
	err := forEach(ctx, s.obj().conc, len(ids), func(ctx context.Context, i int) error {
		var err error
		found[i], ok[i], err = s.auditHead(ctx, ids[i].ns, ids[i].name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the newest audit event: %w", err)
	}
	for i, id := range ids {
		if ok[i] {
			heads[id] = found[i]
		}
	}
	return heads, nil
}

// auditHead returns the newest entry (by time, then id) of the audit
// index of secret ns/name, and false when it has none.
func (s *Store) auditHead(ctx context.Context, ns, name string) (auditItem, bool, error) {
	base := auditSecretIndex(ns, name)
	dirs, err := s.obj().subdirs(ctx, base)
	if err != nil {
		return auditItem{}, false, err
	}
	var days []string
	for _, d := range dirs {
		if len(d) == 9 && d[0] == 'y' {
			if _, ok := dayStart(d[1:]); ok {
				days = append(days, d[1:])
			}
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(days)))
	for _, day := range days {
		dir := base + "y" + day + "/"
		var best auditItem
		found := false
		consider := func(key string) {
			it, ok := parseAuditKey(key)
			if ok && !it.Batch && strings.HasPrefix(key, dir) && (!found || it.Min > best.Min || it.Min == best.Min && it.ID > best.ID) {
				best, found = it, true
			}
		}
		keys, local, err := s.obj().localFiles(dir, []string{"e"})
		if err != nil {
			return auditItem{}, false, err
		}
		if local {
			for _, k := range keys {
				consider(k)
			}
		} else if err := s.obj().eachKey(ctx, dir, func(o *blob.ListObject) error {
			consider(o.Key)
			return nil
		}); err != nil {
			return auditItem{}, false, err
		}
		if found {
			return best, true, nil
		}
	}
	return auditItem{}, false, nil
}

// checkLinks reports the first gap among the links of the events a query
// returned: the event a returned event links to must be present unless an
// audit purge removed it. When the linked event lies in the part of the
// log the query read (its index, operations, window, and this page), it
// must have been read; otherwise a query of one secret's events checks
// that its entry exists (one request per such event, so at most one per
// event returned), and a query of a namespace or of the whole log leaves
// it to the queries that read it.
func (q *eventQuery) checkLinks(ctx context.Context) error {
	var last *Event
	if q.more && len(q.out) > 0 {
		last = &q.out[len(q.out)-1]
	}
	for i := range q.links {
		e := &q.links[i]
		if q.seen[e.Prev] {
			continue
		}
		covered := (q.ops == nil || q.ops[e.PrevOp]) && q.wanted(e.PrevTime, e.Prev) &&
			(last == nil || q.before(e.PrevTime, e.Prev, last.Time.UnixNano(), last.ID))
		if !covered {
			if q.index.name == "" {
				continue
			}
			exists, err := q.s.obj().bucket.Exists(ctx, auditEventKey(q.index.base, e.PrevTime, e.Prev, e.PrevOp))
			if err != nil {
				return fmt.Errorf("reading audit events: %w", err)
			}
			if exists {
				continue
			}
		}
		gone, err := q.s.withdrawn(ctx, e.Prev)
		if err != nil {
			return err
		}
		if gone {
			continue
		}
		purged, err := q.purgedBefore(ctx)
		if err != nil {
			return err
		}
		if e.PrevTime < purged {
			continue
		}
		return &AuditGapError{
			Namespace: e.Namespace, Name: e.Name,
			Missing: e.Prev, MissingTime: time.Unix(0, e.PrevTime).UTC(), Operation: e.PrevOp,
			Next: e.ID, NextTime: time.Unix(0, e.Time).UTC(),
		}
	}
	return nil
}

// purgeBody is an audit purge record as stored: every audit entry whose
// events are all older than Cutoff (unix ns) may have been deleted.
type purgeBody struct {
	Cutoff int64  `json:"cutoff"`
	ID     string `json:"id"`
}

// auditPurgeKey names the purge record of cutoff; the largest cutoff
// sorts first.
func auditPurgeKey(cutoff int64) string {
	return fmt.Sprintf("%sc%020d", prefixAuditPurge, uint64(math.MaxUint64)-uint64(cutoff))
}

func parseAuditPurgeKey(key string) (int64, bool) {
	rest, ok := strings.CutPrefix(key, prefixAuditPurge+"c")
	if !ok || len(rest) != 20 || !allDigits(rest) {
		return 0, false
	}
	u, err := strconv.ParseUint(rest, 10, 64)
	if err != nil || math.MaxUint64-u > math.MaxInt64 {
		return 0, false
	}
	return int64(math.MaxUint64 - u), true
}

// recordPurge writes the purge record of cutoff, before the entries are
// deleted, so that the links into the purged range are not gaps. A record
// of the same cutoff written before is kept.
func (s *Store) recordPurge(ctx context.Context, cutoff int64) error {
	s.mu.Lock()
	key := s.header.auditKey
	s.mu.Unlock()
	k := auditPurgeKey(cutoff)
	data, err := frameMAC(magicPurge, key, k, purgeBody{Cutoff: cutoff, ID: newID()})
	if err != nil {
		return err
	}
	if err := s.obj().commit(ctx, stage{Ops: []*writeOp{{Key: k, Data: data}}}); err != nil {
		return fmt.Errorf("recording the audit purge: %w", err)
	}
	return nil
}

// purgedBefore returns the cutoff of the newest authenticated purge
// record (0 when there is none), read once per query and only when a link
// is missing.
func (q *eventQuery) purgedBefore(ctx context.Context) (int64, error) {
	if q.purged == nil {
		cutoff, err := q.s.auditPurgeCutoff(ctx)
		if err != nil {
			return 0, err
		}
		q.purged = &cutoff
	}
	return *q.purged, nil
}

// auditPurgeCutoff returns the cutoff of the newest authenticated purge
// record, 0 when there is none: one LIST and one GET.
func (s *Store) auditPurgeCutoff(ctx context.Context) (int64, error) {
	k, found, err := s.firstKey(ctx, prefixAuditPurge, 10, func(k string) bool {
		_, ok := parseAuditPurgeKey(k)
		return ok
	})
	if err != nil {
		return 0, fmt.Errorf("reading audit purge records: %w", err)
	}
	if !found {
		return 0, nil
	}
	s.mu.Lock()
	key := s.header.auditKey
	s.mu.Unlock()
	want, _ := parseAuditPurgeKey(k)
	data, err := s.obj().get(ctx, k, maxObjectLen)
	if err != nil {
		return 0, fmt.Errorf("reading audit purge records: %w", err)
	}
	body, mac, err := unframe(magicPurge, data, true)
	if err == nil {
		err = verifyMAC(key, magicPurge, k, body, mac)
	}
	var pb purgeBody
	if err == nil {
		err = decodeJSON(body, &pb)
	}
	if err == nil && pb.Cutoff != want {
		err = fmt.Errorf("it names cutoff %d: %w", pb.Cutoff, ErrIntegrity)
	}
	if err != nil {
		return 0, fmt.Errorf("audit purge record %s: %w", k, err)
	}
	return pb.Cutoff, nil
}

// withdrawnBody is an audit event withdrawal record as stored: the event
// ID described a change that did not happen and was deleted.
type withdrawnBody struct {
	ID string `json:"id"`
}

func auditWithdrawnKey(id string) string { return prefixAuditWithdrawn + id }

// recordWithdrawn writes the withdrawal records of the events ids (see
// withdraw), create-only; a record written before is kept.
func (s *Store) recordWithdrawn(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	s.mu.Lock()
	key := s.header.auditKey
	s.mu.Unlock()
	ops := make([]*writeOp, 0, len(ids))
	for _, id := range ids {
		k := auditWithdrawnKey(id)
		data, err := frameMAC(magicWithdrawn, key, k, withdrawnBody{ID: id})
		if err != nil {
			return err
		}
		ops = append(ops, &writeOp{Key: k, Data: data})
	}
	if err := s.obj().commit(ctx, stage{Ops: ops}); err != nil {
		return fmt.Errorf("recording withdrawn audit events: %w", err)
	}
	return nil
}

// withdrawn reports whether event id has an authenticated withdrawal
// record: one GET, made only when a link to the event is missing.
func (s *Store) withdrawn(ctx context.Context, id string) (bool, error) {
	k := auditWithdrawnKey(id)
	data, err := s.obj().getUnlisted(ctx, k, maxObjectLen)
	if errors.Is(err, errObjectNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading audit withdrawal records: %w", err)
	}
	s.mu.Lock()
	key := s.header.auditKey
	s.mu.Unlock()
	body, mac, err := unframe(magicWithdrawn, data, true)
	if err == nil {
		err = verifyMAC(key, magicWithdrawn, k, body, mac)
	}
	var wb withdrawnBody
	if err == nil {
		err = decodeJSON(body, &wb)
	}
	if err == nil && wb.ID != id {
		err = fmt.Errorf("it names event %s: %w", wb.ID, ErrIntegrity)
	}
	if err != nil {
		return false, fmt.Errorf("audit withdrawal record %s: %w", k, err)
	}
	return true, nil
}
