// SPDX-License-Identifier: MPL-2.0

package backend

// The audit log. Every mutation appends one event per change, written
// BEFORE the change it describes (write-ahead) in the same commit: the
// event's objects are durable before the change becomes visible, and if
// they cannot be written the change is not attempted (fail closed). So
// every change that happened has its event. The converse is weaker: an
// event is the record of an intended change. When the audit write fails
// part way, or a single write then loses a create-only race, the events
// already written are withdrawn (best effort); an event can still
// outlive its change when the process dies between the two, or (for a
// rotation, whose events are batched) when a concurrent writer takes the
// revision first, in which case the revision holds the other writer's
// change and has that writer's event too.
//
// Storage. Each event is stored in up to three places, so that a query by
// secret, by namespace or by operation lists only matching entries:
//
//	v1/a/s/<ns>/<name>/y<day>/e<time>_<id>_<op>      one event per object
//	v1/a/n/<ns>/y<day>/<op>/b<min>_<max>_<n>_<id>    a batch of one write's
//	v1/a/o/y<day>/<op>/b<min>_<max>_<n>_<id>         events, per directory
//
// A write (a Put, or a chunk of a Rotate) stores its events of one
// namespace, day and operation in a single batch object, so rotating a
// thousand secrets writes a thousand per-secret objects but only a handful
// of batches. Every index entry carries the full event, so returning an
// event costs no second read. The key of an entry carries its operation
// and time bounds, so ListEvents skips what the filter excludes without
// reading it.
//
// A query reads the most selective index: the secret's when a name is
// given, else the namespace's when a namespace is given, else the global
// one; an operation filter then lists only those operations' directories.
// gocloud.dev/blob lists keys in ascending order and has no "start after",
// so Since, Until and the page cursor select day directories (y<yyyymmdd>,
// UTC) first: one delimiter LIST finds the days (none for a range of at
// most maxEnumeratedDays), then each day touched is listed and its entries
// are read lazily in time order (a merge over the entries' [min, max]
// bounds), ascending or descending. Inside a day, the part the query wants
// (window and cursor) narrows the listing: entry keys start with their
// (first) time in fixed-width decimal, so that part is matched by at most
// maxCoverPrefixes key prefixes per entry directory (timeCover), and a
// batch, whose events lie within maxBatchSpan, is found by its first time.
// Without an operation filter, one delimiter LIST finds the day's
// operation directories first. A query therefore costs one LIST for the
// days, for each day touched one LIST per prefix of each matching
// directory (a whole day: one LIST per directory) plus pages of 1,000
// keys, and one GET per entry returned; the keys listed are those of the
// window plus a margin of the same order. A day directory never holds an
// event of another day (batches are split by minute, hence by day), so
// days are independent.
//
// Integrity. Each event carries an HMAC-SHA256 under the audit key (derived
// from the store secret) over its canonical encoding; ListEvents also
// checks that an event matches the key and partition it was found under.
// A forged, altered, or moved event is an ErrIntegrity error that names the
// event; it is never returned as genuine.

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

const (
	maxBatchEvents = 1000
	eventMACLabel  = "secretstore/audit-event/v1"
	// maxEnumeratedDays bounds the Since..Until ranges whose days a query
	// visits directly instead of listing the day directories.
	maxEnumeratedDays = 7
	// maxBatchSpan: a batch never holds events of two minutes (slots of
	// maxBatchSpan since the epoch), so its first and last event are less
	// than maxBatchSpan apart. A time window then finds every batch that
	// can hold one of its events by the batch's first time alone.
	maxBatchSpan = int64(time.Minute)
	// maxCoverPrefixes bounds the key prefixes (LISTs per entry
	// directory) a time window inside a day is narrowed to.
	maxCoverPrefixes = 6
)

// eventBody is an event as stored.
type eventBody struct {
	ID         string            `json:"id"`
	Time       int64             `json:"time"`
	Operation  string            `json:"op"`
	Namespace  string            `json:"namespace,omitempty"`
	Name       string            `json:"name,omitempty"`
	Revision   int64             `json:"revision,omitempty"`
	KeyVersion int               `json:"key_version,omitempty"`
	Actor      string            `json:"actor"`
	Reason     string            `json:"reason,omitempty"`
	Metadata   map[string]string `json:"metadata,omitempty"`
	MAC        string            `json:"mac"`
}

