// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// unitEnv is one empty bucket (mem:// or a file:// directory opened by
// URL, so that the store's own file writer is used) with a test clock.
// The unit tests of this package use it; the conformance suite has its own
// harness.
type unitEnv struct {
	t      *testing.T
	ctx    context.Context
	driver string
	clock  *testClock
	root   string
	opts   Options
	raw    *blob.Bucket // the same objects, for inspection and tampering
	dir    string       // file:// only
	s      *Store
}

func newUnit(t *testing.T, driver string) *unitEnv {
	t.Helper()
	return newUnitWithRoot(t, driver, randomRootKey())
}

func newUnitWithRoot(t *testing.T, driver, root string) *unitEnv {
	t.Helper()
	u := &unitEnv{t: t, ctx: context.Background(), driver: driver, clock: newTestClock(), root: root}
	switch driver {
	case "mem":
		u.raw = openRaw(t, "mem://")
		u.opts = Options{Bucket: u.raw}
	case "file":
		u.dir = t.TempDir()
		u.opts = Options{BucketURL: fileURL(u.dir)}
		u.raw = openRaw(t, fileURL(u.dir)+"?metadata=skip")
	default:
		t.Fatalf("unknown driver %q", driver)
	}
	u.s = u.open()
	return u
}

// forDrivers runs f as a subtest on mem:// and on file://.
func forDrivers(t *testing.T, f func(t *testing.T, u *unitEnv)) {
	for _, d := range []string{"mem", "file"} {
		t.Run(d, func(t *testing.T) { f(t, newUnit(t, d)) })
	}
}

func (u *unitEnv) options(mut ...func(*Options)) Options {
	o := u.opts
	o.RootKey = u.root
	o.Actor = "unit@test"
	o.Now = u.clock.Now
	for _, m := range mut {
		m(&o)
	}
	return o
}

func (u *unitEnv) open(mut ...func(*Options)) *Store {
	u.t.Helper()
	s, err := Open(u.ctx, u.options(mut...))
	if err != nil {
		u.t.Fatalf("Open: %v", err)
	}
	u.t.Cleanup(func() { _ = s.Close() })
	return s
}

func (u *unitEnv) kv(v int) {
	u.t.Helper()
	if _, err := u.s.CreateKeyVersion(u.ctx, v, nil); err != nil {
		u.t.Fatalf("CreateKeyVersion(%d): %v", v, err)
	}
}

func (u *unitEnv) put(ns, name, value string) Secret {
	u.t.Helper()
	sec, err := u.s.Put(u.ctx, PutInput{Namespace: ns, Name: name, Value: []byte(value)})
	if err != nil {
		u.t.Fatalf("Put(%s/%s): %v", ns, name, err)
	}
	return sec
}

func (u *unitEnv) mustGet(s *Store, ns, name string, rev int64) Secret {
	u.t.Helper()
	sec, err := s.Get(u.ctx, ns, name, GetOptions{Revision: rev})
	if err != nil {
		u.t.Fatalf("Get(%s/%s@%d): %v", ns, name, rev, err)
	}
	return sec
}

// keys lists the raw keys under prefix.
func (u *unitEnv) keys(prefix string) []string {
	u.t.Helper()
	var out []string
	it := u.raw.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(u.ctx)
		if err != nil {
			break
		}
		out = append(out, o.Key)
	}
	return out
}

