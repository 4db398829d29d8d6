// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// condEnv is a harness on a mem:// store with key version 1 and a secret
// ns/s at revision 1; every write it makes moves the clock a minute on.
type condEnv struct {
	*backendtest.Harness
}

func newCondEnv(t *testing.T) *condEnv {
	t.Helper()
	e := &condEnv{backendtest.NewWith(t, backendtest.Mem, backendtest.RandomRootKey(),
		backendtest.NewClockAt(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))}
	e.createKV(1)
	e.put(backend.PutInput{Namespace: "ns", Name: "s", Value: []byte("v1"), SetMetadata: true, Metadata: map[string]string{"k": "a"}})
	return e
}

func (e *condEnv) createKV(v int) {
	e.T.Helper()
	if _, err := e.S.CreateKeyVersion(e.Ctx, v, nil); err != nil {
		e.T.Fatalf("CreateKeyVersion(%d): %v", v, err)
	}
}

func (e *condEnv) put(in backend.PutInput) backend.Secret {
	e.T.Helper()
	e.Clock.Advance(time.Minute)
	sec, err := e.S.Put(e.Ctx, in)
	if err != nil {
		e.T.Fatalf("Put: %v", err)
	}
	return sec
}

// rotate adds key version v and rotates every secret to it.
func (e *condEnv) rotate(v int) {
	e.T.Helper()
	e.Clock.Advance(time.Minute)
	e.createKV(v)
	if res, err := e.S.Rotate(e.Ctx, backend.RotateInput{}); err != nil || res.Rotated != 1 {
		e.T.Fatalf("Rotate to %d: %+v, %v", v, res, err)
	}
}

func (e *condEnv) head() backend.Secret {
	e.T.Helper()
	sec, err := e.S.Head(e.Ctx, "ns", "s")
	if err != nil {
		e.T.Fatalf("Head: %v", err)
	}
	return sec
}

func (e *condEnv) value() []byte {
	e.T.Helper()
	sec, err := e.S.Get(e.Ctx, "ns", "s", backend.GetOptions{})
	if err != nil {
		e.T.Fatalf("Get: %v", err)
	}
	return sec.Value
}

// TestAllowRotationsAfterRotation: a write recorded at revision 1 succeeds
// on top of the current revision when only rotations happened since, and
// only when the caller allows it.
func TestAllowRotationsAfterRotation(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		in   backend.PutInput
		want []byte
	}{
		{"value", backend.PutInput{Value: []byte("v2")}, []byte("v2")},
		{"metadata only", backend.PutInput{SetMetadata: true, Metadata: map[string]string{"k": "b"}}, []byte("v1")},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newCondEnv(t)
			e.rotate(2)
			e.rotate(3)
			in := c.in
			in.Namespace, in.Name, in.IfRevision = "ns", "s", 1
			if _, err := e.S.Put(e.Ctx, in); !errors.Is(err, backend.ErrConcurrentModification) {
				t.Fatalf("Put IfRevision 1 at revision 3 without AllowRotations: %v, want ErrConcurrentModification", err)
			}
			in.AllowRotations = true
			sec := e.put(in)
			if sec.Revision != 4 || sec.KeyVersion != 3 {
				t.Fatalf("Put with AllowRotations wrote revision %d under key version %d, want 4 under 3", sec.Revision, sec.KeyVersion)
			}
			if got := e.value(); !bytes.Equal(got, c.want) {
				t.Fatalf("value after the write = %q, want %q", got, c.want)
			}
		})
	}
}

