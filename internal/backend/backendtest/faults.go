// SPDX-License-Identifier: MPL-2.0

package backendtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"
)

// ErrInjected is the failure reported by an injected fault.
var ErrInjected = errors.New("injected bucket fault")

// ErrNoSignedURL is what FaultBucket.SignedURL returns.
var ErrNoSignedURL = errors.New("signed URLs are not supported by the test bucket")

// FaultKind selects which request an armed fault fails, and how.
type FaultKind int

const (
	FaultNone        FaultKind = iota // no fault armed
	FaultWrite                        // the write fails; the object is not stored
	FaultWriteStored                  // the object is stored, then the write reports failure
	FaultList                         // the list request fails
	FaultDelete                       // the delete fails; the object stays
	FaultDeleteDone                   // the object is deleted, then the delete reports failure
)

// String names the kind in subtest names and messages.
func (k FaultKind) String() string {
	return [...]string{"none", "write", "write-stored", "list", "delete", "delete-done"}[k]
}

// RequestCounts counts bucket requests by kind.
type RequestCounts struct {
	List, Get, Head, Write, Delete, Copy int
}

// Total is the number of requests of every kind.
func (c RequestCounts) Total() int { return c.List + c.Get + c.Head + c.Write + c.Delete + c.Copy }

// FaultBucket is a driver.Bucket over any *blob.Bucket. It counts
// requests by kind, can fail the k-th write, list or delete after being
// armed, and can ignore IfNotExist to imitate stores that silently drop
// conditional writes. Open it with blob.NewBucket.
type FaultBucket struct {
	inner *blob.Bucket

	mu             sync.Mutex
	counts         RequestCounts
	kind           FaultKind
	k              int // fail the k-th matching request after arming
	seen           int // matching requests since arming
	fired          bool
	dropIfNotExist bool
	beforeGet      func(key string)
	beforeWrite    func(key string)
	afterList      func(prefix string)
}

// BeforeGet makes every later read call f with the object's key before
// the read is made, so that a test can change the bucket between a
// listing and a read; nil stops it. f must not read through this bucket.
func (b *FaultBucket) BeforeGet(f func(key string)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.beforeGet = f
}

// BeforeWrite makes every later write call f with the object's key before
// the write is made; nil stops it. f may make requests through this bucket
// from other goroutines, but must not write through it itself.
func (b *FaultBucket) BeforeWrite(f func(key string)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.beforeWrite = f
}

// AfterList makes every later listing call f with the listed prefix once
// its page has been read, before the page is returned; nil stops it. A
// test uses it to hold a caller between a listing and what it does with
// the result.
func (b *FaultBucket) AfterList(f func(prefix string)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.afterList = f
}

var _ driver.Bucket = (*FaultBucket)(nil)

// NewFaultBucket wraps inner and returns the wrapper and the bucket that
// sends every request through it.
func NewFaultBucket(inner *blob.Bucket) (*FaultBucket, *blob.Bucket) {
	ib := &FaultBucket{inner: inner}
	return ib, blob.NewBucket(ib)
}

// Arm makes the k-th following request of the given kind fail.
func (b *FaultBucket) Arm(kind FaultKind, k int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.kind, b.k, b.seen, b.fired = kind, k, 0, false
}

// Disarm stops injecting and reports whether the fault fired and how many
// matching requests were seen.
func (b *FaultBucket) Disarm() (fired bool, seen int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fired, seen = b.fired, b.seen
	b.kind = FaultNone
	return fired, seen
}

// DropIfNotExist makes every later write ignore IfNotExist, as some
// S3-compatible stores do.
func (b *FaultBucket) DropIfNotExist() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dropIfNotExist = true
}

// ResetCounts zeroes the counters and returns what they held.
func (b *FaultBucket) ResetCounts() RequestCounts {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.counts
	b.counts = RequestCounts{}
	return c
}

// hit counts one request and decides whether it fails: it returns the
// armed kind when this request is the k-th one matching it.
func (b *FaultBucket) hit(count *int, kinds ...FaultKind) FaultKind {
	b.mu.Lock()
	defer b.mu.Unlock()
	*count++
	if b.kind == FaultNone || !slices.Contains(kinds, b.kind) {
		return FaultNone
	}
	b.seen++
	if b.seen == b.k {
		b.fired = true
		return b.kind
	}
	return FaultNone
}

func (b *FaultBucket) ErrorCode(err error) gcerrors.ErrorCode {
	switch {
	case errors.Is(err, ErrInjected):
		return gcerrors.Internal
	case errors.Is(err, ErrNoSignedURL):
		return gcerrors.Unimplemented
	}
	return gcerrors.Code(err)
}

func (b *FaultBucket) As(i any) bool { return b.inner.As(i) }

func (b *FaultBucket) ErrorAs(err error, i any) bool { return b.inner.ErrorAs(err, i) }

func (b *FaultBucket) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	b.hit(&b.counts.Head)
	a, err := b.inner.Attributes(ctx, key)
	if err != nil {
		return nil, err
	}
	return &driver.Attributes{
		CacheControl:       a.CacheControl,
		ContentDisposition: a.ContentDisposition,
		ContentEncoding:    a.ContentEncoding,
		ContentLanguage:    a.ContentLanguage,
		ContentType:        a.ContentType,
		Metadata:           a.Metadata,
		CreateTime:         a.CreateTime,
		ModTime:            a.ModTime,
		Size:               a.Size,
		MD5:                a.MD5,
		ETag:               a.ETag,
		AsFunc:             a.As,
	}, nil
}

