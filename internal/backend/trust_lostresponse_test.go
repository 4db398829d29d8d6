// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// The tests below put a faultProxy between the store and the S3 emulator
// and lose the response of one create-only write after the server has
// performed it. The AWS SDK retries the PUT and gets 412 Precondition
// Failed: the object is the store's own, and the store must say so (no
// false conflict, no "already exists", no withdrawn audit event).

// lossyHarness is a store on S3 through a faultProxy, with key version 1.
func lossyHarness(t *testing.T) (*backendtest.Harness, *faultProxy) {
	t.Helper()
	var p *faultProxy
	h := backendtest.New(t, func(t testing.TB) backendtest.Target {
		tg, proxy := s3ViaProxy(t)
		p = proxy
		return tg
	})
	h.CreateKV(1)
	return h, p
}

// isRecord selects the revision record rev of ns/name (not its marker).
func isRecord(ns, name string, rev int64) func(string) bool {
	want := backend.RecordKey(backend.SecretDir(ns, name), rev)
	return func(key string) bool { return key == want }
}

// expectEvent fails unless s's audit log holds exactly one event of op for
// revision rev of ns/name.
func expectEvent(t *testing.T, s *backend.Store, ns, name, op string, rev int64) {
	t.Helper()
	evs := backendtest.AllEvents(t, s, backend.EventFilter{Namespace: ns, Name: name, Operations: []string{op}})
	n := 0
	for _, ev := range evs {
		if ev.Revision == rev {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("audit log of %s/%s holds %d %q events of revision %d, want 1 (events: %+v)", ns, name, n, op, rev, evs)
	}
}

func TestLostResponseSecretCreate(t *testing.T) {
	t.Parallel()
	h, p := lossyHarness(t)
	p.losePutResponse(isRecord("app", "db", 1))
	sec, err := h.S.Put(h.Ctx, backend.PutInput{Namespace: "app", Name: "db", Value: []byte("v1"), IfRevision: -1})
	p.expectFired(t, "Put (create)")
	if err != nil {
		t.Fatalf("Put (create) whose response was lost: %v", err)
	}
	if sec.Revision != 1 {
		t.Fatalf("Put (create) returned revision %d, want 1", sec.Revision)
	}
	h.ExpectValue(h.Fresh(), "app", "db", []byte("v1"))
	expectEvent(t, h.Fresh(), "app", "db", backend.OpCreated, 1)
}

func TestLostResponseSecretUpdate(t *testing.T) {
	t.Parallel()
	h, p := lossyHarness(t)
	h.PutValue("app", "db", "v1")
	p.losePutResponse(isRecord("app", "db", 2))
	sec, err := h.S.Put(h.Ctx, backend.PutInput{Namespace: "app", Name: "db", Value: []byte("v2"), IfRevision: 1})
	p.expectFired(t, "Put (update)")
	if err != nil {
		t.Fatalf("Put (update) whose response was lost: %v", err)
	}
	if sec.Revision != 2 {
		t.Fatalf("Put (update) returned revision %d, want 2", sec.Revision)
	}
	h.ExpectValue(h.Fresh(), "app", "db", []byte("v2"))
	expectEvent(t, h.Fresh(), "app", "db", backend.OpUpdated, 2)
}

func TestLostResponseSecretDelete(t *testing.T) {
	t.Parallel()
	h, p := lossyHarness(t)
	h.PutValue("app", "db", "v1")
	p.losePutResponse(isRecord("app", "db", 2))
	err := h.S.Delete(h.Ctx, backend.DeleteInput{Namespace: "app", Name: "db", IfRevision: 1})
	p.expectFired(t, "Delete")
	if err != nil {
		t.Fatalf("Delete whose response was lost: %v", err)
	}
	_, err = h.Fresh().Get(h.Ctx, "app", "db", backend.GetOptions{})
	backendtest.ExpectErr(t, err, backend.ErrNotFound, "Get after Delete")
	expectEvent(t, h.Fresh(), "app", "db", backend.OpDeleted, 2)
}

// TestLostResponseAuditEvent loses the response of the audit event's own
// write: the event is written ahead of the record, and a commit that took
// it for someone else's would withdraw every event of the write and fail.
func TestLostResponseAuditEvent(t *testing.T) {
	t.Parallel()
	h, p := lossyHarness(t)
	index := backend.AuditSecretIndex("app", "db")
	p.losePutResponse(func(key string) bool { return strings.HasPrefix(key, index) })
	_, err := h.S.Put(h.Ctx, backend.PutInput{Namespace: "app", Name: "db", Value: []byte("v1")})
	p.expectFired(t, "Put")
	if err != nil {
		t.Fatalf("Put whose audit event response was lost: %v", err)
	}
	h.ExpectValue(h.Fresh(), "app", "db", []byte("v1"))
	expectEvent(t, h.Fresh(), "app", "db", backend.OpCreated, 1)
	// The namespace and store-wide batches of the same event survive too.
	all := backendtest.AllEvents(t, h.Fresh(), backend.EventFilter{Operations: []string{backend.OpCreated}})
	if len(all) != 1 || all[0].Name != "db" {
		t.Fatalf("store-wide audit log holds %+v, want the one created event of app/db", all)
	}
}

func TestLostResponseRotate(t *testing.T) {
	t.Parallel()
	h, p := lossyHarness(t)
	h.PutValue("app", "db", "v1")
	h.CreateKV(2)
	p.losePutResponse(isRecord("app", "db", 2))
	res, err := h.S.Rotate(h.Ctx, backend.RotateInput{})
	p.expectFired(t, "Rotate")
	if err != nil {
		t.Fatalf("Rotate whose response was lost: %v", err)
	}
	if res.Rotated != 1 {
		t.Fatalf("Rotate = %+v, want 1 rotated", res)
	}
	sec := h.ExpectValue(h.Fresh(), "app", "db", []byte("v1"))
	if sec.KeyVersion != 2 || sec.Revision != 2 {
		t.Fatalf("after Rotate, app/db is revision %d under key version %d, want revision 2 under 2", sec.Revision, sec.KeyVersion)
	}
	expectEvent(t, h.Fresh(), "app", "db", backend.OpRotated, 2)
}

func TestLostResponseKeyVersionCreate(t *testing.T) {
	t.Parallel()
	h, p := lossyHarness(t)
	p.losePutResponse(func(key string) bool { return key == backend.KeyVersionKey(2, 1) })
	kv, err := h.S.CreateKeyVersion(h.Ctx, 2, nil)
	p.expectFired(t, "CreateKeyVersion")
	if err != nil {
		t.Fatalf("CreateKeyVersion whose response was lost: %v", err)
	}
	if kv.Version != 2 || !kv.Primary {
		t.Fatalf("CreateKeyVersion = %+v, want version 2, primary", kv)
	}
	evs := backendtest.AllEvents(t, h.Fresh(), backend.EventFilter{Operations: []string{backend.OpKeyVersionCreated}})
	if len(evs) != 2 {
		t.Fatalf("audit log holds %d key_version_created events, want 2 (versions 1 and 2)", len(evs))
	}
}

func TestLostResponseKeyVersionRetire(t *testing.T) {
	t.Parallel()
	h, p := lossyHarness(t)
	h.CreateKV(2)
	p.losePutResponse(func(key string) bool { return key == backend.KeyVersionKey(1, 2) })
	err := h.S.RetireKeyVersion(h.Ctx, 1)
	p.expectFired(t, "RetireKeyVersion")
	if err != nil {
		t.Fatalf("RetireKeyVersion whose response was lost: %v", err)
	}
	kvs, err := h.Fresh().KeyVersions(h.Ctx)
	if err != nil {
		t.Fatalf("KeyVersions: %v", err)
	}
	if len(kvs) != 2 || !kvs[0].Retired {
		t.Fatalf("KeyVersions = %+v, want version 1 retired", kvs)
	}
	evs := backendtest.AllEvents(t, h.Fresh(), backend.EventFilter{Operations: []string{backend.OpKeyVersionRetired}})
	if len(evs) != 1 {
		t.Fatalf("audit log holds %d key_version_retired events, want 1", len(evs))
	}
}

// TestLostResponseStoreHeader loses the response of the header write that
// creates a store (with its first write), and of the create-only probe
// before it.
func TestLostResponseStoreHeader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		prefix string
	}{
		{"probe", backend.PrefixProbe},
		{"header", backend.PrefixHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg, p := s3ViaProxy(t)
			p.losePutResponse(func(key string) bool { return strings.HasPrefix(key, tc.prefix) })
			opts := tg.Opts
			opts.RootKey = backendtest.RandomRootKey()
			s, err := backend.Open(context.Background(), opts)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			// The first write probes the bucket and creates the store.
			if _, err := s.CreateKeyVersion(context.Background(), 1, nil); err != nil {
				t.Fatalf("first CreateKeyVersion, whose %s write response was lost: %v", tc.name, err)
			}
			p.expectFired(t, "first write")
			if _, err := s.Put(context.Background(), backend.PutInput{Namespace: "app", Name: "db", Value: []byte("v1")}); err != nil {
				t.Fatalf("Put: %v", err)
			}
			again, err := backend.Open(context.Background(), opts)
			if err != nil {
				t.Fatalf("reopening: %v", err)
			}
			defer again.Close()
			got, err := again.Get(context.Background(), "app", "db", backend.GetOptions{})
			if err != nil || !bytes.Equal(got.Value, []byte("v1")) {
				t.Fatalf("Get through a new Store = %q, %v; want v1", got.Value, err)
			}
			if keys := backendtest.RawKeys(t, tg.Raw, backend.PrefixHeader); len(keys) != 1 {
				t.Fatalf("header revisions %v, want exactly one", keys)
			}
		})
	}
}

