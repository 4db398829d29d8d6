// SPDX-License-Identifier: MPL-2.0

package secretstore_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
	"github.com/secretstore/terraform-provider-secretstore/secretstore"
)

// fixture is a file:// store written through the backend, and the client
// configuration that opens it.
type fixture struct {
	h   *backendtest.Harness
	cfg secretstore.Config
}

// newFixture creates a store with key version 1 whose clock starts at
// start (zero: now).
func newFixture(t *testing.T, start time.Time) fixture {
	t.Helper()
	clock := backendtest.NewClock()
	if !start.IsZero() {
		clock = backendtest.NewClockAt(start)
	}
	h := backendtest.NewWith(t, backendtest.FileSkipMetadata, backendtest.RandomRootKey(), clock)
	h.CreateKV(1)
	return fixture{h: h, cfg: secretstore.Config{URL: h.Tg.Opts.BucketURL, RootKey: h.Root, Actor: "app@test"}}
}

// open opens the client on f's store, closed when the test ends.
func (f fixture) open(t *testing.T, mut ...func(*secretstore.Config)) *secretstore.Store {
	t.Helper()
	cfg := f.cfg
	for _, m := range mut {
		m(&cfg)
	}
	s, err := secretstore.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// canary is a value no message may contain.
func canary() string {
	return "canary-" + backendtest.RandomHex(12)
}

// large is a value larger than any audit event, so that
// backendtest.LargestNew finds its revision record.
func large(secret string) string {
	return secret + strings.Repeat("x", 2048)
}

// expectClean fails if err's message contains any of the secrets.
func expectClean(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if err != nil && s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error reveals a secret: %v", err)
		}
	}
}

func TestGetCurrentAndRevisions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, time.Time{})
	first := f.h.Put(backend.PutInput{Namespace: "acme:production", Name: "OPENAI_API_KEY", Value: []byte("sk-one"),
		SetMetadata: true, Metadata: map[string]string{"owner": "payments"}})
	f.h.Clock.Step()
	expiry := f.h.Clock.Now().Add(48 * time.Hour)
	second := f.h.Put(backend.PutInput{Namespace: "acme:production", Name: "OPENAI_API_KEY", Value: []byte("sk-two"),
		Expiry: backend.Expiry{Set: true, At: expiry}})
	s := f.open(t)

	cur, err := s.Get(ctx, "acme:production", "OPENAI_API_KEY")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if string(cur.Value) != "sk-two" || cur.Revision != 2 || cur.KeyVersion != 1 || cur.ValueID != second.ValueID ||
		cur.Namespace != "acme:production" || cur.Name != "OPENAI_API_KEY" {
		t.Errorf("Get = %q revision %d key version %d value id %q", cur.Value, cur.Revision, cur.KeyVersion, cur.ValueID)
	}
	if !maps.Equal(cur.Metadata, map[string]string{"owner": "payments"}) {
		t.Errorf("metadata = %v, want the first write's, kept by the second", cur.Metadata)
	}
	if cur.ExpiresAt == nil || !cur.ExpiresAt.Equal(expiry) {
		t.Errorf("expires at = %v, want %v", cur.ExpiresAt, expiry)
	}
	if !cur.CreatedAt.Equal(first.CreatedAt) || !cur.UpdatedAt.Equal(second.UpdatedAt) || !cur.UpdatedAt.After(cur.CreatedAt) {
		t.Errorf("created %v updated %v; want %v and %v", cur.CreatedAt, cur.UpdatedAt, first.CreatedAt, second.UpdatedAt)
	}

	old, err := s.GetRevision(ctx, "acme:production", "OPENAI_API_KEY", 1)
	if err != nil {
		t.Fatalf("GetRevision(1): %v", err)
	}
	if string(old.Value) != "sk-one" || old.Revision != 1 || old.ValueID != first.ValueID || old.ExpiresAt != nil {
		t.Errorf("GetRevision(1) = %q revision %d expires %v", old.Value, old.Revision, old.ExpiresAt)
	}
	if _, err := s.GetRevision(ctx, "acme:production", "OPENAI_API_KEY", 3); !errors.Is(err, secretstore.ErrNotFound) {
		t.Errorf("GetRevision(3) = %v, want ErrNotFound", err)
	}
	for _, rev := range []int64{0, -1} {
		if _, err := s.GetRevision(ctx, "acme:production", "OPENAI_API_KEY", rev); !errors.Is(err, secretstore.ErrInvalidArgument) {
			t.Errorf("GetRevision(%d) = %v, want ErrInvalidArgument", rev, err)
		}
	}
	for _, id := range [][2]string{{"acme/production", "x"}, {"acme", "a/b"}, {"", "x"}, {"acme", ""}} {
		if _, err := s.Get(ctx, id[0], id[1]); !errors.Is(err, secretstore.ErrInvalidArgument) {
			t.Errorf("Get(%q, %q) = %v, want ErrInvalidArgument", id[0], id[1], err)
		}
	}
}

