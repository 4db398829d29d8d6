// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"fmt"
	"math"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// Times in records, markers and audit events are int64 Unix nanoseconds, so
// the store records exactly the times from EarliestTime to LatestTime. A
// time outside that range is refused where it comes in (a ValidationError)
// and where it is read back (ErrIntegrity); no conversion may wrap.
var (
	// EarliestTime is 1970-01-01T00:00:00Z: no stored time is negative.
	EarliestTime = time.Unix(0, 0).UTC()
	// LatestTime is 2262-04-11T23:47:16.854775807Z, the largest int64 of
	// nanoseconds. A secret that must never expire has no expiry at all.
	LatestTime = time.Unix(0, math.MaxInt64).UTC()
)

// latestWords is LatestTime as errors show it, to the second.
var latestWords = LatestTime.Truncate(time.Second).Format(time.RFC3339)

// CheckExpiresAt refuses an absolute expiry t after LatestTime with a
// *ValidationError on FieldExpiresAt. It does not check that t is in the
// future (Put does, against its own clock).
func CheckExpiresAt(t time.Time) error {
	if t.After(LatestTime) {
		return invalid(FieldExpiresAt, "%s is after %s, the latest time the store can record; a secret without an expiry never expires",
			t.UTC().Format(time.RFC3339Nano), latestWords)
	}
	return nil
}

// CheckTTL refuses a time to live d that, counted from now, ends after
// LatestTime, with a *ValidationError on FieldTTL. It does not check the
// sign of d.
func CheckTTL(d time.Duration, now time.Time) error {
	if d > 0 && now.Add(d).After(LatestTime) {
		return invalid(FieldTTL, "%s from %s ends after %s, the latest time the store can record; a secret without an expiry never expires",
			d, now.UTC().Format(time.RFC3339), latestWords)
	}
	return nil
}

// CheckEventTime refuses a bound of an audit query (FieldSince or
// FieldUntil) outside EarliestTime to LatestTime, the times the store
// records, with a *ValidationError on that field.
func CheckEventTime(field Field, t time.Time) error {
	switch {
	case t.Before(EarliestTime):
		return invalid(field, "%s is before %s, the earliest time the store records",
			t.UTC().Format(time.RFC3339Nano), EarliestTime.Format(time.RFC3339))
	case t.After(LatestTime):
		return invalid(field, "%s is after %s, the latest time the store can record", t.UTC().Format(time.RFC3339Nano), latestWords)
	}
	return nil
}

// checkRecordTimes refuses a decoded record whose times are negative, as
// an unchecked conversion of a time after LatestTime wraps to: such a
// record is damaged, whoever wrote it, and is never read as expired long
// ago.
func checkRecordTimes(h *envelope.Header) error {
	for _, t := range [...]struct {
		what string
		v    int64
	}{{"creation", h.CreatedAt}, {"update", h.UpdatedAt}, {"expiry", h.ExpiresAt}} {
		if t.v < 0 {
			return fmt.Errorf("%s time %d is before 1970, outside the range the store records: %w", t.what, t.v, ErrIntegrity)
		}
	}
	return nil
}
