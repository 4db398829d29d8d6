// SPDX-License-Identifier: MPL-2.0

package backend

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
}

func (k *countingKeeper) Decrypt(ctx context.Context, b []byte) ([]byte, error) {
	k.mu.Lock()
	k.decrypts++
	k.mu.Unlock()
	return k.inner.Decrypt(ctx, b)
}
func (k *countingKeeper) Encrypt(ctx context.Context, b []byte) ([]byte, error) {
	return k.inner.Encrypt(ctx, b)
}
func (k *countingKeeper) Close() error                       { return nil }
func (k *countingKeeper) ErrorAs(error, any) bool            { return false }
func (k *countingKeeper) ErrorCode(error) gcerrors.ErrorCode { return gcerrors.Unknown }
func (k *countingKeeper) count() int                         { k.mu.Lock(); defer k.mu.Unlock(); return k.decrypts }
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

func newCountingKey(t *testing.T) (string, *countingKeeper) {
	countingKeepers.once.Do(func() { secrets.DefaultURLMux().RegisterKeeper("countkey", countingOpener{}) })
	var raw [32]byte
	copy(raw[:], randomBytes(32))
	k := &countingKeeper{inner: localsecrets.NewKeeper(raw)}
	name := strings.ToLower(randomHex(8))
	countingKeepers.mu.Lock()
	countingKeepers.keys[name] = k
	countingKeepers.mu.Unlock()
	return "countkey://" + name, k
}

// TestRootKeyCallsPerKeyVersion: reading many secrets costs one root-key
// (KMS) call per key version touched, plus one for the store header, not
// one per secret.
func TestRootKeyCallsPerKeyVersion(t *testing.T) {
	root, k := newCountingKey(t)
	u := newUnitWithRoot(t, "mem", root)
	u.kv(1)
	for i := 0; i < 20; i++ {
		u.put("ns", fmt.Sprintf("a%02d", i), "v")
	}
	u.kv(2)
	for i := 0; i < 20; i++ {
		u.put("ns", fmt.Sprintf("b%02d", i), "v")
	}
	before := k.count()
	s := u.open()
	for i := 0; i < 20; i++ {
		u.mustGet(s, "ns", fmt.Sprintf("a%02d", i), 0)
		u.mustGet(s, "ns", fmt.Sprintf("b%02d", i), 0)
	}
	if n := k.count() - before; n != 3 {
		t.Fatalf("opening a store and reading 40 secrets under 2 key versions made %d root-key calls, want 3", n)
	}
}

func TestCreateKeyVersionRules(t *testing.T) {
	u := newUnit(t, "mem")
	material := randomBytes(32)
	kv, err := u.s.CreateKeyVersion(u.ctx, 1, material)
	if err != nil || kv.Version != 1 || !kv.Primary || kv.Secrets != 0 || len(kv.CheckValue) != 16 {
		t.Fatalf("CreateKeyVersion(1) = %+v, %v", kv, err)
	}
	for _, c := range []struct {
		v     int
		mat   []byte
		field string
	}{
		{0, nil, "version"},
		{-1, nil, "version"},
		{2, randomBytes(31), "key_material"},
		{2, material, "key_material"}, // same key as version 1
	} {
		_, err := u.s.CreateKeyVersion(u.ctx, c.v, c.mat)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Fatalf("CreateKeyVersion(%d, %d bytes) = %v, want a ValidationError on %s", c.v, len(c.mat), err, c.field)
		}
	}
	if _, err := u.s.CreateKeyVersion(u.ctx, 1, nil); !errors.Is(err, ErrKeyVersionExists) {
		t.Fatalf("re-creating 1: %v", err)
	}
	// No bucket object carries the material in clear or base64.
	for _, key := range u.keys("") {
		data := readRaw(t, u.raw, key)
		if strings.Contains(string(data), string(material)) || strings.Contains(string(data), base64.StdEncoding.EncodeToString(material)) {
			t.Fatalf("object %s carries the key material", key)
		}
	}
	// Bring-your-own material decrypts what it encrypted in another store.
	u2 := newUnit(t, "mem")
	if _, err := u2.s.CreateKeyVersion(u2.ctx, 1, material); err != nil {
		t.Fatal(err)
	}
	kvs, _ := u2.s.KeyVersions(u2.ctx)
	if kvs[0].CheckValue != kv.CheckValue {
		t.Fatalf("the same material has check values %s and %s", kvs[0].CheckValue, kv.CheckValue)
	}
	if err := u.s.RetireKeyVersion(u.ctx, 9); !errors.Is(err, ErrNotFound) {
		t.Fatalf("retiring a missing version: %v", err)
	}
	if err := u.s.RewrapKeyVersion(u.ctx, 9); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rewrapping a missing version: %v", err)
	}
}

