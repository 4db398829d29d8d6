// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// envTestBucketURL names an extra bucket (any gocloud.dev URL) that the
// conformance suite runs against when set. Each test uses its own random
// prefix inside it and removes what it wrote.
const envTestBucketURL = "SECRETSTORE_TEST_BUCKET_URL"

// testClock is the injected Options.Now. It moves only when told to, in
// whole seconds, so that every time survives any storage precision.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Unix(time.Now().Unix(), 0).UTC()}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d and returns the new time.
func (c *testClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// target is one empty bucket a store under test lives in: the Options that
// open the store on it and an independent raw handle on the same objects,
// used to inspect and tamper with what the store wrote.
type target struct {
	opts Options
	raw  *blob.Bucket
}

type targetKind struct {
	name string
	new  func(t *testing.T) target
}

// targetKinds lists every bucket the conformance suite runs against:
// mem://, file://, S3 through gofakes3 on loopback and, when set, the
// bucket named by SECRETSTORE_TEST_BUCKET_URL.
func targetKinds() []targetKind {
	kinds := []targetKind{
		{"mem", memTarget},
		{"file", fileTarget},
		{"s3fake", s3Target},
	}
	if os.Getenv(envTestBucketURL) != "" {
		kinds = append(kinds, targetKind{"env", envTarget})
	}
	return kinds
}

func openRaw(t *testing.T, u string) *blob.Bucket {
	t.Helper()
	b, err := blob.OpenBucket(context.Background(), u)
	if err != nil {
		t.Fatalf("opening raw bucket %q: %v", u, err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func memTarget(t *testing.T) target {
	b := openRaw(t, "mem://")
	return target{opts: Options{Bucket: b}, raw: b}
}

func fileURL(dir string) string {
	return "file://" + filepath.ToSlash(dir)
}

func fileTarget(t *testing.T) target {
	u := fileURL(t.TempDir())
	return target{opts: Options{BucketURL: u}, raw: openRaw(t, u)}
}

func s3Target(t *testing.T) target {
	u := newFakeS3(t).newBucketURL(t)
	return target{opts: Options{BucketURL: u}, raw: openRaw(t, u)}
}

func envTarget(t *testing.T) target {
	base := os.Getenv(envTestBucketURL)
	if base == "" {
		t.Skipf("%s is not set", envTestBucketURL)
	}
	prefix := "secretstore-conformance/" + randomHex(8) + "/"
	var u string
	if rest, ok := strings.CutPrefix(base, "file://"); ok {
		// The store takes no options in file:// URLs: use a new directory.
		dir := filepath.Join(filepath.FromSlash(rest), filepath.FromSlash(prefix))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatalf("creating %s: %v", dir, err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(dir) })
		u = fileURL(dir)
	} else {
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		u = base + sep + "prefix=" + url.QueryEscape(prefix)
	}
	raw := openRaw(t, u)
	t.Cleanup(func() {
		ctx := context.Background()
		it := raw.List(nil)
		for {
			obj, err := it.Next(ctx)
			if err != nil {
				return
			}
			_ = raw.Delete(ctx, obj.Key)
		}
	})
	return target{opts: Options{BucketURL: u}, raw: raw}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }

// randomRootKey returns a bare base64 32-byte root key.
func randomRootKey() string { return base64.StdEncoding.EncodeToString(randomBytes(32)) }

const testActor = "conformance@test"

// harness is one store under test with its clock and raw bucket.
type harness struct {
	t     *testing.T
	ctx   context.Context
	tg    target
	clock *testClock
	root  string
	s     *Store
}

func newHarness(t *testing.T, newTarget func(*testing.T) target) *harness {
	t.Helper()
	return newHarnessRoot(t, newTarget, randomRootKey())
}

func newHarnessRoot(t *testing.T, newTarget func(*testing.T) target, root string) *harness {
	t.Helper()
	h := &harness{
		t:     t,
		ctx:   context.Background(),
		tg:    newTarget(t),
		clock: newTestClock(),
		root:  root,
	}
	h.s = h.mustOpen()
	return h
}

func (h *harness) options(mut ...func(*Options)) Options {
	o := h.tg.opts
	o.RootKey = h.root
	o.Actor = testActor
	o.Now = h.clock.Now
	for _, m := range mut {
		m(&o)
	}
	return o
}

func (h *harness) open(mut ...func(*Options)) (*Store, error) {
	s, err := Open(h.ctx, h.options(mut...))
	if err == nil {
		h.t.Cleanup(func() { _ = s.Close() })
	}
	return s, err
}

func (h *harness) mustOpen(mut ...func(*Options)) *Store {
	h.t.Helper()
	s, err := h.open(mut...)
	if err != nil {
		h.t.Fatalf("Open: %v", err)
	}
	return s
}

// fresh opens a second, independent Store on the same bucket, so that
// nothing cached by h.s hides what is really stored.
func (h *harness) fresh() *Store {
	h.t.Helper()
	return h.mustOpen()
}

func (h *harness) createKV(version int) KeyVersion {
	h.t.Helper()
	kv, err := h.s.CreateKeyVersion(h.ctx, version, nil)
	if err != nil {
		h.t.Fatalf("CreateKeyVersion(%d): %v", version, err)
	}
	return kv
}

func (h *harness) put(in PutInput) Secret {
	h.t.Helper()
	sec, err := h.s.Put(h.ctx, in)
	if err != nil {
		h.t.Fatalf("Put(%s/%s): %v", in.Namespace, in.Name, err)
	}
	return sec
}

func (h *harness) putValue(ns, name, value string) Secret {
	h.t.Helper()
	return h.put(PutInput{Namespace: ns, Name: name, Value: []byte(value)})
}

func (h *harness) get(s *Store, ns, name string, rev int64) Secret {
	h.t.Helper()
	sec, err := s.Get(h.ctx, ns, name, GetOptions{Revision: rev})
	if err != nil {
		h.t.Fatalf("Get(%s/%s, revision %d): %v", ns, name, rev, err)
	}
	return sec
}

func (h *harness) expectValue(s *Store, ns, name string, want []byte) Secret {
	h.t.Helper()
	sec := h.get(s, ns, name, 0)
	if !bytes.Equal(sec.Value, want) {
		h.t.Fatalf("Get(%s/%s) value = %q, want %q", ns, name, trunc(sec.Value), trunc(want))
	}
	return sec
}

func trunc(b []byte) []byte {
	if len(b) > 40 {
		return append(b[:40:40], "..."...)
	}
	return b
}

// expectErr fails unless err wraps want.
func expectErr(t *testing.T, err, want error, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got nil error, want %v", what, want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %q (%T), want one wrapping %q", what, err, err, want)
	}
}

// allEvents pages through ListEvents with f and returns every event.
func allEvents(t *testing.T, s *Store, f EventFilter) []Event {
	t.Helper()
	var out []Event
	if f.Limit == 0 {
		f.Limit = MaxEventLimit
	}
	for pages := 0; ; pages++ {
		if pages > 100000 {
			t.Fatalf("ListEvents did not terminate")
		}
		page, err := s.ListEvents(context.Background(), f)
		if err != nil {
			t.Fatalf("ListEvents(%+v): %v", f, err)
		}
		if len(page.Events) > f.Limit {
			t.Fatalf("ListEvents returned %d events, more than Limit %d", len(page.Events), f.Limit)
		}
		out = append(out, page.Events...)
		if page.NextPageToken == "" {
			return out
		}
		f.PageToken = page.NextPageToken
	}
}

func allSecrets(t *testing.T, s *Store, in ListInput) []Secret {
	t.Helper()
	var out []Secret
	for pages := 0; ; pages++ {
		if pages > 100000 {
			t.Fatalf("List did not terminate")
		}
		page, err := s.List(context.Background(), in)
		if err != nil {
			t.Fatalf("List(%+v): %v", in, err)
		}
		limit := in.PageSize
		if limit == 0 {
			limit = 100
		}
		if len(page.Secrets) > limit {
			t.Fatalf("List returned %d secrets, more than PageSize %d", len(page.Secrets), limit)
		}
		out = append(out, page.Secrets...)
		if page.NextPageToken == "" {
			return out
		}
		in.PageToken = page.NextPageToken
	}
}

func secretNames(secs []Secret) []string {
	out := make([]string, len(secs))
	for i, s := range secs {
		out[i] = s.Name
	}
	return out
}

// rawObjects returns every object key in the bucket with its size.
func rawObjects(t *testing.T, b *blob.Bucket) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	it := b.List(nil)
	for {
		obj, err := it.Next(context.Background())
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatalf("listing raw bucket: %v", err)
		}
		out[obj.Key] = obj.Size
	}
}