// TestAllowRotationsRefusesChanges: a change of value, metadata, expiry or
// a deletion since the recorded revision refuses the write, even after or
// before rotations.
func TestAllowRotationsRefusesChanges(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		change func(e *condEnv)
	}{
		{"value", func(e *condEnv) { e.put(backend.PutInput{Namespace: "ns", Name: "s", Value: []byte("other")}) }},
		{"metadata", func(e *condEnv) {
			e.put(backend.PutInput{Namespace: "ns", Name: "s", SetMetadata: true, Metadata: map[string]string{"k": "other"}})
		}},
		{"expiry", func(e *condEnv) {
			e.put(backend.PutInput{Namespace: "ns", Name: "s", Expiry: backend.Expiry{Set: true, TTL: time.Hour}})
		}},
		{"same metadata rewritten", func(e *condEnv) {
			// A write that changes nothing still changes the update time.
			e.put(backend.PutInput{Namespace: "ns", Name: "s", SetMetadata: true, Metadata: map[string]string{"k": "a"}})
		}},
		{"rotation then value", func(e *condEnv) {
			e.rotate(2)
			e.put(backend.PutInput{Namespace: "ns", Name: "s", Value: []byte("other")})
		}},
		{"value then rotation", func(e *condEnv) {
			e.put(backend.PutInput{Namespace: "ns", Name: "s", Value: []byte("other")})
			e.rotate(2)
		}},
		{"delete and re-create", func(e *condEnv) {
			if err := e.S.Delete(e.Ctx, backend.DeleteInput{Namespace: "ns", Name: "s"}); err != nil {
				t.Fatal(err)
			}
			e.put(backend.PutInput{Namespace: "ns", Name: "s", Value: []byte("v1"), SetMetadata: true, Metadata: map[string]string{"k": "a"}})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newCondEnv(t)
			c.change(e)
			before := e.head()
			_, err := e.S.Put(e.Ctx, backend.PutInput{Namespace: "ns", Name: "s", Value: []byte("mine"), IfRevision: 1, AllowRotations: true})
			if !errors.Is(err, backend.ErrConcurrentModification) {
				t.Fatalf("Put: %v, want ErrConcurrentModification", err)
			}
			err = e.S.Delete(e.Ctx, backend.DeleteInput{Namespace: "ns", Name: "s", IfRevision: 1, AllowRotations: true})
			if !errors.Is(err, backend.ErrConcurrentModification) {
				t.Fatalf("Delete: %v, want ErrConcurrentModification", err)
			}
			if after := e.head(); after.Revision != before.Revision {
				t.Fatalf("refused writes moved the secret from revision %d to %d", before.Revision, after.Revision)
			}
		})
	}
}

// TestDeleteAllowRotations: Delete recorded before a rotation succeeds with
// AllowRotations only.
func TestDeleteAllowRotations(t *testing.T) {
	t.Parallel()
	e := newCondEnv(t)
	e.rotate(2)
	in := backend.DeleteInput{Namespace: "ns", Name: "s", IfRevision: 1}
	if err := e.S.Delete(e.Ctx, in); !errors.Is(err, backend.ErrConcurrentModification) {
		t.Fatalf("Delete IfRevision 1 at revision 2: %v, want ErrConcurrentModification", err)
	}
	in.AllowRotations = true
	if err := e.S.Delete(e.Ctx, in); err != nil {
		t.Fatalf("Delete with AllowRotations: %v", err)
	}
	if _, err := e.S.Head(e.Ctx, "ns", "s"); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("Head after Delete: %v, want ErrNotFound", err)
	}
}

// TestAllowRotationsRecordedRevisionPurged: when cleanup has purged the
// recorded revision, the audit log tells whether only rotations followed.
func TestAllowRotationsRecordedRevisionPurged(t *testing.T) {
	t.Parallel()
	zero := time.Duration(0)
	purge := func(e *condEnv) {
		e.Clock.Advance(time.Hour)
		res, err := e.S.Cleanup(e.Ctx, backend.CleanupInput{Retention: backend.Retention{Revisions: &zero}})
		if err != nil || res.Revisions == 0 {
			t.Fatalf("Cleanup: %+v, %v", res, err)
		}
		if _, err := e.S.Get(e.Ctx, "ns", "s", backend.GetOptions{Revision: 1}); !errors.Is(err, backend.ErrNotFound) {
			t.Fatalf("revision 1 after cleanup: %v, want ErrNotFound", err)
		}
	}
	t.Run("rotated", func(t *testing.T) {
		e := newCondEnv(t)
		e.rotate(2)
		purge(e)
		sec := e.put(backend.PutInput{Namespace: "ns", Name: "s", Value: []byte("v2"), IfRevision: 1, AllowRotations: true})
		if sec.Revision != 3 {
			t.Fatalf("wrote revision %d, want 3", sec.Revision)
		}
	})
	t.Run("updated", func(t *testing.T) {
		e := newCondEnv(t)
		e.rotate(2)
		e.put(backend.PutInput{Namespace: "ns", Name: "s", Value: []byte("other")})
		purge(e)
		_, err := e.S.Put(e.Ctx, backend.PutInput{Namespace: "ns", Name: "s", Value: []byte("v2"), IfRevision: 1, AllowRotations: true})
		if !errors.Is(err, backend.ErrConcurrentModification) {
			t.Fatalf("Put: %v, want ErrConcurrentModification", err)
		}
	})
}

