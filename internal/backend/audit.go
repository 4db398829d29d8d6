package backend

import (
	"maps"
	"time"
)

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
