// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
)

// storeConfig is a key version and two secrets (one with value_wo) in ts.
func storeConfig(ts testStore) string {
	return ts.providerBlock("") + `
resource "secretstore_key_version" "v1" {
  version = 1
}

resource "secretstore_secret" "a" {
  namespace       = "app:test"
  name            = "a"
  value           = "alpha"
  min_key_version = secretstore_key_version.v1.version
}

resource "secretstore_secret" "b" {
  namespace        = "app:test"
  name             = "b"
  value_wo         = "bravo"
  value_wo_version = 1
  min_key_version  = secretstore_key_version.v1.version
}
`
}

// fileState is what a directory tree shows of its files and directories:
// each path with its size, mode and modification time.
type fileState struct {
	Size  int64
	Mode  fs.FileMode
	MTime time.Time
}

// snapshotDir records every file and directory below dir (dir itself
// included); a directory that does not exist gives nil.
func snapshotDir(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	out := map[string]fileState{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = fileState{Size: fi.Size(), Mode: fi.Mode(), MTime: fi.ModTime()}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", dir, err)
	}
	return out
}

// diffSnapshots names the paths added, removed or changed from a to b.
func diffSnapshots(a, b map[string]fileState) []string {
	var out []string
	for p, s := range b {
		if old, ok := a[p]; !ok {
			out = append(out, "added "+p)
		} else if old != s {
			out = append(out, "changed "+p)
		}
	}
	for p := range a {
		if _, ok := b[p]; !ok {
			out = append(out, "removed "+p)
		}
	}
	slices.Sort(out)
	return out
}

// TestAccPlanCreatesNoStore: a plan against a file:// URL whose directory
// does not exist (a mistyped path) creates neither the directory nor any
// object, and plans the creates; the apply then creates the store.
func TestAccPlanCreatesNoStore(t *testing.T) {
	parent := filepath.Join(t.TempDir(), "typo")
	ts := testStore{URL: fileURL(filepath.Join(parent, "store")), RootKey: randomKey(t)}
	expectAbsent := func() {
		if _, err := os.Stat(parent); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("the plan created %s (stat: %v)", parent, err)
		}
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{
				PreConfig:          expectAbsent,
				Config:             storeConfig(ts),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				PreConfig: expectAbsent,
				Config:    storeConfig(ts),
				Check: func(*terraform.State) error {
					s := ts.open(t)
					kvs, err := s.KeyVersions(t.Context())
					if err != nil || len(kvs) != 1 {
						t.Fatalf("after the apply: key versions %+v, %v", kvs, err)
					}
					if _, err := s.Head(t.Context(), "app:test", "b"); err != nil {
						t.Fatalf("after the apply: secret b: %v", err)
					}
					return nil
				},
			},
		},
	})
}

// TestAccPlanWritesNothing: a refresh and plan against an existing store,
// with and without changes to plan, leave every file and directory of the
// store as it was: no new, deleted or rewritten object, no probe.
func TestAccPlanWritesNothing(t *testing.T) {
	ts := newTestStore(t)
	var before map[string]fileState
	snapshot := func() { before = snapshotDir(t, ts.dir()) }
	unchanged := func() {
		if diff := diffSnapshots(before, snapshotDir(t, ts.dir())); len(diff) > 0 {
			t.Fatalf("the plan changed the store directory: %v", diff)
		}
	}
	changed := storeConfig(ts) + `
resource "secretstore_secret" "c" {
  namespace       = "app:test"
  name            = "c"
  value           = "charlie"
  min_key_version = secretstore_key_version.v1.version
}
`
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{Config: storeConfig(ts)},
			{PreConfig: snapshot, Config: storeConfig(ts), PlanOnly: true},
			{PreConfig: func() { unchanged(); snapshot() }, Config: changed, PlanOnly: true, ExpectNonEmptyPlan: true},
			{PreConfig: unchanged, Config: storeConfig(ts), PlanOnly: true},
		},
	})
	if len(before) < 2 {
		t.Fatalf("the snapshot of the store directory holds no object: %v", before)
	}
}

