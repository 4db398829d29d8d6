// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// TestAWSKMSRootKey runs a store's life under an awskms:// root key on
// local-kms and counts the key service's requests: they follow the key
// versions a store opens or creates, never the number of secrets.
func TestAWSKMSRootKey(t *testing.T) {
	t.Parallel()
	kms := backendtest.NewLocalKMS(t)
	h := backendtest.NewWithRoot(t, backendtest.Mem, kms.KeeperURL())
	// Open writes nothing, so it wraps nothing.
	if got := kms.TotalCalls(); got != 0 {
		t.Fatalf("opening an empty bucket made KMS requests %v, want none", kms.Calls())
	}
	// The first write creates the store: one Encrypt of its secret, one of
	// key version 1.
	h.CreateKV(1)
	if got := kms.Calls(); got["Encrypt"] != 2 || kms.TotalCalls() != 2 {
		t.Fatalf("creating the store and key version 1 made KMS requests %v, want two Encrypts", got)
	}
	const n = 20
	before := kms.TotalCalls()
	for i := range n {
		h.PutValue("app:kms", fmt.Sprintf("s-%d", i), fmt.Sprintf("value-%d", i))
	}
	if got := kms.TotalCalls() - before; got != 0 {
		t.Errorf("writing %d secrets made %d KMS requests, want 0 (the key version is unwrapped already)", n, got)
	}

	// A fresh store reads every secret: one Decrypt of the store secret
	// and one of the key version.
	before = kms.TotalCalls()
	s := h.Fresh()
	for i := range n {
		h.ExpectValue(s, "app:kms", fmt.Sprintf("s-%d", i), fmt.Appendf(nil, "value-%d", i))
	}
	if got := kms.TotalCalls() - before; got != 2 {
		t.Errorf("opening a store and reading %d secrets made %d KMS requests, want 2", n, got)
	}

	// Rotation to version 2: one Encrypt to create it, no request per
	// secret rewrapped.
	before = kms.TotalCalls()
	if _, err := s.CreateKeyVersion(h.Ctx, 2, nil); err != nil {
		t.Fatal(err)
	}
	res, err := s.Rotate(h.Ctx, backend.RotateInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := kms.TotalCalls() - before; got != 1 {
		t.Errorf("creating key version 2 and rotating %+v made %d KMS requests, want 1", res, got)
	}
	for i := range n {
		if sec := h.ExpectValue(h.Fresh(), "app:kms", fmt.Sprintf("s-%d", i), fmt.Appendf(nil, "value-%d", i)); sec.KeyVersion != 2 {
			t.Fatalf("s-%d is under key version %d after rotation, want 2", i, sec.KeyVersion)
		}
	}
}

// TestRootKeyServiceFailure: a key service that fails is a
// *RootKeyError (ErrRootKeyUnavailable) naming the key without its
// query, never a root key mismatch; a working key service whose key is
// not the store's is still ErrRootKeyMismatch.
func TestRootKeyServiceFailure(t *testing.T) {
	t.Parallel()
	kms := backendtest.NewLocalKMS(t)
	wantServiceError := func(t *testing.T, err error, op string) {
		t.Helper()
		var rk *backend.RootKeyError
		if !errors.As(err, &rk) || !errors.Is(err, backend.ErrRootKeyUnavailable) {
			t.Fatalf("err = %v, want a *RootKeyError", err)
		}
		if errors.Is(err, backend.ErrRootKeyMismatch) {
			t.Errorf("err = %v, also ErrRootKeyMismatch", err)
		}
		if rk.Op != op || rk.Scheme != "awskms" || rk.Previous != 0 {
			t.Errorf("RootKeyError = {Op: %q, Scheme: %q, Previous: %d}, want {%q, awskms, 0}", rk.Op, rk.Scheme, rk.Previous, op)
		}
		if strings.Contains(err.Error(), "endpoint=") || strings.Contains(rk.Key, "?") {
			t.Errorf("err = %v, shows the keeper URL's query", err)
		}
	}

	t.Run("missing alias on a new store", func(t *testing.T) {
		t.Parallel()
		tg := backendtest.Mem(t)
		s, err := backend.Open(t.Context(), backend.Options{Bucket: tg.Opts.Bucket, Actor: backendtest.Actor,
			RootKey: fmt.Sprintf("awskms://alias/no-such-key?endpoint=%s&region=%s", kms.Endpoint(), backendtest.LocalKMSRegion)})
		if err != nil {
			t.Fatalf("Open of an empty bucket: %v (it makes no key service request)", err)
		}
		defer s.Close()
		// The first write creates the store and wraps its secret.
		_, err = s.CreateKeyVersion(t.Context(), 1, nil)
		wantServiceError(t, err, "encrypt")
	})

	t.Run("unreachable on an existing store", func(t *testing.T) {
		t.Parallel()
		h := backendtest.NewWithRoot(t, backendtest.Mem, kms.KeeperURL())
		h.CreateKV(1)
		_, err := h.Open(func(o *backend.Options) {
			o.RootKey = fmt.Sprintf("awskms://%s?endpoint=http://127.0.0.1:1&region=%s", backendtest.LocalKMSAlias, backendtest.LocalKMSRegion)
		})
		wantServiceError(t, err, "decrypt")
	})

	t.Run("a working key that is not the store's", func(t *testing.T) {
		t.Parallel()
		h := backendtest.New(t, backendtest.Mem)
		h.CreateKV(1)
		_, err := h.Open(func(o *backend.Options) { o.RootKey = kms.KeeperURL() })
		if !errors.Is(err, backend.ErrRootKeyMismatch) || errors.Is(err, backend.ErrRootKeyUnavailable) {
			t.Fatalf("err = %v, want ErrRootKeyMismatch only", err)
		}
		wantNoQueryValues(t, err, kms.KeeperURL())
	})

	// The key service's own message repeats the query's values (the
	// endpoint it dialled, the region): none of them is shown.
	t.Run("unreachable endpoint not shown", func(t *testing.T) {
		t.Parallel()
		h := backendtest.NewWithRoot(t, backendtest.Mem, kms.KeeperURL())
		h.CreateKV(1)
		keeper := fmt.Sprintf("awskms://%s?endpoint=http://%s/&region=%s", backendtest.LocalKMSAlias, closedPort(t), backendtest.LocalKMSRegion)
		_, err := h.Open(func(o *backend.Options) { o.RootKey = keeper })
		wantServiceError(t, err, "decrypt")
		wantNoQueryValues(t, err, keeper)
	})

	// A previous root key whose service is unreachable, beside a local
	// root key that does not match: the service's failure shows no query
	// value either.
	t.Run("unreachable previous key", func(t *testing.T) {
		t.Parallel()
		h := backendtest.NewWithRoot(t, backendtest.Mem, kms.KeeperURL())
		h.CreateKV(1)
		keeper := fmt.Sprintf("awskms://%s?endpoint=http://%s/&region=%s", backendtest.LocalKMSAlias, closedPort(t), backendtest.LocalKMSRegion)
		_, err := h.Open(func(o *backend.Options) {
			o.RootKey = backendtest.RandomRootKey()
			o.PreviousRootKeys = []string{keeper}
		})
		if err == nil {
			t.Fatal("Open succeeded with keys that are not the store's")
		}
		wantNoQueryValues(t, err, keeper)
	})
}

// wantNoQueryValues fails when err's message shows the query of the keeper
// URL keeper, or any of its values, or the host of a value that is a URL.
func wantNoQueryValues(t *testing.T, err error, keeper string) {
	t.Helper()
	u, perr := url.Parse(keeper)
	if perr != nil {
		t.Fatal(perr)
	}
	msg := err.Error()
	if strings.Contains(msg, "endpoint=") {
		t.Errorf("err = %v, shows the keeper URL's query", err)
	}
	for k, vs := range u.Query() {
		for _, v := range vs {
			if strings.Contains(msg, v) {
				t.Errorf("err = %v, shows the value of %s (%s)", err, k, v)
			}
			if vu, perr := url.Parse(v); perr == nil && vu.Host != "" && strings.Contains(msg, vu.Host) {
				t.Errorf("err = %v, shows the host of %s (%s)", err, k, vu.Host)
			}
		}
	}
}

// closedPort is a loopback host:port where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// TestUnreadableObject: a bucket that lists and describes an object but
// answers its read with not found (fake-gcs-server without a public
// host) is ErrUnreadableObject, not a concurrent modification.
func TestUnreadableObject(t *testing.T) {
	t.Parallel()
	gcs, err := backendtest.StartMisconfiguredFakeGCS()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(gcs.Stop)
	b := gcs.OpenBucket(t, gcs.NewBucketName())
	opts := backend.Options{Bucket: b, RootKey: backendtest.RandomRootKey(), Actor: backendtest.Actor}
	// The first write creates the store header, which needs no read.
	s, err := backend.Open(t.Context(), opts)
	if err != nil {
		t.Fatalf("opening the empty bucket: %v", err)
	}
	if _, err := s.CreateKeyVersion(t.Context(), 1, nil); err != nil {
		t.Fatalf("creating the store: %v", err)
	}
	_ = s.Close()
	_, err = backend.Open(t.Context(), opts)
	if !errors.Is(err, backend.ErrUnreadableObject) || errors.Is(err, backend.ErrConcurrentModification) {
		t.Fatalf("reopening: err = %v, want ErrUnreadableObject only", err)
	}
}

// TestBucketURLWithoutBucket: a cloud bucket URL without a bucket name is
// ErrNoBucketName, found before any request.
func TestBucketURLWithoutBucket(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"s3://", "s3://?region=us-east-1", "gs://", "azblob://"} {
		_, err := backend.Open(t.Context(), backend.Options{BucketURL: u, RootKey: backendtest.RandomRootKey(), Actor: backendtest.Actor})
		if !errors.Is(err, backend.ErrNoBucketName) {
			t.Errorf("Open(%q): err = %v, want ErrNoBucketName", u, err)
		}
	}
}