// newObjects returns the keys in after that are not in before, sorted.
func newObjects(before, after map[string]int64) []string {
	var out []string
	for k := range after {
		if _, ok := before[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// largestNew returns the largest object written between two snapshots: the
// revision object of a secret whose value is larger than any event.
func largestNew(t *testing.T, before, after map[string]int64) string {
	t.Helper()
	best, size := "", int64(-1)
	for _, k := range newObjects(before, after) {
		if after[k] > size {
			best, size = k, after[k]
		}
	}
	if best == "" {
		t.Fatalf("no object was written")
	}
	return best
}

func readRaw(t *testing.T, b *blob.Bucket, key string) []byte {
	t.Helper()
	data, err := b.ReadAll(context.Background(), key)
	if err != nil {
		t.Fatalf("reading raw object %q: %v", key, err)
	}
	return data
}

func writeRaw(t *testing.T, b *blob.Bucket, key string, data []byte) {
	t.Helper()
	if err := b.WriteAll(context.Background(), key, data, nil); err != nil {
		t.Fatalf("overwriting raw object %q: %v", key, err)
	}
}

func TestConformance(t *testing.T) {
	for _, kind := range targetKinds() {
		t.Run(kind.name, func(t *testing.T) {
			runConformance(t, kind.new)
		})
	}
}

// runConformance checks every StoreAPI contract on stores created by
// newTarget (each subtest gets its own empty bucket).
func runConformance(t *testing.T, newTarget func(*testing.T) target) {
	t.Run("Open", func(t *testing.T) { testOpen(t, newTarget) })
	t.Run("KeyVersions", func(t *testing.T) { testKeyVersions(t, newTarget) })
	t.Run("RootKeyRotation", func(t *testing.T) { testRootKeyRotation(t, newTarget) })
	t.Run("PutGet", func(t *testing.T) { testPutGet(t, newTarget) })
	t.Run("Metadata", func(t *testing.T) { testMetadata(t, newTarget) })
	t.Run("Expiry", func(t *testing.T) { testExpiry(t, newTarget) })
	t.Run("Validation", func(t *testing.T) { testValidation(t, newTarget) })
	t.Run("IfRevision", func(t *testing.T) { testIfRevision(t, newTarget) })
	t.Run("ConcurrentPuts", func(t *testing.T) { testConcurrentPuts(t, newTarget) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, newTarget) })
	t.Run("List", func(t *testing.T) { testList(t, newTarget) })
	t.Run("ListingSiblings", func(t *testing.T) { testListingSiblings(t, newTarget) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, newTarget) })
	t.Run("Rotate", func(t *testing.T) { testRotate(t, newTarget) })
	t.Run("RotateConcurrentWriter", func(t *testing.T) { testRotateConcurrentWriter(t, newTarget) })
	t.Run("Cleanup", func(t *testing.T) { testCleanup(t, newTarget) })
	t.Run("CleanupScope", func(t *testing.T) { testCleanupScope(t, newTarget) })
	t.Run("Tamper", func(t *testing.T) { testTamper(t, newTarget) })
	t.Run("TamperEvents", func(t *testing.T) { testTamperEvents(t, newTarget) })
	t.Run("KeyVersionUnavailable", func(t *testing.T) { testKeyVersionUnavailable(t, newTarget) })
	t.Run("NoPlaintextInBucket", func(t *testing.T) { testNoPlaintext(t, newTarget) })
}

func testOpen(t *testing.T, newTarget func(*testing.T) target) {
	ctx := context.Background()
	tg := newTarget(t)
	bad := map[string]string{
		"empty root key":            "",
		"base64key with no key":     "base64key://",
		"16-byte bare key":          base64.StdEncoding.EncodeToString(randomBytes(16)),
		"33-byte bare key":          base64.StdEncoding.EncodeToString(randomBytes(33)),
		"not base64":                "this is not a key!",
		"16-byte base64key":         "base64key://" + base64.URLEncoding.EncodeToString(randomBytes(16)),
		"unregistered keeper url":   "nosuchkeeper://key",
		"whitespace around the key": " " + randomRootKey() + " x",
	}
	for name, key := range bad {
		o := tg.opts
		o.RootKey = key
		s, err := Open(ctx, o)
		if err == nil {
			_ = s.Close()
			t.Fatalf("Open with %s: got nil error", name)
		}
		if strings.Contains(err.Error(), key) && len(key) > 20 {
			t.Fatalf("Open with %s: the error echoes the root key: %q", name, err)
		}
	}
	if objs := rawObjects(t, tg.raw); len(objs) != 0 {
		t.Fatalf("failed Opens wrote %d objects: %v", len(objs), objs)
	}

	root := randomRootKey()
	o := tg.opts
	o.RootKey = root
	s1, err := Open(ctx, o)
	if err != nil {
		t.Fatalf("Open on an empty bucket: %v", err)
	}
	defer s1.Close()
	if _, err := s1.CreateKeyVersion(ctx, 1, nil); err != nil {
		t.Fatalf("CreateKeyVersion: %v", err)
	}
	s2, err := Open(ctx, o)
	if err != nil {
		t.Fatalf("second Open with the same root key: %v", err)
	}
	defer s2.Close()

	o.RootKey = randomRootKey()
	s3, err := Open(ctx, o)
	if err == nil {
		_ = s3.Close()
	}
	expectErr(t, err, ErrRootKeyMismatch, "Open with another root key")

	// The keeper URL form works too (a separate bucket: one store, one root key).
	tg2 := newTarget(t)
	o2 := tg2.opts
	o2.RootKey = "base64key://" + base64.URLEncoding.EncodeToString(randomBytes(32))
	s4, err := Open(ctx, o2)
	if err != nil {
		t.Fatalf("Open with a base64key:// root key: %v", err)
	}
	if _, err := s4.CreateKeyVersion(ctx, 1, nil); err != nil {
		t.Fatalf("CreateKeyVersion: %v", err)
	}
	_ = s4.Close()
	s5, err := Open(ctx, o2)
	if err != nil {
		t.Fatalf("reopen with the same base64key:// root key: %v", err)
	}
	_ = s5.Close()
}

func kvByVersion(t *testing.T, s *Store) map[int]KeyVersion {
	t.Helper()
	kvs, err := s.KeyVersions(context.Background())
	if err != nil {
		t.Fatalf("KeyVersions: %v", err)
	}
	out := map[int]KeyVersion{}
	for _, kv := range kvs {
		if _, dup := out[kv.Version]; dup {
			t.Fatalf("KeyVersions lists version %d twice", kv.Version)
		}
		out[kv.Version] = kv
	}
	return out
}

func primaryOf(t *testing.T, kvs map[int]KeyVersion) int {
	t.Helper()
	p := 0
	for v, kv := range kvs {
		if kv.Primary {
			if p != 0 {
				t.Fatalf("versions %d and %d are both primary", p, v)
			}
			p = v
		}
	}
	return p
}

func testKeyVersions(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	ctx := h.ctx

	if kvs := kvByVersion(t, h.s); len(kvs) != 0 {
		t.Fatalf("new store has key versions: %v", kvs)
	}
	_, err := h.s.Put(ctx, PutInput{Namespace: "ns", Name: "x", Value: []byte("v")})
	expectErr(t, err, ErrNoKeyVersion, "Put before any key version")

	for _, v := range []int{0, -1} {
		_, err := h.s.CreateKeyVersion(ctx, v, nil)
		expectErr(t, err, ErrInvalidArgument, fmt.Sprintf("CreateKeyVersion(%d)", v))
	}
	for _, n := range []int{0, 16, 31, 33, 64} {
		_, err := h.s.CreateKeyVersion(ctx, 1, make([]byte, n))
		expectErr(t, err, ErrInvalidArgument, fmt.Sprintf("CreateKeyVersion with %d bytes of material", n))
	}

	material := randomBytes(32)
	kv1, err := h.s.CreateKeyVersion(ctx, 1, material)
	if err != nil {
		t.Fatalf("CreateKeyVersion(1, material): %v", err)
	}
	if kv1.Version != 1 || !kv1.Primary || kv1.Retired || !kv1.CreatedAt.Equal(h.clock.Now()) {
		t.Fatalf("CreateKeyVersion(1) = %+v", kv1)
	}
	if len(kv1.CheckValue) != 2*envelope.CheckValueSize || strings.ToLower(kv1.CheckValue) != kv1.CheckValue {
		t.Fatalf("check value %q is not %d lowercase hex digits", kv1.CheckValue, 2*envelope.CheckValueSize)
	}
	if _, err := hex.DecodeString(kv1.CheckValue); err != nil {
		t.Fatalf("check value %q is not hex: %v", kv1.CheckValue, err)
	}
	_, err = h.s.CreateKeyVersion(ctx, 1, nil)
	expectErr(t, err, ErrKeyVersionExists, "CreateKeyVersion(1) again")

	// The same material gives the same check value in another store; other
	// material gives another.
	h2 := newHarness(t, newTarget)
	same, err := h2.s.CreateKeyVersion(ctx, 1, material)
	if err != nil {
		t.Fatalf("CreateKeyVersion in a second store: %v", err)
	}
	if same.CheckValue != kv1.CheckValue {
		t.Fatalf("same material, check values %s and %s differ", same.CheckValue, kv1.CheckValue)
	}
	other, err := h2.s.CreateKeyVersion(ctx, 2, nil)
	if err != nil {
		t.Fatalf("CreateKeyVersion(2): %v", err)
	}
	if other.CheckValue == kv1.CheckValue {
		t.Fatalf("generated material has the check value of the supplied one")
	}

	for i := 0; i < 3; i++ {
		h.putValue("ns", fmt.Sprintf("s%d", i), "value")
	}
	h.clock.Advance(time.Second)
	kv2 := h.createKV(2)
	if !kv2.Primary {
		t.Fatalf("version 2 is not primary after creation: %+v", kv2)
	}
	kvs := kvByVersion(t, h.fresh())
	if len(kvs) != 2 || primaryOf(t, kvs) != 2 {
		t.Fatalf("KeyVersions = %+v, want versions 1 and 2 with 2 primary", kvs)
	}
	if kvs[1].Secrets != 3 || kvs[2].Secrets != 0 {
		t.Fatalf("Secrets per version = %d, %d; want 3, 0", kvs[1].Secrets, kvs[2].Secrets)
	}
	if kvs[1].CheckValue != kv1.CheckValue || !kvs[1].CreatedAt.Equal(kv1.CreatedAt) {
		t.Fatalf("version 1 listed as %+v, created as %+v", kvs[1], kv1)
	}
	if !kvs[1].RootKeyCurrent || !kvs[2].RootKeyCurrent {
		t.Fatalf("versions not wrapped under the current root key: %+v", kvs)
	}
	if sec := h.putValue("ns", "new", "v"); sec.KeyVersion != 2 {
		t.Fatalf("new secret written under version %d, want the primary 2", sec.KeyVersion)
	}

	err = h.s.RetireKeyVersion(ctx, 1)
	expectErr(t, err, ErrKeyVersionInUse, "RetireKeyVersion(1) while 3 secrets use it")
	expectErr(t, h.s.RetireKeyVersion(ctx, 9), ErrNotFound, "RetireKeyVersion(9)")

	// Retiring the newest version makes the previous one primary again.
	h.clock.Advance(time.Second)
	h.createKV(3)
	if err := h.s.RetireKeyVersion(ctx, 3); err != nil {
		t.Fatalf("RetireKeyVersion(3) with no secrets: %v", err)
	}
	kvs = kvByVersion(t, h.fresh())
	if !kvs[3].Retired || kvs[3].Primary || primaryOf(t, kvs) != 2 {
		t.Fatalf("after retiring 3: %+v", kvs)
	}
	if sec := h.putValue("ns", "after-retire", "v"); sec.KeyVersion != 2 {
		t.Fatalf("secret written under version %d after retiring 3, want 2", sec.KeyVersion)
	}
	_, err = h.s.CreateKeyVersion(ctx, 3, nil)
	expectErr(t, err, ErrKeyVersionExists, "re-creating retired version 3")

	if _, err := h.s.Rotate(ctx, RotateInput{}); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if err := h.s.RetireKeyVersion(ctx, 1); err != nil {
		t.Fatalf("RetireKeyVersion(1) after rotation: %v", err)
	}
	kvs = kvByVersion(t, h.fresh())
	if !kvs[1].Retired || kvs[1].Secrets != 0 || kvs[2].Secrets != 5 {
		t.Fatalf("after rotation and retiring 1: %+v", kvs)
	}
	for i := 0; i < 3; i++ {
		h.expectValue(h.fresh(), "ns", fmt.Sprintf("s%d", i), []byte("value"))
	}

	var created, retired []int
	for _, e := range allEvents(t, h.s, EventFilter{}) {
		switch e.Operation {
		case OpKeyVersionCreated:
			created = append(created, e.KeyVersion)
		case OpKeyVersionRetired:
			retired = append(retired, e.KeyVersion)
		}
	}
	if !slices.Equal(created, []int{1, 2, 3}) || !slices.Equal(retired, []int{3, 1}) {
		t.Fatalf("key version events: created %v, retired %v; want [1 2 3] and [3 1]", created, retired)
	}
}

func testRootKeyRotation(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	h.createKV(1)
	h.putValue("ns", "x", "before")
	oldRoot, newRoot := h.root, randomRootKey()

	_, err := h.open(func(o *Options) { o.RootKey = newRoot })
	expectErr(t, err, ErrRootKeyMismatch, "Open with a new root key and no previous keys")

	s, err := h.open(func(o *Options) { o.RootKey = newRoot; o.PreviousRootKeys = []string{randomRootKey(), oldRoot} })
	if err != nil {
		t.Fatalf("Open with the old root key among PreviousRootKeys: %v", err)
	}
	h.expectValue(s, "ns", "x", []byte("before"))
	kvs := kvByVersion(t, s)
	if kvs[1].RootKeyCurrent {
		t.Fatalf("version 1 reported as wrapped under the new root key before rewrap")
	}
	if err := s.RewrapKeyVersion(h.ctx, 1); err != nil {
		t.Fatalf("RewrapKeyVersion(1): %v", err)
	}
	expectErr(t, s.RewrapKeyVersion(h.ctx, 7), ErrNotFound, "RewrapKeyVersion(7)")
	if !kvByVersion(t, s)[1].RootKeyCurrent {
		t.Fatalf("version 1 not current after rewrap")
	}

	h.root = newRoot
	s2 := h.mustOpen()
	h.expectValue(s2, "ns", "x", []byte("before"))
	h.s = s2
	h.putValue("ns", "y", "after")
	h.expectValue(h.fresh(), "ns", "y", []byte("after"))

	found := false
	for _, e := range allEvents(t, s2, EventFilter{}) {
		if e.Operation == OpKeyVersionRewraped && e.KeyVersion == 1 {
			found = true
		}
	}
	if !found {
		t.Fatalf("no %s event for version 1", OpKeyVersionRewraped)
	}
}

func testPutGet(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	ctx := h.ctx
	h.createKV(1)

	_, err := h.s.Get(ctx, "ns", "missing", GetOptions{})
	expectErr(t, err, ErrNotFound, "Get of a secret never written")
	_, err = h.s.Head(ctx, "ns", "missing")
	expectErr(t, err, ErrNotFound, "Head of a secret never written")
	if ok, err := h.s.Has(ctx, "ns", "missing"); ok || err != nil {
		t.Fatalf("Has(missing) = %v, %v; want false, nil", ok, err)
	}
	_, err = h.s.Put(ctx, PutInput{Namespace: "ns", Name: "novalue"})
	if err == nil || !(errors.Is(err, ErrInvalidArgument) || errors.Is(err, ErrNotFound)) {
		t.Fatalf("Put of a new secret with no value: got %v, want invalid argument or not found", err)
	}

	t0 := h.clock.Advance(time.Second)
	v1 := randomBytes(300)
	sec := h.put(PutInput{Namespace: "acme:production", Name: "db-password", Value: v1,
		SetMetadata: true, Metadata: map[string]string{"owner": "team-a"}})
	if sec.Namespace != "acme:production" || sec.Name != "db-password" || sec.Revision != 1 || sec.KeyVersion != 1 ||
		!sec.CreatedAt.Equal(t0) || !sec.UpdatedAt.Equal(t0) || !sec.ExpiresAt.IsZero() || sec.State != StateActive {
		t.Fatalf("Put (create) returned %+v", sec)
	}

	got := h.expectValue(h.fresh(), "acme:production", "db-password", v1)
	if got.Revision != 1 || got.KeyVersion != 1 || !got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t0) ||
		got.State != StateActive || !reflect.DeepEqual(got.Metadata, map[string]string{"owner": "team-a"}) {
		t.Fatalf("Get returned %+v", got)
	}
	head, err := h.s.Head(ctx, "acme:production", "db-password")
	if err != nil || head.Value != nil || head.Revision != 1 || head.State != StateActive {
		t.Fatalf("Head = %+v, %v", head, err)
	}
	if ok, err := h.s.Has(ctx, "acme:production", "db-password"); !ok || err != nil {
		t.Fatalf("Has = %v, %v; want true, nil", ok, err)
	}

	t1 := h.clock.Advance(time.Second)
	v2 := []byte("second value")
	sec = h.put(PutInput{Namespace: "acme:production", Name: "db-password", Value: v2})
	if sec.Revision != 2 || !sec.CreatedAt.Equal(t0) || !sec.UpdatedAt.Equal(t1) {
		t.Fatalf("Put (update) returned %+v", sec)
	}
	t2 := h.clock.Advance(time.Second)
	sec = h.put(PutInput{Namespace: "acme:production", Name: "db-password", Value: []byte{}})
	if sec.Revision != 3 || !sec.UpdatedAt.Equal(t2) {
		t.Fatalf("Put of an empty value returned %+v", sec)
	}

	fresh := h.fresh()
	if got := h.expectValue(fresh, "acme:production", "db-password", []byte{}); got.Revision != 3 {
		t.Fatalf("current revision %d, want 3", got.Revision)
	}
	for rev, want := range map[int64][]byte{1: v1, 2: v2} {
		got := h.get(fresh, "acme:production", "db-password", rev)
		if !bytes.Equal(got.Value, want) || got.Revision != rev {
			t.Fatalf("Get revision %d = revision %d value %q", rev, got.Revision, trunc(got.Value))
		}
	}
	if got := h.get(fresh, "acme:production", "db-password", 1); !got.UpdatedAt.Equal(t0) {
		t.Fatalf("revision 1 UpdatedAt = %v, want %v", got.UpdatedAt, t0)
	}
	_, err = fresh.Get(ctx, "acme:production", "db-password", GetOptions{Revision: 4})
	expectErr(t, err, ErrNotFound, "Get of revision 4 of 3")
	_, err = fresh.Get(ctx, "acme:production", "other", GetOptions{Revision: 1})
	expectErr(t, err, ErrNotFound, "Get of revision 1 of a missing secret")
	_, err = fresh.Get(ctx, "acme:production", "db-password", GetOptions{Revision: -1})
	expectErr(t, err, ErrInvalidArgument, "Get of revision -1")

	// The same name in another namespace is another secret.
	h.putValue("acme:staging", "db-password", "staging")
	h.expectValue(h.fresh(), "acme:staging", "db-password", []byte("staging"))
	h.expectValue(h.fresh(), "acme:production", "db-password", []byte{})

	// Values of every size up to the limit round-trip.
	for _, n := range []int{1, 31, 32, 33, 4096, envelope.MaxValueLen} {
		v := randomBytes(n)
		h.put(PutInput{Namespace: "sizes", Name: fmt.Sprintf("n%d", n), Value: v})
		h.expectValue(h.fresh(), "sizes", fmt.Sprintf("n%d", n), v)
	}
}

