// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"maps"
	"time"
)

// Limits of the audit log (see Audit log in the package documentation).
const (
	maxBatchEvents = 1000
	eventMACLabel  = "secretstore/audit-event/v1"
	// eventMACLabelV2 and batchMACLabel are those of event format 2
	// (see Audit chain in the package documentation).
	eventMACLabelV2 = "secretstore/audit-event/v2"
	batchMACLabel   = "secretstore/audit-batch/v2"
	// eventFormat is the event format this build writes.
	eventFormat = 2
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
	// V is the event format: 0 (format 1, written without the field) or
	// 2. Only format 2 has the links below, all covered by the MAC.
	V int `json:"v,omitempty"`
	// Prev, PrevTime and PrevOp name the event of the same secret that
	// was the newest when this one was written (its id, time and
	// operation, so its entry key is known); empty for the first event
	// of a secret and for events that concern no secret.
	Prev     string `json:"prev,omitempty"`
	PrevTime int64  `json:"prev_t,omitempty"`
	PrevOp   string `json:"prev_op,omitempty"`
	MAC      string `json:"mac"`
}

// batchBody is a batch as stored. A batch of format 2 (V 2) holds events
// of format 2 only and carries a MAC over its index, operation, event
// count and the ids and MACs of its events in order.
type batchBody struct {
	V      int         `json:"v,omitempty"`
	Events []eventBody `json:"events"`
	MAC    string      `json:"mac,omitempty"`
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