func TestRetireKeyVersion(t *testing.T) {
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		u.put("ns", "a", "v")
		u.put("ns", "gone", "v")
		u.kv(2)
		if err := u.s.RetireKeyVersion(u.ctx, 1); !errors.Is(err, ErrKeyVersionInUse) || !strings.Contains(err.Error(), "2 secret") {
			t.Fatalf("retiring a version in use = %v", err)
		}
		if err := u.s.Delete(u.ctx, "ns", "gone", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := u.s.Rotate(u.ctx, RotateInput{}); err != nil {
			t.Fatal(err)
		}
		if err := u.s.RetireKeyVersion(u.ctx, 1); err != nil {
			t.Fatalf("retiring an unused version: %v", err)
		}
		if err := u.s.RetireKeyVersion(u.ctx, 1); err != nil {
			t.Fatalf("retiring it again: %v", err)
		}
		// Retiring the primary makes the next newest primary; history
		// under a retired version stays readable.
		if err := u.s.RetireKeyVersion(u.ctx, 2); !errors.Is(err, ErrKeyVersionInUse) {
			t.Fatalf("retiring 2 in use: %v", err)
		}
		u.kv(3)
		if _, err := u.s.Rotate(u.ctx, RotateInput{}); err != nil {
			t.Fatal(err)
		}
		if err := u.s.RetireKeyVersion(u.ctx, 3); !errors.Is(err, ErrKeyVersionInUse) {
			t.Fatalf("retiring 3 in use: %v", err)
		}
		if got := u.mustGet(u.open(), "ns", "a", 1); string(got.Value) != "v" || got.KeyVersion != 1 {
			t.Fatalf("revision 1 under retired version 1: %+v", got)
		}
		kvs, err := u.open().KeyVersions(u.ctx)
		if err != nil || len(kvs) != 3 || !kvs[0].Retired || kvs[0].Primary || !kvs[2].Primary || kvs[2].Secrets != 1 {
			t.Fatalf("KeyVersions = %+v, %v", kvs, err)
		}
	})
}

// TestWrapLimit: once a version's claimed wrap blocks reach the limit,
// writes under it fail with ErrWrapLimit; a new version lifts it.
func TestWrapLimit(t *testing.T) {
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		u.put("ns", "a", "v")
		kvs, _ := u.s.KeyVersions(u.ctx)
		if kvs[0].Wraps != wrapBlockSize {
			t.Fatalf("after one write, Wraps = %d, want one block (%d)", kvs[0].Wraps, wrapBlockSize)
		}
		// Another store claims its own block.
		s2 := u.open()
		if _, err := s2.Put(u.ctx, PutInput{Namespace: "ns", Name: "b", Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
		if n, _ := s2.wrapsReserved(u.ctx, 1); n != 2*wrapBlockSize {
			t.Fatalf("two stores reserved %d wraps, want %d", n, 2*wrapBlockSize)
		}
		// Pretend the version has claimed all but its last block.
		writeRaw(t, u.raw, wrapBlockKey(1, maxWrapBlocks-1), nil)
		s3 := u.open()
		_, err := s3.Put(u.ctx, PutInput{Namespace: "ns", Name: "c", Value: []byte("v")})
		if !errors.Is(err, ErrWrapLimit) || !strings.Contains(err.Error(), "key version 1") {
			t.Fatalf("Put past the wrap limit = %v", err)
		}
		// The store that still holds budget in a claimed block may use it
		// up, but no more blocks are handed out.
		if _, err := u.s.Put(u.ctx, PutInput{Namespace: "ns", Name: "d", Value: []byte("v")}); err != nil {
			t.Fatalf("Put within an already claimed block: %v", err)
		}
		u.s = s3
		u.kv(2)
		if _, err := s3.Put(u.ctx, PutInput{Namespace: "ns", Name: "c", Value: []byte("v")}); err != nil {
			t.Fatalf("Put under a new version: %v", err)
		}
	})
}