func testMetadata(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	h.createKV(1)
	md := func(sec Secret) map[string]string { return sec.Metadata }
	value := []byte("the value")

	h.put(PutInput{Namespace: "ns", Name: "m", Value: value, SetMetadata: true,
		Metadata: map[string]string{"a": "1", "b": "2"}})
	// Value nil, metadata unchanged: keep value and metadata; new revision.
	sec := h.put(PutInput{Namespace: "ns", Name: "m", Expiry: Expiry{Set: true, TTL: time.Hour}})
	if sec.Revision != 2 {
		t.Fatalf("expiry-only update revision %d, want 2", sec.Revision)
	}
	got := h.expectValue(h.fresh(), "ns", "m", value)
	if !reflect.DeepEqual(md(got), map[string]string{"a": "1", "b": "2"}) {
		t.Fatalf("metadata after expiry-only update: %v", md(got))
	}
	// Value update with SetMetadata false keeps metadata.
	h.put(PutInput{Namespace: "ns", Name: "m", Value: []byte("v2")})
	got = h.expectValue(h.fresh(), "ns", "m", []byte("v2"))
	if !reflect.DeepEqual(md(got), map[string]string{"a": "1", "b": "2"}) {
		t.Fatalf("metadata after value-only update: %v", md(got))
	}
	// Replace (metadata only; the value is kept without re-encryption).
	h.put(PutInput{Namespace: "ns", Name: "m", SetMetadata: true, Metadata: map[string]string{"c": "3"}})
	got = h.expectValue(h.fresh(), "ns", "m", []byte("v2"))
	if !reflect.DeepEqual(md(got), map[string]string{"c": "3"}) {
		t.Fatalf("metadata after replace: %v", md(got))
	}
	if got.Revision != 4 {
		t.Fatalf("revision %d after 4 writes", got.Revision)
	}
	// Clear.
	h.put(PutInput{Namespace: "ns", Name: "m", SetMetadata: true, Metadata: nil})
	got = h.expectValue(h.fresh(), "ns", "m", []byte("v2"))
	if len(md(got)) != 0 {
		t.Fatalf("metadata after clear: %v", md(got))
	}
	// An empty map clears too.
	h.put(PutInput{Namespace: "ns", Name: "m", SetMetadata: true, Metadata: map[string]string{"d": "4"}})
	h.put(PutInput{Namespace: "ns", Name: "m", SetMetadata: true, Metadata: map[string]string{}})
	if got = h.expectValue(h.fresh(), "ns", "m", []byte("v2")); len(md(got)) != 0 {
		t.Fatalf("metadata after clearing with an empty map: %v", md(got))
	}
	// Head and List carry the metadata without the value.
	h.put(PutInput{Namespace: "ns", Name: "m", SetMetadata: true, Metadata: map[string]string{"e": "5", "empty": ""}})
	head, err := h.fresh().Head(h.ctx, "ns", "m")
	if err != nil || !reflect.DeepEqual(head.Metadata, map[string]string{"e": "5", "empty": ""}) || head.Value != nil {
		t.Fatalf("Head = %+v, %v", head, err)
	}
	ls := allSecrets(t, h.fresh(), ListInput{Namespace: "ns"})
	if len(ls) != 1 || !reflect.DeepEqual(ls[0].Metadata, map[string]string{"e": "5", "empty": ""}) || ls[0].Value != nil {
		t.Fatalf("List = %+v", ls)
	}
	// The metadata-only update did not change the expiry set at revision 2.
	if got := h.get(h.fresh(), "ns", "m", 0); got.ExpiresAt.IsZero() {
		t.Fatalf("metadata updates dropped the expiry")
	}
}

func testExpiry(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	ctx := h.ctx
	h.createKV(1)

	t0 := h.clock.Now()
	at := t0.Add(2 * time.Hour)
	sec := h.put(PutInput{Namespace: "ns", Name: "abs", Value: []byte("a"), Expiry: Expiry{Set: true, At: at}})
	if !sec.ExpiresAt.Equal(at) {
		t.Fatalf("ExpiresAt = %v, want %v", sec.ExpiresAt, at)
	}
	sec = h.put(PutInput{Namespace: "ns", Name: "ttl", Value: []byte("t"), Expiry: Expiry{Set: true, TTL: time.Hour}})
	if !sec.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("TTL ExpiresAt = %v, want %v", sec.ExpiresAt, t0.Add(time.Hour))
	}
	h.putValue("ns", "forever", "f")

	// Keeping: an update without Expiry keeps it.
	h.clock.Advance(10 * time.Minute)
	h.put(PutInput{Namespace: "ns", Name: "ttl", Value: []byte("t2")})
	if got := h.get(h.fresh(), "ns", "ttl", 0); !got.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("update without expiry changed it to %v", got.ExpiresAt)
	}

	// One second before expiry everything reads; at expiry nothing does.
	h.clock.Advance(50*time.Minute - time.Second)
	h.expectValue(h.fresh(), "ns", "ttl", []byte("t2"))
	h.clock.Advance(time.Second)
	s := h.fresh()
	_, err := s.Get(ctx, "ns", "ttl", GetOptions{})
	expectErr(t, err, ErrExpired, "Get at the expiry time")
	if ok, err := s.Has(ctx, "ns", "ttl"); ok || err != nil {
		t.Fatalf("Has(expired) = %v, %v; want false, nil", ok, err)
	}
	head, err := s.Head(ctx, "ns", "ttl")
	if err != nil || head.State != StateExpired || head.Value != nil {
		t.Fatalf("Head(expired) = %+v, %v; want state %s and nil error", head, err, StateExpired)
	}
	states := map[string]string{}
	for _, sec := range allSecrets(t, s, ListInput{Namespace: "ns"}) {
		states[sec.Name] = sec.State
	}
	want := map[string]string{"abs": StateActive, "ttl": StateExpired, "forever": StateActive}
	if !reflect.DeepEqual(states, want) {
		t.Fatalf("List states = %v, want %v", states, want)
	}
	h.expectValue(s, "ns", "abs", []byte("a"))
	h.expectValue(s, "ns", "forever", []byte("f"))

	// Renewing an expired secret without its value makes it readable again.
	sec = h.put(PutInput{Namespace: "ns", Name: "ttl", Expiry: Expiry{Set: true, TTL: time.Hour}})
	if !sec.ExpiresAt.Equal(h.clock.Now().Add(time.Hour)) {
		t.Fatalf("renewed ExpiresAt = %v", sec.ExpiresAt)
	}
	h.expectValue(h.fresh(), "ns", "ttl", []byte("t2"))

	// Clearing: Set with zero At and TTL.
	h.put(PutInput{Namespace: "ns", Name: "abs", Expiry: Expiry{Set: true}})
	h.clock.Advance(24 * time.Hour)
	if got := h.expectValue(h.fresh(), "ns", "abs", []byte("a")); !got.ExpiresAt.IsZero() {
		t.Fatalf("cleared expiry reads as %v", got.ExpiresAt)
	}
	_, err = h.fresh().Get(ctx, "ns", "ttl", GetOptions{})
	expectErr(t, err, ErrExpired, "Get a day after the renewed expiry")

	// An absolute time wins over a TTL given with it.
	at = h.clock.Now().Add(3 * time.Hour)
	sec = h.put(PutInput{Namespace: "ns", Name: "both", Value: []byte("b"), Expiry: Expiry{Set: true, At: at, TTL: time.Minute}})
	if !sec.ExpiresAt.Equal(at) {
		t.Fatalf("At with TTL: ExpiresAt = %v, want %v", sec.ExpiresAt, at)
	}
	_, err = h.s.Put(ctx, PutInput{Namespace: "ns", Name: "neg", Value: []byte("n"), Expiry: Expiry{Set: true, TTL: -time.Hour}})
	expectErr(t, err, ErrInvalidArgument, "Put with a negative TTL")
}

