// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"gocloud.dev/gcerrors"
	"gocloud.dev/secrets"
	"gocloud.dev/secrets/localsecrets"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// countingKeepers serves "countkey://<name>" root keys: local keys that
// count their Decrypt calls, standing in for a KMS.
var countingKeepers = struct {
	once sync.Once
	mu   sync.Mutex
	keys map[string]*countingKeeper
}{keys: map[string]*countingKeeper{}}

type countingKeeper struct {
	inner    *secrets.Keeper
	mu       sync.Mutex
	decrypts int
	encrypts int
}

func (k *countingKeeper) Decrypt(ctx context.Context, b []byte) ([]byte, error) {
	k.mu.Lock()
	k.decrypts++
	k.mu.Unlock()
	return k.inner.Decrypt(ctx, b)
}
func (k *countingKeeper) Encrypt(ctx context.Context, b []byte) ([]byte, error) {
	k.mu.Lock()
	k.encrypts++
	k.mu.Unlock()
	return k.inner.Encrypt(ctx, b)
}
func (k *countingKeeper) Close() error                       { return nil }
func (k *countingKeeper) ErrorAs(error, any) bool            { return false }
func (k *countingKeeper) ErrorCode(error) gcerrors.ErrorCode { return gcerrors.Unknown }
func (k *countingKeeper) count() int                         { k.mu.Lock(); defer k.mu.Unlock(); return k.decrypts }
func (k *countingKeeper) encryptCount() int                  { k.mu.Lock(); defer k.mu.Unlock(); return k.encrypts }
func (o countingOpener) OpenKeeperURL(_ context.Context, u *url.URL) (*secrets.Keeper, error) {
	countingKeepers.mu.Lock()
	defer countingKeepers.mu.Unlock()
	k := countingKeepers.keys[u.Host]
	if k == nil {
		return nil, fmt.Errorf("no counting key %q", u.Host)
	}
	return secrets.NewKeeper(k), nil
}

type countingOpener struct{}

func newCountingKey() (string, *countingKeeper) {
	countingKeepers.once.Do(func() { secrets.DefaultURLMux().RegisterKeeper("countkey", countingOpener{}) })
	var raw [32]byte
	copy(raw[:], backendtest.RandomBytes(32))
	k := &countingKeeper{inner: localsecrets.NewKeeper(raw)}
	name := strings.ToLower(backendtest.RandomHex(8))
	countingKeepers.mu.Lock()
	countingKeepers.keys[name] = k
	countingKeepers.mu.Unlock()
	return "countkey://" + name, k
}

// TestRootKeyCallsPerKeyVersion: reading many secrets costs one root-key
// (KMS) call per key version touched, plus one for the store header, not
// one per secret.
func TestRootKeyCallsPerKeyVersion(t *testing.T) {
	t.Parallel()
	root, k := newCountingKey()
	u := backendtest.NewWithRoot(t, backendtest.Mem, root)
	u.CreateKV(1)
	for i := 0; i < 20; i++ {
		u.PutValue("ns", fmt.Sprintf("a%02d", i), "v")
	}
	u.CreateKV(2)
	for i := 0; i < 20; i++ {
		u.PutValue("ns", fmt.Sprintf("b%02d", i), "v")
	}
	before := k.count()
	s := u.MustOpen()
	for i := 0; i < 20; i++ {
		u.Get(s, "ns", fmt.Sprintf("a%02d", i), 0)
		u.Get(s, "ns", fmt.Sprintf("b%02d", i), 0)
	}
	if n := k.count() - before; n != 3 {
		t.Fatalf("opening a store and reading 40 secrets under 2 key versions made %d root-key calls, want 3", n)
	}
}

