package backend_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

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

func testTamper(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	ctx := h.Ctx
	h.CreateKV(1)
	h.Put(backend.PutInput{Namespace: "tp", Name: "a", Value: backendtest.RandomBytes(1024)})
	h.PutValue("tp", "b", "bee")
	h.PutValue("tp2", "a", "other namespace")
	va := backendtest.RandomBytes(1024)
	snap := backendtest.RawObjects(t, h.Tg.Raw)
	h.Put(backend.PutInput{Namespace: "tp", Name: "a", Value: va, SetMetadata: true, Metadata: map[string]string{"m": "1"}})
	key := backendtest.LargestNew(t, snap, backendtest.RawObjects(t, h.Tg.Raw))
	orig := backendtest.ReadRaw(t, h.Tg.Raw, key)

	for what, bad := range tamperings(orig) {
		backendtest.WriteRaw(t, h.Tg.Raw, key, bad)
		s := h.Fresh()
		_, err := s.Get(ctx, "tp", "a", backend.GetOptions{})
		if err == nil || errors.Is(err, backend.ErrNotFound) || !(errors.Is(err, backend.ErrIntegrity) || errors.Is(err, backend.ErrUnsupportedFormat)) {
			t.Fatalf("%s: Get of the tampered secret = %v; want an integrity (or unsupported format) error", what, err)
		}
		if ok, _ := s.Has(ctx, "tp", "a"); ok {
			t.Fatalf("%s: Has reports the tampered secret as readable", what)
		}
		h.ExpectValue(s, "tp", "b", []byte("bee"))
		h.ExpectValue(s, "tp2", "a", []byte("other namespace"))
		if old := h.Get(s, "tp", "a", 1); len(old.Value) != 1024 {
			t.Fatalf("%s: revision 1 unreadable", what)
		}
	}
	backendtest.WriteRaw(t, h.Tg.Raw, key, orig)
	h.ExpectValue(h.Fresh(), "tp", "a", va)

	// An object moved from another secret's key fails too.
	snap = backendtest.RawObjects(t, h.Tg.Raw)
	h.Put(backend.PutInput{Namespace: "tp", Name: "b", Value: backendtest.RandomBytes(1024)})
	bKey := backendtest.LargestNew(t, snap, backendtest.RawObjects(t, h.Tg.Raw))
	bOrig := backendtest.ReadRaw(t, h.Tg.Raw, bKey)
	backendtest.WriteRaw(t, h.Tg.Raw, bKey, orig)
	_, err := h.Fresh().Get(ctx, "tp", "b", backend.GetOptions{})
	if err == nil || errors.Is(err, backend.ErrNotFound) || !errors.Is(err, backend.ErrIntegrity) {
		t.Fatalf("Get of b holding a's revision object = %v; want an integrity error", err)
	}
	h.ExpectValue(h.Fresh(), "tp", "a", va)
	backendtest.WriteRaw(t, h.Tg.Raw, bKey, bOrig)
}

func testTamperEvents(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	ctx := h.Ctx
	h.CreateKV(1)
	a := h.PutValue("ev", "a", "va")
	b := h.PutValue("ev", "b", "vb")
	h.Clock.Advance(time.Second)
	snap := backendtest.RawObjects(t, h.Tg.Raw)
	if err := h.S.RecordRead(ctx, a); err != nil {
		t.Fatalf("RecordRead: %v", err)
	}
	mid := backendtest.RawObjects(t, h.Tg.Raw)
	aKeys := backendtest.NewObjects(snap, mid)
	h.Clock.Advance(time.Second)
	if err := h.S.RecordRead(ctx, b); err != nil {
		t.Fatalf("RecordRead: %v", err)
	}
	bKeys := backendtest.NewObjects(mid, backendtest.RawObjects(t, h.Tg.Raw))
	if len(aKeys) == 0 || len(aKeys) != len(bKeys) {
		t.Fatalf("a read event wrote %v, the next %v", aKeys, bKeys)
	}
	genuine := backendtest.AllEvents(t, h.Fresh(), backend.EventFilter{})

	// check returns true when tampering was reported as an integrity error,
	// and fails when altered events are returned as genuine.
	check := func(what string) bool {
		t.Helper()
		detected := false
		fresh := h.Fresh()
		for _, f := range []backend.EventFilter{{}, {Namespace: "ev"}, {Namespace: "ev", Name: "a"}, {Operations: []string{backend.OpRead}, Descending: true}} {
			f.Limit = backend.MaxEventLimit
			var got []backend.Event
			var err error
			for {
				var page backend.EventPage
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
				if !errors.Is(err, backend.ErrIntegrity) {
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
				if i := slices.IndexFunc(genuine, func(g backend.Event) bool { return g.ID == e.ID }); i < 0 || !reflect.DeepEqual(genuine[i], e) {
					t.Fatalf("%s: ListEvents returned an altered event as genuine: %+v", what, e)
				}
			}
		}
		return detected
	}
	anyDetected := false
	forged := 0
	for _, key := range aKeys {
		orig := backendtest.ReadRaw(t, h.Tg.Raw, key)
		if len(orig) == 0 {
			continue
		}
		for what, bad := range tamperings(orig) {
			backendtest.WriteRaw(t, h.Tg.Raw, key, bad)
			anyDetected = check(fmt.Sprintf("event object %s, %s", key, what)) || anyDetected
		}
		// Well-formed forgeries: only the event's MAC can tell them apart.
		forgeries := wellFormedForgeries(orig)
		for what, bad := range forgeries {
			backendtest.WriteRaw(t, h.Tg.Raw, key, bad)
			if !check(fmt.Sprintf("event object %s, %s", key, what)) {
				t.Fatalf("event object %s, %s: the forgery was not reported", key, what)
			}
		}
		if len(forgeries) > 0 {
			forged++
		}
		backendtest.WriteRaw(t, h.Tg.Raw, key, orig)
	}
	// Replaying another event's object under this key is a forgery.
	for i, key := range aKeys {
		orig := backendtest.ReadRaw(t, h.Tg.Raw, key)
		backendtest.WriteRaw(t, h.Tg.Raw, key, backendtest.ReadRaw(t, h.Tg.Raw, bKeys[i]))
		check(fmt.Sprintf("event object %s replaced by %s", key, bKeys[i]))
		backendtest.WriteRaw(t, h.Tg.Raw, key, orig)
	}
	if !anyDetected {
		t.Fatalf("no tampering of the read event's objects %v was reported", aKeys)
	}
	t.Logf("well-formed forgeries tried on %d of %d event objects", forged, len(aKeys))
	if check("restored") {
		t.Fatalf("restored events still reported as tampered")
	}
}
