// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// listToken is the decoded ListPage.NextPageToken: where the next page
// starts in the driver's listing, and the last key already returned.
type listToken struct {
	Driver []byte `json:"d"`
	After  string `json:"a"`
}

// List returns one page of a namespace's secrets (deleted ones excluded),
// each with its metadata and state but never its value. Secrets are
// ordered by name (names sharing their first 125 bytes may deviate). Each
// listed secret costs one GET to authenticate its header; a page may hold
// fewer than PageSize secrets when some turn out to be deleted. A secret
// whose current record cannot be authenticated is left out of the page and
// reported in a *DamagedSecretsError returned with the page.
func (s *Store) List(ctx context.Context, in ListInput) (ListPage, error) {
	if err := s.enter(); err != nil {
		return ListPage{}, err
	}
	defer s.leave()
	if err := s.prepareRead(ctx); err != nil {
		return ListPage{}, err
	}
	if err := ValidateNamespace(in.Namespace); err != nil {
		return ListPage{}, err
	}
	if err := validateNameLike(FieldNamePrefix, in.NamePrefix, true); err != nil {
		return ListPage{}, err
	}
	size := in.PageSize
	if size == 0 {
		size = 100
	}
	if size < 0 || size > MaxListPageSize {
		return ListPage{}, invalid(FieldPageSize, "is %d; give 1 to %d (0 means 100)", in.PageSize, MaxListPageSize)
	}
	prefix := namespaceDir(in.Namespace) + encodeNamePrefix(in.NamePrefix)
	sc := s.newScanner(prefix, false)
	if in.PageToken != "" {
		tok, err := decodeListToken(in.PageToken)
		if err != nil || !strings.HasPrefix(tok.After, prefix) {
			return ListPage{}, invalid(FieldPageToken, "is not a token returned by List for this namespace and name prefix")
		}
		sc.resume(tok.Driver, tok.After)
	}
	if !s.created() {
		return ListPage{}, nil // a store that does not exist lists nothing
	}
	groups, next, err := listGroups(ctx, sc, size)
	if err != nil {
		return ListPage{}, err
	}
	secrets, damaged, err := s.describeGroups(ctx, groups)
	if err != nil {
		return ListPage{}, err
	}
	return ListPage{Secrets: secrets, NextPageToken: next}, damaged
}

// listGroups reads up to size listed secrets that have a record from sc, and the token of the page after them ("" at the end).
func listGroups(ctx context.Context, sc *secretScanner, size int) ([]*secretGroup, string, error) {
	var groups []*secretGroup
	var last *secretGroup
	for len(groups) < size {
		g, err := sc.next(ctx)
		if err != nil {
			return nil, "", err
		}
		if g == nil {
			break
		}
		last = g
		// A marker's flag is not trusted to omit a secret: describeGroups
		// omits tombstones on the word of their authenticated records.
		if g.current() == nil {
			continue
		}
		groups = append(groups, g)
	}
	if last == nil {
		return groups, "", nil
	}
	more, err := sc.next(ctx)
	if err != nil || more == nil {
		return groups, "", err
	}
	return groups, encodeListToken(listToken{Driver: last.nextStart, After: last.LastKey}), nil
}

// describeGroups reads and authenticates the current revision of each
// listed secret, concurrently, and describes those that are not deleted,
// in listing order; damaged (a *DamagedSecretsError, or nil) reports the
// secrets left out because their record cannot be authenticated.
func (s *Store) describeGroups(ctx context.Context, groups []*secretGroup) (_ []Secret, damaged, _ error) {
	secrets := make([]*Secret, len(groups))
	failed := make([]error, len(groups))
	now := s.now()
	err := forEach(ctx, s.conc, len(groups), func(ctx context.Context, i int) error {
		g := groups[i]
		r := g.current()
		rec, data, err := s.readRecord(ctx, g.Namespace, g.Name, r.Rev)
		if errors.Is(err, ErrNotFound) {
			return nil // purged since the listing
		}
		var h envelope.Header
		var id string
		if err == nil {
			h, id, err = s.verifyRecordID(ctx, secretRef(g.Namespace, g.Name), r.Rev, rec, data)
		}
		if secretDamage(err) {
			failed[i] = err
			return nil
		}
		if err != nil {
			return err
		}
		if !h.Tombstone {
			sec := secretFromHeader(h, now)
			sec.ValueID = id
			secrets[i] = &sec
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var out []Secret
	var log damageLog
	for i, sec := range secrets {
		if sec != nil {
			out = append(out, *sec)
		}
		log.add(groups[i].Namespace, groups[i].Name, failed[i])
	}
	return out, log.err(), nil
}

func encodeListToken(t listToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeListToken(s string) (listToken, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return listToken{}, err
	}
	var t listToken
	if err := json.Unmarshal(b, &t); err != nil {
		return listToken{}, err
	}
	return t, nil
}