// TestConcurrentRetiresOneStore: retirements run at once by one Store
// take their header revisions in turn, so none loses the race for a
// revision, reads the header again (a root-key Decrypt) and wraps the
// store secret once more for its retry (an Encrypt): one Encrypt per
// header revision and no Decrypt.
func TestConcurrentRetiresOneStore(t *testing.T) {
	t.Parallel()
	root, k := newCountingKey()
	u := backendtest.NewWithRoot(t, backendtest.Mem, root)
	for v := 1; v <= 9; v++ {
		u.CreateKV(v)
	}
	s := u.MustOpen()
	if _, err := s.KeyVersions(u.Ctx); err != nil {
		t.Fatal(err)
	}
	before, beforeEnc := k.count(), k.encryptCount()
	var wg sync.WaitGroup
	for v := 1; v <= 8; v++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.RetireKeyVersion(u.Ctx, v); err != nil {
				t.Errorf("retiring %d: %v", v, err)
			}
		}()
	}
	wg.Wait()
	if d, e := k.count()-before, k.encryptCount()-beforeEnc; d != 0 || e != 8 {
		t.Errorf("8 concurrent retirements made %d root-key Decrypts and %d Encrypts, want 0 and 8", d, e)
	}
	kvs, err := u.MustOpen().KeyVersions(u.Ctx)
	if err != nil || len(kvs) != 9 {
		t.Fatalf("KeyVersions = %+v, %v", kvs, err)
	}
	for _, kv := range kvs {
		if kv.Retired != (kv.Version <= 8) {
			t.Errorf("key version %d: retired %t", kv.Version, kv.Retired)
		}
	}
}

func TestCreateKeyVersionRules(t *testing.T) {
	t.Parallel()
	u := backendtest.New(t, backendtest.Mem)
	material := backendtest.RandomBytes(32)
	kv, err := u.S.CreateKeyVersion(u.Ctx, 1, material)
	if err != nil || kv.Version != 1 || !kv.Primary || kv.Secrets != 0 || len(kv.CheckValue) != 16 {
		t.Fatalf("CreateKeyVersion(1) = %+v, %v", kv, err)
	}
	for _, c := range []struct {
		v     int
		mat   []byte
		field backend.Field
	}{
		{0, nil, backend.FieldKeyVersion},
		{-1, nil, backend.FieldKeyVersion},
		{2, backendtest.RandomBytes(31), backend.FieldKeyMaterial},
		{2, material, backend.FieldKeyMaterial}, // same key as version 1
	} {
		_, err := u.S.CreateKeyVersion(u.Ctx, c.v, c.mat)
		var ve *backend.ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Fatalf("CreateKeyVersion(%d, %d bytes) = %v, want a ValidationError on %s", c.v, len(c.mat), err, c.field)
		}
	}
	if _, err := u.S.CreateKeyVersion(u.Ctx, 1, nil); !errors.Is(err, backend.ErrKeyVersionExists) {
		t.Fatalf("re-creating 1: %v", err)
	}
	// No bucket object carries the material in clear or base64.
	for _, key := range u.Keys("") {
		data := backendtest.ReadRaw(t, u.Tg.Raw, key)
		if strings.Contains(string(data), string(material)) || strings.Contains(string(data), base64.StdEncoding.EncodeToString(material)) {
			t.Fatalf("object %s carries the key material", key)
		}
	}
	// Bring-your-own material decrypts what it encrypted in another store.
	u2 := backendtest.New(t, backendtest.Mem)
	if _, err := u2.S.CreateKeyVersion(u2.Ctx, 1, material); err != nil {
		t.Fatal(err)
	}
	kvs, _ := u2.S.KeyVersions(u2.Ctx)
	if kvs[0].CheckValue != kv.CheckValue {
		t.Fatalf("the same material has check values %s and %s", kvs[0].CheckValue, kv.CheckValue)
	}
	if err := u.S.RetireKeyVersion(u.Ctx, 9); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("retiring a missing version: %v", err)
	}
	if err := u.S.RewrapKeyVersion(u.Ctx, 9); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("rewrapping a missing version: %v", err)
	}
}