// TestRollback: a recorded revision newer than the current one is a
// *RollbackError for Put and Delete, with or without AllowRotations, and
// nothing is written.
func TestRollback(t *testing.T) {
	t.Parallel()
	e := newCondEnv(t)
	e.put(backend.PutInput{Namespace: "ns", Name: "s", Value: []byte("v2")})
	for _, allow := range []bool{false, true} {
		check := func(what string, err error) {
			t.Helper()
			var rb *backend.RollbackError
			if !errors.As(err, &rb) || !errors.Is(err, backend.ErrRolledBack) {
				t.Fatalf("%s (AllowRotations %v): %v, want a *RollbackError", what, allow, err)
			}
			if errors.Is(err, backend.ErrConcurrentModification) {
				t.Fatalf("%s: a rollback also reads as a concurrent modification: %v", what, err)
			}
			want := backend.RollbackError{Namespace: "ns", Name: "s", Recorded: 5, Current: 2}
			if *rb != want {
				t.Fatalf("%s: %+v, want %+v", what, *rb, want)
			}
			if !strings.Contains(err.Error(), "ns/s") {
				t.Fatalf("%s: %q does not name the secret", what, err)
			}
		}
		_, err := e.S.Put(e.Ctx, backend.PutInput{Namespace: "ns", Name: "s", Value: []byte("x"), IfRevision: 5, AllowRotations: allow})
		check("Put", err)
		check("Delete", e.S.Delete(e.Ctx, backend.DeleteInput{Namespace: "ns", Name: "s", IfRevision: 5, AllowRotations: allow}))
	}
	if sec := e.head(); sec.Revision != 2 || !bytes.Equal(e.value(), []byte("v2")) {
		t.Fatalf("after refused writes: revision %d, value %q", sec.Revision, e.value())
	}
}

// TestValidationErrorFields: validation errors name their input with a
// typed Field and, within a list, its position.
func TestValidationErrorFields(t *testing.T) {
	t.Parallel()
	e := newCondEnv(t)
	kv1 := bytes.Repeat([]byte{7}, backend.KeySize)
	if _, err := e.S.CreateKeyVersion(e.Ctx, 2, kv1); err != nil {
		t.Fatal(err)
	}
	_, err := e.S.CreateKeyVersion(e.Ctx, 3, kv1)
	var ve *backend.ValidationError
	if !errors.As(err, &ve) || ve.Field != backend.FieldKeyMaterial || !errors.Is(err, backend.ErrInvalidArgument) {
		t.Fatalf("CreateKeyVersion with version 2's key: %v, want a ValidationError on FieldKeyMaterial", err)
	}
	if !strings.HasPrefix(err.Error(), "key material: ") || !strings.Contains(ve.Reason, "key version 2") {
		t.Fatalf("CreateKeyVersion with version 2's key: %q", err)
	}

	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, backend.KeySize))
	_, err = backend.Open(e.Ctx, backend.Options{BucketURL: "mem://", RootKey: good, PreviousRootKeys: []string{good, "not a key"}})
	if !errors.As(err, &ve) || ve.Field != backend.FieldPreviousRootKey || ve.Index != 1 {
		t.Fatalf("Open with a bad second previous root key: %v, want FieldPreviousRootKey at index 1", err)
	}
	if !strings.HasPrefix(err.Error(), "previous root key 2: ") {
		t.Fatalf("the error does not number the key from 1: %q", err)
	}
	for _, msg := range []string{err.Error(), ve.Reason} {
		if strings.Contains(msg, "openssl") || strings.Contains(msg, "previous_root_keys") {
			t.Fatalf("the error carries advice or attribute names: %q", msg)
		}
	}

	_, err = e.S.Put(e.Ctx, backend.PutInput{Namespace: "ns", Name: "s", Value: []byte("x"), Expiry: backend.Expiry{Set: true, At: e.Clock.Now()}})
	if !errors.As(err, &ve) || ve.Field != backend.FieldExpiresAt || !strings.HasPrefix(err.Error(), "expiry time: ") {
		t.Fatalf("Put expiring now: %v, want a ValidationError on FieldExpiresAt", err)
	}
	_, err = e.S.List(e.Ctx, backend.ListInput{Namespace: "ns", NamePrefix: "a/b"})
	if !errors.As(err, &ve) || ve.Field != backend.FieldNamePrefix || !strings.HasPrefix(err.Error(), "name prefix: ") {
		t.Fatalf("List with a bad prefix: %v, want a ValidationError on FieldNamePrefix", err)
	}
}

