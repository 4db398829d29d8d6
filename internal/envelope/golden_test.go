// SPDX-License-Identifier: MPL-2.0

package envelope

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "write missing golden records in testdata/golden (existing ones are never rewritten)")

const goldenDir = "testdata/golden"

// goldenCase is one pinned record: <name>.rec holds the encoded bytes and
// <name>.json this description of what they must decode and open to.
type goldenCase struct {
	KEK       string `json:"kek"`       // hex
	Plaintext string `json:"plaintext"` // hex
	Header    Header `json:"header"`
}

// goldenSpecs are the records the generator writes. Once written, the files
// are the contract: format version 1 must open them byte-exactly forever, so
// -update only adds missing files and never regenerates existing ones.
var goldenSpecs = map[string]struct {
	h         Header
	plaintext []byte
}{
	"v1-metadata": {
		h: Header{
			Namespace: "acme:production", Name: "db-password",
			Revision: 3, KeyVersion: 2,
			CreatedAt: 1767225600000000000, UpdatedAt: 1767312000123456789,
			Metadata: map[string]string{"owner": "team-alpha", "rotation": "90d", "": "empty key"},
		},
		plaintext: []byte("correct horse battery staple"),
	},
	"v1-expiry": {
		h: Header{
			Namespace: "team-alpha:testing", Name: "api-token",
			Revision: 1, KeyVersion: 1,
			CreatedAt: 1767225600000000000, UpdatedAt: 1767225600000000000,
			ExpiresAt: 1798761600000000000,
		},
		plaintext: []byte("tok_3f9a1c"),
	},
	"v1-tombstone": {
		h: Header{
			Namespace: "acme:production", Name: "db-password",
			Revision: 4, KeyVersion: 2, Tombstone: true,
			CreatedAt: 1767225600000000000, UpdatedAt: 1767398400000000000,
		},
		plaintext: []byte{},
	},
	"v1-empty-value": {
		h: Header{
			Namespace: "acme:staging", Name: "feature-flag",
			Revision: 1, KeyVersion: 7,
			CreatedAt: -1, UpdatedAt: 0,
		},
		plaintext: []byte{},
	},
	"v1-binary": {
		h: Header{
			Namespace: "ünïcode:ns", Name: strings.Repeat("n", MaxNameLen),
			Revision: 1<<64 - 1, KeyVersion: 1<<32 - 1,
			CreatedAt: 1, UpdatedAt: 2, ExpiresAt: 3,
			Metadata: map[string]string{"b": "\x00\u00ff\n", "a": ""},
		},
		plaintext: allBytes(),
	},
}

func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// loadGolden returns every pinned record, keyed by name.
func loadGolden(t testing.TB) map[string]struct {
	c   goldenCase
	rec []byte
} {
	t.Helper()
	out := map[string]struct {
		c   goldenCase
		rec []byte
	}{}
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		var c goldenCase
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		rec, err := os.ReadFile(filepath.Join(goldenDir, name+".rec"))
		if err != nil {
			t.Fatal(err)
		}
		out[name] = struct {
			c   goldenCase
			rec []byte
		}{c, rec}
	}
	return out
}

func writeGolden(t *testing.T) {
	if err := os.MkdirAll(goldenDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, spec := range goldenSpecs {
		recPath := filepath.Join(goldenDir, name+".rec")
		if _, err := os.Stat(recPath); err == nil {
			continue
		}
		kek, err := NewKey()
		if err != nil {
			t.Fatal(err)
		}
		rec, err := Seal(kek, spec.h, spec.plaintext)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		desc, err := json.MarshalIndent(goldenCase{
			KEK:       hex.EncodeToString(kek),
			Plaintext: hex.EncodeToString(spec.plaintext),
			Header:    spec.h,
		}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(goldenDir, name+".json"), append(desc, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(recPath, rec, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", recPath)
	}
}

// sameHeader compares headers, treating nil and empty metadata as equal.
func sameHeader(a, b Header) bool {
	if len(a.Metadata) == 0 && len(b.Metadata) == 0 {
		a.Metadata, b.Metadata = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

// TestGolden opens the pinned records of testdata/golden byte-exactly. With
// -update it first writes any that are missing.
func TestGolden(t *testing.T) {
	if *update {
		writeGolden(t)
	}
	golden := loadGolden(t)
	for name := range goldenSpecs {
		if _, ok := golden[name]; !ok {
			t.Errorf("golden record %s missing; run go test -run TestGolden -update", name)
		}
	}
	for name, g := range golden {
		t.Run(name, func(t *testing.T) {
			kek, err := hex.DecodeString(g.c.KEK)
			if err != nil {
				t.Fatal(err)
			}
			want, err := hex.DecodeString(g.c.Plaintext)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(g.rec, []byte("SSEV\x01")) {
				t.Fatalf("record starts %x, want magic and version 1", g.rec[:min(5, len(g.rec))])
			}

			rec, err := Decode(g.rec)
			if err != nil {
				t.Fatal(err)
			}
			if !sameHeader(rec.Header, g.c.Header) {
				t.Errorf("decoded header %+v, want %+v", rec.Header, g.c.Header)
			}
			again, err := encodeRecord(&rec.Header, sortedKeys(rec.Header.Metadata), rec.WrappedDEK, rec.Ciphertext)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, g.rec) {
				t.Errorf("re-encoding differs:\n got %x\nwant %x", again, g.rec)
			}

			h, pt, err := Open(kek, g.rec)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pt, want) {
				t.Errorf("plaintext %x, want %x", pt, want)
			}
			if !sameHeader(h, g.c.Header) {
				t.Errorf("opened header %+v, want %+v", h, g.c.Header)
			}
			vh, err := Verify(kek, g.rec)
			if err != nil {
				t.Fatal(err)
			}
			if !sameHeader(vh, g.c.Header) {
				t.Errorf("verified header %+v, want %+v", vh, g.c.Header)
			}
			if spec, ok := goldenSpecs[name]; ok && !sameHeader(g.c.Header, spec.h) {
				t.Errorf("pinned header %+v differs from spec %+v", g.c.Header, spec.h)
			}
		})
	}
}
