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
