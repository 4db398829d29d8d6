package backend

import (
	"maps"
	"time"
)

// Limits of the audit log (see Audit log in the package documentation).
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