// TestRivalWriteIsStillAConflict checks the other side: a 412 for an
// object someone else wrote is a lost race, reported as one, and the
// events of the write that did not happen are withdrawn.
func TestRivalWriteIsStillAConflict(t *testing.T) {
	t.Parallel()
	h, p := lossyHarness(t)
	h.PutValue("app", "db", "v1")
	rival := h.Fresh()
	p.rivalWritesFirst(isRecord("app", "db", 2), func(string) {
		if _, err := rival.Put(h.Ctx, backend.PutInput{Namespace: "app", Name: "db", Value: []byte("rival"), IfRevision: 1}); err != nil {
			t.Errorf("rival Put: %v", err)
		}
	})
	_, err := h.S.Put(h.Ctx, backend.PutInput{Namespace: "app", Name: "db", Value: []byte("mine"), IfRevision: 1})
	p.expectFired(t, "Put")
	backendtest.ExpectErr(t, err, backend.ErrConcurrentModification, "Put that lost its race")
	h.ExpectValue(h.Fresh(), "app", "db", []byte("rival"))
	evs := backendtest.AllEvents(t, h.Fresh(), backend.EventFilter{Namespace: "app", Name: "db", Operations: []string{backend.OpUpdated}})
	if len(evs) != 1 {
		t.Fatalf("audit log holds %d updated events of app/db, want 1 (the rival's; the loser's is withdrawn): %+v", len(evs), evs)
	}
	if errors.Is(err, backend.ErrIntegrity) {
		t.Fatalf("lost race reported as an integrity error: %v", err)
	}
}

