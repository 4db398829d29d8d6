// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// eventMAC is the HMAC of an event's canonical encoding.
func eventMAC(key []byte, e *eventBody) []byte {
	return envelope.MAC(key, envelope.AAD(eventMACParts(e)...))
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
	switch {
	case e.V != 0 && e.V != eventFormat:
		return fmt.Errorf("audit event %s has format %d (this build knows 1 and %d): %w", name, e.V, eventFormat, ErrIntegrity)
	case e.V == 0 && (e.Prev != "" || e.PrevTime != 0 || e.PrevOp != ""):
		return fmt.Errorf("audit event %s of format 1 carries a link: %w", name, ErrIntegrity)
	case e.Prev != "" && (!validID(e.Prev) || e.PrevTime < 0 || !isOperation(e.PrevOp) || e.Name == ""),
		e.Prev == "" && (e.PrevTime != 0 || e.PrevOp != ""):
		return fmt.Errorf("audit event %s has a malformed link: %w", name, ErrIntegrity)
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

// eventMACParts is the canonical encoding eventMAC authenticates. Format
// 2 has its own label and ends with the link to the previous event.
func eventMACParts(e *eventBody) [][]byte {
	label := eventMACLabel
	if e.V != 0 {
		label = eventMACLabelV2
	}
	parts := [][]byte{
		[]byte(label), []byte(e.ID), u64(uint64(e.Time)), []byte(e.Operation),
		[]byte(e.Namespace), []byte(e.Name), u64(uint64(e.Revision)), u64(uint64(e.KeyVersion)),
		[]byte(e.Actor), []byte(e.Reason), u64(uint64(len(e.Metadata))),
	}
	for _, k := range slices.Sorted(maps.Keys(e.Metadata)) {
		parts = append(parts, []byte(k), []byte(e.Metadata[k]))
	}
	if e.V != 0 {
		parts = append(parts, u64(uint64(e.V)), []byte(e.Prev), u64(uint64(e.PrevTime)), []byte(e.PrevOp))
	}
	return parts
}

// batchMAC is the MAC of a batch of format 2 stored in the index whose
// directory is base: it covers the index, the operation, the event count,
// and each event's id and MAC in order, so that an event cut out of the
// batch, added to it or moved within it is told apart from the batch as
// written.
func batchMAC(key []byte, base, op string, events []eventBody) []byte {
	return envelope.MAC(key, envelope.AAD(batchMACParts(base, op, events)...))
}

func batchMACParts(base, op string, events []eventBody) [][]byte {
	parts := [][]byte{[]byte(batchMACLabel), []byte(base), []byte(op), u64(uint64(len(events)))}
	for i := range events {
		parts = append(parts, []byte(events[i].ID), []byte(events[i].MAC))
	}
	return parts
}

// checkBatch authenticates a batch as a whole: a batch of format 2 must
// carry the MAC of exactly its events, and a batch of format 1 (which has
// none) may hold only events of format 1, so that a batch cannot be passed
// off as an older one to drop its MAC.
func (q *eventQuery) checkBatch(bb *batchBody, it auditItem) error {
	gap := func() error {
		return &AuditGapError{Namespace: q.index.ns, Batch: it.ID, Operation: it.Op}
	}
	switch bb.V {
	case 0:
		if bb.MAC != "" {
			return fmt.Errorf("audit batch %s of format 1 carries a MAC: %w", it.ID, ErrIntegrity)
		}
		for i := range bb.Events {
			if bb.Events[i].V != 0 {
				return gap()
			}
		}
		return nil
	case eventFormat:
		mac, err := hex.DecodeString(bb.MAC)
		if err != nil || !envelope.VerifyMAC(q.key, envelope.AAD(batchMACParts(q.index.base, it.Op, bb.Events)...), mac) {
			return gap()
		}
		for i := range bb.Events {
			if bb.Events[i].V != eventFormat {
				return gap()
			}
		}
		return nil
	}
	return fmt.Errorf("audit batch %s has format %d (this build knows 1 and %d): %w", it.ID, bb.V, eventFormat, ErrIntegrity)
}