// TestAccStoreMissingWithState: when the state holds secrets and key
// versions but the URL leads to no store (another URL, or the store moved
// away), the plan fails naming the URL (without its query) instead of
// planning to create everything anew in an empty place.
func TestAccStoreMissingWithState(t *testing.T) {
	ts := newTestStore(t)
	elsewhereDir := filepath.Join(t.TempDir(), "elsewhere")
	elsewhere := testStore{URL: fileURL(elsewhereDir) + "?create_dir=1", RootKey: ts.RootKey}
	missing := func(url string) *regexp.Regexp {
		return wrappedRe(`Secret store not found.*There is no secret store at ` + regexp.QuoteMeta(url) +
			` \(the bucket or directory holds no store header\), yet the state holds (secret|key version).*Is this the right store\?`)
	}
	moved := ts.dir() + "-moved"
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{Config: storeConfig(ts)},
			{
				Config:      storeConfig(elsewhere),
				PlanOnly:    true,
				ExpectError: missing(fileURL(elsewhereDir)), // without the query
			},
			{
				PreConfig: func() {
					if err := os.Rename(ts.dir(), moved); err != nil {
						t.Fatal(err)
					}
				},
				Config:      storeConfig(ts),
				PlanOnly:    true,
				ExpectError: missing(ts.URL),
			},
			{
				PreConfig: func() {
					if _, err := os.Stat(ts.dir()); !errors.Is(err, fs.ErrNotExist) {
						t.Fatalf("the failed plan created %s (stat: %v)", ts.dir(), err)
					}
					if err := os.Rename(moved, ts.dir()); err != nil {
						t.Fatal(err)
					}
				},
				Config:   storeConfig(ts),
				PlanOnly: true,
			},
		},
	})
	if _, err := os.Stat(elsewhereDir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the failed plan created the other directory (stat: %v)", err)
	}
}

// TestAccSecretDataSource_storeMissing: reading a secret from a URL that
// holds no store says so, names the URL and creates nothing.
func TestAccSecretDataSource_storeMissing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "typo")
	ts := testStore{URL: fileURL(dir), RootKey: randomKey(t)}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{{
			Config: ts.providerBlock("") + `
data "secretstore_secret" "a" {
  namespace = "app:test"
  name      = "a"
}
`,
			PlanOnly: true,
			ExpectError: wrappedRe(`Secret store not found.*There is no secret store at ` + regexp.QuoteMeta(ts.URL) +
				` .*yet this configuration reads secret "app:test/a"`),
		}},
	})
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the read created %s (stat: %v)", dir, err)
	}
}

// TestPlanStoreMissingWithoutRefresh: with -refresh=false Terraform reads
// nothing before the plan, so ModifyPlan itself refuses a key version or
// secret in state when the store does not exist (an update or a destroy).
func TestPlanStoreMissingWithoutRefresh(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "typo")
	ts := testStore{URL: fileURL(dir), RootKey: randomKey(t)}
	p := newConfiguredProto(t, ts, nil, nil)
	for _, tc := range []struct {
		typeName string
		attrs    map[string]tftypes.Value
		want     string
	}{
		{"secretstore_key_version", map[string]tftypes.Value{
			"id": tfString("1"), "version": tftypes.NewValue(tftypes.Number, 1), "rewrap": tftypes.NewValue(tftypes.Bool, true),
		}, "the state holds key version 1"},
		{"secretstore_secret", map[string]tftypes.Value{
			"id": tfString("app:test/a"), "namespace": tfString("app:test"), "name": tfString("a"), "value": tfString("alpha"),
		}, `the state holds secret "app:test/a"`},
	} {
		typ := p.schema.ResourceSchemas[tc.typeName].ValueType()
		nullValue, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, nil))
		if err != nil {
			t.Fatal(err)
		}
		prior := p.value(typ, tc.attrs)
		for _, planned := range []*tfprotov6.DynamicValue{prior, &nullValue} {
			config := prior
			if planned == &nullValue {
				config = &nullValue
			}
			resp, err := p.server.PlanResourceChange(t.Context(), &tfprotov6.PlanResourceChangeRequest{
				TypeName: tc.typeName, PriorState: prior, ProposedNewState: planned, Config: config,
			})
			if err != nil {
				t.Fatal(err)
			}
			text := diagnosticsText(resp.Diagnostics)
			if !hasError(resp.Diagnostics) || !strings.Contains(text, "Secret store not found") ||
				!strings.Contains(text, ts.URL) || !strings.Contains(text, tc.want) {
				t.Errorf("%s: plan (destroy: %t) in a missing store: %s", tc.typeName, planned == &nullValue, text)
			}
		}
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the plans created %s (stat: %v)", dir, err)
	}
}
