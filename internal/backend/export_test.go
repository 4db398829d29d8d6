// SPDX-License-Identifier: MPL-2.0

package backend

import "context"

// The tests in package backend_test check a few rules that only the
// object layout and the commit protocol can show: where a revision, marker
// or event is stored (to tamper with it as a bucket writer would), how an
// event query plans its listings, and how a commit withdraws its events.
// These names export exactly those internals to them.

// Object layout.
const (
	PrefixHeader  = prefixHeader
	PrefixKeyring = prefixKeyring
	PrefixSecrets = prefixSecrets
	FlagLive      = flagLive
	FlagTombstone = flagTombstone
	FlagPurging   = flagPurging
)

// Marker is marker.
type Marker = marker

var (
	SecretDir           = secretDir
	RecordKey           = recordKey
	MarkerKey           = markerKey
	ParseSecretKey      = parseSecretKey
	KeyVersionKey       = keyVersionKey
	HeaderKey           = headerKey
	WrapBlockKey        = wrapBlockKey
	AuditSecretIndex    = auditSecretIndex
	AuditNamespaceIndex = auditNamespaceIndex
	ParseAuditKey       = parseAuditKey
	NewID               = newID
	ValidID             = validID
	TimeCover           = timeCover
)

// Limits.
const (
	MaxBatchSpan     = maxBatchSpan
	MaxCoverPrefixes = maxCoverPrefixes
	WrapBlockSize    = wrapBlockSize
	MaxWrapBlocks    = maxWrapBlocks
	StrayAge         = strayAge
)

// Commit protocol and event queries.
type (
	WriteOp    = writeOp
	EventQuery = eventQuery
)

// AppendEvents is appendEvents, after prepareWrite (as every write).
func (s *Store) AppendEvents(ctx context.Context, events []Event) error {
	if err := s.prepareWrite(ctx); err != nil {
		return err
	}
	return s.appendEvents(ctx, events)
}

// CommitWithAudit is commitWithAudit, after prepareWrite (as every write).
func (s *Store) CommitWithAudit(ctx context.Context, events []Event, ops ...*WriteOp) error {
	if err := s.prepareWrite(ctx); err != nil {
		return err
	}
	return s.commitWithAudit(ctx, events, ops...)
}

// NewEventQuery is newEventQuery.
func (s *Store) NewEventQuery(f EventFilter) (*EventQuery, error) { return s.newEventQuery(f) }

// WrapsReserved is wrapsReserved.
func (s *Store) WrapsReserved(ctx context.Context, v int) (int64, error) {
	return s.wrapsReserved(ctx, v)
}

// Run is run.
func (q *eventQuery) Run(ctx context.Context) (EventPage, error) { return q.run(ctx) }

// KeysListed is the number of keys the query's listings returned so far.
func (q *eventQuery) KeysListed() int { return q.keysListed }

// SetVerifyRecheckHook sets the function Verify calls before it reads
// again the logs that lack an event, until the test ends. The hook is
// global to the package: a test that sets it must not run in parallel.
func SetVerifyRecheckHook(t interface{ Cleanup(func()) }, f func()) {
	verifyRecheckHook = f
	t.Cleanup(func() { verifyRecheckHook = nil })
}