type batchBody struct {
	Events []eventBody `json:"events"`
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// eventMAC is the HMAC of an event's canonical encoding.
func eventMAC(key []byte, e *eventBody) []byte {
	return envelope.MAC(key, envelope.AAD(eventMACParts(e)...))
}

func (e *eventBody) event() Event {
	ev := Event{
		ID: e.ID, Time: time.Unix(0, e.Time).UTC(), Operation: e.Operation, Namespace: e.Namespace,
		Name: e.Name, Revision: e.Revision, KeyVersion: e.KeyVersion, Actor: e.Actor, Reason: e.Reason,
	}
	if len(e.Metadata) > 0 {
		ev.Metadata = maps.Clone(e.Metadata)
	}
	return ev
}

// auditOps turns events into the create-only writes that store them,
// filling in ID, Time and Actor.
func (s *Store) auditOps(events []Event) ([]*writeOp, error) {
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
		b.MAC = hex.EncodeToString(eventMAC(key, &b))
		bodies[i] = b
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
			data, err := frame(magicBatch, batchBody{Events: chunk})
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
	ops, err := s.auditOps(events)
	if err != nil {
		return err
	}
	if err := s.commitAudited(ctx, ops); err != nil {
		return fmt.Errorf("writing audit events: %w", err)
	}
	return nil
}

// RecordRead appends a read event for an audited read of s's revision.
func (s *Store) RecordRead(ctx context.Context, sec Secret) error {
	if err := validateSecretID(sec.Namespace, sec.Name); err != nil {
		return err
	}
	return s.appendEvents(ctx, []Event{{
		Operation: OpRead, Namespace: sec.Namespace, Name: sec.Name,
		Revision: sec.Revision, KeyVersion: sec.KeyVersion,
	}})
}

// auditIndex is the index directory a query reads.
type auditIndex struct {
	base string // holds the day directories
	// batches: day directories hold one directory of batches per
	// operation (namespace and global indexes); otherwise single events.
	batches bool
	// ns and name are what every event under base must name.
	ns, name string
}

// eventCursor is the decoded EventPage.NextPageToken.
type eventCursor struct {
	Filter string `json:"f"`
	Time   int64  `json:"t"`
	ID     string `json:"i"`
}

// ListEvents returns audit events matching f, ordered by time (ascending,
// or descending when f.Descending), ties broken by event id. See the
// package comment above for the cost of a query. A tampered or forged
// event is an error wrapping ErrIntegrity that names it.
func (s *Store) ListEvents(ctx context.Context, f EventFilter) (EventPage, error) {
	q, err := s.newEventQuery(f)
	if err != nil {
		return EventPage{}, err
	}
	return q.run(ctx)
}

type eventQuery struct {
	s          *Store
	f          EventFilter
	ops        map[string]bool // nil: every operation
	opList     []string        // the filter's operations, sorted
	index      auditIndex
	limit      int
	since      int64 // inclusive; 0 none
	until      int64 // exclusive; 0 none
	cursor     *eventCursor
	fingerpr   string
	key        []byte
	seen       map[string]bool
	out        []Event
	more       bool
	itemsRead  int
	keysListed int
}

func (s *Store) newEventQuery(f EventFilter) (*eventQuery, error) {
	q := &eventQuery{s: s, f: f, limit: f.Limit, seen: map[string]bool{}}
	if f.Name != "" && f.Namespace == "" {
		return nil, invalid("name", "filters by secret and requires a namespace")
	}
	if f.Namespace != "" {
		if err := ValidateNamespace(f.Namespace); err != nil {
			return nil, err
		}
	}
	if f.Name != "" {
		if err := ValidateName(f.Name); err != nil {
			return nil, err
		}
	}
	if q.limit == 0 {
		q.limit = 100
	}
	if q.limit < 0 || q.limit > MaxEventLimit {
		return nil, invalid("limit", "is %d; give 1 to %d (0 means 100)", f.Limit, MaxEventLimit)
	}
	if len(f.Operations) > 0 {
		q.ops = map[string]bool{}
		for _, op := range f.Operations {
			if !isOperation(op) {
				return nil, invalid("operations", "%q is not an operation; operations are %s", op, strings.Join(operations, ", "))
			}
			q.ops[op] = true
		}
		q.opList = slices.Sorted(maps.Keys(q.ops))
	}
	if !f.Since.IsZero() {
		q.since = f.Since.UnixNano()
	}
	if !f.Until.IsZero() {
		q.until = f.Until.UnixNano()
	}
	if q.since != 0 && q.until != 0 && q.until <= q.since {
		return nil, invalid("until", "%s is not after since %s", f.Until.UTC().Format(time.RFC3339Nano), f.Since.UTC().Format(time.RFC3339Nano))
	}
	switch {
	case f.Name != "":
		q.index = auditIndex{base: auditSecretIndex(f.Namespace, f.Name), ns: f.Namespace, name: f.Name}
	case f.Namespace != "":
		q.index = auditIndex{base: auditNamespaceIndex(f.Namespace), batches: true, ns: f.Namespace}
	default:
		q.index = auditIndex{base: prefixAuditO, batches: true}
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%q|%q|%q|%d|%d|%t", f.Namespace, f.Name, q.opList, q.since, q.until, f.Descending)))
	q.fingerpr = hex.EncodeToString(sum[:8])
	if f.PageToken != "" {
		c, err := decodeEventCursor(f.PageToken)
		if err != nil || c.Filter != q.fingerpr || !validID(c.ID) {
			return nil, invalid("page_token", "is not a token returned by ListEvents for this filter and order")
		}
		q.cursor = &c
	}
	s.mu.Lock()
	q.key = s.header.auditKey
	s.mu.Unlock()
	return q, nil
}

func decodeEventCursor(tok string) (eventCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return eventCursor{}, err
	}
	var c eventCursor
	err = json.Unmarshal(b, &c)
	return c, err
}

// before reports whether event a comes before b in the query's order.
func (q *eventQuery) before(at int64, aid string, bt int64, bid string) bool {
	if q.f.Descending {
		return at > bt || at == bt && aid > bid
	}
	return at < bt || at == bt && aid < bid
}

// wanted applies the time range and the cursor to an event time and id.
func (q *eventQuery) wanted(t int64, id string) bool {
	if q.since != 0 && t < q.since || q.until != 0 && t >= q.until {
		return false
	}
	return q.cursor == nil || q.before(q.cursor.Time, q.cursor.ID, t, id)
}

func (q *eventQuery) run(ctx context.Context) (EventPage, error) {
	days, err := q.days(ctx)
	if err != nil {
		return EventPage{}, err
	}
	for _, d := range days {
		if err := q.day(ctx, d); err != nil {
			return EventPage{}, err
		}
		if q.more {
			break
		}
	}
	page := EventPage{Events: q.out}
	if q.more && len(q.out) > 0 {
		last := q.out[len(q.out)-1]
		b, _ := json.Marshal(eventCursor{Filter: q.fingerpr, Time: last.Time.UnixNano(), ID: last.ID})
		page.NextPageToken = base64.RawURLEncoding.EncodeToString(b)
	}
	return page, nil
}

// days lists the index's day directories that can hold a wanted event,
// in query order.
func (q *eventQuery) days(ctx context.Context) ([]string, error) {
	lo, hi := "", "99999999"
	if q.since != 0 {
		lo = dayOf(q.since)
	}
	if q.until != 0 {
		hi = dayOf(q.until - 1)
	}
	if q.cursor != nil {
		if q.f.Descending {
			hi = min(hi, dayOf(q.cursor.Time))
		} else {
			lo = max(lo, dayOf(q.cursor.Time))
		}
	}
	var out []string
	if q.since != 0 && q.until != 0 && q.until-q.since <= int64(maxEnumeratedDays*24*time.Hour) {
		// A short bounded range: visit its days without listing them
		// (an empty day costs one LIST that finds nothing).
		for t := time.Unix(0, q.since).UTC(); ; t = t.AddDate(0, 0, 1) {
			day := t.Format("20060102")
			if day > hi {
				break
			}
			if day >= lo {
				out = append(out, day)
			}
		}
	} else {
		dirs, err := q.s.obj.subdirs(ctx, q.index.base)
		if err != nil {
			return nil, fmt.Errorf("reading audit events: %w", err)
		}
		for _, d := range dirs {
			if len(d) != 9 || d[0] != 'y' {
				continue
			}
			if day := d[1:]; day >= lo && day <= hi {
				if _, ok := dayStart(day); ok {
					out = append(out, day)
				}
			}
		}
		sort.Strings(out)
	}
	if q.f.Descending {
		slices.Reverse(out)
	}
	return out, nil
}

// day merges the entries of one day directory: every event of the query's
// order that falls in it, until the page is full.
func (q *eventQuery) day(ctx context.Context, day string) error {
	dir := q.index.base + "y" + day + "/"
	dirs, names, err := q.dayPrefixes(ctx, day, dir)
	if err != nil {
		return err
	}
	var items []auditItem
	consider := func(key string) {
		q.keysListed++
		it, ok := parseAuditKey(key)
		if !ok || it.Batch != q.index.batches || !strings.HasPrefix(key, dir) {
			return
		}
		if q.ops != nil && !q.ops[it.Op] {
			return
		}
		if q.since != 0 && it.Max < q.since || q.until != 0 && it.Min >= q.until {
			return
		}
		if q.cursor != nil && (q.f.Descending && it.Min > q.cursor.Time || !q.f.Descending && it.Max < q.cursor.Time) {
			return
		}
		if it.Count == 1 && !q.wanted(it.Min, it.ID) {
			return
		}
		items = append(items, it)
	}
	var prefixes []string
	for _, d := range dirs {
		if names == nil {
			prefixes = append(prefixes, d)
			continue
		}
		// On a local store one read of the directory serves every prefix
		// (fileblob would read the whole directory once per prefix).
		keys, ok, err := q.s.obj.localFiles(d, names)
		if err != nil {
			return fmt.Errorf("reading audit events: %w", err)
		}
		if ok {
			for _, k := range keys {
				consider(k)
			}
			continue
		}
		for _, n := range names {
			prefixes = append(prefixes, d+n)
		}
	}
	for _, prefix := range prefixes {
		var token []byte
		for {
			objs, next, err := q.s.obj.listPage(ctx, prefix, "", token, 1000)
			if err != nil {
				return fmt.Errorf("reading audit events: %w", err)
			}
			for _, o := range objs {
				consider(o.Key)
			}
			if len(next) == 0 {
				break
			}
			token = next
		}
	}
	// Read entries lazily in order of the bound that can come first.
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
		e := heap.Pop(h).(eventBody)
		if len(q.out) == q.limit {
			q.more = true
			return nil
		}
		q.out = append(q.out, e.event())
	}
}

