// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"time"

	"gocloud.dev/blob"
)

// Operation names recorded in audit events.
const (
	OpCreated             = "created"
	OpUpdated             = "updated"
	OpDeleted             = "deleted"
	OpRotated             = "rotated"
	OpRead                = "read"
	OpKeyVersionCreated   = "key_version_created"
	OpKeyVersionRetired   = "key_version_retired"
	OpKeyVersionRewrapped = "key_version_rewrapped" // material rewrapped under the current root key
	OpPurged              = "purged"                // revisions or events removed by cleanup
	// OpKeyVersionReactivated: a retired version made active again with
	// its own material (ReactivateKeyVersion).
	OpKeyVersionReactivated = "key_version_reactivated"
)

// Operations lists every operation, in the order ListEvents merges them.
// Callers must not modify it.
var Operations = []string{
	OpCreated, OpUpdated, OpDeleted, OpRotated, OpRead,
	OpKeyVersionCreated, OpKeyVersionRetired, OpKeyVersionRewrapped, OpPurged,
	OpKeyVersionReactivated,
}

// Reasons recorded in audit events by cleanup.
const (
	ReasonExpiredCleanup  = "expired_cleanup"
	ReasonDeletedCleanup  = "deleted_cleanup"
	ReasonRevisionCleanup = "revision_cleanup"
	ReasonAuditCleanup    = "audit_cleanup"
)

// Secret states as listed.
const (
	StateActive  = "active"
	StateExpired = "expired"
)

// Options configure Open.
type Options struct {
	// BucketURL is a gocloud.dev bucket URL (file://, mem://, s3://, gs://,
	// azblob://). Ignored when Bucket is set.
	BucketURL string
	// Bucket is an already opened bucket. The Store does not close it.
	Bucket *blob.Bucket
	// RootKey is a gocloud.dev/secrets keeper URL (base64key://, awskms://,
	// gcpkms://, azurekeyvault://) or a bare base64 32-byte key.
	RootKey string
	// PreviousRootKeys are older root keys, tried (in order) for key versions
	// still wrapped under them.
	PreviousRootKeys []string
	// Actor names who performs writes in audit events (ValidateActor:
	// UTF-8 without control characters, at most MaxActorLen bytes).
	Actor string
	// Now is the clock; nil means time.Now. Tests inject it.
	Now func() time.Time
	// Concurrency bounds parallel work in Rotate and Cleanup; 0 means 8.
	Concurrency int
	// RequireStore makes Open fail with ErrNotFound when the bucket holds
	// no store (an empty bucket, a file:// directory that does not
	// exist), rather than open a store that the first write creates. It
	// is for callers that only read: a wrong URL is then an error, not an
	// empty store. (Open never writes, with or without it.)
	RequireStore bool
}

// KeyVersion describes one key-encryption key in the keyring. It never
// carries key material.
type KeyVersion struct {
	Version        int
	Primary        bool // newest non-retired version: new DEKs are wrapped under it
	Retired        bool
	CheckValue     string // lowercase hex key check value
	CreatedAt      time.Time
	Secrets        int  // secrets whose current revision is wrapped under it
	RootKeyCurrent bool // material is wrapped under the current root key
	// Wraps is an upper bound of the data keys wrapped under this version
	// so far; writes under it fail with ErrWrapLimit from 2^31.
	Wraps int64
}

// Secret is one secret's revision as read or listed. Value is set only by
// Get; List and Head never decrypt.
type Secret struct {
	Namespace  string
	Name       string
	Revision   int64
	KeyVersion int
	Metadata   map[string]string // nil when none
	CreatedAt  time.Time         // time of the first revision
	UpdatedAt  time.Time         // time of the last change to value, metadata or expiry (a rotation keeps it)
	ExpiresAt  time.Time         // zero when the secret never expires
	State      string            // StateActive or StateExpired
	// ValueID names the write of the value this revision carries: a
	// rotation or a metadata- or expiry-only update keeps it, every new
	// value (even an equal one) gets a new one. Two revisions with
	// different ValueIDs carry different value writes, so a revision
	// number reused after the bucket lost revisions is told apart. It is
	// a MAC of the value ciphertext under a key derived from the data key
	// (lowercase hex, 32 characters): it says nothing about the value.
	ValueID string
	Value   []byte
}