func testValidation(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	ctx := h.ctx
	h.createKV(1)
	h.putValue("ok", "existing", "v")

	before := rawObjects(t, h.tg.raw)
	eventsBefore := len(allEvents(t, h.s, EventFilter{}))

	longNS := strings.Repeat("n", envelope.MaxNamespaceLen+1)
	longName := strings.Repeat("n", envelope.MaxNameLen+1)
	type tc struct {
		field string
		in    PutInput
	}
	var cases []tc
	for _, ns := range []string{"", ".", "..", "a/b", "/a", "a\x00b", "a\nb", "a\x7fb", longNS, "bad\xffutf8"} {
		cases = append(cases, tc{"namespace", PutInput{Namespace: ns, Name: "x", Value: []byte("v")}})
	}
	for _, name := range []string{"", ".", "..", "a/b", "b/", "a\x00b", "a\tb", "x\x7f", longName, "bad\xffutf8"} {
		cases = append(cases, tc{"name", PutInput{Namespace: "ok", Name: name, Value: []byte("v")}})
	}
	cases = append(cases, tc{"value", PutInput{Namespace: "ok", Name: "big", Value: make([]byte, envelope.MaxValueLen+1)}})
	tooMany := map[string]string{}
	for i := 0; i <= envelope.MaxMetadataKeys; i++ {
		tooMany[fmt.Sprintf("k%d", i)] = "v"
	}
	cases = append(cases,
		tc{"metadata", PutInput{Namespace: "ok", Name: "md", Value: []byte("v"), SetMetadata: true, Metadata: tooMany}},
		tc{"metadata", PutInput{Namespace: "ok", Name: "md", Value: []byte("v"), SetMetadata: true,
			Metadata: map[string]string{"k": strings.Repeat("v", envelope.MaxMetadataLen)}}},
		tc{"metadata", PutInput{Namespace: "ok", Name: "existing", SetMetadata: true, Metadata: tooMany}},
	)
	for _, c := range cases {
		_, err := h.s.Put(ctx, c.in)
		what := fmt.Sprintf("Put(namespace %q, name %q, %d-byte value)", trunc([]byte(c.in.Namespace)), trunc([]byte(c.in.Name)), len(c.in.Value))
		expectErr(t, err, ErrInvalidArgument, what)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field || ve.Reason == "" {
			t.Fatalf("%s: error %v is not a *ValidationError for field %q", what, err, c.field)
		}
	}
	for _, ns := range []string{"", "..", "a/b"} {
		_, err := h.s.Get(ctx, ns, "x", GetOptions{})
		expectErr(t, err, ErrInvalidArgument, fmt.Sprintf("Get(namespace %q)", ns))
		expectErr(t, h.s.Delete(ctx, ns, "x", 0), ErrInvalidArgument, fmt.Sprintf("Delete(namespace %q)", ns))
		_, err = h.s.List(ctx, ListInput{Namespace: ns})
		expectErr(t, err, ErrInvalidArgument, fmt.Sprintf("List(namespace %q)", ns))
	}
	_, err := h.s.Get(ctx, "ok", "a/b", GetOptions{})
	expectErr(t, err, ErrInvalidArgument, "Get(name a/b)")
	_, err = h.s.ListEvents(ctx, EventFilter{Name: "x"})
	expectErr(t, err, ErrInvalidArgument, "ListEvents with Name and no Namespace")
	_, err = h.s.List(ctx, ListInput{Namespace: "ok", PageToken: "not a token"})
	expectErr(t, err, ErrInvalidArgument, "List with a made-up page token")
	_, err = h.s.ListEvents(ctx, EventFilter{PageToken: "not a token"})
	expectErr(t, err, ErrInvalidArgument, "ListEvents with a made-up page token")

	after := rawObjects(t, h.tg.raw)
	if added := newObjects(before, after); len(added) != 0 {
		t.Fatalf("rejected inputs wrote objects: %v", added)
	}
	if n := len(allEvents(t, h.s, EventFilter{})); n != eventsBefore {
		t.Fatalf("rejected inputs appended %d events", n-eventsBefore)
	}
	h.expectValue(h.fresh(), "ok", "existing", []byte("v"))

	// The longest valid namespace and name, and the documented examples, work
	// on every bucket (file:// limits path segments to 255 bytes).
	maxNS := strings.Repeat("n", envelope.MaxNamespaceLen)
	maxName := strings.Repeat("m", envelope.MaxNameLen)
	h.putValue(maxNS, maxName, "longest")
	h.expectValue(h.fresh(), maxNS, maxName, []byte("longest"))
	for _, ns := range []string{"acme:production", "team-alpha:testing", "a.b", "x_y", "UPPER", "ünïcode"} {
		h.putValue(ns, "name.with-dashes_and.dots", ns)
		h.expectValue(h.fresh(), ns, "name.with-dashes_and.dots", []byte(ns))
	}
	many := map[string]string{}
	for i := 0; i < envelope.MaxMetadataKeys; i++ {
		many[fmt.Sprintf("k%02d", i)] = "v"
	}
	h.put(PutInput{Namespace: "ok", Name: "md", Value: []byte("v"), SetMetadata: true, Metadata: many})
	if got := h.get(h.fresh(), "ok", "md", 0); !reflect.DeepEqual(got.Metadata, many) {
		t.Fatalf("metadata with %d keys did not round-trip", envelope.MaxMetadataKeys)
	}
}

func testIfRevision(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	ctx := h.ctx
	h.createKV(1)

	_, err := h.s.Put(ctx, PutInput{Namespace: "ns", Name: "c", Value: []byte("x"), IfRevision: 3})
	expectErr(t, err, ErrConcurrentModification, "Put IfRevision 3 of a missing secret")
	sec := h.put(PutInput{Namespace: "ns", Name: "c", Value: []byte("v1"), IfRevision: -1})
	if sec.Revision != 1 {
		t.Fatalf("create with IfRevision -1 gave revision %d", sec.Revision)
	}
	before := rawObjects(t, h.tg.raw)
	_, err = h.s.Put(ctx, PutInput{Namespace: "ns", Name: "c", Value: []byte("x"), IfRevision: -1})
	expectErr(t, err, ErrConcurrentModification, "Put IfRevision -1 of an existing secret")
	if added := newObjects(before, rawObjects(t, h.tg.raw)); len(added) != 0 {
		t.Fatalf("a failed create left objects: %v", added)
	}
	sec = h.put(PutInput{Namespace: "ns", Name: "c", Value: []byte("v2"), IfRevision: 1})
	if sec.Revision != 2 {
		t.Fatalf("Put IfRevision 1 gave revision %d", sec.Revision)
	}
	before = rawObjects(t, h.tg.raw)
	for _, rev := range []int64{1, 3, -1} {
		_, err = h.s.Put(ctx, PutInput{Namespace: "ns", Name: "c", Value: []byte("x"), IfRevision: rev})
		expectErr(t, err, ErrConcurrentModification, fmt.Sprintf("Put IfRevision %d at revision 2", rev))
		_, err = h.s.Put(ctx, PutInput{Namespace: "ns", Name: "c", SetMetadata: true, IfRevision: rev})
		expectErr(t, err, ErrConcurrentModification, fmt.Sprintf("metadata-only Put IfRevision %d at revision 2", rev))
	}
	expectErr(t, h.s.Delete(ctx, "ns", "c", 1), ErrConcurrentModification, "Delete ifRevision 1 at revision 2")
	if added := newObjects(before, rawObjects(t, h.tg.raw)); len(added) != 0 {
		t.Fatalf("failed conditional writes left objects: %v", added)
	}
	if got := h.expectValue(h.fresh(), "ns", "c", []byte("v2")); got.Revision != 2 {
		t.Fatalf("revision %d after failed conditional writes", got.Revision)
	}
	if err := h.s.Delete(ctx, "ns", "c", 2); err != nil {
		t.Fatalf("Delete ifRevision 2: %v", err)
	}
	sec = h.put(PutInput{Namespace: "ns", Name: "c", Value: []byte("v3"), IfRevision: -1})
	if sec.Revision <= 3 {
		t.Fatalf("re-created secret has revision %d, not after the tombstone (3)", sec.Revision)
	}
	if ops := opsFor(t, h.s, "ns", "c"); !slices.Equal(ops, []string{OpCreated, OpUpdated, OpDeleted, OpCreated}) {
		t.Fatalf("events for ns/c = %v", ops)
	}
}

func opsFor(t *testing.T, s *Store, ns, name string) []string {
	t.Helper()
	var ops []string
	for _, e := range allEvents(t, s, EventFilter{Namespace: ns, Name: name}) {
		ops = append(ops, e.Operation)
	}
	return ops
}

func testConcurrentPuts(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	ctx := h.ctx
	h.createKV(1)
	const workers = 16

	race := func(store func(i int) *Store, in func(i int) PutInput) []putResult {
		out := make([]putResult, workers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < workers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				p := in(i)
				sec, err := store(i).Put(ctx, p)
				out[i] = putResult{string(p.Value), sec, err}
			}()
		}
		close(start)
		wg.Wait()
		return out
	}
	stores := make([]*Store, workers)
	for i := range stores {
		stores[i] = h.fresh()
	}
	separate := func(i int) *Store { return stores[i] }
	shared := func(int) *Store { return h.s }

	for _, mode := range []struct {
		name  string
		store func(int) *Store
	}{{"shared store", shared}, {"one store each", separate}} {
		name := "c-" + strings.ReplaceAll(mode.name, " ", "-")
		// Create race: exactly one IfRevision -1 wins.
		res := race(mode.store, func(i int) PutInput {
			return PutInput{Namespace: "ns", Name: name, Value: []byte(fmt.Sprintf("create-%d", i)), IfRevision: -1}
		})
		winner := checkOneWinner(t, mode.name+" create", res)
		h.expectValue(h.fresh(), "ns", name, []byte(res[winner].value))

		// Update races: exactly one IfRevision = current wins each round.
		for round := int64(1); round <= 3; round++ {
			res := race(mode.store, func(i int) PutInput {
				return PutInput{Namespace: "ns", Name: name, Value: []byte(fmt.Sprintf("r%d-%d", round, i)), IfRevision: round}
			})
			winner := checkOneWinner(t, fmt.Sprintf("%s round %d", mode.name, round), res)
			if res[winner].sec.Revision != round+1 {
				t.Fatalf("round %d winner wrote revision %d", round, res[winner].sec.Revision)
			}
			h.expectValue(h.fresh(), "ns", name, []byte(res[winner].value))
		}

		// Unconditional writers: each either succeeds with its own revision or
		// reports a concurrent modification; the newest acknowledged value is stored.
		res = race(mode.store, func(i int) PutInput {
			return PutInput{Namespace: "ns", Name: name, Value: []byte(fmt.Sprintf("free-%d", i))}
		})
		revs := map[int64]string{}
		var newest int64
		for _, r := range res {
			if r.err != nil {
				expectErr(t, r.err, ErrConcurrentModification, "unconditional concurrent Put")
				continue
			}
			if other, dup := revs[r.sec.Revision]; dup {
				t.Fatalf("two writers acknowledged revision %d (%s and %s)", r.sec.Revision, other, r.value)
			}
			revs[r.sec.Revision] = r.value
			newest = max(newest, r.sec.Revision)
		}
		if len(revs) == 0 {
			t.Fatalf("no unconditional writer succeeded")
		}
		got := h.expectValue(h.fresh(), "ns", name, []byte(revs[newest]))
		if got.Revision != newest {
			t.Fatalf("current revision %d, newest acknowledged %d", got.Revision, newest)
		}
		for rev, v := range revs {
			if sec := h.get(h.fresh(), "ns", name, rev); string(sec.Value) != v {
				t.Fatalf("acknowledged revision %d reads %q, want %q", rev, sec.Value, v)
			}
		}
	}
}

type putResult struct {
	value string
	sec   Secret
	err   error
}

// checkOneWinner requires exactly one success and only concurrent
// modification errors otherwise; it returns the winner's index.
func checkOneWinner(t *testing.T, what string, res []putResult) int {
	t.Helper()
	winner := -1
	for i, r := range res {
		if r.err == nil {
			if winner >= 0 {
				t.Fatalf("%s: writers %d and %d both won", what, winner, i)
			}
			winner = i
			continue
		}
		expectErr(t, r.err, ErrConcurrentModification, what+": loser")
	}
	if winner < 0 {
		t.Fatalf("%s: nobody won", what)
	}
	return winner
}

func testDelete(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	ctx := h.ctx
	h.createKV(1)

	expectErr(t, h.s.Delete(ctx, "ns", "never", 0), ErrNotFound, "Delete of a missing secret")
	h.putValue("ns", "d", "v1")
	h.putValue("ns", "keep", "k")
	h.clock.Advance(time.Second)
	if err := h.s.Delete(ctx, "ns", "d", 0); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	s := h.fresh()
	_, err := s.Get(ctx, "ns", "d", GetOptions{})
	expectErr(t, err, ErrNotFound, "Get after Delete")
	_, err = s.Head(ctx, "ns", "d")
	expectErr(t, err, ErrNotFound, "Head after Delete")
	_, err = s.Get(ctx, "ns", "d", GetOptions{Revision: 2})
	expectErr(t, err, ErrNotFound, "Get of the tombstone revision")
	if ok, err := s.Has(ctx, "ns", "d"); ok || err != nil {
		t.Fatalf("Has after Delete = %v, %v", ok, err)
	}
	if names := secretNames(allSecrets(t, s, ListInput{Namespace: "ns"})); !slices.Equal(names, []string{"keep"}) {
		t.Fatalf("List after Delete = %v", names)
	}
	expectErr(t, s.Delete(ctx, "ns", "d", 0), ErrNotFound, "second Delete")
	h.expectValue(s, "ns", "keep", []byte("k"))

	evs := allEvents(t, s, EventFilter{Namespace: "ns", Name: "d", Operations: []string{OpDeleted}})
	if len(evs) != 1 || evs[0].Revision != 2 || evs[0].Actor != testActor || !evs[0].Time.Equal(h.clock.Now()) {
		t.Fatalf("deleted events = %+v", evs)
	}

	sec := h.put(PutInput{Namespace: "ns", Name: "d", Value: []byte("v2"), IfRevision: -1})
	if sec.Revision <= 2 {
		t.Fatalf("re-created revision %d, want after the tombstone", sec.Revision)
	}
	h.expectValue(h.fresh(), "ns", "d", []byte("v2"))
	// Bytes stay until cleanup: the revision before the delete still reads.
	if old := h.get(h.fresh(), "ns", "d", 1); string(old.Value) != "v1" {
		t.Fatalf("revision 1 after delete and re-create = %q", old.Value)
	}
	if err := h.s.Delete(ctx, "ns", "d", sec.Revision); err != nil {
		t.Fatalf("Delete ifRevision current: %v", err)
	}
}