func TestRetireKeyVersion(t *testing.T) {
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		u.CreateKV(1)
		u.PutValue("ns", "a", "v")
		u.PutValue("ns", "gone", "v")
		u.CreateKV(2)
		if err := u.S.RetireKeyVersion(u.Ctx, 1); !errors.Is(err, backend.ErrKeyVersionInUse) || !strings.Contains(err.Error(), "2 secret") {
			t.Fatalf("retiring a version in use = %v", err)
		}
		if err := u.S.Delete(u.Ctx, backend.DeleteInput{Namespace: "ns", Name: "gone"}); err != nil {
			t.Fatal(err)
		}
		if _, err := u.S.Rotate(u.Ctx, backend.RotateInput{}); err != nil {
			t.Fatal(err)
		}
		if err := u.S.RetireKeyVersion(u.Ctx, 1); err != nil {
			t.Fatalf("retiring an unused version: %v", err)
		}
		if err := u.S.RetireKeyVersion(u.Ctx, 1); err != nil {
			t.Fatalf("retiring it again: %v", err)
		}
		// Retiring the primary makes the next newest primary; history
		// under a retired version stays readable.
		if err := u.S.RetireKeyVersion(u.Ctx, 2); !errors.Is(err, backend.ErrKeyVersionInUse) {
			t.Fatalf("retiring 2 in use: %v", err)
		}
		u.CreateKV(3)
		if _, err := u.S.Rotate(u.Ctx, backend.RotateInput{}); err != nil {
			t.Fatal(err)
		}
		if err := u.S.RetireKeyVersion(u.Ctx, 3); !errors.Is(err, backend.ErrKeyVersionInUse) {
			t.Fatalf("retiring 3 in use: %v", err)
		}
		if got := u.Get(u.MustOpen(), "ns", "a", 1); string(got.Value) != "v" || got.KeyVersion != 1 {
			t.Fatalf("revision 1 under retired version 1: %+v", got)
		}
		kvs, err := u.MustOpen().KeyVersions(u.Ctx)
		if err != nil || len(kvs) != 3 || !kvs[0].Retired || kvs[0].Primary || !kvs[2].Primary || kvs[2].Secrets != 1 {
			t.Fatalf("KeyVersions = %+v, %v", kvs, err)
		}
	})
}

// TestWrapLimit: once a version's claimed wrap blocks reach the limit,
// writes under it fail with ErrWrapLimit; a new version lifts it.
func TestWrapLimit(t *testing.T) {
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		u.CreateKV(1)
		u.PutValue("ns", "a", "v")
		kvs, _ := u.S.KeyVersions(u.Ctx)
		if kvs[0].Wraps != backend.WrapBlockSize {
			t.Fatalf("after one write, Wraps = %d, want one block (%d)", kvs[0].Wraps, backend.WrapBlockSize)
		}
		// Another store claims its own block.
		s2 := u.MustOpen()
		if _, err := s2.Put(u.Ctx, backend.PutInput{Namespace: "ns", Name: "b", Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
		if n, _ := s2.WrapsReserved(u.Ctx, 1); n != 2*backend.WrapBlockSize {
			t.Fatalf("two stores reserved %d wraps, want %d", n, 2*backend.WrapBlockSize)
		}
		// Pretend the version has claimed all but its last block.
		backendtest.WriteRaw(t, u.Tg.Raw, backend.WrapBlockKey(1, backend.MaxWrapBlocks-1), nil)
		s3 := u.MustOpen()
		_, err := s3.Put(u.Ctx, backend.PutInput{Namespace: "ns", Name: "c", Value: []byte("v")})
		if !errors.Is(err, backend.ErrWrapLimit) || !strings.Contains(err.Error(), "key version 1") {
			t.Fatalf("Put past the wrap limit = %v", err)
		}
		// The store that still holds budget in a claimed block may use it
		// up, but no more blocks are handed out.
		if _, err := u.S.Put(u.Ctx, backend.PutInput{Namespace: "ns", Name: "d", Value: []byte("v")}); err != nil {
			t.Fatalf("Put within an already claimed block: %v", err)
		}
		u.S = s3
		u.CreateKV(2)
		if _, err := s3.Put(u.Ctx, backend.PutInput{Namespace: "ns", Name: "c", Value: []byte("v")}); err != nil {
			t.Fatalf("Put under a new version: %v", err)
		}
	})
}

