// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"fmt"
	"strings"
	"time"
)

// ErrAuditGap: audit events that were written are missing from the log
// (deleted, cut out of a batch or moved) where nothing records their
// purge. It is a kind of ErrIntegrity, which it wraps; the error is a
// *AuditGapError saying where.
var ErrAuditGap = fmt.Errorf("audit events are missing: %w", ErrIntegrity)

// AuditGapError says where the audit log has a gap: an event of one
// secret that a later event of that secret links to, or one batch of a
// namespace's or of the global log.
type AuditGapError struct {
	Namespace string // the namespace of the secret or batch; "" for the global log
	Name      string // the secret whose event is missing; "" for a batch
	// Missing is the id of the missing event, MissingTime its time and
	// Operation its operation; Next and NextTime name the event of the
	// same secret that links to it. Empty for a batch.
	Missing     string
	MissingTime time.Time
	Next        string
	NextTime    time.Time
	// Batch is the id of a batch that lost events (or holds them out of
	// order). Operation is then the operation of its events.
	Batch     string
	Operation string
}

func (e *AuditGapError) Error() string {
	var sb strings.Builder
	if e.Batch != "" {
		where := "the global audit log"
		if e.Namespace != "" {
			where = "the audit log of namespace " + e.Namespace
		}
		fmt.Fprintf(&sb, "audit batch %s (%s events) in %s has lost events or holds them out of order", e.Batch, e.Operation, where)
		return sb.String()
	}
	fmt.Fprintf(&sb, "audit event %s (%s, %s) of secret %s is missing: event %s (%s) follows it",
		e.Missing, e.Operation, e.MissingTime.UTC().Format(time.RFC3339Nano), secretRef(e.Namespace, e.Name),
		e.Next, e.NextTime.UTC().Format(time.RFC3339Nano))
	return sb.String()
}

// Unwrap returns ErrAuditGap.
func (e *AuditGapError) Unwrap() error { return ErrAuditGap }