func TestOpenRootKeyForms(t *testing.T) {
	ctx := context.Background()
	key := randomBytes(32)
	dir := t.TempDir()
	open := func(root string, prev ...string) error {
		s, err := Open(ctx, Options{BucketURL: fileURL(dir), RootKey: root, PreviousRootKeys: prev})
		if err == nil {
			_ = s.Close()
		}
		return err
	}
	// Every spelling of the same key opens the same store.
	for _, root := range []string{
		base64.StdEncoding.EncodeToString(key),
		base64.RawStdEncoding.EncodeToString(key),
		base64.URLEncoding.EncodeToString(key),
		"  " + base64.StdEncoding.EncodeToString(key) + "\n",
		"base64key://" + base64.URLEncoding.EncodeToString(key),
		"base64key://" + base64.RawURLEncoding.EncodeToString(key),
		"BASE64KEY://" + base64.URLEncoding.EncodeToString(key),
	} {
		if err := open(root); err != nil {
			t.Fatalf("Open with root key form %d chars: %v", len(root), err)
		}
	}
	short := base64.StdEncoding.EncodeToString(key[:16])
	cases := []struct {
		root  string
		prev  []string
		field string
		says  string
	}{
		{"", nil, "root_key", "openssl rand -base64 32"},
		{"base64key://", nil, "root_key", "new random key"},
		{"Base64Key://", nil, "root_key", "new random key"},
		{"base64key://" + short, nil, "root_key", "16 bytes"},
		{short, nil, "root_key", "16 bytes"},
		{"not base64 at all!", nil, "root_key", "not valid base64"},
		{"nosuchscheme://x", nil, "root_key", "nosuchscheme"},
		{base64.StdEncoding.EncodeToString(key), []string{"base64key://"}, "previous_root_keys[0]", "base64key://"},
	}
	for _, c := range cases {
		err := open(c.root, c.prev...)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field || !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), c.says) {
			t.Fatalf("Open(root %q): error %v, want a ValidationError on %s saying %q", c.root, err, c.field, c.says)
		}
		if c.root != "" && len(c.root) > 20 && strings.Contains(err.Error(), strings.TrimPrefix(c.root, "base64key://")) {
			t.Fatalf("the error repeats the key: %v", err)
		}
	}
}

// TestOpenErrorsRedactURLs: an error about a bucket URL never repeats the
// URL's userinfo or query, which may hold credentials.
func TestOpenErrorsRedactURLs(t *testing.T) {
	ctx := context.Background()
	root := randomRootKey()
	for _, c := range []struct {
		url     string
		invalid bool // a ValidationError on "url"
		says    string
	}{
		{"s3://user:hunter2@bucket/%zz?X-Amz-Signature=hunter3", true, "%zz"},
		{"nosuchscheme://user:hunter2@host/p?sig=hunter3", false, "nosuchscheme://host/p"},
		{"mem://?sig=hunter3", false, "sig"},
	} {
		_, err := Open(ctx, Options{BucketURL: c.url, RootKey: root})
		var ve *ValidationError
		switch {
		case err == nil:
			t.Fatalf("Open(%q) succeeded", c.url)
		case strings.Contains(err.Error(), "hunter"):
			t.Fatalf("Open(%q): the error repeats the URL's credentials: %v", c.url, err)
		case !strings.Contains(err.Error(), c.says):
			t.Fatalf("Open(%q) = %v; want it to say %q", c.url, err, c.says)
		case c.invalid != (errors.As(err, &ve) && ve.Field == "url"):
			t.Fatalf("Open(%q) = %v; ValidationError on url: want %v", c.url, err, c.invalid)
		}
	}
}

func TestOpenBucketURLForms(t *testing.T) {
	ctx := context.Background()
	root := randomRootKey()
	for _, c := range []struct{ url, says string }{
		{"", "bucket URL"},
		{"file://somehost/tmp/x", "host"},
		{"file:///tmp/x?metadata=skip", "not supported"},
		{"file://", "no path"},
	} {
		_, err := Open(ctx, Options{BucketURL: c.url, RootKey: root})
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != "url" || !strings.Contains(err.Error(), c.says) {
			t.Fatalf("Open(%q) = %v, want a url ValidationError saying %q", c.url, err, c.says)
		}
	}
	// A directory that does not exist yet is created, with create_dir
	// accepted for compatibility.
	dir := filepath.Join(t.TempDir(), "new", "store")
	s, err := Open(ctx, Options{BucketURL: fileURL(dir) + "?create_dir=1", RootKey: root})
	if err != nil {
		t.Fatalf("Open of a new directory: %v", err)
	}
	_ = s.Close()
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("store directory not created: %v", err)
	}
}

