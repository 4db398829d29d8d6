// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"gocloud.dev/blob"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// confirmWritten checks the write time that revision rv's marker shows
// (rv.Marker.Written, which Cleanup measures retention from) against
// authenticated evidence before anything is purged on its word: the
// revision's record, whose update time equals it when the revision changed
// the value, metadata, expiry or deletion (they are set from one clock
// reading), or else (a rotation keeps the update time) the revision's audit
// event, written at that time. It returns false, and no error, when the
// revision is gone since the listing or its audit event was purged by an
// audit cleanup; and an ErrIntegrity error when the marker disagrees with
// that evidence (a forged marker).
func (s *Store) confirmWritten(ctx context.Context, g *secretGroup, rv revInfo) (bool, error) {
	ref := secretRef(g.Namespace, g.Name)
	rr, err := s.readVerified(ctx, g.Namespace, g.Name, rv.Rev)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := checkMarker(ref, rv.Rev, rv.Marker, &rr.hdr); err != nil {
		return false, err
	}
	written := rv.Marker.Written
	forged := fmt.Errorf("secret %s revision %d: its marker's write time is confirmed neither by its record nor by its audit event: %w", ref, rv.Rev, ErrIntegrity)
	switch {
	case rr.hdr.UpdatedAt == written:
		return true, nil
	case rr.hdr.UpdatedAt > written:
		return false, forged
	}
	found, err := s.revisionEventAt(ctx, g.Namespace, g.Name, rv.Rev, written)
	if err != nil || found {
		return found, err
	}
	cutoff, err := s.auditPurgeCutoff(ctx)
	if err != nil {
		return false, err
	}
	if written < cutoff {
		return false, nil // the event may have been purged: keep the revision
	}
	return false, forged
}

// revisionEventAt reports whether the audit index of secret ns/name holds
// an authenticated event of revision rev written at time t (unix ns): one
// LIST of the entries of that time, one GET per entry found.
func (s *Store) revisionEventAt(ctx context.Context, ns, name string, rev, t int64) (bool, error) {
	s.mu.Lock()
	key := s.header.auditKey
	s.mu.Unlock()
	prefix := fmt.Sprintf("%sy%s/e%020d_", auditSecretIndex(ns, name), dayOf(t), t)
	var keys []string
	err := s.obj().eachKey(ctx, prefix, func(o *blob.ListObject) error {
		keys = append(keys, o.Key)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("reading audit events: %w", err)
	}
	for _, k := range keys {
		it, ok := parseAuditKey(k)
		if !ok || it.Batch || !strings.HasPrefix(k, prefix) {
			continue
		}
		data, err := s.obj().get(ctx, k, maxObjectLen)
		if errors.Is(err, errObjectNotFound) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("reading audit events: %w", err)
		}
		var e eventBody
		if decodeAudit(magicEvent, data, &e) != nil {
			continue
		}
		mac, err := hex.DecodeString(e.MAC)
		if err != nil || !envelope.VerifyMAC(key, envelope.AAD(eventMACParts(&e)...), mac) {
			continue
		}
		if e.ID == it.ID && e.Time == t && e.Namespace == ns && e.Name == name && e.Revision == rev {
			return true, nil
		}
	}
	return false, nil
}
