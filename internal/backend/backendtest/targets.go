// SPDX-License-Identifier: MPL-2.0

package backendtest

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gocloud.dev/blob"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// EnvBucketURL names an extra bucket (any gocloud.dev URL) that the
// conformance suite runs against when set. Each test uses its own random
// prefix inside it and removes what it wrote.
const EnvBucketURL = "SECRETSTORE_TEST_BUCKET_URL"

// Target is one empty bucket a store under test lives in: the Options
// that open the store on it and an independent raw handle on the same
// objects, used to inspect and tamper with what the store wrote.
type Target struct {
	Opts   backend.Options // Bucket or BucketURL set, and the store options the target needs
	Raw    *blob.Bucket
	Dir    string       // the directory of a file:// target, else ""
	Faults *FaultBucket // what Opts.Bucket goes through on a Faulty target, else nil
}

// NewTarget creates one empty Target that lives until the test ends.
type NewTarget func(t testing.TB) Target

// TargetKind names a NewTarget for subtest names.
type TargetKind struct {
	Name string
	New  NewTarget
}

// TargetKinds lists every bucket the conformance suite runs against:
// mem://, file://, S3 through gofakes3, GCS through fake-gcs-server and
// Azure Blob through Azurite, each on loopback, and, when set, the bucket
// named by EnvBucketURL.
func TargetKinds() []TargetKind {
	kinds := []TargetKind{
		{"mem", Mem},
		{"file", File},
		{"s3fake", S3},
		{"gcsfake", GCS},
		{"azurite", Azure},
	}
	if os.Getenv(EnvBucketURL) != "" {
		kinds = append(kinds, TargetKind{"env", Env})
	}
	return kinds
}

// UnitTargetKinds lists the buckets that tests of one store rule run on:
// mem:// and a file:// directory opened by URL (so that the store's own
// file writer is used), whose raw handle writes no attribute sidecars.
func UnitTargetKinds() []TargetKind {
	return []TargetKind{{"mem", Mem}, {"file", FileSkipMetadata}}
}

// OpenRaw opens u as a plain bucket, closed when the test ends.
func OpenRaw(t testing.TB, u string) *blob.Bucket {
	t.Helper()
	b, err := blob.OpenBucket(context.Background(), u)
	if err != nil {
		t.Fatalf("opening raw bucket %q: %v", u, err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// FileURL is the file:// URL of dir.
func FileURL(dir string) string {
	return "file://" + filepath.ToSlash(dir)
}

// Mem is a new mem:// bucket; the store and the raw handle share it.
func Mem(t testing.TB) Target {
	b := OpenRaw(t, "mem://")
	return Target{Opts: backend.Options{Bucket: b}, Raw: b}
}

// File is a new directory opened by file:// URL.
func File(t testing.TB) Target {
	dir := t.TempDir()
	u := FileURL(dir)
	return Target{Opts: backend.Options{BucketURL: u}, Raw: OpenRaw(t, u), Dir: dir}
}

// FileSkipMetadata is File with a raw handle that reads and writes no
// attribute sidecars (?metadata=skip), as the store's own writer.
func FileSkipMetadata(t testing.TB) Target {
	dir := t.TempDir()
	return Target{Opts: backend.Options{BucketURL: FileURL(dir)}, Raw: OpenRaw(t, FileURL(dir)+"?metadata=skip"), Dir: dir}
}

// Faulty is a new mem:// bucket that the store reaches through a
// FaultBucket (Target.Faults) and opens with Concurrency 4; Raw is the
// bucket itself, without faults.
func Faulty(t testing.TB) Target {
	inner := OpenRaw(t, "mem://")
	fb, b := NewFaultBucket(inner)
	return Target{Opts: backend.Options{Bucket: b, Concurrency: 4}, Raw: inner, Faults: fb}
}

// S3 is a new bucket on a new FakeS3.
func S3(t testing.TB) Target {
	u := NewFakeS3(t).NewBucketURL(t)
	return Target{Opts: backend.Options{BucketURL: u}, Raw: OpenRaw(t, u)}
}

// GCS is a new bucket on a new FakeGCS.
func GCS(t testing.TB) Target {
	f := NewFakeGCS(t)
	name := f.NewBucketName()
	return Target{Opts: backend.Options{Bucket: f.OpenBucket(t, name)}, Raw: f.OpenBucket(t, name)}
}

// Azure is a new container on the SharedAzurite; the test is skipped (or
// fails under EnvRequireEmulators) when Azurite is not installed.
func Azure(t testing.TB) Target {
	a := SharedAzurite(t)
	name := a.NewContainer(t)
	return Target{Opts: backend.Options{Bucket: a.OpenBucket(t, name)}, Raw: a.OpenBucket(t, name)}
}

// Env is a new random prefix in the bucket named by EnvBucketURL (a new
// directory for a file:// URL), emptied when the test ends. The test is
// skipped when EnvBucketURL is not set.
func Env(t testing.TB) Target {
	base := os.Getenv(EnvBucketURL)
	if base == "" {
		t.Skipf("%s is not set", EnvBucketURL)
	}
	prefix := "secretstore-conformance/" + RandomHex(8) + "/"
	var u, dir string
	if rest, ok := strings.CutPrefix(base, "file://"); ok {
		// The store takes no options in file:// URLs: use a new directory.
		dir = filepath.Join(filepath.FromSlash(rest), filepath.FromSlash(prefix))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatalf("creating %s: %v", dir, err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(dir) })
		u = FileURL(dir)
	} else {
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		u = base + sep + "prefix=" + url.QueryEscape(prefix)
	}
	raw := OpenRaw(t, u)
	t.Cleanup(func() {
		ctx := context.Background()
		it := raw.List(nil)
		for {
			obj, err := it.Next(ctx)
			if err != nil {
				return
			}
			_ = raw.Delete(ctx, obj.Key)
		}
	})
	return Target{Opts: backend.Options{BucketURL: u}, Raw: raw, Dir: dir}
}
