package backend

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
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
// fewer than PageSize secrets when some turn out to be deleted.
func (s *Store) List(ctx context.Context, in ListInput) (ListPage, error) {
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
		sc.token, sc.after = tok.Driver, tok.After
	}
	var groups []*secretGroup
	var last *secretGroup
	for len(groups) < size {
		g, err := sc.next(ctx)
		if err != nil {
			return ListPage{}, err
		}
		if g == nil {
			break
		}
		last = g
		if r := g.current(); r == nil || (r.Marker != nil && r.Marker.Flag != flagLive) {
			continue
		}
		groups = append(groups, g)
	}
	var page ListPage
	if last != nil {
		more, err := sc.next(ctx)
		if err != nil {
			return ListPage{}, err
		}
		if more != nil {
			page.NextPageToken = encodeListToken(listToken{Driver: last.nextStart, After: last.LastKey})
		}
	}
	secrets := make([]*Secret, len(groups))
	now := s.now()
	err := forEach(ctx, s.conc, len(groups), func(ctx context.Context, i int) error {
		g := groups[i]
		r := g.current()
		rec, data, err := s.readRecord(ctx, g.Namespace, g.Name, r.Rev)
		if errors.Is(err, ErrNotFound) {
			return nil // purged since the listing
		}
		if err != nil {
			return err
		}
		h, err := s.verifyRecord(ctx, secretRef(g.Namespace, g.Name), r.Rev, rec, data)
		if err != nil {
			return err
		}
		if !h.Tombstone {
			sec := secretFromHeader(h, now)
			secrets[i] = &sec
		}
		return nil
	})
	if err != nil {
		return ListPage{}, err
	}
	for _, sec := range secrets {
		if sec != nil {
			page.Secrets = append(page.Secrets, *sec)
		}
	}
	return page, nil
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