// dayPrefixes returns what to list in the day directory dir: the
// directory (or its operation directories) and nil names when the query
// wants the whole day, else the entry directories and, within each, the
// name prefixes of the entries whose first time can fall in the part of
// the day the query wants (time window and cursor), found by timeCover.
func (q *eventQuery) dayPrefixes(ctx context.Context, day, dir string) (dirs, names []string, err error) {
	start, _ := dayStart(day)
	end := start + int64(24*time.Hour)
	lo, hi := max(start, q.since), end
	if q.until != 0 {
		hi = min(hi, q.until)
	}
	if q.cursor != nil {
		if q.f.Descending {
			hi = min(hi, q.cursor.Time+1)
		} else {
			lo = max(lo, q.cursor.Time)
		}
	}
	if lo >= hi {
		return nil, nil, nil
	}
	entry := "e"
	if q.index.batches {
		// A batch holding an event at lo starts after lo-maxBatchSpan.
		entry = "b"
		lo = max(start, lo-maxBatchSpan+1)
	}
	whole := lo == start && hi == end
	dirs = []string{dir}
	switch {
	case !q.index.batches:
	case q.ops != nil:
		dirs = dirs[:0]
		for _, op := range q.opList {
			dirs = append(dirs, dir+op+"/")
		}
	case !whole:
		subs, err := q.s.obj.subdirs(ctx, dir)
		if err != nil {
			return nil, nil, fmt.Errorf("reading audit events: %w", err)
		}
		dirs = dirs[:0]
		for _, op := range subs {
			if isOperation(op) {
				dirs = append(dirs, dir+op+"/")
			}
		}
	}
	if whole {
		return dirs, nil, nil
	}
	for _, c := range timeCover(lo, hi, maxCoverPrefixes) {
		names = append(names, entry+c)
	}
	return dirs, names, nil
}