// Each failure of a read is usable with errors.Is against its sentinel,
// and none of their messages carries a value.
func TestGetErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	secret := canary()

	// Written two hours ago with a time to live of one hour.
	f := newFixture(t, time.Now().Add(-2*time.Hour))
	f.h.PutValue("ns", "live", secret)
	f.h.Put(backend.PutInput{Namespace: "ns", Name: "expired", Value: []byte(secret), Expiry: backend.Expiry{Set: true, TTL: time.Hour}})
	f.h.PutValue("ns", "deleted", secret)
	if err := f.h.S.Delete(ctx, backend.DeleteInput{Namespace: "ns", Name: "deleted"}); err != nil {
		t.Fatal(err)
	}
	before := backendtest.RawObjects(t, f.h.Tg.Raw)
	f.h.PutValue("ns", "tampered", large(secret))
	record := backendtest.LargestNew(t, before, backendtest.RawObjects(t, f.h.Tg.Raw))
	data := backendtest.ReadRaw(t, f.h.Tg.Raw, record)
	data[len(data)/2] ^= 0x01
	backendtest.WriteRaw(t, f.h.Tg.Raw, record, data)

	// A revision wrapped under key version 2, copied into a store whose
	// keyring holds only version 1 (same root key): its key version is
	// unavailable there.
	other := backendtest.NewWithRoot(t, backendtest.FileSkipMetadata, f.h.Root)
	other.CreateKV(1)
	other.CreateKV(2)
	before = backendtest.RawObjects(t, other.Tg.Raw)
	other.PutValue("ns", "orphan", large(secret))
	record = backendtest.LargestNew(t, before, backendtest.RawObjects(t, other.Tg.Raw))
	backendtest.WriteRaw(t, f.h.Tg.Raw, record, backendtest.ReadRaw(t, other.Tg.Raw, record))

	s := f.open(t)
	if got, err := s.Get(ctx, "ns", "live"); err != nil || string(got.Value) != secret {
		t.Fatalf("Get(live) = %v, %v", got, err)
	}
	cases := []struct {
		name string
		want error
	}{
		{"missing", secretstore.ErrNotFound},
		{"deleted", secretstore.ErrNotFound},
		{"expired", secretstore.ErrExpired},
		{"tampered", secretstore.ErrIntegrity},
		{"orphan", secretstore.ErrKeyVersionUnavailable},
	}
	for _, tc := range cases {
		got, err := s.Get(ctx, "ns", tc.name)
		if !errors.Is(err, tc.want) || got != nil {
			t.Errorf("Get(%s) = %v, %v; want nil, %v", tc.name, got, err, tc.want)
			continue
		}
		for _, other := range []error{secretstore.ErrNotFound, secretstore.ErrExpired, secretstore.ErrIntegrity, secretstore.ErrKeyVersionUnavailable} {
			if !errors.Is(other, tc.want) && errors.Is(err, other) {
				t.Errorf("Get(%s) = %v is also %v", tc.name, err, other)
			}
		}
		if !strings.Contains(err.Error(), "ns/"+tc.name) {
			t.Errorf("Get(%s) error does not name the secret: %v", tc.name, err)
		}
		expectClean(t, err, secret, f.h.Root)
	}
	if _, err := s.GetRevision(ctx, "ns", "deleted", 1); err != nil {
		t.Errorf("GetRevision of the revision before a deletion: %v", err)
	}
	if _, err := s.GetRevision(ctx, "ns", "deleted", 2); !errors.Is(err, secretstore.ErrNotFound) {
		t.Errorf("GetRevision of the deletion = %v, want ErrNotFound", err)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, time.Time{})
	f.h.PutValue("ns", "a", "value")
	empty := backendtest.FileSkipMetadata(t)
	cases := []struct {
		name string
		cfg  secretstore.Config
		want error
		says string
	}{
		{"no url", secretstore.Config{RootKey: f.cfg.RootKey}, secretstore.ErrInvalidArgument, "SECRETSTORE_URL"},
		{"url without scheme", secretstore.Config{URL: "/tmp/store", RootKey: f.cfg.RootKey}, secretstore.ErrInvalidArgument, "no scheme"},
		{"no root key", secretstore.Config{URL: f.cfg.URL}, secretstore.ErrInvalidArgument, "SECRETSTORE_ROOT_KEY"},
		{"bad root key", secretstore.Config{URL: f.cfg.URL, RootKey: "c2hvcnQ="}, secretstore.ErrInvalidArgument, "root key"},
		{"wrong root key", secretstore.Config{URL: f.cfg.URL, RootKey: backendtest.RandomRootKey()}, secretstore.ErrRootKeyMismatch, "root key"},
		{"empty bucket", secretstore.Config{URL: empty.Opts.BucketURL, RootKey: f.cfg.RootKey}, secretstore.ErrNotFound, "no secret store"},
		{"missing directory", secretstore.Config{URL: f.cfg.URL + "/absent", RootKey: f.cfg.RootKey}, secretstore.ErrNotFound, "does not exist"},
		{"bad actor", secretstore.Config{URL: f.cfg.URL, RootKey: f.cfg.RootKey, Actor: "a\nb"}, secretstore.ErrInvalidArgument, "actor"},
	}
	for _, tc := range cases {
		s, err := secretstore.Open(ctx, tc.cfg)
		if !errors.Is(err, tc.want) || s != nil {
			t.Errorf("%s: Open = %v; want %v", tc.name, err, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: error %q does not say %q", tc.name, err, tc.says)
		}
		expectClean(t, err, f.cfg.RootKey, tc.cfg.RootKey)
	}
	if got := backendtest.RawObjects(t, empty.Raw); len(got) != 0 {
		t.Errorf("Open of an empty bucket wrote %v", slices.Collect(maps.Keys(got)))
	}
}