func testList(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	ctx := h.ctx
	h.createKV(1)

	names := []string{"a", "a-b", "a.b", "ab", "b", "db-1", "db-2", "db-3", "a_b", "a~b", "A"}
	for i, n := range names {
		h.clock.Advance(time.Second)
		h.put(PutInput{Namespace: "lst", Name: n, Value: []byte("v" + n), SetMetadata: true,
			Metadata: map[string]string{"i": fmt.Sprint(i)}})
	}
	h.put(PutInput{Namespace: "lst", Name: "old", Value: []byte("o"), Expiry: Expiry{Set: true, TTL: time.Minute}})
	h.putValue("lst", "gone", "g")
	h.putValue("lst", "db-1", "second revision")
	if err := h.s.Delete(ctx, "lst", "gone", 0); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for _, ns := range []string{"lst-2", "lst.x", "ls", "lsu", "lst:a"} {
		h.putValue(ns, "a", "other namespace")
	}
	h.clock.Advance(time.Hour)

	want := append(slices.Clone(names), "old")
	sort.Strings(want)
	s := h.fresh()
	for _, size := range []int{0, 1, 2, 3, 5, 100, 1000} {
		got := allSecrets(t, s, ListInput{Namespace: "lst", PageSize: size})
		if !slices.Equal(secretNames(got), want) {
			t.Fatalf("List PageSize %d = %v, want %v", size, secretNames(got), want)
		}
	}
	for _, sec := range allSecrets(t, s, ListInput{Namespace: "lst"}) {
		wantState := StateActive
		if sec.Name == "old" {
			wantState = StateExpired
		}
		if sec.State != wantState || sec.Value != nil || sec.Namespace != "lst" || sec.KeyVersion != 1 ||
			sec.CreatedAt.IsZero() || sec.UpdatedAt.Before(sec.CreatedAt) || (sec.Name == "old") == sec.ExpiresAt.IsZero() {
			t.Fatalf("listed %+v", sec)
		}
		switch sec.Name {
		case "db-1":
			if sec.Revision != 2 || !sec.UpdatedAt.After(sec.CreatedAt) {
				t.Fatalf("db-1 listed as %+v, want revision 2 updated after creation", sec)
			}
		case "old":
		default:
			if sec.Revision != 1 || sec.Metadata["i"] != fmt.Sprint(slices.Index(names, sec.Name)) {
				t.Fatalf("%s listed as %+v", sec.Name, sec)
			}
		}
	}
	for prefix, want := range map[string][]string{
		"db-": {"db-1", "db-2", "db-3"},
		"a":   {"a", "a-b", "a.b", "a_b", "ab", "a~b"},
		"a-":  {"a-b"},
		"a.":  {"a.b"},
		"g":   nil,
		"zzz": nil,
		"A":   {"A"},
	} {
		for _, size := range []int{1, 2, 100} {
			got := secretNames(allSecrets(t, s, ListInput{Namespace: "lst", NamePrefix: prefix, PageSize: size}))
			if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("List prefix %q PageSize %d = %v, want %v", prefix, size, got, want)
			}
		}
	}
	for _, ns := range []string{"lst-2", "lst.x", "ls", "lsu", "lst:a"} {
		if got := secretNames(allSecrets(t, s, ListInput{Namespace: ns, PageSize: 1})); !slices.Equal(got, []string{"a"}) {
			t.Fatalf("List(%s) = %v", ns, got)
		}
	}
	if got := allSecrets(t, s, ListInput{Namespace: "empty"}); len(got) != 0 {
		t.Fatalf("List of an empty namespace = %v", got)
	}
}

type wantEvent struct {
	op       string
	ns, name string
	rev      int64
	kv       int
	at       time.Time
}

func testAudit(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	ctx := h.ctx
	var want []wantEvent
	values := map[string]bool{}
	step := func() time.Time { return h.clock.Advance(time.Second) }

	at := step()
	h.createKV(1)
	want = append(want, wantEvent{OpKeyVersionCreated, "", "", 0, 1, at})
	put := func(ns, name, op string, in PutInput) Secret {
		at := step()
		in.Namespace, in.Name = ns, name
		if in.Value != nil {
			values[string(in.Value)] = true
		}
		sec := h.put(in)
		want = append(want, wantEvent{op, ns, name, sec.Revision, sec.KeyVersion, at})
		return sec
	}
	del := func(ns, name string, rev int64) {
		at := step()
		if err := h.s.Delete(ctx, ns, name, 0); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		want = append(want, wantEvent{OpDeleted, ns, name, rev, -1, at})
	}
	read := func(ns, name string) {
		sec := h.get(h.s, ns, name, 0)
		at := step()
		if err := h.s.RecordRead(ctx, sec); err != nil {
			t.Fatalf("RecordRead: %v", err)
		}
		want = append(want, wantEvent{OpRead, ns, name, sec.Revision, sec.KeyVersion, at})
	}
	v := func() []byte { return []byte("audit-canary-" + randomHex(8)) }

	put("alpha", "x", OpCreated, PutInput{Value: v()})
	put("alpha", "y", OpCreated, PutInput{Value: v()})
	put("beta", "x", OpCreated, PutInput{Value: v()})
	put("alpha", "x", OpUpdated, PutInput{Value: v()})
	read("alpha", "x")
	put("alpha-2", "x", OpCreated, PutInput{Value: v()})
	put("beta", "x", OpUpdated, PutInput{Value: v(), Reason: "manual change"})
	del("alpha", "y", 2)
	put("alpha", "x", OpUpdated, PutInput{SetMetadata: true, Metadata: map[string]string{"k": "v"}})
	read("beta", "x")
	del("beta", "x", 3)
	put("alpha", "y", OpCreated, PutInput{Value: v()})
	put("alpha.z", "x", OpCreated, PutInput{Value: v()})
	put("alpha", "x", OpUpdated, PutInput{Expiry: Expiry{Set: true, TTL: time.Hour}})

	s := h.fresh()
	all := allEvents(t, s, EventFilter{})
	if len(all) != len(want) {
		t.Fatalf("ListEvents returned %d events, want %d: %+v", len(all), len(want), all)
	}
	ids := map[string]bool{}
	for i, e := range all {
		w := want[i]
		if e.Operation != w.op || e.Namespace != w.ns || e.Name != w.name || e.Revision != w.rev ||
			(w.kv >= 0 && e.KeyVersion != w.kv) || !e.Time.Equal(w.at) || e.Actor != testActor {
			t.Fatalf("event %d = %+v, want %+v", i, e, w)
		}
		if e.ID == "" || ids[e.ID] {
			t.Fatalf("event %d has an empty or repeated ID %q", i, e.ID)
		}
		ids[e.ID] = true
		for val := range values {
			if strings.Contains(fmt.Sprintf("%v", e), val) {
				t.Fatalf("event %d carries a secret value", i)
			}
		}
	}
	if all[7].Operation != OpUpdated || all[7].Reason != "manual change" {
		t.Fatalf("reason not recorded: %+v", all[7])
	}

	// Every filter combination, both orders, paginated, equals the reference
	// filtered in memory.
	mid1, mid2 := want[4].at, want[10].at
	type nsName struct{ ns, name string }
	for _, sel := range []nsName{{"", ""}, {"alpha", ""}, {"alpha", "x"}, {"beta", "x"}, {"alpha-2", ""}, {"gamma", ""}, {"alpha", "nope"}} {
		for _, ops := range [][]string{nil, {OpUpdated}, {OpCreated, OpDeleted}, {OpRead, OpKeyVersionCreated}} {
			for _, tr := range [][2]time.Time{{}, {mid1, time.Time{}}, {time.Time{}, mid2}, {mid1, mid2}} {
				var ref []Event
				for _, e := range all {
					if (sel.ns == "" || e.Namespace == sel.ns) && (sel.name == "" || e.Name == sel.name) &&
						(ops == nil || slices.Contains(ops, e.Operation)) &&
						(tr[0].IsZero() || !e.Time.Before(tr[0])) && (tr[1].IsZero() || e.Time.Before(tr[1])) {
						ref = append(ref, e)
					}
				}
				for _, desc := range []bool{false, true} {
					wantIDs := eventIDs(ref)
					if desc {
						slices.Reverse(wantIDs)
					}
					for _, limit := range []int{2, MaxEventLimit} {
						f := EventFilter{Namespace: sel.ns, Name: sel.name, Operations: ops, Since: tr[0], Until: tr[1], Descending: desc, Limit: limit}
						got := allEvents(t, s, f)
						if !slices.Equal(eventIDs(got), wantIDs) {
							t.Fatalf("ListEvents(%+v) = %v, want %v", f, eventOps(got), eventOps(pick(all, wantIDs)))
						}
						for i := range got {
							if !reflect.DeepEqual(got[i], pick(all, wantIDs)[i]) {
								t.Fatalf("filtered event %+v differs from %+v", got[i], pick(all, wantIDs)[i])
							}
						}
					}
				}
			}
		}
	}
	// An empty or inverted time range is refused or empty, never everything.
	for _, tr := range [][2]time.Time{{mid2, mid1}, {mid1, mid1}} {
		page, err := s.ListEvents(ctx, EventFilter{Since: tr[0], Until: tr[1]})
		if err != nil {
			expectErr(t, err, ErrInvalidArgument, "ListEvents with Until not after Since")
		} else if len(page.Events) != 0 {
			t.Fatalf("ListEvents with Until not after Since returned %d events", len(page.Events))
		}
	}
	// Default limit is 100; a first page of the default size is full.
	for i := 0; i < 100; i++ {
		if err := h.s.RecordRead(ctx, h.get(h.s, "alpha", "x", 0)); err != nil {
			t.Fatalf("RecordRead: %v", err)
		}
	}
	page, err := s.ListEvents(ctx, EventFilter{})
	if err != nil || len(page.Events) != 100 || page.NextPageToken == "" {
		t.Fatalf("default page: %d events, token %q, err %v", len(page.Events), page.NextPageToken, err)
	}
}

func eventIDs(evs []Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.ID
	}
	return out
}

func eventOps(evs []Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = fmt.Sprintf("%s %s/%s r%d", e.Operation, e.Namespace, e.Name, e.Revision)
	}
	return out
}