// TestKeyVersionRecordTamper: an altered key version record is reported by
// version, and only secrets under it are affected.
func TestKeyVersionRecordTamper(t *testing.T) {
	t.Parallel()
	u := backendtest.New(t, backendtest.Mem)
	u.CreateKV(1)
	u.PutValue("ns", "one", "v1")
	u.CreateKV(2)
	u.PutValue("ns", "two", "v2")
	key := backend.KeyVersionKey(1, 1)
	orig := backendtest.ReadRaw(t, u.Tg.Raw, key)
	bad := []byte(strings.Replace(string(orig), `"retired":false`, `"retired":true `, 1))
	if string(bad) == string(orig) {
		t.Fatal("tampering changed nothing")
	}
	backendtest.WriteRaw(t, u.Tg.Raw, key, bad)
	s := u.MustOpen()
	if _, err := s.Get(u.Ctx, "ns", "one", backend.GetOptions{}); !errors.Is(err, backend.ErrIntegrity) || !strings.Contains(err.Error(), "key version 1") {
		t.Fatalf("Get under a tampered key version = %v", err)
	}
	if got := u.Get(s, "ns", "two", 0); string(got.Value) != "v2" {
		t.Fatalf("Get under version 2 = %q", got.Value)
	}
	if _, err := s.KeyVersions(u.Ctx); !errors.Is(err, backend.ErrIntegrity) {
		t.Fatalf("KeyVersions with a tampered record = %v", err)
	}
	// A record moved to another version's key fails too.
	backendtest.WriteRaw(t, u.Tg.Raw, key, backendtest.ReadRaw(t, u.Tg.Raw, backend.KeyVersionKey(2, 1)))
	if _, err := u.MustOpen().Get(u.Ctx, "ns", "one", backend.GetOptions{}); !errors.Is(err, backend.ErrIntegrity) {
		t.Fatalf("Get under a swapped key version record = %v", err)
	}
}

// TestRewrapKeyVersionFaultsConverge: a root-key rewrap that fails at any
// write leaves every secret readable with the old and new root keys, and a
// rerun converges to a store that the new root key alone opens.
func TestRewrapKeyVersionFaultsConverge(t *testing.T) {
	t.Parallel()
	oldRoot, newRoot := backendtest.RandomRootKey(), backendtest.RandomRootKey()
	for _, kind := range []backendtest.FaultKind{backendtest.FaultWrite, backendtest.FaultWriteStored} {
		t.Run(kind.String(), func(t *testing.T) {
			for k := 1; ; k++ {
				if k > 20 {
					t.Fatalf("still writing at k = %d", k)
				}
				e := newAheadEnv(t, backend.Options{RootKey: oldRoot})
				setupAheadStore(t, e)
				e.opts.RootKey, e.opts.PreviousRootKeys = newRoot, []string{oldRoot}
				e.S = e.open(e.Tg.Opts.Bucket)
				e.Tg.Faults.Arm(kind, k)
				err := e.S.RewrapKeyVersion(e.Ctx, 1)
				fired, _ := e.Tg.Faults.Disarm()
				if !fired {
					if err != nil {
						t.Fatalf("RewrapKeyVersion without a fault: %v", err)
					}
					break
				}
				check := e.open(e.Tg.Raw)
				if got, err := check.Get(e.Ctx, "ns", "a", backend.GetOptions{}); err != nil || string(got.Value) != "v2" {
					t.Fatalf("k=%d: after a failed rewrap (%v): Get = %q, %v", k, err, got.Value, err)
				}
				for _, v := range []int{1, 2} {
					if err := e.S.RewrapKeyVersion(e.Ctx, v); err != nil {
						t.Fatalf("k=%d: rerun of RewrapKeyVersion(%d): %v", k, v, err)
					}
				}
				e.opts.PreviousRootKeys = nil
				s := e.open(e.Tg.Raw)
				if got, err := s.Get(e.Ctx, "ns", "a", backend.GetOptions{}); err != nil || string(got.Value) != "v2" {
					t.Fatalf("k=%d: with the new root key only: Get = %q, %v", k, got.Value, err)
				}
				kvs, err := s.KeyVersions(e.Ctx)
				if err != nil || len(kvs) != 2 || !kvs[0].RootKeyCurrent || !kvs[1].RootKeyCurrent {
					t.Fatalf("k=%d: KeyVersions after the rerun = %+v, %v", k, kvs, err)
				}
			}
		})
	}
}