// Expiry is an optional expiry change in PutInput. The expiry it gives
// must be in the future and no later than LatestTime; otherwise Put
// refuses it with a *ValidationError on FieldExpiresAt or FieldTTL.
type Expiry struct {
	Set bool          // false: keep the stored expiry (or none on create)
	At  time.Time     // absolute expiry; zero together with TTL 0 clears it
	TTL time.Duration // relative to the write time; used when At is zero
}

// PutInput creates or updates a secret.
type PutInput struct {
	Namespace string
	Name      string
	// Value nil keeps the stored value without re-encrypting it (metadata
	// or expiry only); it is required when the secret does not exist.
	Value []byte
	// SetMetadata false keeps the stored metadata; true replaces it with
	// Metadata (nil clears it).
	SetMetadata bool
	Metadata    map[string]string
	Expiry      Expiry
	// IfRevision > 0 fails with ErrConcurrentModification unless the current
	// revision is exactly this one, and with a *RollbackError when it is
	// newer than the current revision. IfRevision < 0 requires that the
	// secret does not exist (or is a tombstone).
	IfRevision int64
	// AllowRotations with IfRevision > 0: the write also succeeds when every
	// revision written after IfRevision is a key rotation (same value,
	// metadata and expiry); it is applied on top of the current revision.
	AllowRotations bool
	Reason         string // optional audit reason
	// MinKeyVersion > 0: the write fails with a *MinKeyVersionError
	// (ErrBelowMinKeyVersion) unless the primary key version, under which
	// it is wrapped, is at least this one.
	MinKeyVersion int
}

// RotateSecretInput rewraps one secret's current revision under the
// primary key version (see RotateSecret).
type RotateSecretInput struct {
	Namespace, Name string
	IfRevision      int64 // as PutInput.IfRevision, > 0 or 0 for no condition
	AllowRotations  bool  // as PutInput.AllowRotations
	MinKeyVersion   int   // as PutInput.MinKeyVersion
}

// DeleteInput deletes a secret.
type DeleteInput struct {
	Namespace, Name string
	IfRevision      int64 // as PutInput.IfRevision
	AllowRotations  bool  // as PutInput.AllowRotations
}

// GetOptions select what Get returns.
type GetOptions struct {
	Revision int64 // 0: current revision
}

// ListInput selects a page of one namespace's secrets (tombstones excluded).
type ListInput struct {
	Namespace  string
	NamePrefix string
	PageSize   int    // 0 means 100
	PageToken  string // from the previous ListPage
}

// ListPage is one page of List.
type ListPage struct {
	Secrets       []Secret
	NextPageToken string // empty on the last page
}

// Event is one audit event. It never carries a value or key material.
type Event struct {
	ID         string
	Time       time.Time
	Operation  string
	Namespace  string
	Name       string
	Revision   int64
	KeyVersion int
	Actor      string
	Reason     string
	Metadata   map[string]string // e.g. {"count": "12"} for audit purges
}

// EventFilter selects audit events. Zero fields do not filter.
type EventFilter struct {
	Namespace  string
	Name       string // requires Namespace
	Operations []string
	Since      time.Time // inclusive; zero: no bound; else within EarliestTime to LatestTime
	Until      time.Time // exclusive; zero: no bound; else within EarliestTime to LatestTime
	Descending bool
	Limit      int // 0 means 100; at most MaxEventLimit
	PageToken  string
}

// MaxEventLimit bounds EventFilter.Limit.
const MaxEventLimit = 1000