func pick(all []Event, ids []string) []Event {
	byID := map[string]Event{}
	for _, e := range all {
		byID[e.ID] = e
	}
	out := make([]Event, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out
}

// containsShared reports whether b contains a 256-byte run of a (the value
// ciphertext that rotation must carry over unchanged).
func containsShared(a, b []byte) bool {
	const run = 256
	for i := 0; i+run <= len(a); i += 32 {
		if bytes.Contains(b, a[i:i+run]) {
			return true
		}
	}
	return false
}

func testRotate(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	ctx := h.ctx
	h.createKV(1)
	values := map[[2]string][]byte{}
	before := map[[2]string]Secret{}
	var revObj string
	for _, id := range [][2]string{{"r1", "a1"}, {"r1", "a2"}, {"r1", "a3"}, {"r2", "b1"}, {"r2", "b2"}} {
		v := randomBytes(2048)
		snap := rawObjects(t, h.tg.raw)
		before[id] = h.put(PutInput{Namespace: id[0], Name: id[1], Value: v, SetMetadata: true,
			Metadata: map[string]string{"id": id[1]}, Expiry: Expiry{Set: true, TTL: 1000 * time.Hour}})
		if id[1] == "b1" {
			revObj = largestNew(t, snap, rawObjects(t, h.tg.raw))
		}
		values[id] = v
	}
	h.putValue("r1", "gone", "g")
	if err := h.s.Delete(ctx, "r1", "gone", 0); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	h.clock.Advance(time.Minute)

	plan, err := h.s.PlanRotate(ctx, RotateInput{})
	if err != nil || plan.Primary != 1 || plan.Pending != 0 || plan.ByVersion[1] != 5 {
		t.Fatalf("PlanRotate with one version = %+v, %v", plan, err)
	}
	h.createKV(2)
	h.clock.Advance(time.Minute)
	plan, err = h.fresh().PlanRotate(ctx, RotateInput{})
	if err != nil || plan.Primary != 2 || plan.Pending != 5 || plan.ByVersion[1] != 5 || plan.ByVersion[2] != 0 {
		t.Fatalf("PlanRotate = %+v, %v; want primary 2, 5 pending, all under 1", plan, err)
	}
	plan, err = h.fresh().PlanRotate(ctx, RotateInput{Namespace: "r2"})
	if err != nil || plan.Pending != 2 {
		t.Fatalf("PlanRotate(r2) = %+v, %v", plan, err)
	}

	var progress []RotateResult
	var mu sync.Mutex
	snap := rawObjects(t, h.tg.raw)
	res, err := h.s.Rotate(ctx, RotateInput{Namespace: "r2", Progress: func(r RotateResult) {
		mu.Lock()
		progress = append(progress, r)
		mu.Unlock()
	}})
	if err != nil || res != (RotateResult{Processed: 2, Rotated: 2}) {
		t.Fatalf("Rotate(r2) = %+v, %v", res, err)
	}
	if len(progress) < 2 || progress[len(progress)-1] != res {
		t.Fatalf("Progress calls %+v do not end at the result %+v", progress, res)
	}
	after := rawObjects(t, h.tg.raw)
	// The rotated revision of b1 carries b1's value ciphertext unchanged.
	oldB1 := readRaw(t, h.tg.raw, revObj)
	shared := 0
	for _, k := range newObjects(snap, after) {
		if containsShared(oldB1, readRaw(t, h.tg.raw, k)) {
			shared++
		}
	}
	if shared != 1 {
		t.Fatalf("%d new objects carry b1's value ciphertext, want exactly 1 (the rotated revision)", shared)
	}

	res, err = h.s.Rotate(ctx, RotateInput{})
	if err != nil || res != (RotateResult{Processed: 5, Rotated: 3, Skipped: 2}) {
		t.Fatalf("Rotate = %+v, %v; want 5 processed, 3 rotated, 2 skipped", res, err)
	}
	res, err = h.s.Rotate(ctx, RotateInput{})
	if err != nil || res != (RotateResult{Processed: 5, Skipped: 5}) {
		t.Fatalf("second Rotate = %+v, %v; want everything skipped", res, err)
	}
	plan, err = h.fresh().PlanRotate(ctx, RotateInput{})
	if err != nil || plan.Pending != 0 || plan.ByVersion[2] != 5 || plan.ByVersion[1] != 0 {
		t.Fatalf("PlanRotate after Rotate = %+v, %v", plan, err)
	}
	s := h.fresh()
	for id, v := range values {
		got := h.expectValue(s, id[0], id[1], v)
		b := before[id]
		if got.KeyVersion != 2 || got.Revision != b.Revision+1 || !got.CreatedAt.Equal(b.CreatedAt) ||
			!got.ExpiresAt.Equal(b.ExpiresAt) || !reflect.DeepEqual(got.Metadata, b.Metadata) {
			t.Fatalf("rotated %v = %+v, before %+v", id, got, b)
		}
		if old := h.get(s, id[0], id[1], b.Revision); !bytes.Equal(old.Value, v) || old.KeyVersion != 1 {
			t.Fatalf("pre-rotation revision of %v no longer reads", id)
		}
	}
	_, err = s.Get(ctx, "r1", "gone", GetOptions{})
	expectErr(t, err, ErrNotFound, "tombstone after Rotate")
	rotated := allEvents(t, s, EventFilter{Operations: []string{OpRotated}})
	if len(rotated) != 5 {
		t.Fatalf("%d rotated events, want 5", len(rotated))
	}
	for _, e := range rotated {
		if e.KeyVersion != 2 || e.Revision != before[[2]string{e.Namespace, e.Name}].Revision+1 {
			t.Fatalf("rotated event %+v", e)
		}
	}
	kvs := kvByVersion(t, s)
	if kvs[1].Secrets != 0 || kvs[2].Secrets != 5 {
		t.Fatalf("after Rotate: version 1 has %d secrets, version 2 has %d", kvs[1].Secrets, kvs[2].Secrets)
	}
}

func testRotateConcurrentWriter(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	ctx := h.ctx
	h.createKV(1)
	const n = 24
	last := make([][]byte, n)
	for i := range n {
		last[i] = []byte(fmt.Sprintf("initial-%d", i))
		h.put(PutInput{Namespace: "cw", Name: fmt.Sprintf("s%02d", i), Value: last[i]})
	}
	h.createKV(2)

	var wg sync.WaitGroup
	var rotErr error
	var res RotateResult
	wg.Add(1)
	go func() {
		defer wg.Done()
		res, rotErr = h.fresh().Rotate(ctx, RotateInput{})
	}()
	writer := h.fresh()
	for round := 0; round < 3; round++ {
		for i := range n {
			v := []byte(fmt.Sprintf("writer-%d-%d", round, i))
			for attempt := 0; ; attempt++ {
				_, err := writer.Put(ctx, PutInput{Namespace: "cw", Name: fmt.Sprintf("s%02d", i), Value: v})
				if err == nil {
					last[i] = v
					break
				}
				if !errors.Is(err, ErrConcurrentModification) || attempt > 50 {
					t.Fatalf("writer Put: %v", err)
				}
			}
		}
	}
	wg.Wait()
	if rotErr != nil {
		t.Fatalf("Rotate during writes: %v", rotErr)
	}
	if res.Processed != n || res.Rotated+res.Skipped != n {
		t.Fatalf("Rotate during writes = %+v", res)
	}
	s := h.fresh()
	for i := range n {
		if got := h.expectValue(s, "cw", fmt.Sprintf("s%02d", i), last[i]); got.KeyVersion != 2 {
			t.Fatalf("s%02d under version %d after rotate and writes", i, got.KeyVersion)
		}
	}
	if plan, err := s.PlanRotate(ctx, RotateInput{}); err != nil || plan.Pending != 0 {
		t.Fatalf("PlanRotate = %+v, %v", plan, err)
	}
}

func dur(d time.Duration) *time.Duration { return &d }

func testCleanup(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	ctx := h.ctx
	h.createKV(1)
	objOf := map[string]string{}
	putTracked := func(in PutInput) {
		snap := rawObjects(t, h.tg.raw)
		in.Namespace = "cl"
		h.put(in)
		objOf[in.Name] = largestNew(t, snap, rawObjects(t, h.tg.raw))
	}
	big := func() []byte { return randomBytes(4096) }
	live := big()
	putTracked(PutInput{Name: "exp", Value: big(), Expiry: Expiry{Set: true, TTL: time.Hour}})
	putTracked(PutInput{Name: "renew", Value: big(), Expiry: Expiry{Set: true, TTL: time.Hour}})
	putTracked(PutInput{Name: "del", Value: big()})
	putTracked(PutInput{Name: "live", Value: live})
	putTracked(PutInput{Name: "rev", Value: big()})
	revVals := [][]byte{nil, big(), big()}
	h.put(PutInput{Namespace: "cl", Name: "rev", Value: revVals[1]})
	h.put(PutInput{Namespace: "cl", Name: "rev", Value: revVals[2]})
	if err := h.s.Delete(ctx, "cl", "del", 0); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	h.clock.Advance(time.Hour + time.Second)

	all := Retention{ExpiredSecrets: dur(24 * time.Hour), DeletedSecrets: dur(24 * time.Hour),
		Revisions: dur(24 * time.Hour), AuditEvents: dur(24 * time.Hour)}
	if plan, err := h.s.PlanCleanup(ctx, CleanupInput{Retention: all}); err != nil || plan != (CleanupPlan{}) {
		t.Fatalf("PlanCleanup within retention = %+v, %v", plan, err)
	}
	if res, err := h.s.Cleanup(ctx, CleanupInput{}); err != nil || res != (CleanupResult{}) {
		t.Fatalf("Cleanup with no retention = %+v, %v", res, err)
	}

	// Phase 1: expired and deleted secrets.
	h.clock.Advance(25 * time.Hour)
	secretsOnly := CleanupInput{Retention: Retention{ExpiredSecrets: dur(24 * time.Hour), DeletedSecrets: dur(24 * time.Hour)}}
	plan, err := h.fresh().PlanCleanup(ctx, secretsOnly)
	if err != nil || plan != (CleanupPlan{Secrets: 3}) {
		t.Fatalf("PlanCleanup(secrets) = %+v, %v; want 3 secrets", plan, err)
	}
	// A secret renewed between plan and apply is not purged.
	h.put(PutInput{Namespace: "cl", Name: "renew", Expiry: Expiry{Set: true, TTL: time.Hour}})
	res, err := h.s.Cleanup(ctx, secretsOnly)
	if err != nil || res != (CleanupResult{Secrets: 2}) {
		t.Fatalf("Cleanup(secrets) = %+v, %v; want 2 secrets", res, err)
	}
	after := rawObjects(t, h.tg.raw)
	for name, key := range objOf {
		_, present := after[key]
		if gone := name == "exp" || name == "del"; gone == present {
			t.Fatalf("after cleanup, revision object of %s present = %v", name, present)
		}
	}
	s := h.fresh()
	for _, name := range []string{"exp", "del"} {
		_, err := s.Get(ctx, "cl", name, GetOptions{})
		expectErr(t, err, ErrNotFound, "Get of purged "+name)
		_, err = s.Get(ctx, "cl", name, GetOptions{Revision: 1})
		expectErr(t, err, ErrNotFound, "Get revision 1 of purged "+name)
	}
	h.expectValue(s, "cl", "live", live)
	h.expectValue(s, "cl", "rev", revVals[2])
	if _, err := s.Get(ctx, "cl", "renew", GetOptions{}); err != nil {
		t.Fatalf("renewed secret after cleanup: %v", err)
	}
	expEvents := allEvents(t, s, EventFilter{Namespace: "cl", Name: "exp", Operations: []string{OpDeleted}})
	if len(expEvents) != 1 || expEvents[0].Reason != ReasonExpiredCleanup || expEvents[0].Actor != testActor {
		t.Fatalf("events for the expired secret = %+v, want one deleted with reason %s", expEvents, ReasonExpiredCleanup)
	}
	delEvents := allEvents(t, s, EventFilter{Namespace: "cl", Name: "del", Operations: []string{OpPurged, OpDeleted}})
	if len(delEvents) != 2 || delEvents[1].Reason != ReasonDeletedCleanup {
		t.Fatalf("events for the deleted secret = %+v, want the delete and one with reason %s", delEvents, ReasonDeletedCleanup)
	}
	if plan, err := s.PlanCleanup(ctx, secretsOnly); err != nil || plan != (CleanupPlan{}) {
		t.Fatalf("PlanCleanup after Cleanup = %+v, %v", plan, err)
	}
	if res, err := s.Cleanup(ctx, secretsOnly); err != nil || res != (CleanupResult{}) {
		t.Fatalf("second Cleanup = %+v, %v", res, err)
	}
	// A purged name can be created again.
	h.put(PutInput{Namespace: "cl", Name: "exp", Value: []byte("again"), IfRevision: -1})
	h.expectValue(h.fresh(), "cl", "exp", []byte("again"))

	// A deleted secret with two values: revision cleanup may drop the older
	// one, but the value below the tombstone stays until the deleted-secret
	// retention, so that a mistaken delete is recoverable.
	h.putValue("cl", "tomb", "tomb-1")
	h.putValue("cl", "tomb", "tomb-2")
	if err := h.s.Delete(ctx, "cl", "tomb", 0); err != nil {
		t.Fatalf("Delete: %v", err)
	}

	// Phase 2: superseded revisions (rev has 2, renew 1, tomb 1); current
	// ones stay.
	h.clock.Advance(25 * time.Hour)
	revOnly := CleanupInput{Retention: Retention{Revisions: dur(24 * time.Hour)}}
	if plan, err := h.fresh().PlanCleanup(ctx, revOnly); err != nil || plan != (CleanupPlan{Revisions: 4}) {
		t.Fatalf("PlanCleanup(revisions) = %+v, %v; want 4 revisions", plan, err)
	}
	if res, err := h.s.Cleanup(ctx, revOnly); err != nil || res != (CleanupResult{Revisions: 4}) {
		t.Fatalf("Cleanup(revisions) = %+v, %v", res, err)
	}
	if got := h.get(h.fresh(), "cl", "tomb", 2); string(got.Value) != "tomb-2" {
		t.Fatalf("value below the tombstone after revision cleanup = %q", got.Value)
	}
	_, err = h.fresh().Get(ctx, "cl", "tomb", GetOptions{Revision: 1})
	expectErr(t, err, ErrNotFound, "superseded revision 1 of the deleted secret")
	s = h.fresh()
	for _, rev := range []int64{1, 2} {
		_, err := s.Get(ctx, "cl", "rev", GetOptions{Revision: rev})
		expectErr(t, err, ErrNotFound, fmt.Sprintf("purged revision %d", rev))
	}
	if got := h.get(s, "cl", "rev", 3); !bytes.Equal(got.Value, revVals[2]) {
		t.Fatalf("current revision changed by cleanup")
	}
	h.expectValue(s, "cl", "live", live)
	_, err = s.Get(ctx, "cl", "renew", GetOptions{})
	expectErr(t, err, ErrExpired, "renewed secret a day later (expired, not purged)")
	if _, present := rawObjects(t, h.tg.raw)[objOf["live"]]; !present {
		t.Fatalf("the live secret's only revision was removed")
	}
	if plan, err := s.PlanCleanup(ctx, revOnly); err != nil || plan != (CleanupPlan{}) {
		t.Fatalf("PlanCleanup(revisions) after Cleanup = %+v, %v", plan, err)
	}

	// Phase 3: audit events older than the retention.
	h.clock.Advance(25 * time.Hour)
	cutoff := h.clock.Now().Add(-24 * time.Hour)
	old := 0
	for _, e := range allEvents(t, s, EventFilter{}) {
		if e.Time.Before(cutoff) {
			old++
		}
	}
	if old < 10 {
		t.Fatalf("only %d old events to purge", old)
	}
	h.clock.Advance(time.Second)
	h.putValue("cl", "fresh", "f")
	auditOnly := CleanupInput{Retention: Retention{AuditEvents: dur(24 * time.Hour)}}
	if plan, err := h.fresh().PlanCleanup(ctx, auditOnly); err != nil || plan != (CleanupPlan{Events: old}) {
		t.Fatalf("PlanCleanup(audit) = %+v, %v; want %d events", plan, err, old)
	}
	if res, err := h.s.Cleanup(ctx, auditOnly); err != nil || res != (CleanupResult{Events: old}) {
		t.Fatalf("Cleanup(audit) = %+v, %v; want %d events", res, err, old)
	}
	left := allEvents(t, h.fresh(), EventFilter{})
	sawFresh, sawPurge := false, false
	for _, e := range left {
		if e.Time.Before(h.clock.Now().Add(-24 * time.Hour)) {
			t.Fatalf("event older than the retention left: %+v", e)
		}
		sawFresh = sawFresh || (e.Operation == OpCreated && e.Name == "fresh")
		sawPurge = sawPurge || (e.Operation == OpPurged && e.Reason == ReasonAuditCleanup)
	}
	if !sawFresh || !sawPurge {
		t.Fatalf("after audit cleanup: fresh event %v, purge event %v; events %v", sawFresh, sawPurge, eventOps(left))
	}
	if plan, err := h.fresh().PlanCleanup(ctx, auditOnly); err != nil || plan != (CleanupPlan{}) {
		t.Fatalf("PlanCleanup(audit) after Cleanup = %+v, %v", plan, err)
	}
}

func testCleanupScope(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	ctx := h.ctx
	h.createKV(1)
	for _, ns := range []string{"one", "one-2", "two"} {
		for i := 0; i < 3; i++ {
			h.put(PutInput{Namespace: ns, Name: fmt.Sprintf("e%d", i), Value: []byte("v"), Expiry: Expiry{Set: true, TTL: time.Minute}})
		}
		h.putValue(ns, "live", "l")
	}
	h.clock.Advance(48 * time.Hour)
	in := CleanupInput{Namespace: "one", Retention: Retention{ExpiredSecrets: dur(time.Hour)}}
	if plan, err := h.s.PlanCleanup(ctx, in); err != nil || plan != (CleanupPlan{Secrets: 3}) {
		t.Fatalf("PlanCleanup(one) = %+v, %v", plan, err)
	}
	if res, err := h.s.Cleanup(ctx, in); err != nil || res != (CleanupResult{Secrets: 3}) {
		t.Fatalf("Cleanup(one) = %+v, %v", res, err)
	}
	for _, ns := range []string{"one", "one-2", "two"} {
		names := secretNames(allSecrets(t, h.fresh(), ListInput{Namespace: ns}))
		want := []string{"e0", "e1", "e2", "live"}
		if ns == "one" {
			want = []string{"live"}
		}
		if !slices.Equal(names, want) {
			t.Fatalf("after Cleanup(one), %s lists %v, want %v", ns, names, want)
		}
	}
	in.Namespace = ""
	if res, err := h.s.Cleanup(ctx, in); err != nil || res != (CleanupResult{Secrets: 6}) {
		t.Fatalf("Cleanup(all namespaces) = %+v, %v", res, err)
	}
}

// tamperings returns corrupt variants of a stored object.
func tamperings(orig []byte) map[string][]byte {
	flip := func(i int) []byte {
		b := slices.Clone(orig)
		b[i] ^= 0x01
		return b
	}
	out := map[string][]byte{
		"zero length":    {},
		"truncated half": orig[:len(orig)/2],
		"truncated by 1": orig[:len(orig)-1],
		"trailing byte":  append(slices.Clone(orig), 0),
		"first byte":     flip(0),
		"last byte":      flip(len(orig) - 1),
		"middle byte":    flip(len(orig) / 2),
		"format version": func() []byte { b := slices.Clone(orig); b[0] ^= 0x7f; return b }(),
	}
	for _, i := range []int{1, 2, 3, 4, 8, 16, 32, 64} {
		if i < len(orig) {
			out[fmt.Sprintf("byte %d", i)] = flip(i)
		}
	}
	return out
}

// wellFormedForgeries returns, for an object that is a short binary
// header followed by JSON (the store's audit framing), copies with one
// value changed (at any depth) and the JSON re-encoded, so that the object
// still parses and only a MAC can reveal the change. Values under a key
// naming a MAC are left alone. Other objects give none.
func wellFormedForgeries(orig []byte) map[string][]byte {
	out := map[string][]byte{}
	start := bytes.IndexAny(orig, "{[")
	if start < 0 || start > 8 {
		return out
	}
	decode := func() (any, bool) {
		var v any
		dec := json.NewDecoder(bytes.NewReader(orig[start:]))
		dec.UseNumber()
		return v, dec.Decode(&v) == nil
	}
	root, ok := decode()
	if !ok {
		return out
	}
	// Collect the paths of every leaf value.
	var paths [][]any
	var walk func(v any, path []any)
	walk = func(v any, path []any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				if !strings.Contains(strings.ToLower(k), "mac") {
					walk(c, append(slices.Clone(path), k))
				}
			}
		case []any:
			for i, c := range v {
				walk(c, append(slices.Clone(path), i))
			}
		case string, json.Number, bool:
			paths = append(paths, path)
		}
	}
	walk(root, nil)
	for _, path := range paths {
		if len(out) >= 24 {
			break
		}
		copyRoot, _ := decode()
		parent := copyRoot
		for _, p := range path[:len(path)-1] {
			switch p := p.(type) {
			case string:
				parent = parent.(map[string]any)[p]
			case int:
				parent = parent.([]any)[p]
			}
		}
		last := path[len(path)-1]
		var old any
		switch p := last.(type) {
		case string:
			old = parent.(map[string]any)[p]
		case int:
			old = parent.([]any)[p]
		}
		var nv any
		switch v := old.(type) {
		case string:
			if _, err := hex.DecodeString(v); err == nil && len(v) > 0 {
				nv = strings.Repeat("0", len(v))
				if nv == v {
					nv = strings.Repeat("1", len(v))
				}
			} else {
				nv = v + "x"
			}
		case json.Number:
			if i, err := v.Int64(); err == nil {
				nv = json.Number(strconv.FormatInt(i+1, 10))
			} else {
				nv = json.Number(string(v) + "1")
			}
		case bool:
			nv = !v
		}
		switch p := last.(type) {
		case string:
			parent.(map[string]any)[p] = nv
		case int:
			parent.([]any)[p] = nv
		}
		js, err := json.Marshal(copyRoot)
		if err != nil {
			continue
		}
		out[fmt.Sprintf("forged %v", path)] = append(slices.Clone(orig[:start]), js...)
	}
	return out
}

