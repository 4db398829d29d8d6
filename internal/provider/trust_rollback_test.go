// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// secretFiles lists the files under the secrets tree of a file:// store
// (revision records and their markers), relative to the bucket directory.
func secretFiles(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files := map[string]bool{}
	root := filepath.Join(dir, "v1", "s")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[rel] = true
		return nil
	})
	if err != nil {
		t.Fatalf("listing %s: %v", root, err)
	}
	return files
}

// TestAccSecretResource_rollbackReusedRevision: the newest revision of a
// write-only secret is deleted from the bucket, and another workspace's
// metadata-only update then writes a revision with the same number that
// carries the older value. Refresh sees the recorded revision number, but
// not the recorded value: it reports a rollback and writes nothing.
func TestAccSecretResource_rollbackReusedRevision(t *testing.T) {
	ts := newTestStore(t)
	cfg := func(v string, version int) string {
		return ts.providerBlock("") + kvBlock + secretBlock("app:prod", "reused",
			fmt.Sprintf("  value_wo         = %q\n  value_wo_version = %d", v, version))
	}
	var before map[string]bool
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{Config: cfg("one", 1), Check: func(*terraform.State) error { before = secretFiles(t, ts.dir()); return nil }},
			{Config: cfg("two", 2), Check: checkStored(t, ts, "app:prod", "reused", "two", 2)},
			{
				PreConfig: func() {
					// Delete revision 2 (its record and marker).
					removed := 0
					for f := range secretFiles(t, ts.dir()) {
						if before[f] {
							continue
						}
						if err := os.Remove(filepath.Join(ts.dir(), f)); err != nil {
							t.Fatal(err)
						}
						removed++
					}
					if removed == 0 {
						t.Fatal("revision 2 wrote no file under v1/s")
					}
					// Another workspace relabels the secret: revision 2
					// again, with the value of revision 1.
					s := putOutOfBand(t, ts, backend.PutInput{Namespace: "app:prod", Name: "reused", SetMetadata: true, Metadata: map[string]string{"team": "other"}})
					if s.Revision != 2 {
						t.Fatalf("the out-of-band update wrote revision %d, want 2", s.Revision)
					}
				},
				Config:      cfg("two", 2),
				ExpectError: wrappedRe(`The store was rolled back.*"app:prod/reused".*revision 2`),
			},
		},
	})
}
