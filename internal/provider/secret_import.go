// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"maps"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// importedState reports whether state is what an import left: import
// cannot tell value from value_wo, so it records neither value nor
// value_wo_version, which every state written by create or update has.
func importedState(state secretModel) bool {
	return state.Value.IsNull() && state.ValueWOVersion.IsNull() && !state.Revision.IsNull()
}

// settleImported drops from in, the first write after an import, every
// change the imported state alone causes: a value equal to the stored one
// (value or value_wo, compared in constant time after decrypting in
// memory; the comparison is not an audited read), metadata equal to the
// stored metadata, an expires_at naming the stored expiry, and a ttl the
// stored expiry was written with (expiry = last change + ttl). It returns
// the current secret (without its value) and whether nothing is left to
// write. A secret changed since the import, expired or unreadable is left
// to the normal write, which reports it.
func (r *secretResource) settleImported(ctx context.Context, in *backend.PutInput, revision int64) (backend.Secret, bool, diag.Diagnostic) {
	s, err := r.data.Store.Get(ctx, in.Namespace, in.Name, backend.GetOptions{})
	defer clear(s.Value)
	switch {
	case errors.Is(err, backend.ErrExpired), errors.Is(err, backend.ErrNotFound):
		return backend.Secret{}, false, nil
	case err != nil:
		id := secretID(in.Namespace, in.Name)
		return backend.Secret{}, false, diagStoreError(fmt.Sprintf("reading secret %q", id), err, targetSecret)
	case s.Revision != revision:
		return backend.Secret{}, false, nil
	}
	if in.Value != nil && subtle.ConstantTimeCompare(in.Value, s.Value) == 1 {
		in.Value = nil
	}
	if in.SetMetadata && maps.Equal(in.Metadata, s.Metadata) {
		in.SetMetadata, in.Metadata = false, nil
	}
	if e := in.Expiry; e.Set {
		switch {
		case !e.At.IsZero() && e.At.Equal(s.ExpiresAt):
			in.Expiry = backend.Expiry{}
		case e.At.IsZero() && e.TTL > 0 && !s.ExpiresAt.IsZero() && s.ExpiresAt.Sub(s.UpdatedAt) == e.TTL:
			in.Expiry = backend.Expiry{}
		case e.At.IsZero() && e.TTL == 0 && s.ExpiresAt.IsZero():
			in.Expiry = backend.Expiry{}
		}
	}
	s.Value = nil
	return s, in.Value == nil && !in.SetMetadata && !in.Expiry.Set, nil
}

// importDescription is the paragraph of the secretstore_secret
// documentation on what an import plans and applies.
const importDescription = "**Import** (an `import` block or `terraform import`, by `<namespace>/<name>`) reads the " +
	"secret without decrypting it, since it cannot tell whether the configuration uses `value` or `value_wo`. " +
	"The plan therefore shows an update in place: `value` (with `value`) or `value_wo_version` (with `value_wo`) " +
	"is new to the state, and `revision` is known after apply. That apply decrypts the stored value in memory, " +
	"compares it with the configured `value` or `value_wo` in constant time, and writes nothing when the value, " +
	"metadata and expiry already match: `revision` stays, and no audit event is written. An expiry matches " +
	"`expires_at` when it names the same time, and `ttl` when the stored expiry is its last change plus that " +
	"`ttl`. Anything else that differs is written as one new revision; a value that differs is written whole."
