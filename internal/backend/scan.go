// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"errors"
	"fmt"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// revInfo is one revision of a secret as a listing shows it: its record
// key, and its marker when present.
type revInfo struct {
	Rev       int64
	RecordKey string // empty when only a marker was listed
	Marker    *marker
	MarkerKey string
}

// secretGroup is every listed key of one secret, newest revision first.
type secretGroup struct {
	Dir       string
	Namespace string
	Name      string
	Revs      []revInfo
	LastKey   string
	// nextStart is the driver page token of the page holding the first
	// key of the next secret (nil when this is the last one).
	nextStart []byte
}

// current returns the newest revision that has a record, or nil.
func (g *secretGroup) current() *revInfo {
	for i := range g.Revs {
		if g.Revs[i].RecordKey != "" {
			return &g.Revs[i]
		}
	}
	return nil
}

// secretScanner streams the secrets under a prefix, one group at a time,
// reading the listing page by page: memory does not grow with the number
// of secrets. Keys of one secret are contiguous in a listing (see Object
// layout in the package documentation), so a group ends where the next secret's first key is.
type secretScanner struct {
	list    *listing
	history bool   // keep every revision, not only up to the current one
	after   string // skip keys up to and including this one
	cur     *secretGroup
}

func (s *Store) newScanner(prefix string, history bool) *secretScanner {
	return &secretScanner{list: s.obj().list(prefix, "", 1000), history: history}
}

// resume makes the scanner start at the driver page token and skip the
// keys up to and including after (a secretGroup's nextStart and the
// LastKey of the group before it).
func (sc *secretScanner) resume(token []byte, after string) {
	sc.list.resume(token)
	sc.after = after
}

// next returns the next secret, or nil at the end.
func (sc *secretScanner) next(ctx context.Context) (*secretGroup, error) {
	for {
		o, err := sc.list.next(ctx)
		if err != nil {
			return nil, err
		}
		if o == nil {
			g := sc.cur
			sc.cur = nil
			return g, nil
		}
		if sc.after != "" && o.Key <= sc.after {
			continue
		}
		sk, ok := parseSecretKey(o.Key)
		if !ok {
			continue // not a secret key: a stray object
		}
		if sc.cur != nil && sk.Dir != sc.cur.Dir {
			sc.list.unread() // the next secret's first key
			g := sc.cur
			g.nextStart = sc.list.pageToken
			sc.cur = nil
			return g, nil
		}
		if sc.cur == nil {
			sc.cur = &secretGroup{Dir: sk.Dir, Namespace: sk.Namespace, Name: sk.Name}
		}
		sc.add(sk, o.Key)
	}
}

func (sc *secretScanner) add(sk secretKey, key string) {
	g := sc.cur
	g.LastKey = key
	n := len(g.Revs)
	if n > 0 && g.Revs[n-1].Rev == sk.Revision {
		r := &g.Revs[n-1]
		if sk.Marker != nil {
			r.Marker, r.MarkerKey = sk.Marker, key
		} else {
			r.RecordKey = key
		}
		return
	}
	if !sc.history && g.current() != nil {
		return
	}
	r := revInfo{Rev: sk.Revision}
	if sk.Marker != nil {
		r.Marker, r.MarkerKey = sk.Marker, key
	} else {
		r.RecordKey = key
	}
	g.Revs = append(g.Revs, r)
}

// scanSecrets calls fn for every secret of namespace ns ("" for all).
func (s *Store) scanSecrets(ctx context.Context, ns string, history bool, fn func(*secretGroup) error) error {
	prefix := prefixSecrets
	if ns != "" {
		prefix = namespaceDir(ns)
	}
	sc := s.newScanner(prefix, history)
	for {
		g, err := sc.next(ctx)
		if err != nil {
			return err
		}
		if g == nil {
			return nil
		}
		if err := fn(g); err != nil {
			return err
		}
	}
}

// curInfo is what planners know of a secret's current revision.
type curInfo struct {
	marker
	Rev       int64
	RecordKey string
}

// currentInfo describes g's current revision from its marker. When the
// marker is missing (a write interrupted between record and marker) the
// record is read and decoded, without authentication: planners only count.
// It returns nil when g has no record at all.
func (s *Store) currentInfo(ctx context.Context, g *secretGroup) (*curInfo, error) {
	r := g.current()
	if r == nil {
		return nil, nil
	}
	if r.Marker != nil {
		return &curInfo{marker: *r.Marker, Rev: r.Rev, RecordKey: r.RecordKey}, nil
	}
	data, err := s.obj().get(ctx, r.RecordKey, envelope.MaxRecordLen)
	if errors.Is(err, errObjectNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rec, err := envelope.Decode(data)
	if err == nil {
		err = checkRecordTimes(&rec.Header)
	}
	if err != nil {
		return nil, fmt.Errorf("secret %s/%s revision %d: %w (%w)", g.Namespace, g.Name, r.Rev, ErrIntegrity, err)
	}
	m := marker{KeyVersion: int(rec.Header.KeyVersion), Written: rec.Header.UpdatedAt, Expires: rec.Header.ExpiresAt, Flag: markerFlag(&rec.Header)}
	return &curInfo{marker: m, Rev: r.Rev, RecordKey: r.RecordKey}, nil
}