func testTamper(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	ctx := h.ctx
	h.createKV(1)
	h.put(PutInput{Namespace: "tp", Name: "a", Value: randomBytes(1024)})
	h.putValue("tp", "b", "bee")
	h.putValue("tp2", "a", "other namespace")
	va := randomBytes(1024)
	snap := rawObjects(t, h.tg.raw)
	h.put(PutInput{Namespace: "tp", Name: "a", Value: va, SetMetadata: true, Metadata: map[string]string{"m": "1"}})
	key := largestNew(t, snap, rawObjects(t, h.tg.raw))
	orig := readRaw(t, h.tg.raw, key)

	for what, bad := range tamperings(orig) {
		writeRaw(t, h.tg.raw, key, bad)
		s := h.fresh()
		_, err := s.Get(ctx, "tp", "a", GetOptions{})
		if err == nil || errors.Is(err, ErrNotFound) || !(errors.Is(err, ErrIntegrity) || errors.Is(err, ErrUnsupportedFormat)) {
			t.Fatalf("%s: Get of the tampered secret = %v; want an integrity (or unsupported format) error", what, err)
		}
		if ok, _ := s.Has(ctx, "tp", "a"); ok {
			t.Fatalf("%s: Has reports the tampered secret as readable", what)
		}
		h.expectValue(s, "tp", "b", []byte("bee"))
		h.expectValue(s, "tp2", "a", []byte("other namespace"))
		if old := h.get(s, "tp", "a", 1); len(old.Value) != 1024 {
			t.Fatalf("%s: revision 1 unreadable", what)
		}
	}
	writeRaw(t, h.tg.raw, key, orig)
	h.expectValue(h.fresh(), "tp", "a", va)

	// An object moved from another secret's key fails too.
	snap = rawObjects(t, h.tg.raw)
	h.put(PutInput{Namespace: "tp", Name: "b", Value: randomBytes(1024)})
	bKey := largestNew(t, snap, rawObjects(t, h.tg.raw))
	bOrig := readRaw(t, h.tg.raw, bKey)
	writeRaw(t, h.tg.raw, bKey, orig)
	_, err := h.fresh().Get(ctx, "tp", "b", GetOptions{})
	if err == nil || errors.Is(err, ErrNotFound) || !errors.Is(err, ErrIntegrity) {
		t.Fatalf("Get of b holding a's revision object = %v; want an integrity error", err)
	}
	h.expectValue(h.fresh(), "tp", "a", va)
	writeRaw(t, h.tg.raw, bKey, bOrig)
}

func testTamperEvents(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	ctx := h.ctx
	h.createKV(1)
	a := h.putValue("ev", "a", "va")
	b := h.putValue("ev", "b", "vb")
	h.clock.Advance(time.Second)
	snap := rawObjects(t, h.tg.raw)
	if err := h.s.RecordRead(ctx, a); err != nil {
		t.Fatalf("RecordRead: %v", err)
	}
	mid := rawObjects(t, h.tg.raw)
	aKeys := newObjects(snap, mid)
	h.clock.Advance(time.Second)
	if err := h.s.RecordRead(ctx, b); err != nil {
		t.Fatalf("RecordRead: %v", err)
	}
	bKeys := newObjects(mid, rawObjects(t, h.tg.raw))
	if len(aKeys) == 0 || len(aKeys) != len(bKeys) {
		t.Fatalf("a read event wrote %v, the next %v", aKeys, bKeys)
	}
	genuine := allEvents(t, h.fresh(), EventFilter{})

	// check returns true when tampering was reported as an integrity error,
	// and fails when altered events are returned as genuine.
	check := func(what string) bool {
		t.Helper()
		detected := false
		fresh := h.fresh()
		for _, f := range []EventFilter{{}, {Namespace: "ev"}, {Namespace: "ev", Name: "a"}, {Operations: []string{OpRead}, Descending: true}} {
			f.Limit = MaxEventLimit
			var got []Event
			var err error
			for {
				var page EventPage
				page, err = fresh.ListEvents(ctx, f)
				if err != nil {
					break
				}
				got = append(got, page.Events...)
				if page.NextPageToken == "" {
					break
				}
				f.PageToken = page.NextPageToken
			}
			if err != nil {
				if !errors.Is(err, ErrIntegrity) {
					t.Fatalf("%s: ListEvents(%+v) error %v is not an integrity error", what, f, err)
				}
				detected = true
				continue
			}
			seen := map[string]bool{}
			for _, e := range got {
				if seen[e.ID] {
					t.Fatalf("%s: event %s returned twice", what, e.ID)
				}
				seen[e.ID] = true
				if i := slices.IndexFunc(genuine, func(g Event) bool { return g.ID == e.ID }); i < 0 || !reflect.DeepEqual(genuine[i], e) {
					t.Fatalf("%s: ListEvents returned an altered event as genuine: %+v", what, e)
				}
			}
		}
		return detected
	}
	anyDetected := false
	forged := 0
	for _, key := range aKeys {
		orig := readRaw(t, h.tg.raw, key)
		if len(orig) == 0 {
			continue
		}
		for what, bad := range tamperings(orig) {
			writeRaw(t, h.tg.raw, key, bad)
			anyDetected = check(fmt.Sprintf("event object %s, %s", key, what)) || anyDetected
		}
		// Well-formed forgeries: only the event's MAC can tell them apart.
		forgeries := wellFormedForgeries(orig)
		for what, bad := range forgeries {
			writeRaw(t, h.tg.raw, key, bad)
			if !check(fmt.Sprintf("event object %s, %s", key, what)) {
				t.Fatalf("event object %s, %s: the forgery was not reported", key, what)
			}
		}
		if len(forgeries) > 0 {
			forged++
		}
		writeRaw(t, h.tg.raw, key, orig)
	}
	// Replaying another event's object under this key is a forgery.
	for i, key := range aKeys {
		orig := readRaw(t, h.tg.raw, key)
		writeRaw(t, h.tg.raw, key, readRaw(t, h.tg.raw, bKeys[i]))
		check(fmt.Sprintf("event object %s replaced by %s", key, bKeys[i]))
		writeRaw(t, h.tg.raw, key, orig)
	}
	if !anyDetected {
		t.Fatalf("no tampering of the read event's objects %v was reported", aKeys)
	}
	t.Logf("well-formed forgeries tried on %d of %d event objects", forged, len(aKeys))
	if check("restored") {
		t.Fatalf("restored events still reported as tampered")
	}
}