func TestRootKeyMismatchAndRotation(t *testing.T) {
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		u.put("ns", "a", "alpha") // under version 1
		u.kv(2)
		oldRoot := u.root

		u.root = randomRootKey()
		if _, err := Open(u.ctx, u.options()); !errors.Is(err, ErrRootKeyMismatch) {
			t.Fatalf("Open with another root key = %v, want ErrRootKeyMismatch", err)
		}
		// With the old key as a previous key, everything reads, and every
		// version reports that it is not under the current root key.
		s := u.open(func(o *Options) { o.PreviousRootKeys = []string{randomRootKey(), oldRoot} })
		u.s = s
		if got := u.mustGet(s, "ns", "a", 0); string(got.Value) != "alpha" {
			t.Fatalf("Get = %q", got.Value)
		}
		kvs, err := s.KeyVersions(u.ctx)
		if err != nil || len(kvs) != 2 || kvs[0].RootKeyCurrent || kvs[1].RootKeyCurrent {
			t.Fatalf("KeyVersions before rewrap = %+v, %v", kvs, err)
		}
		if err := s.RewrapKeyVersion(u.ctx, 2); err != nil {
			t.Fatalf("RewrapKeyVersion(2): %v", err)
		}
		kvs, _ = s.KeyVersions(u.ctx)
		if kvs[0].RootKeyCurrent || !kvs[1].RootKeyCurrent {
			t.Fatalf("after rewrapping 2: %+v", kvs)
		}
		// Version 1 still needs the old key; its secret is unavailable
		// without it, and readable again once 1 is rewrapped.
		if _, err := Open(u.ctx, u.options()); err != nil {
			t.Fatalf("Open with only the new root key after the header rewrap: %v", err)
		}
		s2 := u.open()
		if _, err := s2.Get(u.ctx, "ns", "a", GetOptions{}); !errors.Is(err, ErrKeyVersionUnavailable) {
			t.Fatalf("Get under version 1 without the old root key = %v", err)
		}
		if err := s.RewrapKeyVersion(u.ctx, 1); err != nil {
			t.Fatalf("RewrapKeyVersion(1): %v", err)
		}
		if err := s.RewrapKeyVersion(u.ctx, 1); err != nil {
			t.Fatalf("second RewrapKeyVersion(1): %v", err)
		}
		s3 := u.open()
		if got := u.mustGet(s3, "ns", "a", 0); string(got.Value) != "alpha" {
			t.Fatalf("Get with the new root key only = %q", got.Value)
		}
		kvs, _ = s3.KeyVersions(u.ctx)
		if !kvs[0].RootKeyCurrent || !kvs[1].RootKeyCurrent {
			t.Fatalf("after rewrapping both: %+v", kvs)
		}
		var rewraps []int
		page, err := s3.ListEvents(u.ctx, EventFilter{Operations: []string{OpKeyVersionRewraped}})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			rewraps = append(rewraps, e.KeyVersion)
		}
		if !slices.Equal(rewraps, []int{2, 1}) || page.Events[0].Metadata["store_header"] != "rewrapped" {
			t.Fatalf("rewrap events = %+v", page.Events)
		}
	})
}

func TestPutKeepsCiphertext(t *testing.T) {
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		u.put("ns", "a", "the value")
		ct := func(rev int64) []byte {
			rec, err := envelope.Decode(readRaw(t, u.raw, recordKey(secretDir("ns", "a"), rev)))
			if err != nil {
				t.Fatal(err)
			}
			return rec.Ciphertext
		}
		u.clock.Advance(time.Minute)
		sec, err := u.s.Put(u.ctx, PutInput{Namespace: "ns", Name: "a", SetMetadata: true, Metadata: map[string]string{"team": "x"}, Expiry: Expiry{Set: true, TTL: time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		if sec.Revision != 2 || !bytes.Equal(ct(1), ct(2)) {
			t.Fatalf("metadata-only update re-encrypted the value (revision %d)", sec.Revision)
		}
		got := u.mustGet(u.open(), "ns", "a", 0)
		if string(got.Value) != "the value" || got.Metadata["team"] != "x" || !got.ExpiresAt.Equal(u.clock.Now().Add(time.Hour)) || got.CreatedAt.Equal(got.UpdatedAt) {
			t.Fatalf("after metadata update: %+v", got)
		}
		// Keeping: no SetMetadata, no Expiry.Set.
		u.clock.Advance(time.Minute)
		sec, err = u.s.Put(u.ctx, PutInput{Namespace: "ns", Name: "a", Value: []byte("new")})
		if err != nil || sec.Metadata["team"] != "x" || sec.ExpiresAt.IsZero() {
			t.Fatalf("value update dropped metadata or expiry: %+v, %v", sec, err)
		}
		// Explicit null clears.
		sec, err = u.s.Put(u.ctx, PutInput{Namespace: "ns", Name: "a", SetMetadata: true, Expiry: Expiry{Set: true}})
		if err != nil || sec.Metadata != nil || !sec.ExpiresAt.IsZero() {
			t.Fatalf("clearing: %+v, %v", sec, err)
		}
	})
}

func TestMarkerMismatchIsIntegrity(t *testing.T) {
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		u.put("ns", "a", "v")
		u.put("ns", "b", "w")
		dir := secretDir("ns", "a")
		// Replace the marker by one claiming another key version.
		var markerKeyOld string
		for _, k := range u.keys(dir) {
			if sk, ok := parseSecretKey(k); ok && sk.Marker != nil {
				markerKeyOld = k
			}
		}
		if err := u.raw.Delete(u.ctx, markerKeyOld); err != nil {
			t.Fatal(err)
		}
		writeRaw(t, u.raw, markerKey(dir, 1, marker{KeyVersion: 7, Written: 1, Flag: flagLive}), nil)
		s := u.open()
		if _, err := s.Get(u.ctx, "ns", "a", GetOptions{}); !errors.Is(err, ErrIntegrity) {
			t.Fatalf("Get with a lying marker = %v", err)
		}
		if _, err := s.Head(u.ctx, "ns", "a"); !errors.Is(err, ErrIntegrity) {
			t.Fatalf("Head with a lying marker = %v", err)
		}
		if got := u.mustGet(s, "ns", "b", 0); string(got.Value) != "w" {
			t.Fatalf("other secret: %q", got.Value)
		}
	})
}