// TestKeyVersionRecordTamper: an altered key version record is reported by
// version, and only secrets under it are affected.
func TestKeyVersionRecordTamper(t *testing.T) {
	u := newUnit(t, "mem")
	u.kv(1)
	u.put("ns", "one", "v1")
	u.kv(2)
	u.put("ns", "two", "v2")
	key := keyVersionKey(1, 1)
	orig := readRaw(t, u.raw, key)
	bad := []byte(strings.Replace(string(orig), `"retired":false`, `"retired":true `, 1))
	if string(bad) == string(orig) {
		t.Fatal("tampering changed nothing")
	}
	writeRaw(t, u.raw, key, bad)
	s := u.open()
	if _, err := s.Get(u.ctx, "ns", "one", GetOptions{}); !errors.Is(err, ErrIntegrity) || !strings.Contains(err.Error(), "key version 1") {
		t.Fatalf("Get under a tampered key version = %v", err)
	}
	if got := u.mustGet(s, "ns", "two", 0); string(got.Value) != "v2" {
		t.Fatalf("Get under version 2 = %q", got.Value)
	}
	if _, err := s.KeyVersions(u.ctx); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("KeyVersions with a tampered record = %v", err)
	}
	// A record moved to another version's key fails too.
	writeRaw(t, u.raw, key, readRaw(t, u.raw, keyVersionKey(2, 1)))
	if _, err := u.open().Get(u.ctx, "ns", "one", GetOptions{}); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("Get under a swapped key version record = %v", err)
	}
}

// TestRewrapKeyVersionFaultsConverge: a root-key rewrap that fails at any
// write leaves every secret readable with the old and new root keys, and a
// rerun converges to a store that the new root key alone opens.
func TestRewrapKeyVersionFaultsConverge(t *testing.T) {
	oldRoot, newRoot := randomRootKey(), randomRootKey()
	for _, kind := range []faultKind{faultWrite, faultWriteStored} {
		t.Run(kind.String(), func(t *testing.T) {
			for k := 1; ; k++ {
				if k > 20 {
					t.Fatalf("still writing at k = %d", k)
				}
				e := &aheadEnv{ctx: context.Background(), clock: newTestClock(), inner: openRaw(t, "mem://")}
				e.ib, e.b = newInstrumented(e.inner)
				e.opts = Options{RootKey: oldRoot, Actor: testActor, Now: e.clock.Now}
				e.s = e.open(t, e.b)
				setupAheadStore(t, e)
				e.opts.RootKey, e.opts.PreviousRootKeys = newRoot, []string{oldRoot}
				e.s = e.open(t, e.b)
				e.ib.arm(kind, k)
				err := e.s.RewrapKeyVersion(e.ctx, 1)
				fired, _ := e.ib.disarm()
				if !fired {
					if err != nil {
						t.Fatalf("RewrapKeyVersion without a fault: %v", err)
					}
					break
				}
				check := e.open(t, e.inner)
				if got, err := check.Get(e.ctx, "ns", "a", GetOptions{}); err != nil || string(got.Value) != "v2" {
					t.Fatalf("k=%d: after a failed rewrap (%v): Get = %q, %v", k, err, got.Value, err)
				}
				for _, v := range []int{1, 2} {
					if err := e.s.RewrapKeyVersion(e.ctx, v); err != nil {
						t.Fatalf("k=%d: rerun of RewrapKeyVersion(%d): %v", k, v, err)
					}
				}
				e.opts.PreviousRootKeys = nil
				s := e.open(t, e.inner)
				if got, err := s.Get(e.ctx, "ns", "a", GetOptions{}); err != nil || string(got.Value) != "v2" {
					t.Fatalf("k=%d: with the new root key only: Get = %q, %v", k, got.Value, err)
				}
				kvs, err := s.KeyVersions(e.ctx)
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
	forDrivers(t, func(t *testing.T, u *unitEnv) {
		u.kv(1)
		u.put("ns", "a", "v")
		u.kv(2)
		oldRoot := u.root
		u.root = randomRootKey()
		prev := func(o *Options) { o.PreviousRootKeys = []string{oldRoot} }
		a, b := u.open(prev), u.open(prev)
		if err := a.RewrapKeyVersion(u.ctx, 1); err != nil {
			t.Fatalf("first RewrapKeyVersion: %v", err)
		}
		if err := b.RewrapKeyVersion(u.ctx, 2); err != nil {
			t.Fatalf("RewrapKeyVersion after losing the header race: %v", err)
		}
		s := u.open()
		kvs, err := s.KeyVersions(u.ctx)
		if err != nil || !kvs[0].RootKeyCurrent || !kvs[1].RootKeyCurrent {
			t.Fatalf("KeyVersions = %+v, %v", kvs, err)
		}
		var got []string
		for _, e := range allEvents(t, s, EventFilter{Operations: []string{OpKeyVersionRewraped}}) {
			got = append(got, fmt.Sprintf("%d:%s", e.KeyVersion, e.Metadata["store_header"]))
		}
		if strings.Join(got, ",") != "1:rewrapped,2:" {
			t.Fatalf("rewrap events = %v; want one for each version, the first with the header", got)
		}
		if keys := u.keys(prefixHeader); len(keys) != 2 {
			t.Fatalf("store header revisions = %v; want 2", keys)
		}
	})
}
