// SPDX-License-Identifier: MPL-2.0

package backend_test

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

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// forDrivers runs f as a parallel subtest on mem:// and on file://, each
// with a new harness.
func forDrivers(t *testing.T, f func(t *testing.T, u *backendtest.Harness)) {
	backendtest.ForEach(t, backendtest.UnitTargetKinds(), f)
}

func TestOpenRootKeyForms(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	key := backendtest.RandomBytes(32)
	dir := t.TempDir()
	open := func(root string, prev ...string) error {
		s, err := backend.Open(ctx, backend.Options{BucketURL: backendtest.FileURL(dir), RootKey: root, PreviousRootKeys: prev})
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
		field backend.Field
		index int
		says  string
	}{
		{"", nil, backend.FieldRootKey, 0, "is empty"},
		{"base64key://", nil, backend.FieldRootKey, 0, "new random key"},
		{"Base64Key://", nil, backend.FieldRootKey, 0, "new random key"},
		{"base64key://" + short, nil, backend.FieldRootKey, 0, "16 bytes"},
		{short, nil, backend.FieldRootKey, 0, "16 bytes"},
		{"not base64 at all!", nil, backend.FieldRootKey, 0, "not valid base64"},
		{"nosuchscheme://x", nil, backend.FieldRootKey, 0, "nosuchscheme"},
		{base64.StdEncoding.EncodeToString(key), []string{"base64key://"}, backend.FieldPreviousRootKey, 0, "base64key://"},
	}
	for _, c := range cases {
		err := open(c.root, c.prev...)
		var ve *backend.ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field || ve.Index != c.index || !errors.Is(err, backend.ErrInvalidArgument) || !strings.Contains(err.Error(), c.says) {
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
	t.Parallel()
	ctx := context.Background()
	root := backendtest.RandomRootKey()
	for _, c := range []struct {
		url     string
		invalid bool // a ValidationError on "url"
		says    string
	}{
		{"s3://user:hunter2@bucket/%zz?X-Amz-Signature=hunter3", true, "%zz"},
		{"nosuchscheme://user:hunter2@host/p?sig=hunter3", false, "nosuchscheme://host/p"},
		{"mem://?sig=hunter3", false, "sig"},
	} {
		_, err := backend.Open(ctx, backend.Options{BucketURL: c.url, RootKey: root})
		var ve *backend.ValidationError
		switch {
		case err == nil:
			t.Fatalf("Open(%q) succeeded", c.url)
		case strings.Contains(err.Error(), "hunter"):
			t.Fatalf("Open(%q): the error repeats the URL's credentials: %v", c.url, err)
		case !strings.Contains(err.Error(), c.says):
			t.Fatalf("Open(%q) = %v; want it to say %q", c.url, err, c.says)
		case c.invalid != (errors.As(err, &ve) && ve.Field == backend.FieldBucketURL):
			t.Fatalf("Open(%q) = %v; ValidationError on url: want %v", c.url, err, c.invalid)
		}
	}
}

func TestOpenBucketURLForms(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := backendtest.RandomRootKey()
	for _, c := range []struct{ url, says string }{
		{"", "bucket URL"},
		{"file://somehost/tmp/x", "host"},
		{"file:///tmp/x?metadata=skip", "not supported"},
		{"file://", "no path"},
	} {
		_, err := backend.Open(ctx, backend.Options{BucketURL: c.url, RootKey: root})
		var ve *backend.ValidationError
		if !errors.As(err, &ve) || ve.Field != backend.FieldBucketURL || !strings.Contains(err.Error(), c.says) {
			t.Fatalf("Open(%q) = %v, want a url ValidationError saying %q", c.url, err, c.says)
		}
	}
	// A directory that does not exist yet opens (create_dir is accepted
	// for compatibility), and is created by the first write, not by Open.
	dir := filepath.Join(t.TempDir(), "new", "store")
	s, err := backend.Open(ctx, backend.Options{BucketURL: backendtest.FileURL(dir) + "?create_dir=1", RootKey: root})
	if err != nil {
		t.Fatalf("Open of a new directory: %v", err)
	}
	defer s.Close()
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open created the store directory (stat: %v)", err)
	}
	if _, err := s.CreateKeyVersion(ctx, 1, nil); err != nil {
		t.Fatalf("first write into a new directory: %v", err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("store directory not created by the first write: %v", err)
	}
}

func TestRootKeyMismatchAndRotation(t *testing.T) {
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		u.CreateKV(1)
		u.PutValue("ns", "a", "alpha") // under version 1
		u.CreateKV(2)
		oldRoot := u.Root

		u.Root = backendtest.RandomRootKey()
		if _, err := backend.Open(u.Ctx, u.Options()); !errors.Is(err, backend.ErrRootKeyMismatch) {
			t.Fatalf("Open with another root key = %v, want ErrRootKeyMismatch", err)
		}
		// With the old key as a previous key, everything reads, and every
		// version reports that it is not under the current root key.
		s := u.MustOpen(func(o *backend.Options) { o.PreviousRootKeys = []string{backendtest.RandomRootKey(), oldRoot} })
		u.S = s
		if got := u.Get(s, "ns", "a", 0); string(got.Value) != "alpha" {
			t.Fatalf("Get = %q", got.Value)
		}
		kvs, err := s.KeyVersions(u.Ctx)
		if err != nil || len(kvs) != 2 || kvs[0].RootKeyCurrent || kvs[1].RootKeyCurrent {
			t.Fatalf("KeyVersions before rewrap = %+v, %v", kvs, err)
		}
		if err := s.RewrapKeyVersion(u.Ctx, 2); err != nil {
			t.Fatalf("RewrapKeyVersion(2): %v", err)
		}
		kvs, _ = s.KeyVersions(u.Ctx)
		if kvs[0].RootKeyCurrent || !kvs[1].RootKeyCurrent {
			t.Fatalf("after rewrapping 2: %+v", kvs)
		}
		// Version 1 still needs the old key; its secret is unavailable
		// without it, and readable again once 1 is rewrapped.
		if _, err := backend.Open(u.Ctx, u.Options()); err != nil {
			t.Fatalf("Open with only the new root key after the header rewrap: %v", err)
		}
		s2 := u.MustOpen()
		if _, err := s2.Get(u.Ctx, "ns", "a", backend.GetOptions{}); !errors.Is(err, backend.ErrKeyVersionUnavailable) {
			t.Fatalf("Get under version 1 without the old root key = %v", err)
		}
		if err := s.RewrapKeyVersion(u.Ctx, 1); err != nil {
			t.Fatalf("RewrapKeyVersion(1): %v", err)
		}
		if err := s.RewrapKeyVersion(u.Ctx, 1); err != nil {
			t.Fatalf("second RewrapKeyVersion(1): %v", err)
		}
		s3 := u.MustOpen()
		if got := u.Get(s3, "ns", "a", 0); string(got.Value) != "alpha" {
			t.Fatalf("Get with the new root key only = %q", got.Value)
		}
		kvs, _ = s3.KeyVersions(u.Ctx)
		if !kvs[0].RootKeyCurrent || !kvs[1].RootKeyCurrent {
			t.Fatalf("after rewrapping both: %+v", kvs)
		}
		var rewraps []int
		page, err := s3.ListEvents(u.Ctx, backend.EventFilter{Operations: []string{backend.OpKeyVersionRewrapped}})
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
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		u.CreateKV(1)
		u.PutValue("ns", "a", "the value")
		ct := func(rev int64) []byte {
			rec, err := envelope.Decode(backendtest.ReadRaw(t, u.Tg.Raw, backend.RecordKey(backend.SecretDir("ns", "a"), rev)))
			if err != nil {
				t.Fatal(err)
			}
			return rec.Ciphertext
		}
		u.Clock.Advance(time.Minute)
		sec, err := u.S.Put(u.Ctx, backend.PutInput{Namespace: "ns", Name: "a", SetMetadata: true, Metadata: map[string]string{"team": "x"}, Expiry: backend.Expiry{Set: true, TTL: time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		if sec.Revision != 2 || !bytes.Equal(ct(1), ct(2)) {
			t.Fatalf("metadata-only update re-encrypted the value (revision %d)", sec.Revision)
		}
		got := u.Get(u.MustOpen(), "ns", "a", 0)
		if string(got.Value) != "the value" || got.Metadata["team"] != "x" || !got.ExpiresAt.Equal(u.Clock.Now().Add(time.Hour)) || got.CreatedAt.Equal(got.UpdatedAt) {
			t.Fatalf("after metadata update: %+v", got)
		}
		// Keeping: no SetMetadata, no Expiry.Set.
		u.Clock.Advance(time.Minute)
		sec, err = u.S.Put(u.Ctx, backend.PutInput{Namespace: "ns", Name: "a", Value: []byte("new")})
		if err != nil || sec.Metadata["team"] != "x" || sec.ExpiresAt.IsZero() {
			t.Fatalf("value update dropped metadata or expiry: %+v, %v", sec, err)
		}
		// Explicit null clears.
		sec, err = u.S.Put(u.Ctx, backend.PutInput{Namespace: "ns", Name: "a", SetMetadata: true, Expiry: backend.Expiry{Set: true}})
		if err != nil || sec.Metadata != nil || !sec.ExpiresAt.IsZero() {
			t.Fatalf("clearing: %+v, %v", sec, err)
		}
	})
}

func TestMarkerMismatchIsIntegrity(t *testing.T) {
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		u.CreateKV(1)
		u.PutValue("ns", "a", "v")
		u.PutValue("ns", "b", "w")
		dir := backend.SecretDir("ns", "a")
		// Replace the marker by one claiming another key version.
		var markerKeyOld string
		for _, k := range u.Keys(dir) {
			if sk, ok := backend.ParseSecretKey(k); ok && sk.Marker != nil {
				markerKeyOld = k
			}
		}
		if err := u.Tg.Raw.Delete(u.Ctx, markerKeyOld); err != nil {
			t.Fatal(err)
		}
		backendtest.WriteRaw(t, u.Tg.Raw, backend.MarkerKey(dir, 1, backend.Marker{KeyVersion: 7, Written: 1, Flag: backend.FlagLive}), nil)
		s := u.MustOpen()
		if _, err := s.Get(u.Ctx, "ns", "a", backend.GetOptions{}); !errors.Is(err, backend.ErrIntegrity) {
			t.Fatalf("Get with a lying marker = %v", err)
		}
		if _, err := s.Head(u.Ctx, "ns", "a"); !errors.Is(err, backend.ErrIntegrity) {
			t.Fatalf("Head with a lying marker = %v", err)
		}
		if got := u.Get(s, "ns", "b", 0); string(got.Value) != "w" {
			t.Fatalf("other secret: %q", got.Value)
		}
	})
}

func TestReplaceUnreadableRevision(t *testing.T) {
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		u.CreateKV(1)
		u.PutValue("ns", "a", "v")
		key := backend.RecordKey(backend.SecretDir("ns", "a"), 1)
		orig := backendtest.ReadRaw(t, u.Tg.Raw, key)
		bad := slices.Clone(orig)
		bad[len(bad)/2] ^= 1
		backendtest.WriteRaw(t, u.Tg.Raw, key, bad)
		s := u.MustOpen()
		// Keeping anything of an unreadable revision is refused...
		for _, in := range []backend.PutInput{
			{Namespace: "ns", Name: "a", SetMetadata: true},
			{Namespace: "ns", Name: "a", Value: []byte("x")},
		} {
			if _, err := s.Put(u.Ctx, in); !errors.Is(err, backend.ErrIntegrity) {
				t.Fatalf("Put %+v over a damaged revision = %v, want ErrIntegrity", in, err)
			}
		}
		// ...a full replacement is not, and neither is a delete.
		sec, err := s.Put(u.Ctx, backend.PutInput{Namespace: "ns", Name: "a", Value: []byte("fresh"), SetMetadata: true, Expiry: backend.Expiry{Set: true}})
		if err != nil || sec.Revision != 2 {
			t.Fatalf("replacing a damaged revision: %+v, %v", sec, err)
		}
		if got := u.Get(u.MustOpen(), "ns", "a", 0); string(got.Value) != "fresh" {
			t.Fatalf("after replacement: %q", got.Value)
		}
		backendtest.WriteRaw(t, u.Tg.Raw, backend.RecordKey(backend.SecretDir("ns", "a"), 2), bad)
		if err := u.MustOpen().Delete(u.Ctx, backend.DeleteInput{Namespace: "ns", Name: "a"}); err != nil {
			t.Fatalf("Delete of a damaged secret: %v", err)
		}
		if _, err := u.MustOpen().Get(u.Ctx, "ns", "a", backend.GetOptions{}); !errors.Is(err, backend.ErrNotFound) {
			t.Fatalf("after Delete: %v", err)
		}
	})
}