func TestReplaceUnreadableRevision(t *testing.T) {
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		u.put("ns", "a", "v")
		key := recordKey(secretDir("ns", "a"), 1)
		orig := readRaw(t, u.raw, key)
		bad := slices.Clone(orig)
		bad[len(bad)/2] ^= 1
		writeRaw(t, u.raw, key, bad)
		s := u.open()
		// Keeping anything of an unreadable revision is refused...
		for _, in := range []PutInput{
			{Namespace: "ns", Name: "a", SetMetadata: true},
			{Namespace: "ns", Name: "a", Value: []byte("x")},
		} {
			if _, err := s.Put(u.ctx, in); !errors.Is(err, ErrIntegrity) {
				t.Fatalf("Put %+v over a damaged revision = %v, want ErrIntegrity", in, err)
			}
		}
		// ...a full replacement is not, and neither is a delete.
		sec, err := s.Put(u.ctx, PutInput{Namespace: "ns", Name: "a", Value: []byte("fresh"), SetMetadata: true, Expiry: Expiry{Set: true}})
		if err != nil || sec.Revision != 2 {
			t.Fatalf("replacing a damaged revision: %+v, %v", sec, err)
		}
		if got := u.mustGet(u.open(), "ns", "a", 0); string(got.Value) != "fresh" {
			t.Fatalf("after replacement: %q", got.Value)
		}
		writeRaw(t, u.raw, recordKey(secretDir("ns", "a"), 2), bad)
		if err := u.open().Delete(u.ctx, "ns", "a", 0); err != nil {
			t.Fatalf("Delete of a damaged secret: %v", err)
		}
		if _, err := u.open().Get(u.ctx, "ns", "a", GetOptions{}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("after Delete: %v", err)
		}
	})
}

func TestListPaginationAcrossDriverPages(t *testing.T) {
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		var want []string
		for i := 0; i < 420; i++ {
			name := fmt.Sprintf("s%03d", i)
			u.put("ns", name, "v")
			if i%3 == 0 {
				u.put("ns", name, "v2") // more keys per secret
			}
			if i%7 == 0 {
				if err := u.s.Delete(u.ctx, "ns", name, 0); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want = append(want, name)
		}
		u.put("ns-2", "s000", "other namespace") // a sibling sorting just after
		for _, size := range []int{1, 7, 100, 1000} {
			var got []string
			in := ListInput{Namespace: "ns", PageSize: size}
			for pages := 0; ; pages++ {
				page, err := u.s.List(u.ctx, in)
				if err != nil {
					t.Fatalf("List page %d (size %d): %v", pages, size, err)
				}
				if len(page.Secrets) > size {
					t.Fatalf("page of %d for size %d", len(page.Secrets), size)
				}
				for _, s := range page.Secrets {
					got = append(got, s.Name)
				}
				if page.NextPageToken == "" {
					break
				}
				in.PageToken = page.NextPageToken
				if pages > 1000 {
					t.Fatal("List does not terminate")
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("page size %d listed %d secrets, want %d (first difference near %v)", size, len(got), len(want), firstDiff(got, want))
			}
		}
		page, err := u.s.List(u.ctx, ListInput{Namespace: "ns", NamePrefix: "s00"})
		if err != nil || len(page.Secrets) != 8 || page.NextPageToken != "" {
			t.Fatalf("NamePrefix s00: %d secrets, token %q, %v", len(page.Secrets), page.NextPageToken, err)
		}
		if _, err := u.s.List(u.ctx, ListInput{Namespace: "ns", NamePrefix: "s0", PageToken: page.NextPageToken + "x"}); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("made-up token: %v", err)
		}
	})
}