func (b *FaultBucket) ListPaged(ctx context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	if b.hit(&b.counts.List, FaultList) == FaultList {
		return nil, fmt.Errorf("listing %q: %w", opts.Prefix, ErrInjected)
	}
	token := opts.PageToken
	if len(token) == 0 {
		token = blob.FirstPageToken
	}
	size := opts.PageSize
	if size <= 0 {
		size = 1000
	}
	objs, next, err := b.inner.ListPage(ctx, token, size, &blob.ListOptions{
		Prefix: opts.Prefix, Delimiter: opts.Delimiter, BeforeList: opts.BeforeList,
	})
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	after := b.afterList
	b.mu.Unlock()
	if after != nil {
		after(opts.Prefix)
	}
	page := &driver.ListPage{NextPageToken: next}
	for _, o := range objs {
		page.Objects = append(page.Objects, &driver.ListObject{
			Key: o.Key, ModTime: o.ModTime, Size: o.Size, MD5: o.MD5, IsDir: o.IsDir, AsFunc: o.As,
		})
	}
	return page, nil
}

type countingReader struct{ r *blob.Reader }

func (r countingReader) Read(p []byte) (int, error) { return r.r.Read(p) }
func (r countingReader) Close() error               { return r.r.Close() }
func (r countingReader) As(i any) bool              { return r.r.As(i) }
func (r countingReader) Attributes() *driver.ReaderAttributes {
	return &driver.ReaderAttributes{ContentType: r.r.ContentType(), ModTime: r.r.ModTime(), Size: r.r.Size()}
}

func (b *FaultBucket) NewRangeReader(ctx context.Context, key string, offset, length int64, opts *driver.ReaderOptions) (driver.Reader, error) {
	b.hit(&b.counts.Get)
	b.mu.Lock()
	f := b.beforeGet
	b.mu.Unlock()
	if f != nil {
		f(key)
	}
	r, err := b.inner.NewRangeReader(ctx, key, offset, length, &blob.ReaderOptions{BeforeRead: opts.BeforeRead})
	if err != nil {
		return nil, err
	}
	return countingReader{r}, nil
}

type faultWriter struct {
	w      *blob.Writer
	cancel context.CancelFunc
	fail   FaultKind
	key    string
}

func (w *faultWriter) Write(p []byte) (int, error) { return w.w.Write(p) }

func (w *faultWriter) Close() error {
	defer w.cancel()
	switch w.fail {
	case FaultWrite:
		w.cancel() // abort: the object is never stored
		_ = w.w.Close()
		return fmt.Errorf("writing %q: %w", w.key, ErrInjected)
	case FaultWriteStored:
		if err := w.w.Close(); err != nil {
			return err
		}
		return fmt.Errorf("writing %q (stored): %w", w.key, ErrInjected)
	}
	return w.w.Close()
}

func (b *FaultBucket) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	fail := b.hit(&b.counts.Write, FaultWrite, FaultWriteStored)
	b.mu.Lock()
	ifNotExist := opts.IfNotExist && !b.dropIfNotExist
	before := b.beforeWrite
	b.mu.Unlock()
	if before != nil {
		before(key)
	}
	wctx, cancel := context.WithCancel(ctx)
	w, err := b.inner.NewWriter(wctx, key, &blob.WriterOptions{
		BufferSize:                  opts.BufferSize,
		MaxConcurrency:              opts.MaxConcurrency,
		CacheControl:                opts.CacheControl,
		ContentDisposition:          opts.ContentDisposition,
		ContentEncoding:             opts.ContentEncoding,
		ContentLanguage:             opts.ContentLanguage,
		ContentType:                 contentType,
		ContentMD5:                  opts.ContentMD5,
		Metadata:                    opts.Metadata,
		DisableContentTypeDetection: true,
		BeforeWrite:                 opts.BeforeWrite,
		IfNotExist:                  ifNotExist,
	})
	if err != nil {
		cancel()
		return nil, err
	}
	return &faultWriter{w: w, cancel: cancel, fail: fail, key: key}, nil
}

func (b *FaultBucket) Copy(ctx context.Context, dstKey, srcKey string, opts *driver.CopyOptions) error {
	b.hit(&b.counts.Copy)
	return b.inner.Copy(ctx, dstKey, srcKey, &blob.CopyOptions{BeforeCopy: opts.BeforeCopy})
}

func (b *FaultBucket) Delete(ctx context.Context, key string, opts *driver.DeleteOptions) error {
	switch b.hit(&b.counts.Delete, FaultDelete, FaultDeleteDone) {
	case FaultDelete:
		return fmt.Errorf("deleting %q: %w", key, ErrInjected)
	case FaultDeleteDone:
		if err := b.inner.DeleteWithOptions(ctx, key, &blob.DeleteOptions{BeforeDelete: opts.BeforeDelete}); err != nil {
			return err
		}
		return fmt.Errorf("deleting %q (done): %w", key, ErrInjected)
	}
	return b.inner.DeleteWithOptions(ctx, key, &blob.DeleteOptions{BeforeDelete: opts.BeforeDelete})
}

func (b *FaultBucket) SignedURL(context.Context, string, *driver.SignedURLOptions) (string, error) {
	return "", ErrNoSignedURL
}

func (b *FaultBucket) Close() error { return nil }