func testKeyVersionUnavailable(t *testing.T, newTarget func(*testing.T) target) {
	// A revision wrapped under version 2 copied into a store that only has
	// version 1 names a key version the keyring lacks.
	hx := newHarness(t, newTarget)
	hx.createKV(1)
	hx.createKV(2)
	snap := rawObjects(t, hx.tg.raw)
	hx.put(PutInput{Namespace: "kv", Name: "x", Value: randomBytes(1024)})
	key := largestNew(t, snap, rawObjects(t, hx.tg.raw))

	hy := newHarnessRoot(t, newTarget, hx.root)
	hy.createKV(1)
	hy.putValue("kv", "y", "y")
	writeRaw(t, hy.tg.raw, key, readRaw(t, hx.tg.raw, key))
	_, err := hy.fresh().Get(hy.ctx, "kv", "x", GetOptions{})
	expectErr(t, err, ErrKeyVersionUnavailable, "Get of a revision under a version the keyring lacks")
	hy.expectValue(hy.fresh(), "kv", "y", []byte("y"))
}

func testNoPlaintext(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	material := randomBytes(32)
	if _, err := h.s.CreateKeyVersion(h.ctx, 1, material); err != nil {
		t.Fatalf("CreateKeyVersion: %v", err)
	}
	canary := []byte("CANARY-" + randomHex(16))
	h.put(PutInput{Namespace: "np", Name: "c", Value: canary})
	h.put(PutInput{Namespace: "np", Name: "c", SetMetadata: true, Metadata: map[string]string{"k": "v"}})
	h.createKV(2)
	if _, err := h.s.Rotate(h.ctx, RotateInput{}); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if err := h.s.RecordRead(h.ctx, h.get(h.s, "np", "c", 0)); err != nil {
		t.Fatalf("RecordRead: %v", err)
	}
	rootBytes, _ := base64.StdEncoding.DecodeString(h.root)
	forbidden := map[string][]byte{"value": canary, "key material": material, "root key": rootBytes}
	objs := rawObjects(t, h.tg.raw)
	if len(objs) == 0 {
		t.Fatalf("bucket is empty")
	}
	for key := range objs {
		data := readRaw(t, h.tg.raw, key)
		for what, secret := range forbidden {
			for enc, form := range map[string][]byte{
				"raw":       secret,
				"base64":    []byte(base64.StdEncoding.EncodeToString(secret)),
				"base64url": []byte(base64.RawURLEncoding.EncodeToString(secret)),
				"hex":       []byte(hex.EncodeToString(secret)),
			} {
				if bytes.Contains(data, form) || strings.Contains(key, string(form)) {
					t.Fatalf("object %q contains the %s (%s)", key, what, enc)
				}
			}
		}
	}
}

// testListingSiblings guards against gocloud fileblob's ListPage drop: a
// "directory" that is a prefix of a sibling whose next character sorts
// below '/' (app/ and app-2/, a/ and a-b/, a.b/) loses keys at page
// boundaries unless the key encoding avoids such siblings. Every listing
// the store makes (List, ListEvents, PlanRotate, Rotate, KeyVersions,
// PlanCleanup, Cleanup) must see every secret, with any page size.
func testListingSiblings(t *testing.T, newTarget func(*testing.T) target) {
	h := newHarness(t, newTarget)
	ctx := h.ctx
	h.createKV(1)
	namespaces := []string{"app", "app-2", "app.x", "app-", "app_y", "ap", "app:z", "app-2-b"}
	names := []string{"a", "a-b", "a.b", "a-b-c", "a.b.c", "a+b", "a,b", "a0", "b"}
	want := map[string][]string{}
	total := 0
	for _, ns := range namespaces {
		for _, n := range names {
			h.put(PutInput{Namespace: ns, Name: n, Value: []byte(ns + "/" + n)})
			want[ns] = append(want[ns], n)
			total++
		}
		sort.Strings(want[ns])
	}
	s := h.fresh()
	for _, ns := range namespaces {
		for _, size := range []int{1, 2, 3, 4, 7} {
			if got := secretNames(allSecrets(t, s, ListInput{Namespace: ns, PageSize: size})); !slices.Equal(got, want[ns]) {
				t.Fatalf("List(%s, PageSize %d) = %v, want %v", ns, size, got, want[ns])
			}
		}
		for _, limit := range []int{1, 2, 3, 5} {
			for _, desc := range []bool{false, true} {
				evs := allEvents(t, s, EventFilter{Namespace: ns, Limit: limit, Descending: desc})
				if len(evs) != len(names) {
					t.Fatalf("ListEvents(%s, Limit %d, desc %v) returned %d events, want %d", ns, limit, desc, len(evs), len(names))
				}
				for _, e := range evs {
					if e.Namespace != ns {
						t.Fatalf("ListEvents(%s) returned an event of %s", ns, e.Namespace)
					}
				}
			}
		}
		for _, n := range names {
			if evs := allEvents(t, s, EventFilter{Namespace: ns, Name: n, Limit: 1}); len(evs) != 1 || evs[0].Name != n {
				t.Fatalf("ListEvents(%s/%s) = %v", ns, n, eventOps(evs))
			}
		}
	}
	for _, limit := range []int{1, 2, 3, 7} {
		if evs := allEvents(t, s, EventFilter{Limit: limit, Operations: []string{OpCreated}}); len(evs) != total {
			t.Fatalf("ListEvents(Limit %d) returned %d created events, want %d", limit, len(evs), total)
		}
	}
	h.createKV(2)
	if kv := kvByVersion(t, h.fresh())[1]; kv.Secrets != total {
		t.Fatalf("KeyVersions counts %d secrets under version 1, want %d", kv.Secrets, total)
	}
	if plan, err := h.fresh().PlanRotate(ctx, RotateInput{}); err != nil || plan.Pending != total {
		t.Fatalf("PlanRotate = %+v, %v; want %d pending", plan, err, total)
	}
	if plan, err := h.fresh().PlanRotate(ctx, RotateInput{Namespace: "app"}); err != nil || plan.Pending != len(names) {
		t.Fatalf("PlanRotate(app) = %+v, %v; want %d pending", plan, err, len(names))
	}
	if res, err := h.s.Rotate(ctx, RotateInput{Namespace: "app"}); err != nil || res.Rotated != len(names) || res.Processed != len(names) {
		t.Fatalf("Rotate(app) = %+v, %v", res, err)
	}
	if res, err := h.s.Rotate(ctx, RotateInput{}); err != nil || res.Processed != total || res.Rotated != total-len(names) {
		t.Fatalf("Rotate = %+v, %v; want %d processed", res, err, total)
	}
	for _, ns := range namespaces {
		for _, n := range names {
			h.put(PutInput{Namespace: ns, Name: n, Expiry: Expiry{Set: true, TTL: time.Minute}})
		}
	}
	h.clock.Advance(2 * time.Hour)
	in := CleanupInput{Retention: Retention{ExpiredSecrets: dur(time.Hour)}}
	if plan, err := h.fresh().PlanCleanup(ctx, in); err != nil || plan.Secrets != total {
		t.Fatalf("PlanCleanup = %+v, %v; want %d secrets", plan, err, total)
	}
	in.Namespace = "app"
	if plan, err := h.fresh().PlanCleanup(ctx, in); err != nil || plan.Secrets != len(names) {
		t.Fatalf("PlanCleanup(app) = %+v, %v; want %d secrets", plan, err, len(names))
	}
	in.Namespace = ""
	if res, err := h.s.Cleanup(ctx, in); err != nil || res.Secrets != total {
		t.Fatalf("Cleanup = %+v, %v; want %d secrets", res, err, total)
	}
	for _, ns := range namespaces {
		if got := allSecrets(t, h.fresh(), ListInput{Namespace: ns, PageSize: 1}); len(got) != 0 {
			t.Fatalf("after Cleanup, %s lists %v", ns, secretNames(got))
		}
	}
}

// TestFileListingPageBoundary reproduces the conditions of fileblob's
// ListPage drop on a real directory. The drop needs a page boundary inside
// the shorter sibling: fileblob walks "app/" before "app-2/", but "app-2/x"
// sorts before "app/x", so once a page ends inside app/ the next page skips
// every key of app-2/ as already returned. The store lists 1000 keys a page,
// so this test puts more than 1000 objects under one namespace (520
// secrets) and under one name (505 revisions), each next to siblings that
// extend its name with characters below '/'.
func TestFileListingPageBoundary(t *testing.T) {
	if testing.Short() {
		t.Skip("writes about 1,100 secrets revisions to a local directory")
	}
	h := newHarness(t, fileTarget)
	ctx := h.ctx
	h.createKV(1)
	const big = 520
	small := []string{"app-2", "app.x", "app-", "app-2-b"}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	jobs := make(chan [2]string)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if _, err := h.s.Put(ctx, PutInput{Namespace: j[0], Name: j[1], Value: []byte(j[0] + "/" + j[1])}); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := 0; i < big; i++ {
		jobs <- [2]string{"app", fmt.Sprintf("s%04d", i)}
	}
	for _, ns := range small {
		for _, n := range []string{"a", "b"} {
			jobs <- [2]string{ns, n}
		}
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Put: %v", err)
	}
	// One name with a long history next to names it is a prefix of.
	const revisions = 505
	for i := 0; i < revisions; i++ {
		h.put(PutInput{Namespace: "names", Name: "a", Value: []byte(fmt.Sprint(i))})
	}
	for _, n := range []string{"a-b", "a.b", "a+b", "a!b"} {
		h.putValue("names", n, n)
	}
	total := big + 2*len(small) + 5

	s := h.fresh()
	for _, ns := range small {
		if got := secretNames(allSecrets(t, s, ListInput{Namespace: ns})); !slices.Equal(got, []string{"a", "b"}) {
			t.Fatalf("List(%s) = %v", ns, got)
		}
		if evs := allEvents(t, s, EventFilter{Namespace: ns}); len(evs) != 2 {
			t.Fatalf("ListEvents(%s) returned %d events, want 2", ns, len(evs))
		}
	}
	if got := allSecrets(t, s, ListInput{Namespace: "app", PageSize: MaxListPageSize}); len(got) != big {
		t.Fatalf("List(app) returned %d secrets, want %d", len(got), big)
	}
	wantNames := []string{"a", "a!b", "a+b", "a-b", "a.b"}
	if got := secretNames(allSecrets(t, s, ListInput{Namespace: "names"})); !slices.Equal(got, wantNames) {
		t.Fatalf("List(names) = %v, want %v", got, wantNames)
	}
	if got := secretNames(allSecrets(t, s, ListInput{Namespace: "names", NamePrefix: "a"})); !slices.Equal(got, wantNames) {
		t.Fatalf("List(names, prefix a) = %v, want %v", got, wantNames)
	}
	if evs := allEvents(t, s, EventFilter{Namespace: "names"}); len(evs) != revisions+4 {
		t.Fatalf("ListEvents(names) returned %d events, want %d", len(evs), revisions+4)
	}
	if evs := allEvents(t, s, EventFilter{Operations: []string{OpCreated}}); len(evs) != total {
		t.Fatalf("ListEvents(created) returned %d events, want %d", len(evs), total)
	}
	if kv := kvByVersion(t, s)[1]; kv.Secrets != total {
		t.Fatalf("KeyVersions counts %d secrets, want %d", kv.Secrets, total)
	}
	h.createKV(2)
	if plan, err := h.fresh().PlanRotate(ctx, RotateInput{}); err != nil || plan.Pending != total {
		t.Fatalf("PlanRotate = %+v, %v; want %d pending", plan, err, total)
	}
	h.clock.Advance(time.Hour)
	if plan, err := h.fresh().PlanCleanup(ctx, CleanupInput{Retention: Retention{Revisions: dur(time.Minute)}}); err != nil || plan.Revisions != revisions-1 {
		t.Fatalf("PlanCleanup(revisions) = %+v, %v; want %d", plan, err, revisions-1)
	}
	if res, err := h.s.Rotate(ctx, RotateInput{}); err != nil || res.Processed != total || res.Rotated != total {
		t.Fatalf("Rotate = %+v, %v; want %d rotated", res, err, total)
	}
}