// TestLostResponseRootKeyRewrap loses the response of the store header
// revision that a root-key rotation writes with the first rewrapped key
// version: the rewrap succeeds once, with its event, and the old root key
// is no longer needed for the header.
func TestLostResponseRootKeyRewrap(t *testing.T) {
	t.Parallel()
	h, p := lossyHarness(t)
	h.PutValue("app", "db", "v1")
	oldRoot := h.Root
	h.Root = backendtest.RandomRootKey()
	s := h.MustOpen(func(o *backend.Options) { o.PreviousRootKeys = []string{oldRoot} })
	p.losePutResponse(func(key string) bool { return strings.HasPrefix(key, backend.PrefixHeader) })
	err := s.RewrapKeyVersion(h.Ctx, 1)
	p.expectFired(t, "RewrapKeyVersion")
	if err != nil {
		t.Fatalf("RewrapKeyVersion whose header response was lost: %v", err)
	}
	h.ExpectValue(h.MustOpen(), "app", "db", []byte("v1")) // the new root key alone
	evs := backendtest.AllEvents(t, h.Fresh(), backend.EventFilter{Operations: []string{backend.OpKeyVersionRewrapped}})
	if len(evs) != 1 || evs[0].Metadata["store_header"] != "rewrapped" {
		t.Fatalf("rewrap events = %+v, want one that rewrapped the store header", evs)
	}
	// One header revision was written, and the original, wrapped under the
	// previous root key, was removed when the rotation finished.
	if keys := backendtest.RawKeys(t, h.Tg.Raw, backend.PrefixHeader); len(keys) != 1 || keys[0] != backend.HeaderKey(2) {
		t.Fatalf("header revisions %v, want only revision 2 (the rewrapped one)", keys)
	}
}
