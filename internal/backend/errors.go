// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors. Every error returned by the Store wraps at most one of
// these, so callers branch with errors.Is and show err.Error() to people.
// The first four use the words of the original component's result kinds.
var (
	// ErrNotFound: the secret (or revision, or key version) does not exist,
	// or its current revision is a tombstone.
	ErrNotFound = errors.New("not_found")
	// ErrExpired: the secret exists but its expiry has passed.
	ErrExpired = errors.New("expired")
	// ErrKeyVersionUnavailable: the record is wrapped under a key version
	// that is not in the keyring (never created, or its material is gone).
	ErrKeyVersionUnavailable = errors.New("key_version_unavailable")
	// ErrIntegrity: an object is tampered with or corrupt (bad MAC or tag,
	// truncation, trailing bytes, wrong labels). It concerns that object only.
	ErrIntegrity = errors.New("integrity check failed")
	// ErrConcurrentModification: a create-only write lost a race, or the
	// current revision is not the one the caller expected.
	ErrConcurrentModification = errors.New("concurrent modification")
	// ErrRolledBack: the caller recorded a revision newer than the store's
	// current one, so the bucket lost revisions (restored from an older
	// copy, or objects removed). The error is a *RollbackError.
	ErrRolledBack = errors.New("rolled back")
	// ErrRootKeyMismatch: the configured root key (and every previous root
	// key) fails to open this store's keyring.
	ErrRootKeyMismatch = errors.New("root key does not match this store")
	// ErrInvalidArgument: caller input is malformed; the error is a
	// *ValidationError naming the field.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrNoKeyVersion: a write needs a primary key version and there is none.
	ErrNoKeyVersion = errors.New("no usable key version")
	// ErrKeyVersionExists: CreateKeyVersion of a version number already used.
	ErrKeyVersionExists = errors.New("key version already exists")
	// ErrKeyVersionInUse: retiring a version that current revisions still use.
	ErrKeyVersionInUse = errors.New("key version in use")
	// ErrUnsupportedFormat: an object names a format version this build does
	// not know. Never guessed at.
	ErrUnsupportedFormat = errors.New("unsupported format version")
	// ErrConditionalWritesUnsupported: the bucket ignores create-only writes,
	// so concurrent runs could silently lose updates.
	ErrConditionalWritesUnsupported = errors.New("bucket does not enforce create-only writes")
	// ErrWrapLimit: a key version is close to the number of keys it may
	// wrap in its lifetime (NIST SP 800-38D); create a new version.
	ErrWrapLimit = errors.New("key version wrap limit reached")
	// ErrClosed: the Store was closed; every call after Close fails with
	// it, and nothing is read or written.
	ErrClosed = errors.New("store is closed")
	// ErrBelowMinKeyVersion: a write asked for a minimum key version
	// above the primary; the error is a *MinKeyVersionError.
	ErrBelowMinKeyVersion = errors.New("primary key version below the minimum")
	// ErrKeyMaterialMismatch: ReactivateKeyVersion given material that is
	// not the retired version's own.
	ErrKeyMaterialMismatch = errors.New("key material does not match")
	// ErrRevisionLimit: a secret's current revision is the largest revision
	// number the store can write (math.MaxInt64), so it cannot change.
	ErrRevisionLimit = errors.New("revision limit reached")
	// ErrNoBucketName: a bucket URL of a cloud bucket service (s3://,
	// gs://, azblob://) names no bucket or container.
	ErrNoBucketName = errors.New("bucket URL names no bucket")
	// ErrNoStorageAccount: an azblob:// bucket URL has no Azure storage
	// account, neither in its storage_account parameter nor in the
	// AZURE_STORAGE_ACCOUNT environment variable.
	ErrNoStorageAccount = errors.New("no Azure storage account")
	// ErrRootKeyUnavailable: the root key's key service (the keeper of an
	// awskms://, gcpkms:// or azurekeyvault:// root key) failed to
	// encrypt or decrypt: unreachable, without credentials or permission,
	// or without such a key. It says nothing about the store's contents.
	// The error is a *RootKeyError.
	ErrRootKeyUnavailable = errors.New("root key service failed")
	// ErrUnreadableObject: the bucket has an object (its listing and its
	// attributes show it) that reading returns as not found, so the bucket
	// serves metadata and contents from different places: a
	// misconfigured endpoint or emulator, not a race.
	ErrUnreadableObject = errors.New("bucket has an object it cannot read")
)

// RootKeyError is a failure of the key service behind a root key (or a
// previous root key) to encrypt or decrypt. It unwraps to
// ErrRootKeyUnavailable and to the key service's error, so that
// gcerrors.Code and errors.As see the original cause.
type RootKeyError struct {
	// Key is the keeper URL without its query (RedactURL), such as
	// "awskms://alias/my-key".
	Key string
	// Scheme is the keeper URL scheme, such as "awskms".
	Scheme string
	// Previous is 0 for the root key, i+1 for previous root key i.
	Previous int
	// Op is "encrypt" or "decrypt".
	Op string
	// Err is the key service's error, unwrapping to the original; its
	// message holds neither the keeper URL's query nor any of the query's
	// values (an endpoint and its host, a region).
	Err error
}

// Error names the key, the operation and the key service's error.
func (e *RootKeyError) Error() string {
	which := "root key"
	if e.Previous > 0 {
		which = fmt.Sprintf("previous root key %d", e.Previous)
	}
	return fmt.Sprintf("%s %s: %s failed: %v: %s", which, e.Key, e.Op, e.Err, ErrRootKeyUnavailable)
}

// Unwrap returns ErrRootKeyUnavailable and the key service's error.
func (e *RootKeyError) Unwrap() []error { return []error{ErrRootKeyUnavailable, e.Err} }