// Reads append read events only when AuditReads is set, naming the actor.
func TestAuditReads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, time.Time{})
	f.h.PutValue("ns", "a", "value")
	f.h.PutValue("ns", "a", "value 2")
	reads := func() []backend.Event {
		return backendtest.AllEvents(t, f.h.Fresh(), backend.EventFilter{Operations: []string{backend.OpRead}})
	}

	quiet := f.open(t)
	if _, err := quiet.Get(ctx, "ns", "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := quiet.List(ctx, "ns", ""); err != nil {
		t.Fatal(err)
	}
	if ev := reads(); len(ev) != 0 {
		t.Fatalf("reads without AuditReads were audited: %v", ev)
	}

	audited := f.open(t, func(c *secretstore.Config) { c.AuditReads = true; c.Actor = "billing-api@host-7" })
	if _, err := audited.Get(ctx, "ns", "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := audited.GetRevision(ctx, "ns", "a", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := audited.Get(ctx, "ns", "missing"); !errors.Is(err, secretstore.ErrNotFound) {
		t.Fatal(err)
	}
	if _, err := audited.List(ctx, "ns", ""); err != nil {
		t.Fatal(err)
	}
	ev := reads()
	if len(ev) != 2 {
		t.Fatalf("got %d read events, want 2 (Get and GetRevision; not a failed Get nor List): %v", len(ev), ev)
	}
	revs := []int64{ev[0].Revision, ev[1].Revision}
	slices.Sort(revs)
	if !slices.Equal(revs, []int64{1, 2}) {
		t.Errorf("read events of revisions %v, want [1 2]", revs)
	}
	for _, e := range ev {
		if e.Actor != "billing-api@host-7" || e.Namespace != "ns" || e.Name != "a" || e.KeyVersion != 1 {
			t.Errorf("read event %+v", e)
		}
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	secret := canary()
	f := newFixture(t, time.Now().Add(-2*time.Hour))
	for _, name := range []string{"db.password", "db.user", "api.key"} {
		f.h.PutValue("ns", name, secret)
	}
	f.h.Put(backend.PutInput{Namespace: "ns", Name: "db.old", Value: []byte(secret), Expiry: backend.Expiry{Set: true, TTL: time.Hour},
		SetMetadata: true, Metadata: map[string]string{"team": "core"}})
	f.h.PutValue("ns", "db.gone", secret)
	if err := f.h.S.Delete(ctx, backend.DeleteInput{Namespace: "ns", Name: "db.gone"}); err != nil {
		t.Fatal(err)
	}
	f.h.PutValue("other", "db.password", secret)
	s := f.open(t)

	all, err := s.List(ctx, "ns", "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var names []string
	for _, i := range all {
		names = append(names, i.Name)
	}
	if !slices.Equal(names, []string{"api.key", "db.old", "db.password", "db.user"}) {
		t.Errorf("List names = %v", names)
	}
	db, err := s.List(ctx, "ns", "db.")
	if err != nil || len(db) != 3 {
		t.Fatalf("List(prefix db.) = %v, %v", db, err)
	}
	old := db[0]
	if old.Name != "db.old" || !old.Expired || old.ExpiresAt == nil || old.Metadata["team"] != "core" || old.Revision != 1 || old.KeyVersion != 1 {
		t.Errorf("expired secret listed as %+v", old)
	}
	if db[1].Expired || db[1].ExpiresAt != nil || db[1].Metadata != nil {
		t.Errorf("live secret listed as %+v", db[1])
	}
	if _, err := s.List(ctx, "bad/ns", ""); !errors.Is(err, secretstore.ErrInvalidArgument) {
		t.Errorf("List of a malformed namespace = %v", err)
	}

	// A tampered record is left out and reported; the others are listed.
	before := backendtest.RawObjects(t, f.h.Tg.Raw)
	f.h.PutValue("ns", "db.tampered", large(secret))
	record := backendtest.LargestNew(t, before, backendtest.RawObjects(t, f.h.Tg.Raw))
	data := backendtest.ReadRaw(t, f.h.Tg.Raw, record)
	data[40] ^= 0x80 // within the header, which List authenticates
	backendtest.WriteRaw(t, f.h.Tg.Raw, record, data)
	got, err := s.List(ctx, "ns", "db.")
	if !errors.Is(err, secretstore.ErrIntegrity) || !strings.Contains(err.Error(), "ns/db.tampered") || len(got) != 3 {
		t.Errorf("List with a tampered record = %d secrets, %v; want the 3 others and ErrIntegrity naming it", len(got), err)
	}
	expectClean(t, err, secret)
}

func TestClosed(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Time{})
	f.h.PutValue("ns", "a", "value")
	s, err := secretstore.Open(context.Background(), f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Get(context.Background(), "ns", "a"); !errors.Is(err, secretstore.ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}
}
