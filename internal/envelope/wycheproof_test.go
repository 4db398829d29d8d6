// SPDX-License-Identifier: MPL-2.0

package envelope

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"testing"

	"github.com/c2sp/wycheproof"
)

// wycheproofAEAD mirrors the parts of Wycheproof's aead_test_schema_v1.json
// that this test reads.
type wycheproofAEAD struct {
	Algorithm  string `json:"algorithm"`
	TestGroups []struct {
		KeySize int `json:"keySize"`
		IVSize  int `json:"ivSize"`
		TagSize int `json:"tagSize"`
		Tests   []struct {
			TCID    int      `json:"tcId"`
			Comment string   `json:"comment"`
			Flags   []string `json:"flags"`
			Key     string   `json:"key"`
			IV      string   `json:"iv"`
			AAD     string   `json:"aad"`
			Msg     string   `json:"msg"`
			CT      string   `json:"ct"`
			Tag     string   `json:"tag"`
			Result  string   `json:"result"`
		} `json:"tests"`
	} `json:"testGroups"`
}

// TestWycheproofAESGCM drives sealBox and openBox, the package's only
// AES-GCM paths, with every Wycheproof vector in the parameters the format
// uses: 256-bit keys, 96-bit nonces, 128-bit tags.
func TestWycheproofAESGCM(t *testing.T) {
	raw, err := fs.ReadFile(wycheproof.TestVectors, "aes_gcm_test.json")
	if err != nil {
		t.Fatal(err)
	}
	var file wycheproofAEAD
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if file.Algorithm != "AES-GCM" {
		t.Fatalf("algorithm %q, want AES-GCM", file.Algorithm)
	}
	unhex := func(t *testing.T, s string) []byte {
		t.Helper()
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var valid, invalid int
	for _, g := range file.TestGroups {
		if g.KeySize != 8*KeySize || g.IVSize != 8*NonceSize || g.TagSize != 8*TagSize {
			continue
		}
		for _, tc := range g.Tests {
			key, iv, aad := unhex(t, tc.Key), unhex(t, tc.IV), unhex(t, tc.AAD)
			msg, ct, tag := unhex(t, tc.Msg), unhex(t, tc.CT), unhex(t, tc.Tag)
			box := append(append(bytes.Clone(iv), ct...), tag...)

			pt, err := openBox(key, box, aad)
			switch tc.Result {
			case "valid", "acceptable":
				valid++
				if err != nil {
					t.Errorf("tcId %d (%s %v): open: %v", tc.TCID, tc.Comment, tc.Flags, err)
					continue
				}
				if !bytes.Equal(pt, msg) {
					t.Errorf("tcId %d: plaintext %x, want %x", tc.TCID, pt, msg)
				}
				sealed, err := sealBox(key, iv, msg, aad)
				if err != nil {
					t.Errorf("tcId %d: seal: %v", tc.TCID, err)
					continue
				}
				if !bytes.Equal(sealed, box) {
					t.Errorf("tcId %d: sealed %x, want %x", tc.TCID, sealed, box)
				}
			case "invalid":
				invalid++
				if err == nil || pt != nil {
					t.Errorf("tcId %d (%s %v): invalid vector opened to %x", tc.TCID, tc.Comment, tc.Flags, pt)
				} else if !errors.Is(err, ErrIntegrity) {
					t.Errorf("tcId %d: error %v, want ErrIntegrity", tc.TCID, err)
				}
			default:
				t.Fatalf("tcId %d: unknown result %q", tc.TCID, tc.Result)
			}
		}
	}
	if valid == 0 || invalid == 0 {
		t.Fatalf("ran %d valid and %d invalid vectors; the vector file no longer matches the filter", valid, invalid)
	}
	t.Logf("%d valid and %d invalid AES-256-GCM vectors", valid, invalid)
}