// timeCover returns at most limit prefixes of 20-digit decimal times
// ("%020d", as in audit keys) that together match every time in [lo, hi),
// 0 <= lo < hi. It is the exact decimal range cover when that needs no
// more than limit prefixes, else the exact cover of [lo, hi) widened to
// multiples of the smallest power of ten that brings it within limit; so
// it matches at most the range plus a bounded margin on each side (less
// than a few times the range itself, for limit >= 4).
func timeCover(lo, hi int64, limit int) []string {
	u := uint64(1)
	for width := 20; width > 0; width-- {
		a, b := uint64(lo)/u, uint64(hi)/u
		if uint64(hi)%u != 0 {
			b++
		}
		if c := digitCover(a, b, width); len(c) <= limit {
			return c
		}
		if width > 1 {
			u *= 10
		}
	}
	return []string{""}
}

// digitCover returns the shortest list, in ascending order, of decimal
// prefixes of width-digit numbers that match exactly the numbers in [a, b).
func digitCover(a, b uint64, width int) []string {
	var left, right []string
	for a < b {
		if width == 0 {
			left = append(left, "")
			break
		}
		na, nb := (a+9)/10, b/10
		if na >= nb {
			for x := a; x < b; x++ {
				left = append(left, fmt.Sprintf("%0*d", width, x))
			}
			break
		}
		for x := a; x < na*10; x++ {
			left = append(left, fmt.Sprintf("%0*d", width, x))
		}
		var r []string
		for x := nb * 10; x < b; x++ {
			r = append(r, fmt.Sprintf("%0*d", width, x))
		}
		right = append(r, right...)
		a, b, width = na, nb, width-1
	}
	return append(left, right...)
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
	data, err := q.s.obj.get(ctx, it.Key, maxObjectLen)
	if errors.Is(err, errObjectNotFound) {
		return nil // purged by a concurrent cleanup
	}
	if err != nil {
		return fmt.Errorf("reading audit events: %w", err)
	}
	var events []eventBody
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
		events = bb.Events
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
	for _, e := range events {
		if err := q.check(&e, it); err != nil {
			return err
		}
		if q.seen[e.ID] || (q.ops != nil && !q.ops[e.Operation]) || !q.wanted(e.Time, e.ID) {
			continue
		}
		q.seen[e.ID] = true
		heap.Push(h, e)
	}
	return nil
}