func firstDiff(a, b []string) string {
	for i := 0; i < min(len(a), len(b)); i++ {
		if a[i] != b[i] {
			return fmt.Sprintf("index %d: %q vs %q", i, a[i], b[i])
		}
	}
	return fmt.Sprintf("lengths %d vs %d", len(a), len(b))
}

func TestHasAndHead(t *testing.T) {
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		u.put("ns", "live", "v")
		if _, err := u.s.Put(u.ctx, PutInput{Namespace: "ns", Name: "exp", Value: []byte("v"), Expiry: Expiry{Set: true, TTL: time.Minute}}); err != nil {
			t.Fatal(err)
		}
		u.put("ns", "gone", "v")
		if err := u.s.Delete(u.ctx, "ns", "gone", 0); err != nil {
			t.Fatal(err)
		}
		u.clock.Advance(2 * time.Minute)
		for name, want := range map[string]bool{"live": true, "exp": false, "gone": false, "never": false} {
			if ok, err := u.s.Has(u.ctx, "ns", name); ok != want || err != nil {
				t.Fatalf("Has(%s) = %v, %v", name, ok, err)
			}
		}
		h, err := u.s.Head(u.ctx, "ns", "exp")
		if err != nil || h.State != StateExpired || h.Value != nil {
			t.Fatalf("Head(exp) = %+v, %v", h, err)
		}
		sec, err := u.s.Get(u.ctx, "ns", "exp", GetOptions{})
		if !errors.Is(err, ErrExpired) || sec.Name != "exp" || sec.Value != nil || sec.State != StateExpired {
			t.Fatalf("Get(exp) = %+v, %v", sec, err)
		}
		if _, err := u.s.Head(u.ctx, "ns", "gone"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Head(gone) = %v", err)
		}
		// A deleted secret's earlier revision stays readable until cleanup.
		if got := u.mustGet(u.s, "ns", "gone", 1); string(got.Value) != "v" {
			t.Fatalf("revision 1 of a deleted secret = %q", got.Value)
		}
	})
}

func TestExpiryValidation(t *testing.T) {
	u := newUnit(t, "mem")
	u.kv(1)
	for _, c := range []struct {
		e     Expiry
		field string
	}{
		{Expiry{Set: true, At: u.clock.Now().Add(-time.Second)}, "expires_at"},
		{Expiry{Set: true, At: u.clock.Now()}, "expires_at"},
		{Expiry{Set: true, TTL: -time.Second}, "ttl"},
	} {
		_, err := u.s.Put(u.ctx, PutInput{Namespace: "ns", Name: "x", Value: []byte("v"), Expiry: c.e})
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Fatalf("Put with expiry %+v = %v, want a ValidationError on %s", c.e, err, c.field)
		}
	}
	if len(u.keys(prefixSecrets)) != 0 {
		t.Fatalf("rejected puts wrote revisions")
	}
}

// TestKeyringReadFailureIsNotIntegrity: an I/O failure while reloading the
// keyring to read a secret is reported as that failure, not as damage to
// the secret (ErrIntegrity).
func TestKeyringReadFailureIsNotIntegrity(t *testing.T) {
	u := newUnit(t, "mem")
	ib, b := newInstrumented(u.raw)
	u.opts = Options{Bucket: b}
	reader := u.open() // its keyring is loaded now, empty
	u.s = u.open()
	u.kv(1)
	u.put("ns", "a", "v")
	// LIST 1 finds the current revision; LIST 2 reloads the keyring.
	ib.arm(faultList, 2)
	_, err := reader.Get(u.ctx, "ns", "a", GetOptions{})
	if fired, _ := ib.disarm(); !fired {
		t.Fatalf("the keyring was not reloaded (Get = %v)", err)
	}
	if !errors.Is(err, errInjected) || errors.Is(err, ErrIntegrity) || errors.Is(err, ErrKeyVersionUnavailable) {
		t.Fatalf("Get with a failing keyring listing = %v; want the I/O error, not a verdict on the secret", err)
	}
	if got := u.mustGet(reader, "ns", "a", 0); string(got.Value) != "v" {
		t.Fatalf("Get once the listing works = %q", got.Value)
	}
}