// EventPage is one page of ListEvents.
type EventPage struct {
	Events        []Event
	NextPageToken string
}

// RotateInput scopes Rotate and PlanRotate.
type RotateInput struct {
	Namespace string // empty: every namespace
	// Progress, when set, is called after each secret with counts so far.
	Progress func(RotateResult)
}

// RotatePlan is what Rotate would do, from listings only.
type RotatePlan struct {
	Primary   int
	Pending   int         // current revisions not under Primary
	ByVersion map[int]int // current revisions per key version
}

// RotateResult counts a Rotate run.
type RotateResult struct {
	Processed int // current revisions examined
	Rotated   int // rewrapped to the primary
	Skipped   int // already under the primary, or changed concurrently and retried
}

// Retention configures Cleanup; a nil field never purges that kind.
type Retention struct {
	ExpiredSecrets *time.Duration // secrets expired longer than this
	DeletedSecrets *time.Duration // tombstoned longer than this
	Revisions      *time.Duration // superseded revisions older than this
	AuditEvents    *time.Duration // audit events older than this
}

// CleanupInput scopes Cleanup and PlanCleanup.
type CleanupInput struct {
	Namespace string // empty: every namespace (audit events are global)
	Retention Retention
}

// CleanupPlan counts what Cleanup would purge, from listings only.
type CleanupPlan struct {
	Secrets   int // expired and tombstoned secrets past their retention
	Revisions int // superseded revisions past retention
	Events    int // audit events past retention
}

// CleanupResult counts what Cleanup purged.
type CleanupResult = CleanupPlan

// StoreAPI is the contract of *Store, written out for readers and for the
// provider's tests. Every method is safe for concurrent use, and every
// mutation appends its audit event(s) or fails.
type StoreAPI interface {
	Close() error
	// Exists reports whether the store exists (its bucket holds a store
	// header); it writes nothing. A store is created by its first write.
	Exists(ctx context.Context) (bool, error)

	CreateKeyVersion(ctx context.Context, version int, material []byte) (KeyVersion, error)
	KeyVersions(ctx context.Context) ([]KeyVersion, error)
	RetireKeyVersion(ctx context.Context, version int) error
	// RewrapKeyVersion rewraps a version's material (and the store's own
	// keys) under the current root key; after the last one, it deletes the
	// copies wrapped under previous root keys.
	RewrapKeyVersion(ctx context.Context, version int) error
	// ReactivateKeyVersion makes a retired version active again, with the
	// material it always had.
	ReactivateKeyVersion(ctx context.Context, version int, material []byte) (KeyVersion, error)

	Put(ctx context.Context, in PutInput) (Secret, error)
	Get(ctx context.Context, namespace, name string, opts GetOptions) (Secret, error)
	// Head returns the current revision's record without decrypting the
	// value (Value is nil). An expired secret is returned with State
	// StateExpired and a nil error; a tombstone is ErrNotFound.
	Head(ctx context.Context, namespace, name string) (Secret, error)
	Has(ctx context.Context, namespace, name string) (bool, error)
	// Delete writes a tombstone (see DeleteInput).
	Delete(ctx context.Context, in DeleteInput) error
	List(ctx context.Context, in ListInput) (ListPage, error)
	// RotateSecret rewraps one secret under the primary key version.
	RotateSecret(ctx context.Context, in RotateSecretInput) (Secret, error)

	ListEvents(ctx context.Context, f EventFilter) (EventPage, error)
	// RecordRead appends a read event for an audited read.
	RecordRead(ctx context.Context, s Secret) error

	PlanRotate(ctx context.Context, in RotateInput) (RotatePlan, error)
	Rotate(ctx context.Context, in RotateInput) (RotateResult, error)
	PlanCleanup(ctx context.Context, in CleanupInput) (CleanupPlan, error)
	Cleanup(ctx context.Context, in CleanupInput) (CleanupResult, error)
}

var _ StoreAPI = (*Store)(nil)
