// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
)

func TestLayoutRoundTrip(t *testing.T) {
	names := []string{"a", "OPENAI_API_KEY", "db.password", "ünïcode→名前", strings.Repeat("n", 125), strings.Repeat("n", 126), strings.Repeat("m", MaxNameLen)}
	namespaces := []string{"a", "acme:production", "team-alpha:testing", "ünïcode", strings.Repeat("n", MaxNamespaceLen)}
	for _, ns := range namespaces {
		for _, name := range names {
			dir := secretDir(ns, name)
			for _, seg := range strings.Split(strings.TrimSuffix(dir, "/"), "/") {
				if len(seg) > 255 || seg == "" {
					t.Fatalf("%s/%s: segment of %d bytes in %s", ns, name, len(seg), dir)
				}
			}
			for _, rev := range []int64{1, 2, 1 << 40, math.MaxInt64} {
				sk, ok := parseSecretKey(recordKey(dir, rev))
				if !ok || sk.Namespace != ns || sk.Name != name || sk.Revision != rev || sk.Marker != nil || sk.Dir != dir {
					t.Fatalf("record key of %s/%s@%d parses as %+v, %v", ns, name, rev, sk, ok)
				}
				m := marker{KeyVersion: math.MaxUint32, Written: 1700000000123456789, Expires: 0, Flag: flagTombstone}
				sk, ok = parseSecretKey(markerKey(dir, rev, m))
				if !ok || sk.Marker == nil || *sk.Marker != m || sk.Revision != rev {
					t.Fatalf("marker key of %s/%s@%d parses as %+v, %v", ns, name, rev, sk, ok)
				}
			}
		}
	}
	// Keys every parser must refuse: what the store never writes.
	dir := secretDir("ns", "a")
	for _, k := range []string{
		dir + "r" + invert(1) + ".1234.tmp",
		dir + "r" + invert(0),
		dir + "r" + strings.ToUpper(invert(1)[:19]) + "x",
		dir + "x" + invert(1),
		prefixSecrets + "NS/" + encodeNamePrefix("a") + "/r" + invert(1),
		prefixSecrets + encodeNamespace("ns") + "/6G/r" + invert(1),
		prefixSecrets + encodeNamespace("ns") + "/616/r" + invert(1),
		dir + "r" + invert(1) + "_1_2_3_z",
		dir + "r" + invert(1) + "_0_2_3_a",
		dir + "r" + invert(1) + "_1_-2_3_a",
	} {
		if sk, ok := parseSecretKey(k); ok {
			t.Fatalf("%q parses as %+v", k, sk)
		}
	}
	// Newest first.
	if !(invert(10) < invert(9) && invert(2) < invert(1)) {
		t.Fatal("inverted revisions do not sort newest first")
	}
	for _, s := range []string{encodeNamespace("a-b"), encodeNamePrefix("app-2"), invert(7), markerKey("", 7, marker{KeyVersion: 1, Flag: flagLive})} {
		for _, c := range s {
			if c <= '/' || c >= 'A' && c <= 'Z' {
				t.Fatalf("%q contains %q, which sorts at or below '/' or is uppercase", s, c)
			}
		}
	}
}

func TestAuditKeysRoundTrip(t *testing.T) {
	at := time.Date(2025, 11, 26, 23, 59, 59, 999999999, time.UTC).UnixNano()
	id := newID()
	single := auditEventKey(auditSecretIndex("ns", "name"), at, id, OpKeyVersionRewrapped)
	it, ok := parseAuditKey(single)
	if !ok || it.Batch || it.Min != at || it.ID != id || it.Op != OpKeyVersionRewrapped {
		t.Fatalf("%s parses as %+v, %v", single, it, ok)
	}
	batch := auditBatchKey(auditNamespaceIndex("ns"), OpRotated, at-5, at, 17, id)
	it, ok = parseAuditKey(batch)
	if !ok || !it.Batch || it.Min != at-5 || it.Max != at || it.Count != 17 || it.Op != OpRotated {
		t.Fatalf("%s parses as %+v, %v", batch, it, ok)
	}
	// An entry whose times fall outside its day directory is refused.
	next := at + 1
	bad := strings.Replace(auditBatchKey(prefixAuditO, OpRotated, at, at, 1, id), fmt.Sprintf("%020d_%020d", at, at), fmt.Sprintf("%020d_%020d", at, next), 1)
	if _, ok := parseAuditKey(bad); ok {
		t.Fatalf("%s spans two days but parses", bad)
	}
	if _, ok := parseAuditKey(strings.Replace(batch, OpRotated, "bogus", 1)); ok {
		t.Fatal("a batch under an unknown operation parses")
	}
}

// TestFileblobListingOrder writes the store's keys for secrets whose raw
// names are the known trouble for fileblob (a directory name that is a
// prefix of a sibling whose next character sorts below '/': "app" and
// "app-2", namespaces "a" and "a-b") and checks that every listing the
// store makes returns every key, once, in order, at every page size.
func TestFileblobListingOrder(t *testing.T) {
	ctx := context.Background()
	b, err := fileblob.OpenBucket(t.TempDir(), &fileblob.Options{Metadata: fileblob.MetadataDontWrite, NoTempDir: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var all []string
	secrets := map[string][]string{}
	for _, ns := range []string{"a", "a-b", "a.b", "a:b", "a_b", "ab"} {
		for _, name := range []string{"app", "app-2", "app.x", "app_3", "apps", "ap", strings.Repeat("q", 125), strings.Repeat("q", 125) + "-", strings.Repeat("q", 126)} {
			dir := secretDir(ns, name)
			for rev := int64(1); rev <= 3; rev++ {
				for _, k := range []string{recordKey(dir, rev), markerKey(dir, rev, marker{KeyVersion: 1, Written: rev, Flag: flagLive})} {
					if err := b.WriteAll(ctx, k, nil, nil); err != nil {
						t.Fatal(err)
					}
					all = append(all, k)
					secrets[dir] = append(secrets[dir], k)
				}
			}
		}
	}
	sort.Strings(all)
	list := func(prefix string, pageSize int) []string {
		var out []string
		token := blob.FirstPageToken
		for {
			objs, next, err := b.ListPage(ctx, token, pageSize, &blob.ListOptions{Prefix: prefix})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				out = append(out, o.Key)
			}
			if len(next) == 0 {
				return out
			}
			token = next
		}
	}
	for _, size := range []int{1, 2, 3, 7, 1000} {
		if got := list(prefixSecrets, size); !slices.Equal(got, all) {
			t.Fatalf("page size %d: listing returned %d keys, want %d in order", size, len(got), len(all))
		}
	}
	for dir, keys := range secrets {
		sort.Strings(keys)
		got := list(dir+"r", 1)
		if !slices.Equal(got, keys) {
			t.Fatalf("listing %s returned %v, want %v", dir, got, keys)
		}
		if sk, _ := parseSecretKey(got[0]); sk.Revision != 3 || sk.Marker != nil {
			t.Fatalf("first key of %s is %s, not the newest record", dir, got[0])
		}
	}
	// A name prefix is a key prefix: "app" finds app, app-2, app.x, app_3
	// and apps, in one namespace only.
	var names []string
	for _, k := range list(namespaceDir("a")+encodeNamePrefix("app"), 2) {
		if sk, ok := parseSecretKey(k); ok && sk.Marker == nil && sk.Revision == 1 {
			names = append(names, sk.Name)
		}
	}
	sort.Strings(names)
	if !slices.Equal(names, []string{"app", "app-2", "app.x", "app_3", "apps"}) {
		t.Fatalf("name prefix app lists %v", names)
	}
}