// MinKeyVersionError is a write refused because the primary key version
// is below the minimum it asked for. It unwraps to ErrBelowMinKeyVersion.
type MinKeyVersionError struct {
	Min     int // the minimum asked for
	Primary int // the primary key version, 0 when there is none
	// MinState says what the keyring holds at Min: "retired" or "missing".
	MinState string
}

// Error words the refusal in the store's terms.
func (e *MinKeyVersionError) Error() string {
	state := "does not exist"
	if e.MinState == "retired" {
		state = "is retired"
	}
	primary := fmt.Sprintf("the primary key version is %d", e.Primary)
	if e.Primary == 0 {
		primary = "the keyring has no active key version"
	}
	return fmt.Sprintf("the write needs key version %d or newer, but %s and key version %d %s: %s", e.Min, primary, e.Min, state, ErrBelowMinKeyVersion)
}

// Unwrap returns ErrBelowMinKeyVersion.
func (e *MinKeyVersionError) Unwrap() error { return ErrBelowMinKeyVersion }

// Field identifies, in the store's own words, the input a ValidationError
// is about. It is never a Terraform attribute name; the provider maps it.
type Field int

// The fields of the store's inputs.
const (
	FieldNamespace              Field = iota + 1 // a namespace: PutInput, ListInput, EventFilter, scopes
	FieldName                                    // a secret name
	FieldNamePrefix                              // ListInput.NamePrefix
	FieldValue                                   // PutInput.Value
	FieldMetadata                                // PutInput.Metadata
	FieldExpiresAt                               // Expiry.At: an absolute expiry
	FieldTTL                                     // Expiry.TTL: a relative expiry
	FieldRevision                                // a revision number
	FieldReason                                  // an audit reason
	FieldActor                                   // Options.Actor
	FieldBucketURL                               // Options.BucketURL
	FieldRootKey                                 // Options.RootKey
	FieldPreviousRootKey                         // Options.PreviousRootKeys; ValidationError.Index is its position
	FieldKeyVersion                              // a key version number
	FieldKeyMaterial                             // the material of a key version
	FieldOperations                              // EventFilter.Operations
	FieldSince                                   // EventFilter.Since
	FieldUntil                                   // EventFilter.Until
	FieldLimit                                   // EventFilter.Limit
	FieldPageSize                                // ListInput.PageSize
	FieldPageToken                               // a page token of List or ListEvents
	FieldConcurrency                             // Options.Concurrency
	FieldExpiredSecretRetention                  // Retention.ExpiredSecrets
	FieldDeletedSecretRetention                  // Retention.DeletedSecrets
	FieldRevisionRetention                       // Retention.Revisions
	FieldAuditEventRetention                     // Retention.AuditEvents
)

var fieldWords = [...]string{
	FieldNamespace:              "namespace",
	FieldName:                   "name",
	FieldNamePrefix:             "name prefix",
	FieldValue:                  "value",
	FieldMetadata:               "metadata",
	FieldExpiresAt:              "expiry time",
	FieldTTL:                    "time to live",
	FieldRevision:               "revision",
	FieldReason:                 "reason",
	FieldActor:                  "actor",
	FieldBucketURL:              "bucket URL",
	FieldRootKey:                "root key",
	FieldPreviousRootKey:        "previous root key",
	FieldKeyVersion:             "key version",
	FieldKeyMaterial:            "key material",
	FieldOperations:             "operations",
	FieldSince:                  "since",
	FieldUntil:                  "until",
	FieldLimit:                  "limit",
	FieldPageSize:               "page size",
	FieldPageToken:              "page token",
	FieldConcurrency:            "concurrency",
	FieldExpiredSecretRetention: "expired secret retention",
	FieldDeletedSecretRetention: "deleted secret retention",
	FieldRevisionRetention:      "revision retention",
	FieldAuditEventRetention:    "audit event retention",
}

// String names the field in domain words, such as "name prefix" or
// "previous root key".
func (f Field) String() string {
	if f > 0 && int(f) < len(fieldWords) {
		return fieldWords[f]
	}
	return "field " + strconv.Itoa(int(f))
}

// ValidationError reports which input is wrong and why. It wraps
// ErrInvalidArgument.
type ValidationError struct {
	Field  Field
	Index  int    // position within a list input (FieldPreviousRootKey); 0 otherwise
	Reason string // what is wrong and what is accepted
}

// Error is "<field>: <reason>"; a field within a list is numbered from 1,
// as in "previous root key 2: ...".
func (e *ValidationError) Error() string {
	if e.Field == FieldPreviousRootKey {
		return fmt.Sprintf("%s %d: %s", e.Field, e.Index+1, e.Reason)
	}
	return e.Field.String() + ": " + e.Reason
}

// Unwrap returns ErrInvalidArgument.
func (e *ValidationError) Unwrap() error { return ErrInvalidArgument }

func invalid(field Field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

func invalidAt(field Field, index int, format string, args ...any) error {
	return &ValidationError{Field: field, Index: index, Reason: fmt.Sprintf(format, args...)}
}

// RollbackError reports a conditional write whose expected revision
// (Recorded) is newer than the secret's current revision (Current; 0 when
// the secret has no revision at all): the bucket lost revisions. It wraps
// ErrRolledBack.
type RollbackError struct {
	Namespace, Name string
	Recorded        int64
	Current         int64
}

func (e *RollbackError) Error() string {
	return fmt.Sprintf("secret %s is at revision %d, older than the expected revision %d: %v",
		secretRef(e.Namespace, e.Name), e.Current, e.Recorded, ErrRolledBack)
}

// Unwrap returns ErrRolledBack.
func (e *RollbackError) Unwrap() error { return ErrRolledBack }
