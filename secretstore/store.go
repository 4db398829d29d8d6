// SPDX-License-Identifier: MPL-2.0

package secretstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// Store is an open secret store. It is safe for concurrent use by many
// goroutines. Close it when done: Close clears the store's key material
// from memory.
type Store struct {
	b          *backend.Store
	auditReads bool
}

// Open opens the store cfg describes and checks that the root key (or one
// of the previous root keys) opens its keyring. It writes nothing to the
// bucket.
//
// Errors: ErrInvalidArgument for a missing or malformed URL, root key or
// actor; ErrNotFound when the bucket holds no store (an empty bucket, a
// directory that does not exist: usually a wrong URL); ErrRootKeyMismatch
// when no configured root key opens the store; ErrIntegrity or
// ErrUnsupportedFormat for a damaged or newer store header or keyring;
// otherwise the bucket's own error (permissions, network). Messages show
// the URL without user info or query, and never a key.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	b, err := backend.Open(ctx, backend.Options{
		BucketURL:        cfg.URL,
		RootKey:          cfg.RootKey,
		PreviousRootKeys: cfg.PreviousRootKeys,
		Actor:            cfg.Actor,
		RequireStore:     true,
	})
	if err != nil {
		return nil, fmt.Errorf("opening secret store %s: %w", backend.RedactURL(cfg.URL), err)
	}
	return &Store{b: b, auditReads: cfg.AuditReads}, nil
}

// Close releases the bucket and clears key material from memory. Calls
// after Close fail with ErrClosed; calling Close twice is harmless.
func (s *Store) Close() error {
	return s.b.Close()
}

// Get returns the current revision of a secret with its value.
//
// Errors: ErrNotFound when the secret does not exist or is deleted;
// ErrExpired when its expiry has passed (the value is not decrypted);
// ErrKeyVersionUnavailable when its key version is not in the keyring;
// ErrIntegrity when its record does not authenticate; ErrInvalidArgument
// for a malformed namespace or name. With Config.AuditReads, a read event
// is appended before the value is returned, and its failure is the error.
// Get costs one bucket listing and one object read (more the first time a
// key version is used).
func (s *Store) Get(ctx context.Context, namespace, name string) (*Secret, error) {
	return s.get(ctx, namespace, name, 0)
}

// GetRevision returns one revision of a secret (from 1), current or
// superseded, with its value. Superseded revisions are readable until the
// provider's secretstore_cleanup purges them. Errors are those of Get;
// ErrNotFound also when the revision does not exist or was purged, or
// when it is a deletion; ErrExpired when the secret's expiry as of that
// revision has passed; ErrInvalidArgument for a revision below 1.
func (s *Store) GetRevision(ctx context.Context, namespace, name string, revision int64) (*Secret, error) {
	if revision < 1 {
		return nil, &backend.ValidationError{Field: backend.FieldRevision,
			Reason: fmt.Sprintf("is %d; revisions are numbered from 1 (use Get for the current one)", revision)}
	}
	return s.get(ctx, namespace, name, revision)
}

// get reads a revision (0: the current one) and audits the read when the
// store is configured to.
func (s *Store) get(ctx context.Context, namespace, name string, revision int64) (*Secret, error) {
	sec, err := s.b.Get(ctx, namespace, name, backend.GetOptions{Revision: revision})
	if err != nil {
		clear(sec.Value)
		return nil, err
	}
	if s.auditReads {
		if err := s.b.RecordRead(ctx, sec); err != nil {
			clear(sec.Value)
			return nil, fmt.Errorf("recording the read of secret %s/%s in the audit log: %w", namespace, name, err)
		}
	}
	return newSecret(sec), nil
}

// List describes the current revisions of the secrets of one namespace
// whose names begin with prefix ("" for all), sorted by name, without
// values: nothing is decrypted and nothing is audited. Deleted secrets are
// left out; expired ones are listed with Expired set. List costs one bucket
// listing per 1,000 secrets and one object read per secret listed, to
// authenticate its record.
//
// A secret whose record cannot be used (tampered, or under an unavailable
// key version) is left out, and List then returns every other secret
// together with an error that names the secrets left out and wraps the
// first one's ErrIntegrity or ErrKeyVersionUnavailable. Other errors
// (ErrInvalidArgument for a malformed namespace or prefix, the bucket's)
// come with a nil result.
func (s *Store) List(ctx context.Context, namespace, prefix string) ([]SecretInfo, error) {
	var out []SecretInfo
	var damaged *backend.DamagedSecretsError
	in := backend.ListInput{Namespace: namespace, NamePrefix: prefix, PageSize: backend.MaxListPageSize}
	for {
		page, err := s.b.List(ctx, in)
		var d *backend.DamagedSecretsError
		switch {
		case errors.As(err, &d):
			if damaged == nil {
				damaged = &backend.DamagedSecretsError{Err: d.Err}
			}
			damaged.Secrets = append(damaged.Secrets, d.Secrets...)
		case err != nil:
			return nil, err
		}
		for _, b := range page.Secrets {
			out = append(out, newSecretInfo(b))
		}
		if page.NextPageToken == "" {
			break
		}
		in.PageToken = page.NextPageToken
	}
	if damaged != nil {
		return out, damaged
	}
	return out, nil
}
