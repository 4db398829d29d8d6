// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"
)

// errInjected is the failure reported by an injected fault.
var errInjected = errors.New("injected bucket fault")

var errNoSignedURL = errors.New("signed URLs are not supported by the test bucket")

// faultKind selects which request an armed fault fails, and how.
type faultKind int

const (
	faultNone        faultKind = iota
	faultWrite                 // the write fails; the object is not stored
	faultWriteStored           // the object is stored, then the write reports failure
	faultList                  // the list request fails
	faultDelete                // the delete fails; the object stays
	faultDeleteDone            // the object is deleted, then the delete reports failure
)

func (k faultKind) String() string {
	return [...]string{"none", "write", "write-stored", "list", "delete", "delete-done"}[k]
}

// requestCounts counts bucket requests by kind.
type requestCounts struct {
	List, Get, Head, Write, Delete, Copy int
}

func (c requestCounts) total() int { return c.List + c.Get + c.Head + c.Write + c.Delete + c.Copy }

// instrumentedBucket is a driver.Bucket over any *blob.Bucket. It counts
// requests by kind, can fail the k-th write, list or delete after being
// armed, and can ignore IfNotExist to imitate stores that silently drop
// conditional writes. Open it with blob.NewBucket.
type instrumentedBucket struct {
	inner *blob.Bucket

	mu             sync.Mutex
	counts         requestCounts
	kind           faultKind
	k              int // fail the k-th matching request after arming
	seen           int // matching requests since arming
	fired          bool
	dropIfNotExist bool
}

var _ driver.Bucket = (*instrumentedBucket)(nil)

func newInstrumented(inner *blob.Bucket) (*instrumentedBucket, *blob.Bucket) {
	ib := &instrumentedBucket{inner: inner}
	return ib, blob.NewBucket(ib)
}

// arm makes the k-th following request of the given kind fail.
func (b *instrumentedBucket) arm(kind faultKind, k int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.kind, b.k, b.seen, b.fired = kind, k, 0, false
}

// disarm stops injecting and reports whether the fault fired and how many
// matching requests were seen.
func (b *instrumentedBucket) disarm() (fired bool, seen int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fired, seen = b.fired, b.seen
	b.kind = faultNone
	return fired, seen
}

// resetCounts zeroes the counters and returns what they held.
func (b *instrumentedBucket) resetCounts() requestCounts {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := b.counts
	b.counts = requestCounts{}
	return c
}

// hit counts one request and decides whether it fails: it returns the
// armed kind when this request is the k-th one matching it.
func (b *instrumentedBucket) hit(count *int, kinds ...faultKind) faultKind {
	b.mu.Lock()
	defer b.mu.Unlock()
	*count++
	if b.kind == faultNone || !slices.Contains(kinds, b.kind) {
		return faultNone
	}
	b.seen++
	if b.seen == b.k {
		b.fired = true
		return b.kind
	}
	return faultNone
}

func (b *instrumentedBucket) ErrorCode(err error) gcerrors.ErrorCode {
	switch {
	case errors.Is(err, errInjected):
		return gcerrors.Internal
	case errors.Is(err, errNoSignedURL):
		return gcerrors.Unimplemented
	}
	return gcerrors.Code(err)
}

func (b *instrumentedBucket) As(i any) bool { return b.inner.As(i) }

func (b *instrumentedBucket) ErrorAs(err error, i any) bool { return b.inner.ErrorAs(err, i) }

func (b *instrumentedBucket) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
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