// TestAWSKMSRootKeyRotation rotates an awskms:// root key to another key
// of the same account while the old one still works. AWS KMS decrypts
// with whichever key made a ciphertext, so the new key opens what the old
// one wrapped; the store must still see that it is not wrapped under the
// new key, rewrap it, and keep working once the old key is disabled.
func TestAWSKMSRootKeyRotation(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	kms := backendtest.NewLocalKMS(t)
	oldKey := kms.KeeperURL()
	h := backendtest.NewWithRoot(t, backendtest.Mem, oldKey)
	h.CreateKV(1)
	h.PutValue("app:test", "a", "alpha")
	newKey := kms.NewKey(t)
	s, err := h.Open(func(o *backend.Options) { o.RootKey, o.PreviousRootKeys = newKey, []string{oldKey} })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	kvs, err := s.KeyVersions(ctx)
	if err != nil || len(kvs) != 1 {
		t.Fatalf("KeyVersions = %+v, %v", kvs, err)
	}
	if kvs[0].RootKeyCurrent {
		t.Fatal("key version 1 reports the new root key as current, though only the old one wrapped it")
	}
	if err := s.RewrapKeyVersion(ctx, 1); err != nil {
		t.Fatalf("RewrapKeyVersion: %v", err)
	}
	if kvs, err = s.KeyVersions(ctx); err != nil || !kvs[0].RootKeyCurrent {
		t.Fatalf("after the rewrap: KeyVersions = %+v, %v", kvs, err)
	}
	// A run still configured with only the old key decrypts the new
	// header through the service, but must not take the store back under
	// the old key: it is refused as a key that does not match.
	before := backendtest.RawObjects(t, h.Tg.Raw)
	if stale, err := h.Open(func(o *backend.Options) { o.RootKey = oldKey }); !errors.Is(err, backend.ErrRootKeyMismatch) {
		if stale != nil {
			stale.Close()
		}
		t.Fatalf("opening with only the old key: %v, want ErrRootKeyMismatch", err)
	}
	if after := backendtest.RawObjects(t, h.Tg.Raw); !maps.Equal(before, after) {
		t.Fatalf("the refused open changed the bucket: %v, then %v", before, after)
	}
	kms.DisableSeededKey(t)
	s2, err := h.Open(func(o *backend.Options) { o.RootKey = newKey })
	if err != nil {
		t.Fatalf("with the old key disabled, the new key alone does not open the store: %v", err)
	}
	defer s2.Close()
	sec, err := s2.Get(ctx, "app:test", "a", backend.GetOptions{})
	if err != nil || string(sec.Value) != "alpha" {
		t.Fatalf("with the old key disabled, Get = %v", err)
	}
	// A store that the new key made stays current under it.
	s3, err := h.Open(func(o *backend.Options) { o.RootKey = newKey })
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if kvs, err := s3.KeyVersions(ctx); err != nil || !kvs[0].RootKeyCurrent {
		t.Fatalf("reopened under the new key: KeyVersions = %+v, %v", kvs, err)
	}
}