// TestRewrapKeyVersionHeaderRace: two stores that both still see the store
// header under the old root key rewrap different versions; the one that
// loses the header's create-only race reads the winner's header and
// carries on, and the lost attempt leaves no event.
func TestRewrapKeyVersionHeaderRace(t *testing.T) {
	t.Parallel()
	forDrivers(t, func(t *testing.T, u *backendtest.Harness) {
		u.CreateKV(1)
		u.PutValue("ns", "a", "v")
		u.CreateKV(2)
		oldRoot := u.Root
		u.Root = backendtest.RandomRootKey()
		prev := func(o *backend.Options) { o.PreviousRootKeys = []string{oldRoot} }
		a, b := u.MustOpen(prev), u.MustOpen(prev)
		if err := a.RewrapKeyVersion(u.Ctx, 1); err != nil {
			t.Fatalf("first RewrapKeyVersion: %v", err)
		}
		if err := b.RewrapKeyVersion(u.Ctx, 2); err != nil {
			t.Fatalf("RewrapKeyVersion after losing the header race: %v", err)
		}
		s := u.MustOpen()
		kvs, err := s.KeyVersions(u.Ctx)
		if err != nil || !kvs[0].RootKeyCurrent || !kvs[1].RootKeyCurrent {
			t.Fatalf("KeyVersions = %+v, %v", kvs, err)
		}
		var got []string
		for _, e := range backendtest.AllEvents(t, s, backend.EventFilter{Operations: []string{backend.OpKeyVersionRewrapped}}) {
			got = append(got, fmt.Sprintf("%d:%s", e.KeyVersion, e.Metadata["store_header"]))
		}
		if strings.Join(got, ",") != "1:rewrapped,2:" {
			t.Fatalf("rewrap events = %v; want one for each version, the first with the header", got)
		}
		// One new header revision (2): the loser wrote none. Revision 1,
		// under the old root key, is removed once the rotation finished.
		if keys := u.Keys(backend.PrefixHeader); len(keys) != 1 || keys[0] != backend.PrefixHeader+"r18446744073709551613" {
			t.Fatalf("store header revisions = %v; want revision 2 only", keys)
		}
	})
}

// TestKeyringRefreshKeepsConcurrentCreate races a keyring refresh with a
// key version created by the same Store: the refresh lists the keyring
// before v2 is written and installs what it listed after v2 was created.
// The version created must stay in the cache, so the next write in this
// process is wrapped under it.
func TestKeyringRefreshKeepsConcurrentCreate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ib, b := backendtest.NewFaultBucket(backendtest.OpenRaw(t, "mem://"))
	s, err := backend.Open(ctx, backend.Options{Bucket: b, RootKey: backendtest.RandomRootKey()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateKeyVersion(ctx, 1, nil); err != nil {
		t.Fatal(err)
	}
	listed, release, refreshed := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	var once, holdList sync.Once
	ib.BeforeWrite(func(key string) {
		if key != backend.KeyVersionKey(2, 1) {
			return
		}
		once.Do(func() {
			// The refresh started here lists the keyring before v2 is
			// written, then waits until the create has returned.
			ib.AfterList(func(prefix string) {
				if strings.HasPrefix(prefix, backend.PrefixKeyring) {
					holdList.Do(func() {
						close(listed)
						<-release
					})
				}
			})
			go func() {
				_, err := s.KeyVersions(ctx)
				refreshed <- err
			}()
			<-listed
		})
	})
	if _, err := s.CreateKeyVersion(ctx, 2, nil); err != nil {
		t.Fatal(err)
	}
	ib.BeforeWrite(nil)
	ib.AfterList(nil)
	close(release)
	if err := <-refreshed; err != nil {
		t.Fatal(err)
	}
	sec, err := s.Put(ctx, backend.PutInput{Namespace: "app:test", Name: "a", Value: []byte("alpha")})
	if err != nil {
		t.Fatal(err)
	}
	if sec.KeyVersion != 2 {
		t.Fatalf("a write after v2 was created is wrapped under key version %d, want 2", sec.KeyVersion)
	}
}