// decodeAudit unframes an audit object, which carries its MACs inside the
// body, and decodes the body into v. An unknown format version is reported
// as tampering (ErrIntegrity, not ErrUnsupportedFormat) like any other
// damage, so that a damaged event is never mistaken for a store written by
// a newer build.
func decodeAudit(magic string, data []byte, v any) error {
	body, _, err := unframe(magic, data, false)
	if errors.Is(err, ErrUnsupportedFormat) {
		return fmt.Errorf("object format version %d (this build knows %d): %w", data[len(magic)], objectFormat, ErrIntegrity)
	}
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

// check authenticates an event and matches it against where it was found.
func (q *eventQuery) check(e *eventBody, it auditItem) error {
	name := e.ID
	if !validID(name) {
		name = strconv.Quote(e.ID)
	}
	mac, err := hex.DecodeString(e.MAC)
	if err != nil || !envelope.VerifyMAC(q.key, envelope.AAD(eventMACParts(e)...), mac) {
		return fmt.Errorf("audit event %s does not verify (forged or altered): %w", name, ErrIntegrity)
	}
	ix := q.index
	switch {
	case !validID(e.ID):
		return fmt.Errorf("audit event %s has a malformed id: %w", name, ErrIntegrity)
	case e.Time < it.Min || e.Time > it.Max:
		return fmt.Errorf("audit event %s has a time outside its entry's range: %w", name, ErrIntegrity)
	case ix.ns != "" && e.Namespace != ix.ns, ix.name != "" && e.Name != ix.name, e.Operation != it.Op:
		return fmt.Errorf("audit event %s was moved to another secret, namespace or operation index: %w", name, ErrIntegrity)
	}
	return nil
}

// eventMACParts is the canonical encoding eventMAC authenticates.
func eventMACParts(e *eventBody) [][]byte {
	parts := [][]byte{
		[]byte(eventMACLabel), []byte(e.ID), u64(uint64(e.Time)), []byte(e.Operation),
		[]byte(e.Namespace), []byte(e.Name), u64(uint64(e.Revision)), u64(uint64(e.KeyVersion)),
		[]byte(e.Actor), []byte(e.Reason), u64(uint64(len(e.Metadata))),
	}
	for _, k := range slices.Sorted(maps.Keys(e.Metadata)) {
		parts = append(parts, []byte(k), []byte(e.Metadata[k]))
	}
	return parts
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
func (h *eventHeap) Push(x any)    { h.evs = append(h.evs, x.(eventBody)) }
func (h *eventHeap) Pop() any {
	n := len(h.evs)
	e := h.evs[n-1]
	h.evs = h.evs[:n-1]
	return e
}
