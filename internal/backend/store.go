package backend

import (
	"context"
	"errors"
)

// Store is an encrypted secret store over one bucket. Placeholder: the
// implementation replaces every method below.
type Store struct{}

var errTODO = errors.New("not implemented yet")

// Open opens (creating on first use) the store described by opts.
func Open(ctx context.Context, opts Options) (*Store, error) { return nil, errTODO }

func (s *Store) Close() error { return nil }
func (s *Store) CreateKeyVersion(ctx context.Context, version int, material []byte) (KeyVersion, error) {
	return KeyVersion{}, errTODO
}
func (s *Store) KeyVersions(ctx context.Context) ([]KeyVersion, error)   { return nil, errTODO }
func (s *Store) RetireKeyVersion(ctx context.Context, version int) error { return errTODO }
func (s *Store) RewrapKeyVersion(ctx context.Context, version int) error { return errTODO }
func (s *Store) Put(ctx context.Context, in PutInput) (Secret, error)    { return Secret{}, errTODO }
func (s *Store) Get(ctx context.Context, namespace, name string, opts GetOptions) (Secret, error) {
	return Secret{}, errTODO
}
func (s *Store) Head(ctx context.Context, namespace, name string) (Secret, error) {
	return Secret{}, errTODO
}
func (s *Store) Has(ctx context.Context, namespace, name string) (bool, error) { return false, errTODO }
func (s *Store) Delete(ctx context.Context, namespace, name string, ifRevision int64) error {
	return errTODO
}
func (s *Store) List(ctx context.Context, in ListInput) (ListPage, error) { return ListPage{}, errTODO }
func (s *Store) ListEvents(ctx context.Context, f EventFilter) (EventPage, error) {
	return EventPage{}, errTODO
}
func (s *Store) RecordRead(ctx context.Context, sec Secret) error { return errTODO }
func (s *Store) PlanRotate(ctx context.Context, in RotateInput) (RotatePlan, error) {
	return RotatePlan{}, errTODO
}
func (s *Store) Rotate(ctx context.Context, in RotateInput) (RotateResult, error) {
	return RotateResult{}, errTODO
}
func (s *Store) PlanCleanup(ctx context.Context, in CleanupInput) (CleanupPlan, error) {
	return CleanupPlan{}, errTODO
}
func (s *Store) Cleanup(ctx context.Context, in CleanupInput) (CleanupResult, error) {
	return CleanupResult{}, errTODO
}
