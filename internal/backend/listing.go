// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"fmt"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// listPage lists one page of keys under prefix: one LIST request. Callers
// iterate with list rather than page by hand.
func (o *objects) listPage(ctx context.Context, prefix, delim string, token []byte, size int) ([]*blob.ListObject, []byte, error) {
	if len(token) == 0 {
		token = blob.FirstPageToken
	}
	for attempt := 0; ; attempt++ {
		objs, next, err := o.bucket.ListPage(ctx, token, size, &blob.ListOptions{Prefix: prefix, Delimiter: delim})
		// fileblob fails a listing when a file it has just seen is
		// deleted (by Cleanup, or a withdrawn event) before it stats it;
		// listing again sees a consistent directory.
		if err != nil && gcerrors.Code(err) == gcerrors.NotFound && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("listing %s: %w", prefix, err)
		}
		return objs, next, nil
	}
}

// firstKey returns the first key under prefix that parse accepts, reading
// pages of size pageSize; keys that do not parse (temporary files) are
// skipped.
func (s *Store) firstKey(ctx context.Context, prefix string, pageSize int, parse func(string) bool) (string, bool, error) {
	l := s.obj().list(prefix, "", pageSize)
	for {
		o, err := l.next(ctx)
		if err != nil || o == nil {
			return "", false, err
		}
		if parse(o.Key) {
			return o.Key, true, nil
		}
	}
}

// listing iterates the objects under a prefix in the driver's order,
// fetching pages of size keys on demand: each page costs one LIST, and
// memory does not grow with the number of keys.
type listing struct {
	obj           *objects
	prefix, delim string
	size          int
	token         []byte // driver token of the next page; nil before the first page
	pageToken     []byte // driver token that fetched the current page
	page          []*blob.ListObject
	i             int // next object of page
	fetched       bool
}

// list starts a listing of the keys under prefix (and, with a delimiter,
// the "directories" it groups them into).
func (o *objects) list(prefix, delim string, size int) *listing {
	return &listing{obj: o, prefix: prefix, delim: delim, size: size}
}

// resume makes the listing start at the page that token (a pageToken of an
// earlier listing of the same prefix) fetched.
func (l *listing) resume(token []byte) {
	l.token, l.page, l.i, l.fetched = token, nil, 0, false
}

// next returns the next object, or nil at the end of the listing.
func (l *listing) next(ctx context.Context) (*blob.ListObject, error) {
	for l.i >= len(l.page) {
		if l.fetched && len(l.token) == 0 {
			return nil, nil
		}
		token := l.token
		if len(token) == 0 {
			token = blob.FirstPageToken
		}
		objs, next, err := l.obj.listPage(ctx, l.prefix, l.delim, token, l.size)
		if err != nil {
			return nil, err
		}
		l.pageToken, l.page, l.i, l.token, l.fetched = token, objs, 0, next, true
	}
	o := l.page[l.i]
	l.i++
	return o, nil
}

// unread gives back the object next returned last.
func (l *listing) unread() { l.i-- }

// pageDone reports whether the objects of the pages fetched so far are all
// returned, so that the next call of next costs a LIST (or ends).
func (l *listing) pageDone() bool { return l.i >= len(l.page) }

// eachKey calls fn for every object under prefix, reading pages of 1,000
// keys.
func (o *objects) eachKey(ctx context.Context, prefix string, fn func(*blob.ListObject) error) error {
	l := o.list(prefix, "", 1000)
	for {
		obj, err := l.next(ctx)
		if err != nil || obj == nil {
			return err
		}
		if err := fn(obj); err != nil {
			return err
		}
	}
}
