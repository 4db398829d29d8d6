// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// writeRevision writes h as the revision after cur, wrapped under the
// primary key version, with its audit event ev (operation and reason set
// by the caller). The value is sealed anew when value is set or h is a
// tombstone; otherwise cur's data key is rewrapped and its value
// ciphertext kept byte for byte. A minKV above 0 refuses the write with a
// *MinKeyVersionError unless the primary is at least minKV. It returns the
// written header and its value id (Secret.ValueID). lost reports that the
// revision lost its create-only race (the error is then
// ErrConcurrentModification).
func (s *Store) writeRevision(ctx context.Context, cur *currentRevision, h envelope.Header, value []byte, ev Event, minKV int, now time.Time) (_ envelope.Header, valueID string, lost bool, _ error) {
	ref := secretRef(h.Namespace, h.Name)
	rev, err := nextRevision(ref, cur.rev)
	if err != nil {
		return h, "", false, err
	}
	pv, kek, err := s.primaryAtLeast(ctx, minKV)
	if err != nil {
		return h, "", false, err
	}
	if err := s.reserveWraps(ctx, pv, 1); err != nil {
		return h, "", false, err
	}
	op, err := s.prepareRevision(ctx, pv, kek, &h, rev, value, cur.data, int(cur.hdr.KeyVersion), &ev, now)
	if err != nil {
		return h, "", false, recordError(ref, rev, err)
	}
	if err := s.commitWithAudit(ctx, []Event{ev}, op); err != nil {
		what := fmt.Sprintf("writing revision %d", rev)
		if h.Tombstone {
			what = "writing the tombstone"
		}
		return h, "", op.Exists, fmt.Errorf("secret %s: %s: %w", ref, what, err)
	}
	_, id, err := envelope.VerifyID(kek, op.Data)
	if err != nil {
		return h, "", false, recordError(ref, rev, err)
	}
	return h, hex.EncodeToString(id), false, nil
}

// prepareRevision makes h revision rev of its secret, under key version pv
// (whose key is kek), and returns its create-only write; it completes ev,
// the revision's audit event, whose operation, reason and metadata the
// caller sets. The record is sealed anew when value is set or h is a
// tombstone; otherwise the data key of prev, the record h follows (under
// key version prevKV), is rewrapped and its value ciphertext kept byte for
// byte: Rewrap authenticates prev under its own header first. Every new
// revision, whether written by Put, Delete or Rotate, is made here; the
// caller reserves the wraps and commits. Errors are the caller's to wrap
// with the revision they concern.
func (s *Store) prepareRevision(ctx context.Context, pv int, kek []byte, h *envelope.Header, rev int64, value, prev []byte, prevKV int, ev *Event, now time.Time) (*writeOp, error) {
	h.Revision, h.KeyVersion = uint64(rev), uint32(pv)
	var enc []byte
	var err error
	if value != nil || h.Tombstone {
		enc, err = envelope.Seal(kek, *h, value)
	} else {
		var oldKEK []byte
		if oldKEK, err = s.kek(ctx, prevKV); err == nil {
			enc, err = envelope.Rewrap(oldKEK, kek, prev, *h)
		}
	}
	if err != nil {
		return nil, err
	}
	ev.Namespace, ev.Name, ev.Revision, ev.KeyVersion, ev.Time = h.Namespace, h.Name, rev, pv, now
	return recordOp(secretDir(h.Namespace, h.Name), *h, enc, now), nil
}

// nextRevision is the revision number after rev of secret ref, or
// ErrRevisionLimit when rev is the largest the store can write: revision
// numbers are int64 and never wrap.
func nextRevision(ref string, rev int64) (int64, error) {
	if rev == math.MaxInt64 {
		return 0, fmt.Errorf("secret %s: revision %d is the largest revision number the store can write: %w", ref, rev, ErrRevisionLimit)
	}
	return rev + 1, nil
}

// recordOp is the create-only write of a revision record and its marker.
func recordOp(dir string, h envelope.Header, enc []byte, written time.Time) *writeOp {
	m := marker{KeyVersion: int(h.KeyVersion), Written: written.UnixNano(), Expires: h.ExpiresAt, Flag: markerFlag(&h)}
	return &writeOp{Key: recordKey(dir, int64(h.Revision)), Data: enc, Alias: markerKey(dir, int64(h.Revision), m)}
}

// currentRevision is what a write knows of a secret's current revision.
type currentRevision struct {
	rev   int64
	found bool   // the secret has at least one revision
	data  []byte // the record; nil when err is set
	rec   *envelope.Record
	hdr   envelope.Header // authenticated; valid when err is nil
	err   error           // why the current record cannot be used
}

// live reports whether the secret exists and is not deleted. An unreadable
// current revision counts as live: nothing proves it deleted.
func (c *currentRevision) live() bool {
	return c.found && (c.err != nil || !c.hdr.Tombstone)
}

// loadCurrentRevision finds, reads and authenticates the current revision
// of a secret for a write. A record that cannot be read or authenticated is
// returned in err of the result, not as an error: some writes may replace
// it. A revision that vanishes while being read is ErrConcurrentModification.
func (s *Store) loadCurrentRevision(ctx context.Context, ns, name string) (currentRevision, error) {
	ref := secretRef(ns, name)
	rev, _, found, err := s.loadCurrent(ctx, secretDir(ns, name))
	if err != nil {
		return currentRevision{}, fmt.Errorf("secret %s: %w", ref, err)
	}
	cur := currentRevision{rev: rev, found: found}
	if !found {
		return cur, nil
	}
	cur.rec, cur.data, cur.err = s.readRecord(ctx, ns, name, rev)
	if errors.Is(cur.err, ErrNotFound) {
		return currentRevision{}, fmt.Errorf("secret %s: revision %d vanished while reading it: %w", ref, rev, ErrConcurrentModification)
	}
	if cur.err == nil {
		// Authenticate the header before carrying any of it over.
		cur.hdr, cur.err = s.verifyRecord(ctx, ref, rev, cur.rec, cur.data)
	}
	if cur.err != nil {
		cur.data, cur.rec = nil, nil
	}
	return cur, nil
}