// TestFieldStrings: every field has its own domain words.
func TestFieldStrings(t *testing.T) {
	t.Parallel()
	seen := map[string]backend.Field{}
	for f := backend.FieldNamespace; f <= backend.FieldAuditEventRetention; f++ {
		s := f.String()
		if s == "" || strings.HasPrefix(s, "field ") || strings.ContainsAny(s, "_[") {
			t.Fatalf("Field(%d).String() = %q", int(f), s)
		}
		if g, dup := seen[s]; dup {
			t.Fatalf("fields %d and %d are both %q", int(g), int(f), s)
		}
		seen[s] = f
	}
	if got := backend.Field(0).String(); got != "field 0" {
		t.Fatalf("Field(0).String() = %q", got)
	}
}

// TestCheckRootKey: the syntax check accepts what Open accepts and refuses
// schemes this build does not register, without repeating the key.
func TestCheckRootKey(t *testing.T) {
	t.Parallel()
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, backend.KeySize))
	for _, ok := range []string{key, " " + key + "\n", "base64key://" + key, "BASE64KEY://" + key, "awskms://alias/x?region=eu-west-1", "gcpkms://projects/p/locations/l/keyRings/r/cryptoKeys/k", "azurekeyvault://v.vault.azure.net/keys/k"} {
		if err := backend.CheckRootKey(backend.FieldRootKey, 0, ok); err != nil {
			t.Fatalf("CheckRootKey(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "   ", "hashivault://transit/k", "base64key://", key[:20], "base64key://" + key[:20], "awskms://%zz" + key} {
		err := backend.CheckRootKey(backend.FieldPreviousRootKey, 3, bad)
		var ve *backend.ValidationError
		if !errors.As(err, &ve) || ve.Field != backend.FieldPreviousRootKey || ve.Index != 3 {
			t.Fatalf("CheckRootKey(%q) = %v, want a ValidationError on previous root key 4", bad, err)
		}
		if strings.Contains(err.Error(), key[:20]) {
			t.Fatalf("CheckRootKey(%q): the error repeats the key: %v", bad, err)
		}
	}
	for _, s := range backend.KeeperSchemes() {
		if s == "hashivault" {
			t.Fatalf("KeeperSchemes() lists hashivault, which this build does not register")
		}
	}
}

// TestRedactURL: what errors may show of a URL keeps no credentials.
func TestRedactURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"s3://user:pw@bucket/dir?X-Amz-Signature=sig#frag": "s3://bucket/dir",
		"file:///var/lib/store":                            "file:///var/lib/store",
		"mem://":                                           "mem://",
		"s3://bucket/%zz":                                  "<unparsable URL>",
	} {
		if got := backend.RedactURL(in); got != want {
			t.Fatalf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
	raw := "s3://user:pw@bucket/dir?sig=abc"
	msg := backend.RedactURLText("cannot open "+raw+": denied", raw)
	if msg != "cannot open s3://bucket/dir: denied" {
		t.Fatalf("RedactURLText = %q", msg)
	}
	if got := backend.RedactURLText("nothing to hide", ""); got != "nothing to hide" {
		t.Fatalf("RedactURLText with an empty URL = %q", got)
	}
}

// TestOperations: Operations lists every operation once, with the stored
// spelling of the rewrap operation.
func TestOperations(t *testing.T) {
	t.Parallel()
	if backend.OpKeyVersionRewrapped != "key_version_rewrapped" {
		t.Fatalf("OpKeyVersionRewrapped = %q", backend.OpKeyVersionRewrapped)
	}
	seen := map[string]bool{}
	for _, op := range backend.Operations {
		if seen[op] {
			t.Fatalf("operation %q listed twice", op)
		}
		seen[op] = true
	}
	if len(seen) != 10 || !seen[backend.OpKeyVersionRewrapped] || !seen[backend.OpPurged] || !seen[backend.OpKeyVersionReactivated] {
		t.Fatalf("Operations = %v", backend.Operations)
	}
}
