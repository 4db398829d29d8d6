// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// SealRecordForTest seals a revision record under key version h.KeyVersion
// of s without the store's checks of h, as a build that did not check its
// times wrote them: tests store such authentic records to see what readers
// make of them.
func (s *Store) SealRecordForTest(ctx context.Context, h envelope.Header, value []byte) ([]byte, error) {
	kek, err := s.kek(ctx, int(h.KeyVersion))
	if err != nil {
		return nil, err
	}
	return envelope.Seal(kek, h, value)
}
