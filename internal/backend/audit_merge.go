// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sort"
)

// before reports whether event a comes before b in the query's order.
func (q *eventQuery) before(at int64, aid string, bt int64, bid string) bool {
	if q.f.Descending {
		return at > bt || at == bt && aid > bid
	}
	return at < bt || at == bt && aid < bid
}

// day merges the entries of one day directory: every event of the query's
// order that falls in it, until the page is full.
func (q *eventQuery) day(ctx context.Context, day string) error {
	items, err := q.dayEntries(ctx, day)
	if err != nil {
		return err
	}
	return q.merge(ctx, items)
}

// merge reads entries lazily, in order of the bound that can come first,
// and appends their wanted events to the page in query order until it is
// full: an entry is read only once it may hold the next event.
func (q *eventQuery) merge(ctx context.Context, items []auditItem) error {
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if q.f.Descending {
			return q.before(a.Max, a.ID, b.Max, b.ID)
		}
		return q.before(a.Min, a.ID, b.Min, b.ID)
	})
	h := &eventHeap{q: q}
	next := 0
	for {
		for next < len(items) && (h.Len() == 0 || q.mayPrecede(items[next], h.evs[0])) {
			if err := q.load(ctx, items[next], h); err != nil {
				return err
			}
			next++
		}
		if h.Len() == 0 {
			return nil
		}
		e := heap.Pop(h).(eventBody) //nolint:forcetypeassert // the heap holds eventBody values only
		if len(q.out) == q.limit {
			q.more = true
			return nil
		}
		q.out = append(q.out, e.event())
		if e.Prev != "" {
			q.links = append(q.links, e)
		}
	}
}

// mayPrecede reports whether an unread entry may hold an event that comes
// before e. An entry of one event is placed exactly by its time and id.
func (q *eventQuery) mayPrecede(it auditItem, e eventBody) bool {
	if it.Count == 1 {
		return q.before(it.Min, it.ID, e.Time, e.ID)
	}
	if q.f.Descending {
		return it.Max >= e.Time
	}
	return it.Min <= e.Time
}

// load reads one entry, authenticates its events and pushes the wanted ones.
func (q *eventQuery) load(ctx context.Context, it auditItem, h *eventHeap) error {
	q.itemsRead++
	data, err := q.s.obj().get(ctx, it.Key, maxObjectLen)
	if errors.Is(err, errObjectNotFound) {
		return nil // purged by a concurrent cleanup
	}
	if err != nil {
		return fmt.Errorf("reading audit events: %w", err)
	}
	var events []eventBody
	var batchV int
	var batchMACHex string
	if it.Batch {
		var bb batchBody
		if err := decodeAudit(magicBatch, data, &bb); err != nil {
			return fmt.Errorf("audit batch %s: %w", it.ID, err)
		}
		if len(bb.Events) != it.Count {
			return fmt.Errorf("audit batch %s holds %d events, its key says %d: %w", it.ID, len(bb.Events), it.Count, ErrIntegrity)
		}
		if it.Count == 1 && bb.Events[0].ID != it.ID {
			return fmt.Errorf("audit event %s is stored under the key of event %s: %w", bb.Events[0].ID, it.ID, ErrIntegrity)
		}
		events, batchV, batchMACHex = bb.Events, bb.V, bb.MAC
	} else {
		var e eventBody
		if err := decodeAudit(magicEvent, data, &e); err != nil {
			return fmt.Errorf("audit event %s: %w", it.ID, err)
		}
		if e.ID != it.ID || e.Operation != it.Op {
			return fmt.Errorf("audit event %s is stored under the key of event %s (%s): %w", e.ID, it.ID, it.Op, ErrIntegrity)
		}
		events = []eventBody{e}
	}
	for i := range events {
		if err := q.check(&events[i], it); err != nil {
			return err
		}
	}
	if it.Batch {
		if err := q.checkBatch(&batchBody{V: batchV, Events: events, MAC: batchMACHex}, it); err != nil {
			return err
		}
	}
	for _, e := range events {
		if q.seen[e.ID] || (q.ops != nil && !q.ops[e.Operation]) || !q.wanted(e.Time, e.ID) {
			continue
		}
		q.seen[e.ID] = true
		heap.Push(h, e)
	}
	return nil
}

// eventHeap orders loaded events in query order.
type eventHeap struct {
	q   *eventQuery
	evs []eventBody
}

func (h *eventHeap) Len() int { return len(h.evs) }

func (h *eventHeap) Less(i, j int) bool {
	return h.q.before(h.evs[i].Time, h.evs[i].ID, h.evs[j].Time, h.evs[j].ID)
}

func (h *eventHeap) Swap(i, j int) { h.evs[i], h.evs[j] = h.evs[j], h.evs[i] }

func (h *eventHeap) Push(x any) { h.evs = append(h.evs, x.(eventBody)) } //nolint:forcetypeassert // container/heap passes back what Pop callers push: eventBody

func (h *eventHeap) Pop() any {
	n := len(h.evs)
	e := h.evs[n-1]
	h.evs = h.evs[:n-1]
	return e
}