func TestListPaginationAcrossDriverPages(t *testing.T) {
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		if testing.Short() && u.Tg.Dir != "" {
			t.Skip("writes about 600 revisions to a local directory (over 5 s)")
		}
		u.CreateKV(1)
		var want []string
		for i := 0; i < 420; i++ {
			name := fmt.Sprintf("s%03d", i)
			u.PutValue("ns", name, "v")
			if i%3 == 0 {
				u.PutValue("ns", name, "v2") // more keys per secret
			}
			if i%7 == 0 {
				if err := u.S.Delete(u.Ctx, backend.DeleteInput{Namespace: "ns", Name: name}); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want = append(want, name)
		}
		u.PutValue("ns-2", "s000", "other namespace") // a sibling sorting just after
		for _, size := range []int{1, 7, 100, 1000} {
			var got []string
			in := backend.ListInput{Namespace: "ns", PageSize: size}
			for pages := 0; ; pages++ {
				page, err := u.S.List(u.Ctx, in)
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
		page, err := u.S.List(u.Ctx, backend.ListInput{Namespace: "ns", NamePrefix: "s00"})
		if err != nil || len(page.Secrets) != 8 || page.NextPageToken != "" {
			t.Fatalf("NamePrefix s00: %d secrets, token %q, %v", len(page.Secrets), page.NextPageToken, err)
		}
		if _, err := u.S.List(u.Ctx, backend.ListInput{Namespace: "ns", NamePrefix: "s0", PageToken: page.NextPageToken + "x"}); !errors.Is(err, backend.ErrInvalidArgument) {
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
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		u.CreateKV(1)
		u.PutValue("ns", "live", "v")
		if _, err := u.S.Put(u.Ctx, backend.PutInput{Namespace: "ns", Name: "exp", Value: []byte("v"), Expiry: backend.Expiry{Set: true, TTL: time.Minute}}); err != nil {
			t.Fatal(err)
		}
		u.PutValue("ns", "gone", "v")
		if err := u.S.Delete(u.Ctx, backend.DeleteInput{Namespace: "ns", Name: "gone"}); err != nil {
			t.Fatal(err)
		}
		u.Clock.Advance(2 * time.Minute)
		for name, want := range map[string]bool{"live": true, "exp": false, "gone": false, "never": false} {
			if ok, err := u.S.Has(u.Ctx, "ns", name); ok != want || err != nil {
				t.Fatalf("Has(%s) = %v, %v", name, ok, err)
			}
		}
		h, err := u.S.Head(u.Ctx, "ns", "exp")
		if err != nil || h.State != backend.StateExpired || h.Value != nil {
			t.Fatalf("Head(exp) = %+v, %v", h, err)
		}
		sec, err := u.S.Get(u.Ctx, "ns", "exp", backend.GetOptions{})
		if !errors.Is(err, backend.ErrExpired) || sec.Name != "exp" || sec.Value != nil || sec.State != backend.StateExpired {
			t.Fatalf("Get(exp) = %+v, %v", sec, err)
		}
		if _, err := u.S.Head(u.Ctx, "ns", "gone"); !errors.Is(err, backend.ErrNotFound) {
			t.Fatalf("Head(gone) = %v", err)
		}
		// A deleted secret's earlier revision stays readable until cleanup.
		if got := u.Get(u.S, "ns", "gone", 1); string(got.Value) != "v" {
			t.Fatalf("revision 1 of a deleted secret = %q", got.Value)
		}
	})
}

func TestExpiryValidation(t *testing.T) {
	t.Parallel()
	u := backendtest.New(t, backendtest.Mem)
	u.CreateKV(1)
	for _, c := range []struct {
		e     backend.Expiry
		field backend.Field
	}{
		{backend.Expiry{Set: true, At: u.Clock.Now().Add(-time.Second)}, backend.FieldExpiresAt},
		{backend.Expiry{Set: true, At: u.Clock.Now()}, backend.FieldExpiresAt},
		{backend.Expiry{Set: true, TTL: -time.Second}, backend.FieldTTL},
	} {
		_, err := u.S.Put(u.Ctx, backend.PutInput{Namespace: "ns", Name: "x", Value: []byte("v"), Expiry: c.e})
		var ve *backend.ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Fatalf("Put with expiry %+v = %v, want a ValidationError on %s", c.e, err, c.field)
		}
	}
	if len(u.Keys(backend.PrefixSecrets)) != 0 {
		t.Fatalf("rejected puts wrote revisions")
	}
}

// TestKeyringReadFailureIsNotIntegrity: an I/O failure while reloading the
// keyring to read a secret is reported as that failure, not as damage to
// the secret (ErrIntegrity).
func TestKeyringReadFailureIsNotIntegrity(t *testing.T) {
	t.Parallel()
	u := backendtest.New(t, backendtest.Mem)
	ib, b := backendtest.NewFaultBucket(u.Tg.Raw)
	u.Tg.Opts = backend.Options{Bucket: b}
	u.S = u.MustOpen()
	u.CreateKV(1)
	reader := u.MustOpen() // its keyring is loaded now, with version 1 only
	u.CreateKV(2)
	u.PutValue("ns", "a", "v") // under version 2
	// LIST 1 finds the current revision; LIST 2 reloads the keyring.
	ib.Arm(backendtest.FaultList, 2)
	_, err := reader.Get(u.Ctx, "ns", "a", backend.GetOptions{})
	if fired, _ := ib.Disarm(); !fired {
		t.Fatalf("the keyring was not reloaded (Get = %v)", err)
	}
	if !errors.Is(err, backendtest.ErrInjected) || errors.Is(err, backend.ErrIntegrity) || errors.Is(err, backend.ErrKeyVersionUnavailable) {
		t.Fatalf("Get with a failing keyring listing = %v; want the I/O error, not a verdict on the secret", err)
	}
	if got := u.Get(reader, "ns", "a", 0); string(got.Value) != "v" {
		t.Fatalf("Get once the listing works = %q", got.Value)
	}
}