func (b *instrumentedBucket) ListPaged(ctx context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	if b.hit(&b.counts.List, faultList) == faultList {
		return nil, fmt.Errorf("listing %q: %w", opts.Prefix, errInjected)
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

func (b *instrumentedBucket) NewRangeReader(ctx context.Context, key string, offset, length int64, opts *driver.ReaderOptions) (driver.Reader, error) {
	b.hit(&b.counts.Get)
	r, err := b.inner.NewRangeReader(ctx, key, offset, length, &blob.ReaderOptions{BeforeRead: opts.BeforeRead})
	if err != nil {
		return nil, err
	}
	return countingReader{r}, nil
}

type faultWriter struct {
	w      *blob.Writer
	cancel context.CancelFunc
	fail   faultKind
	key    string
}

func (w *faultWriter) Write(p []byte) (int, error) { return w.w.Write(p) }

func (w *faultWriter) Close() error {
	defer w.cancel()
	switch w.fail {
	case faultWrite:
		w.cancel() // abort: the object is never stored
		_ = w.w.Close()
		return fmt.Errorf("writing %q: %w", w.key, errInjected)
	case faultWriteStored:
		if err := w.w.Close(); err != nil {
			return err
		}
		return fmt.Errorf("writing %q (stored): %w", w.key, errInjected)
	}
	return w.w.Close()
}

func (b *instrumentedBucket) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	fail := b.hit(&b.counts.Write, faultWrite, faultWriteStored)
	b.mu.Lock()
	ifNotExist := opts.IfNotExist && !b.dropIfNotExist
	b.mu.Unlock()
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

func (b *instrumentedBucket) Copy(ctx context.Context, dstKey, srcKey string, opts *driver.CopyOptions) error {
	b.hit(&b.counts.Copy)
	return b.inner.Copy(ctx, dstKey, srcKey, &blob.CopyOptions{BeforeCopy: opts.BeforeCopy})
}

func (b *instrumentedBucket) Delete(ctx context.Context, key string, opts *driver.DeleteOptions) error {
	switch b.hit(&b.counts.Delete, faultDelete, faultDeleteDone) {
	case faultDelete:
		return fmt.Errorf("deleting %q: %w", key, errInjected)
	case faultDeleteDone:
		if err := b.inner.DeleteWithOptions(ctx, key, &blob.DeleteOptions{BeforeDelete: opts.BeforeDelete}); err != nil {
			return err
		}
		return fmt.Errorf("deleting %q (done): %w", key, errInjected)
	}
	return b.inner.DeleteWithOptions(ctx, key, &blob.DeleteOptions{BeforeDelete: opts.BeforeDelete})
}

func (b *instrumentedBucket) SignedURL(context.Context, string, *driver.SignedURLOptions) (string, error) {
	return "", errNoSignedURL
}

func (b *instrumentedBucket) Close() error { return nil }

// TestInstrumentedBucket checks the wrapper itself: counts, each fault kind,
// and that IfNotExist conflicts keep their FailedPrecondition code.
func TestInstrumentedBucket(t *testing.T) {
	ctx := context.Background()
	inner := openRaw(t, "mem://")
	ib, b := newInstrumented(inner)
	create := &blob.WriterOptions{IfNotExist: true}
	if err := b.WriteAll(ctx, "a", []byte("1"), create); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteAll(ctx, "a", []byte("2"), create); gcerrors.Code(err) != gcerrors.FailedPrecondition {
		t.Fatalf("second create-only write: %v (code %v), want FailedPrecondition", err, gcerrors.Code(err))
	}
	if _, err := b.ReadAll(ctx, "missing"); gcerrors.Code(err) != gcerrors.NotFound {
		t.Fatalf("read of a missing key: %v", err)
	}
	ib.arm(faultWrite, 2)
	if err := b.WriteAll(ctx, "b", []byte("b"), create); err != nil {
		t.Fatalf("first write after arming: %v", err)
	}
	if err := b.WriteAll(ctx, "c", []byte("c"), create); !errors.Is(err, errInjected) && gcerrors.Code(err) != gcerrors.Internal {
		t.Fatalf("second write after arming: %v, want the injected fault", err)
	}
	if fired, seen := ib.disarm(); !fired || seen != 2 {
		t.Fatalf("fired %v after %d writes", fired, seen)
	}
	if ok, _ := inner.Exists(ctx, "c"); ok {
		t.Fatalf("a failed write stored its object")
	}
	ib.arm(faultWriteStored, 1)
	if err := b.WriteAll(ctx, "d", []byte("d"), create); err == nil {
		t.Fatalf("stored-then-failed write reported success")
	}
	ib.disarm()
	if ok, _ := inner.Exists(ctx, "d"); !ok {
		t.Fatalf("the stored-then-failed write did not store its object")
	}
	ib.arm(faultList, 1)
	if _, _, err := b.ListPage(ctx, blob.FirstPageToken, 10, nil); err == nil {
		t.Fatalf("armed list succeeded")
	}
	ib.disarm()
	ib.arm(faultDeleteDone, 1)
	if err := b.Delete(ctx, "d"); err == nil {
		t.Fatalf("armed delete succeeded")
	}
	ib.disarm()
	if ok, _ := inner.Exists(ctx, "d"); ok {
		t.Fatalf("delete-done fault left the object")
	}
	objs, _, err := b.ListPage(ctx, blob.FirstPageToken, 10, nil)
	if err != nil || len(objs) != 2 || objs[0].Key != "a" || objs[1].Key != "b" {
		t.Fatalf("list = %v, %v", objs, err)
	}
	c := ib.resetCounts()
	if c.Write != 5 || c.Get != 1 || c.List != 2 || c.Delete != 1 {
		t.Fatalf("counts = %+v", c)
	}
	ib.dropIfNotExist = true
	if err := b.WriteAll(ctx, "a", []byte("3"), create); err != nil {
		t.Fatalf("with IfNotExist dropped, the overwrite failed: %v", err)
	}
}

// TestConditionalWritesUnsupported: a bucket that silently ignores
// create-only writes is refused, whether it is new or already holds a store.
func TestConditionalWritesUnsupported(t *testing.T) {
	ctx := context.Background()
	root := randomRootKey()

	ib, b := newInstrumented(openRaw(t, "mem://"))
	ib.dropIfNotExist = true
	s, err := Open(ctx, Options{Bucket: b, RootKey: root})
	if err == nil {
		_ = s.Close()
	}
	expectErr(t, err, ErrConditionalWritesUnsupported, "Open on a new bucket that ignores IfNotExist")

	inner := openRaw(t, "mem://")
	good, err := Open(ctx, Options{Bucket: inner, RootKey: root})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if _, err := good.CreateKeyVersion(ctx, 1, nil); err != nil {
		t.Fatalf("CreateKeyVersion: %v", err)
	}
	_ = good.Close()
	ib, b = newInstrumented(inner)
	ib.dropIfNotExist = true
	s, err = Open(ctx, Options{Bucket: b, RootKey: root})
	if err == nil {
		_ = s.Close()
	}
	expectErr(t, err, ErrConditionalWritesUnsupported, "Open on an existing store whose bucket ignores IfNotExist")
}

// faultEnv is a store on a faulty bucket plus a checker store that reads
// the same objects without faults.
type faultEnv struct {
	t     *testing.T
	ctx   context.Context
	clock *testClock
	root  string
	inner *blob.Bucket
	ib    *instrumentedBucket
	s     *Store // on the faulty bucket
}

func newFaultEnv(t *testing.T) *faultEnv {
	t.Helper()
	e := &faultEnv{t: t, ctx: context.Background(), clock: newTestClock(), root: randomRootKey()}
	e.inner = openRaw(t, "mem://")
	var b *blob.Bucket
	e.ib, b = newInstrumented(e.inner)
	s, err := Open(e.ctx, Options{Bucket: b, RootKey: e.root, Now: e.clock.Now, Actor: testActor, Concurrency: 4})
	if err != nil {
		t.Fatalf("Open on the faulty bucket: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	e.s = s
	return e
}

// checker opens a new store directly on the inner bucket.
func (e *faultEnv) checker() *Store {
	e.t.Helper()
	s, err := Open(e.ctx, Options{Bucket: e.inner, RootKey: e.root, Now: e.clock.Now, Actor: testActor})
	if err != nil {
		e.t.Fatalf("Open checker: %v", err)
	}
	e.t.Cleanup(func() { _ = s.Close() })
	return s
}

type secretID struct{ ns, name string }

// verifyAcked fails unless every acknowledged value reads exactly, and the
// current revision of each has its audit event (fail closed).
func verifyAcked(t *testing.T, s *Store, acked map[secretID][]byte, maybe map[secretID][]byte, what string) {
	t.Helper()
	ctx := context.Background()
	for id, want := range acked {
		got, err := s.Get(ctx, id.ns, id.name, GetOptions{})
		if err != nil {
			t.Fatalf("%s: acknowledged %s/%s unreadable: %v", what, id.ns, id.name, err)
		}
		if string(got.Value) != string(want) {
			if alt, ok := maybe[id]; !ok || string(got.Value) != string(alt) {
				t.Fatalf("%s: %s/%s reads %q, acknowledged %q", what, id.ns, id.name, got.Value, want)
			}
		}
		found := false
		for _, ev := range allEvents(t, s, EventFilter{Namespace: id.ns, Name: id.name}) {
			found = found || ev.Revision == got.Revision
		}
		if !found {
			t.Fatalf("%s: current revision %d of %s/%s has no audit event", what, got.Revision, id.ns, id.name)
		}
	}
}

// faultSweep runs one scenario once per k = 1, 2, ... with the k-th request
// of the kind failing, until a run completes without the fault firing. It
// returns the number of runs in which the fault fired.
func faultSweep(t *testing.T, kind faultKind, maxK int, run func(t *testing.T, e *faultEnv, k int) (fired bool)) int {
	t.Helper()
	firedRuns := 0
	for k := 1; ; k++ {
		if k > maxK {
			t.Fatalf("%s: the operation still made a matching request at k = %d", kind, maxK)
		}
		fired := false
		t.Run(fmt.Sprintf("k=%d", k), func(t *testing.T) {
			fired = run(t, newFaultEnv(t), k)
		})
		if t.Failed() {
			return firedRuns
		}
		if !fired {
			return firedRuns
		}
		firedRuns++
	}
}

func TestFaultsPut(t *testing.T) {
	type op struct {
		name  string
		id    secretID
		input func() PutInput
	}
	ops := []op{
		{"create", secretID{"f", "new"}, func() PutInput {
			return PutInput{Namespace: "f", Name: "new", Value: []byte("created value")}
		}},
		{"update", secretID{"f", "s1"}, func() PutInput {
			return PutInput{Namespace: "f", Name: "s1", Value: []byte("updated value")}
		}},
		{"metadata", secretID{"f", "s2"}, func() PutInput {
			return PutInput{Namespace: "f", Name: "s2", SetMetadata: true, Metadata: map[string]string{"k": "v"}}
		}},
	}
	for _, o := range ops {
		for _, kind := range []faultKind{faultWrite, faultWriteStored, faultList} {
			t.Run(o.name+"/"+kind.String(), func(t *testing.T) {
				fired := faultSweep(t, kind, 100, func(t *testing.T, e *faultEnv, k int) bool {
					if _, err := e.s.CreateKeyVersion(e.ctx, 1, nil); err != nil {
						t.Fatalf("CreateKeyVersion: %v", err)
					}
					acked := map[secretID][]byte{}
					for i := 0; i < 4; i++ {
						id := secretID{"f", fmt.Sprintf("s%d", i)}
						v := []byte(fmt.Sprintf("value %d", i))
						if _, err := e.s.Put(e.ctx, PutInput{Namespace: id.ns, Name: id.name, Value: v}); err != nil {
							t.Fatalf("setup Put: %v", err)
						}
						acked[id] = v
					}
					in := o.input()
					newValue := in.Value
					if newValue == nil {
						newValue = acked[o.id]
					}
					e.clock.Advance(time.Second)
					e.ib.arm(kind, k)
					_, err := e.s.Put(e.ctx, in)
					fired, _ := e.ib.disarm()
					if !fired && err != nil {
						t.Fatalf("Put without a fault: %v", err)
					}
					maybe := map[secretID][]byte{}
					if err == nil {
						acked[o.id] = newValue
					} else {
						maybe[o.id] = newValue
					}
					verifyAcked(t, e.checker(), acked, maybe, "after the fault")
					if err != nil {
						// The unacknowledged write is either absent or complete.
						if got, gerr := e.checker().Get(e.ctx, o.id.ns, o.id.name, GetOptions{}); gerr != nil && !(o.name == "create" && errors.Is(gerr, ErrNotFound)) {
							t.Fatalf("after a failed %s, Get = %v", o.name, gerr)
						} else if gerr == nil && o.name == "metadata" && got.Metadata["k"] != "v" && len(got.Metadata) != 0 {
							t.Fatalf("after a failed metadata update, metadata = %v", got.Metadata)
						}
						// A rerun converges.
						e.clock.Advance(time.Second)
						if _, err := e.s.Put(e.ctx, o.input()); err != nil {
							t.Fatalf("rerun of %s after the fault: %v", o.name, err)
						}
						acked[o.id] = newValue
						verifyAcked(t, e.checker(), acked, nil, "after the rerun")
						if o.name == "metadata" {
							if got, _ := e.checker().Get(e.ctx, o.id.ns, o.id.name, GetOptions{}); got.Metadata["k"] != "v" {
								t.Fatalf("metadata after rerun = %v", got.Metadata)
							}
						}
					}
					return fired
				})
				if !t.Failed() && fired == 0 && kind != faultList {
					t.Fatalf("no fault fired: the %s made no matching request", o.name)
				}
				t.Logf("%s/%s: faults injected in %d runs", o.name, kind, fired)
			})
		}
	}
}

func TestFaultsRotate(t *testing.T) {
	const n = 8
	for _, kind := range []faultKind{faultWrite, faultWriteStored, faultList} {
		t.Run(kind.String(), func(t *testing.T) {
			fired := faultSweep(t, kind, 200, func(t *testing.T, e *faultEnv, k int) bool {
				if _, err := e.s.CreateKeyVersion(e.ctx, 1, nil); err != nil {
					t.Fatalf("CreateKeyVersion: %v", err)
				}
				acked := map[secretID][]byte{}
				for i := 0; i < n; i++ {
					id := secretID{fmt.Sprintf("n%d", i%2), fmt.Sprintf("s%d", i)}
					v := []byte(fmt.Sprintf("value %d", i))
					if _, err := e.s.Put(e.ctx, PutInput{Namespace: id.ns, Name: id.name, Value: v}); err != nil {
						t.Fatalf("setup Put: %v", err)
					}
					acked[id] = v
				}
				if _, err := e.s.CreateKeyVersion(e.ctx, 2, nil); err != nil {
					t.Fatalf("CreateKeyVersion(2): %v", err)
				}
				e.clock.Advance(time.Second)
				e.ib.arm(kind, k)
				res, err := e.s.Rotate(e.ctx, RotateInput{})
				fired, _ := e.ib.disarm()
				if !fired {
					if err != nil || res.Rotated != n {
						t.Fatalf("Rotate without a fault = %+v, %v", res, err)
					}
				}
				verifyAcked(t, e.checker(), acked, nil, "after the fault")
				e.clock.Advance(time.Second)
				if res, err := e.s.Rotate(e.ctx, RotateInput{}); err != nil || res.Processed != n {
					t.Fatalf("rerun of Rotate = %+v, %v", res, err)
				}
				c := e.checker()
				verifyAcked(t, c, acked, nil, "after the rerun")
				plan, err := c.PlanRotate(e.ctx, RotateInput{})
				if err != nil || plan.Pending != 0 || plan.ByVersion[2] != n {
					t.Fatalf("PlanRotate after the rerun = %+v, %v", plan, err)
				}
				for id := range acked {
					sec, err := c.Get(e.ctx, id.ns, id.name, GetOptions{})
					if err != nil || sec.KeyVersion != 2 {
						t.Fatalf("%v after the rerun: key version %d, %v", id, sec.KeyVersion, err)
					}
					rotated := allEvents(t, c, EventFilter{Namespace: id.ns, Name: id.name, Operations: []string{OpRotated}})
					if !slices.ContainsFunc(rotated, func(ev Event) bool { return ev.Revision == sec.Revision }) {
						t.Fatalf("%v: no rotated event for revision %d", id, sec.Revision)
					}
				}
				return fired
			})
			if !t.Failed() && fired < 2 {
				t.Fatalf("faults fired in only %d runs", fired)
			}
			t.Logf("%s: faults injected in %d runs", kind, fired)
		})
	}
}

func TestFaultsCleanup(t *testing.T) {
	ret := func(d time.Duration) *time.Duration { return &d }
	retention := Retention{ExpiredSecrets: ret(24 * time.Hour), DeletedSecrets: ret(24 * time.Hour),
		Revisions: ret(24 * time.Hour), AuditEvents: ret(24 * time.Hour)}
	for _, kind := range []faultKind{faultWrite, faultWriteStored, faultList, faultDelete, faultDeleteDone} {
		t.Run(kind.String(), func(t *testing.T) {
			fired := faultSweep(t, kind, 400, func(t *testing.T, e *faultEnv, k int) bool {
				ctx := e.ctx
				if _, err := e.s.CreateKeyVersion(ctx, 1, nil); err != nil {
					t.Fatalf("CreateKeyVersion: %v", err)
				}
				acked := map[secretID][]byte{}
				put := func(in PutInput) {
					if _, err := e.s.Put(ctx, in); err != nil {
						t.Fatalf("setup Put: %v", err)
					}
					if in.Value != nil {
						acked[secretID{in.Namespace, in.Name}] = in.Value
					}
				}
				for i := 0; i < 3; i++ {
					put(PutInput{Namespace: "c", Name: fmt.Sprintf("exp%d", i), Value: []byte("e"), Expiry: Expiry{Set: true, TTL: time.Hour}})
					put(PutInput{Namespace: "c", Name: fmt.Sprintf("del%d", i), Value: []byte("d")})
					put(PutInput{Namespace: "c", Name: fmt.Sprintf("live%d", i), Value: []byte(fmt.Sprintf("old %d", i))})
					put(PutInput{Namespace: "c", Name: fmt.Sprintf("live%d", i), Value: []byte(fmt.Sprintf("live %d", i))})
					if err := e.s.Delete(ctx, "c", fmt.Sprintf("del%d", i), 0); err != nil {
						t.Fatalf("setup Delete: %v", err)
					}
				}
				gone := []secretID{}
				for id := range acked {
					if id.name[:3] != "liv" {
						gone = append(gone, id)
						delete(acked, id)
					}
				}
				e.clock.Advance(50 * time.Hour)
				put(PutInput{Namespace: "c", Name: "new", Value: []byte("new")})
				plan, err := e.s.PlanCleanup(ctx, CleanupInput{Retention: retention})
				if err != nil || plan.Secrets != 6 || plan.Revisions != 3 || plan.Events == 0 {
					t.Fatalf("PlanCleanup = %+v, %v", plan, err)
				}

				e.ib.arm(kind, k)
				res, err := e.s.Cleanup(ctx, CleanupInput{Retention: retention})
				fired, _ := e.ib.disarm()
				if !fired && (err != nil || res != plan) {
					t.Fatalf("Cleanup without a fault = %+v, %v; planned %+v", res, err, plan)
				}
				c := e.checker()
				verifyAcked(t, c, acked, nil, "after the fault")
				// An interrupted purge never brings back an older revision.
				for _, id := range gone {
					if sec, err := c.Get(ctx, id.ns, id.name, GetOptions{}); err == nil || !(errors.Is(err, ErrNotFound) || errors.Is(err, ErrExpired)) {
						t.Fatalf("%v after an interrupted cleanup: Get = %q, %v; want not found or expired", id, sec.Value, err)
					}
				}

				e.clock.Advance(time.Second)
				if _, err := e.s.Cleanup(ctx, CleanupInput{Retention: retention}); err != nil {
					t.Fatalf("rerun of Cleanup: %v", err)
				}
				c = e.checker()
				verifyAcked(t, c, acked, nil, "after the rerun")
				if plan, err := c.PlanCleanup(ctx, CleanupInput{Retention: retention}); err != nil || plan.Secrets != 0 || plan.Revisions != 0 {
					t.Fatalf("PlanCleanup after the rerun = %+v, %v", plan, err)
				}
				for _, id := range gone {
					if _, err := c.Get(ctx, id.ns, id.name, GetOptions{}); !errors.Is(err, ErrNotFound) {
						t.Fatalf("%v after cleanup: %v, want not found", id, err)
					}
					if id.name[:3] == "exp" {
						evs := allEvents(t, c, EventFilter{Namespace: id.ns, Name: id.name, Operations: []string{OpDeleted}})
						if len(evs) == 0 || evs[len(evs)-1].Reason != ReasonExpiredCleanup {
							t.Fatalf("%v: deleted events %+v, want a final one with reason %s", id, evs, ReasonExpiredCleanup)
						}
					}
				}
				for i := 0; i < 3; i++ {
					if _, err := c.Get(ctx, "c", fmt.Sprintf("live%d", i), GetOptions{Revision: 1}); !errors.Is(err, ErrNotFound) {
						t.Fatalf("superseded revision of live%d after cleanup: %v", i, err)
					}
				}
				return fired
			})
			if !t.Failed() && fired < 2 {
				t.Fatalf("faults fired in only %d runs", fired)
			}
			t.Logf("%s: faults injected in %d runs", kind, fired)
		})
	}
}
