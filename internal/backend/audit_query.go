// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"gocloud.dev/blob"
)

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
	if err := s.enter(); err != nil {
		return EventPage{}, err
	}
	defer s.leave()
	if err := s.prepareRead(ctx); err != nil {
		return EventPage{}, err
	}
	q, err := s.newEventQuery(f)
	if err != nil || !s.created() {
		return EventPage{}, err // a store that does not exist holds no event
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
	since      int64 // inclusive, when hasSince
	until      int64 // exclusive, when hasUntil
	hasSince   bool
	hasUntil   bool
	cursor     *eventCursor
	fingerpr   string
	key        []byte
	seen       map[string]bool
	out        []Event
	links      []eventBody // returned events of format 2 with a link, in order
	purged     *int64      // cutoff of the newest purge record, once read
	more       bool
	itemsRead  int
	keysListed int
}

func (s *Store) newEventQuery(f EventFilter) (*eventQuery, error) {
	q := &eventQuery{s: s, f: f, limit: f.Limit, seen: map[string]bool{}}
	if f.Name != "" && f.Namespace == "" {
		return nil, invalid(FieldName, "filters by secret and requires a namespace")
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
		return nil, invalid(FieldLimit, "is %d; give 1 to %d (0 means 100)", f.Limit, MaxEventLimit)
	}
	if len(f.Operations) > 0 {
		q.ops = map[string]bool{}
		for _, op := range f.Operations {
			if !isOperation(op) {
				return nil, invalid(FieldOperations, "%q is not an operation; operations are %s", op, strings.Join(Operations, ", "))
			}
			q.ops[op] = true
		}
		q.opList = slices.Sorted(maps.Keys(q.ops))
	}
	if !f.Since.IsZero() {
		if err := CheckEventTime(FieldSince, f.Since); err != nil {
			return nil, err
		}
		q.since, q.hasSince = f.Since.UnixNano(), true
	}
	if !f.Until.IsZero() {
		if err := CheckEventTime(FieldUntil, f.Until); err != nil {
			return nil, err
		}
		q.until, q.hasUntil = f.Until.UnixNano(), true
	}
	if q.hasSince && q.hasUntil && q.until <= q.since {
		return nil, invalid(FieldUntil, "%s is not after since %s", f.Until.UTC().Format(time.RFC3339Nano), f.Since.UTC().Format(time.RFC3339Nano))
	}
	switch {
	case f.Name != "":
		q.index = auditIndex{base: auditSecretIndex(f.Namespace, f.Name), ns: f.Namespace, name: f.Name}
	case f.Namespace != "":
		q.index = auditIndex{base: auditNamespaceIndex(f.Namespace), batches: true, ns: f.Namespace}
	default:
		q.index = auditIndex{base: prefixAuditO, batches: true}
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%q|%q|%q|%d|%d|%t|%t|%t", f.Namespace, f.Name, q.opList, q.since, q.until, f.Descending, q.hasSince, q.hasUntil)))
	q.fingerpr = hex.EncodeToString(sum[:8])
	if f.PageToken != "" {
		c, err := decodeEventCursor(f.PageToken)
		if err != nil || c.Filter != q.fingerpr || !validID(c.ID) {
			return nil, invalid(FieldPageToken, "is not a token returned by ListEvents for this filter and order")
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

// wanted applies the time range and the cursor to an event time and id.
func (q *eventQuery) wanted(t int64, id string) bool {
	if q.hasSince && t < q.since || q.hasUntil && t >= q.until {
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
	if err := q.checkLinks(ctx); err != nil {
		return EventPage{}, err
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
	if q.hasSince {
		lo = dayOf(q.since)
	}
	if q.hasUntil {
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
	if q.hasSince && q.hasUntil && q.until-q.since <= int64(maxEnumeratedDays*24*time.Hour) {
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
		dirs, err := q.s.obj().subdirs(ctx, q.index.base)
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

// dayEntries lists the entries of the day directory of day that may hold
// a wanted event (see dayPrefixes), judged by their keys alone.
func (q *eventQuery) dayEntries(ctx context.Context, day string) ([]auditItem, error) {
	dir := q.index.base + "y" + day + "/"
	dirs, names, err := q.dayPrefixes(ctx, day, dir)
	if err != nil {
		return nil, err
	}
	var items []auditItem
	consider := func(key string) {
		q.keysListed++
		if it, ok := q.candidate(key, dir); ok {
			items = append(items, it)
		}
	}
	var prefixes []string
	for _, d := range dirs {
		if names == nil {
			prefixes = append(prefixes, d)
			continue
		}
		// On a local store one read of the directory serves every prefix
		// (fileblob would read the whole directory once per prefix).
		keys, ok, err := q.s.obj().localFiles(d, names)
		if err != nil {
			return nil, fmt.Errorf("reading audit events: %w", err)
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
		err := q.s.obj().eachKey(ctx, prefix, func(o *blob.ListObject) error {
			consider(o.Key)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("reading audit events: %w", err)
		}
	}
	return items, nil
}

// candidate parses the key of an entry listed in the day directory dir and
// reports whether the entry may hold a wanted event: it is of the query's
// index and operations, and its time bounds meet the window and cursor.
func (q *eventQuery) candidate(key, dir string) (auditItem, bool) {
	it, ok := parseAuditKey(key)
	switch {
	case !ok || it.Batch != q.index.batches || !strings.HasPrefix(key, dir):
		return it, false
	case q.ops != nil && !q.ops[it.Op]:
		return it, false
	case q.hasSince && it.Max < q.since || q.hasUntil && it.Min >= q.until:
		return it, false
	case q.cursor != nil && (q.f.Descending && it.Min > q.cursor.Time || !q.f.Descending && it.Max < q.cursor.Time):
		return it, false
	case it.Count == 1 && !q.wanted(it.Min, it.ID):
		return it, false
	}
	return it, true
}

// dayPrefixes returns what to list in the day directory dir: the
// directory (or its operation directories) and nil names when the query
// wants the whole day, else the entry directories and, within each, the
// name prefixes of the entries whose first time can fall in the part of
// the day the query wants (time window and cursor), found by timeCover.
func (q *eventQuery) dayPrefixes(ctx context.Context, day, dir string) (dirs, names []string, err error) {
	start, _ := dayStart(day)
	end := start + int64(24*time.Hour)
	lo, hi := start, end
	if q.hasSince {
		lo = max(lo, q.since)
	}
	if q.hasUntil {
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
		subs, err := q.s.obj().subdirs(ctx, dir)
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
