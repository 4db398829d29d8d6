package backend_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// Benchmarks of the store against its floor: the blob driver's own
// create-only write of the same number of small objects, measured in the
// same iteration on the same driver, so that the reported ratio (x-floor)
// survives a noisy shared machine. Run them with scripts/bench.sh (or
// `go test -run '^$' -bench . -benchtime 1x ./internal/backend`).
//
// SECRETSTORE_BENCH_N sets the number of secrets (default 10000).

const benchFloorObjectSize = 256

func benchN(b *testing.B) int {
	if v := os.Getenv("SECRETSTORE_BENCH_N"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10 {
			b.Fatalf("SECRETSTORE_BENCH_N=%q: want a number >= 10", v)
		}
		return n
	}
	return 10000
}

// benchBucket is an empty bucket of one driver: how to open a store on it
// and a raw handle on it.
type benchBucket struct {
	opts backend.Options
	raw  *blob.Bucket
	dir  string // file:// only
}

func newBenchBucket(b *testing.B, driver string) benchBucket {
	b.Helper()
	return newBenchBucketIn(b, b, driver)
}

// newBenchBucketIn is newBenchBucket with the directory of a file:// bucket
// owned by dirs (a parent benchmark, for fixtures shared by several).
func newBenchBucketIn(b *testing.B, dirs interface{ TempDir() string }, driver string) benchBucket {
	b.Helper()
	ctx := context.Background()
	switch driver {
	case "mem":
		raw, err := blob.OpenBucket(ctx, "mem://")
		if err != nil {
			b.Fatal(err)
		}
		return benchBucket{opts: backend.Options{Bucket: raw}, raw: raw}
	case "file":
		dir := dirs.TempDir()
		raw, err := blob.OpenBucket(ctx, backendtest.FileURL(dir))
		if err != nil {
			b.Fatal(err)
		}
		return benchBucket{opts: backend.Options{BucketURL: backendtest.FileURL(dir)}, raw: raw, dir: dir}
	}
	b.Fatalf("unknown driver %q", driver)
	return benchBucket{}
}

// interleaveChunks is how many alternating slices interleave splits a
// measurement into, so that the floor and the operation see the same load.
const interleaveChunks = 10

// interleave runs floorStep and opStep for j = 0..n-1, alternating chunks
// of n/interleaveChunks floor steps and operation steps, and returns the
// total time of each.
func interleave(b *testing.B, n int, floorStep, opStep func(j int)) (floor, op time.Duration) {
	b.Helper()
	chunk := max(1, n/interleaveChunks)
	for lo := 0; lo < n; lo += chunk {
		hi := min(n, lo+chunk)
		start := time.Now()
		for j := lo; j < hi; j++ {
			floorStep(j)
		}
		floor += time.Since(start)
		start = time.Now()
		for j := lo; j < hi; j++ {
			opStep(j)
		}
		op += time.Since(start)
	}
	return floor, op
}

func floorKey(i int) string { return fmt.Sprintf("floor/%08d", i) }

// writeFloorObject is one floor step: a create-only write of a small
// object.
func writeFloorObject(b *testing.B, bucket *blob.Bucket, i int) {
	if err := bucket.WriteAll(context.Background(), floorKey(i), floorPayload, floorOpts); err != nil {
		b.Fatalf("floor write %d: %v", i, err)
	}
}

var (
	floorPayload = backendtest.RandomBytes(benchFloorObjectSize)
	floorOpts    = &blob.WriterOptions{IfNotExist: true, ContentType: "application/octet-stream"}
)

// measureFloor times n create-only writes of small objects on a new bucket
// of the driver.
func measureFloor(b *testing.B, driver string, n int) time.Duration {
	b.Helper()
	bb := newBenchBucket(b, driver)
	defer bb.raw.Close()
	start := time.Now()
	for i := 0; i < n; i++ {
		writeFloorObject(b, bb.raw, i)
	}
	return time.Since(start)
}

// measureReadFloor times reading n small objects by key on the driver.
func measureReadFloor(b *testing.B, driver string, n int) time.Duration {
	b.Helper()
	ctx := context.Background()
	bb := newBenchBucket(b, driver)
	defer bb.raw.Close()
	payload := backendtest.RandomBytes(benchFloorObjectSize)
	for i := 0; i < n; i++ {
		if err := bb.raw.WriteAll(ctx, fmt.Sprintf("floor/%08d", i), payload, nil); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := bb.raw.ReadAll(ctx, fmt.Sprintf("floor/%08d", i)); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// measureListFloor times one LIST request (a page of one key, under a
// prefix that matches nothing) on bucket: the driver's fixed cost of a
// listing at this bucket size. memblob sorts every key of the bucket on
// each LIST; fileblob walks only the directory named by the prefix.
func measureListFloor(b *testing.B, bucket *blob.Bucket) time.Duration {
	b.Helper()
	const reps = 10
	start := time.Now()
	for i := 0; i < reps; i++ {
		if _, _, err := bucket.ListPage(context.Background(), blob.FirstPageToken, 1, &blob.ListOptions{Prefix: "no-such-prefix/"}); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start) / reps
}

func reportRatio(b *testing.B, op, floor time.Duration, n int) {
	b.ReportMetric(float64(op.Nanoseconds())/float64(n), "ns/secret")
	b.ReportMetric(float64(floor.Nanoseconds())/float64(n), "floor-ns/obj")
	b.ReportMetric(float64(op)/float64(floor), "x-floor")
}

// benchFixture is a store populated with n secrets (100 per namespace)
// under key version 1, one created event each, plus n/100 deletes.
type benchFixture struct {
	driver  string
	n       int
	root    string
	bb      benchBucket
	start   time.Time       // clock of the first Put; one second per Put after
	deleted int             // secrets deleted (secret-000001, -000101, ...)
	events  []backend.Event // every event, ascending; read once by allEventsOf
}

// allEventsOf returns (and keeps) every event of the fixture, the
// reference that filtered queries are checked against.
func (f *benchFixture) allEventsOf(b *testing.B) []backend.Event {
	b.Helper()
	if f.events != nil {
		return f.events
	}
	s := openBench(b, f.bb, f.root, nil)
	defer s.Close()
	filter := backend.EventFilter{Limit: backend.MaxEventLimit}
	for {
		page, err := s.ListEvents(context.Background(), filter)
		if err != nil {
			b.Fatal(err)
		}
		f.events = append(f.events, page.Events...)
		if page.NextPageToken == "" {
			return f.events
		}
		filter.PageToken = page.NextPageToken
	}
}

func matches(e backend.Event, f backend.EventFilter) bool {
	if f.Namespace != "" && e.Namespace != f.Namespace || f.Name != "" && e.Name != f.Name {
		return false
	}
	if len(f.Operations) > 0 && !slices.Contains(f.Operations, e.Operation) {
		return false
	}
	return (f.Since.IsZero() || !e.Time.Before(f.Since)) && (f.Until.IsZero() || e.Time.Before(f.Until))
}

func benchSecretID(i int) (ns, name string) {
	return fmt.Sprintf("ns-%04d", i/100), fmt.Sprintf("secret-%06d", i)
}

func newBenchFixture(b *testing.B, dirs interface{ TempDir() string }, driver string, n int) *benchFixture {
	b.Helper()
	ctx := context.Background()
	f := &benchFixture{driver: driver, n: n, root: backendtest.RandomRootKey(), bb: newBenchBucketIn(b, dirs, driver)}
	clock := backendtest.NewClock()
	f.start = clock.Now()
	o := f.bb.opts
	o.RootKey, o.Now = f.root, clock.Now
	s, err := backend.Open(ctx, o)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateKeyVersion(ctx, 1, nil); err != nil {
		b.Fatal(err)
	}
	// Writers in parallel, each its own secrets; the clock moves one
	// second per secret so that time windows select known events.
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	var mu sync.Mutex
	next := 0
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				ns, name := benchSecretID(i)
				if _, err := s.Put(ctx, backend.PutInput{Namespace: ns, Name: name, Value: backendtest.RandomBytes(64)}); err != nil {
					errs <- err
					return
				}
				clock.Advance(time.Second)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatalf("populating the fixture: %v", err)
	}
	for i := 1; i < n; i += 100 {
		ns, name := benchSecretID(i)
		if err := s.Delete(ctx, backend.DeleteInput{Namespace: ns, Name: name}); err != nil {
			b.Fatal(err)
		}
		f.deleted++
	}
	return f
}

// clone copies the fixture's objects into a new bucket of the same driver.
func (f *benchFixture) clone(b *testing.B) benchBucket {
	b.Helper()
	ctx := context.Background()
	nb := newBenchBucket(b, f.driver)
	if f.driver == "file" {
		err := filepath.WalkDir(f.bb.dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(f.bb.dir, p)
			dst := filepath.Join(nb.dir, rel)
			if d.IsDir() {
				return os.MkdirAll(dst, 0o755)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(dst, data, 0o644)
		})
		if err != nil {
			b.Fatalf("copying the fixture: %v", err)
		}
		return nb
	}
	it := f.bb.raw.List(nil)
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nb
		}
		if err != nil {
			b.Fatal(err)
		}
		attrs, err := f.bb.raw.Attributes(ctx, obj.Key)
		if err != nil {
			b.Fatal(err)
		}
		data, err := f.bb.raw.ReadAll(ctx, obj.Key)
		if err != nil {
			b.Fatal(err)
		}
		if err := nb.raw.WriteAll(ctx, obj.Key, data, &blob.WriterOptions{ContentType: attrs.ContentType, Metadata: attrs.Metadata}); err != nil {
			b.Fatal(err)
		}
	}
}

func openBench(b *testing.B, bb benchBucket, root string, now func() time.Time) *backend.Store {
	b.Helper()
	o := bb.opts
	o.RootKey, o.Now = root, now
	s, err := backend.Open(context.Background(), o)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// heapPeak samples the live heap (as marked by the latest GC, so garbage
// not yet collected does not count) while an operation runs.
type heapPeak struct {
	stop   chan struct{}
	done   chan struct{}
	base   uint64
	peak   uint64
	gcs    uint64 // GC cycles completed at the start
	cycles uint64 // GC cycles completed during the operation (each a live-heap sample)
}

const heapMetric = "/gc/heap/live:bytes"

func readHeap() uint64 {
	s := []metrics.Sample{{Name: heapMetric}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func readGCCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func startHeapPeak() *heapPeak {
	runtime.GC()
	h := &heapPeak{stop: make(chan struct{}), done: make(chan struct{}), base: readHeap(), gcs: readGCCycles()}
	h.peak = h.base
	go func() {
		defer close(h.done)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
				h.peak = max(h.peak, readHeap())
			}
		}
	}()
	return h
}

// Stop returns the peak heap above the starting baseline.
func (h *heapPeak) Stop() uint64 {
	close(h.stop)
	<-h.done
	h.peak = max(h.peak, readHeap())
	h.cycles = readGCCycles() - h.gcs
	return h.peak - h.base
}

func BenchmarkBackend(b *testing.B) {
	n := benchN(b)
	top := b
	fixtures := map[string]*benchFixture{}
	fixture := func(b *testing.B, driver string, n int) *benchFixture {
		key := fmt.Sprintf("%s/%d", driver, n)
		if f := fixtures[key]; f != nil {
			return f
		}
		f := newBenchFixture(b, top, driver, n)
		fixtures[key] = f
		return f
	}
	ctx := context.Background()

	for _, driver := range []string{"mem", "file"} {
		b.Run(fmt.Sprintf("Floor/%s/n=%d", driver, n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				d := measureFloor(b, driver, n)
				b.ReportMetric(float64(d.Nanoseconds())/float64(n), "floor-ns/obj")
			}
		})

		b.Run(fmt.Sprintf("Put/%s/n=%d", driver, n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				fb := newBenchBucket(b, driver)
				bb := newBenchBucket(b, driver)
				s := openBench(b, bb, backendtest.RandomRootKey(), nil)
				if _, err := s.CreateKeyVersion(ctx, 1, nil); err != nil {
					b.Fatal(err)
				}
				value := backendtest.RandomBytes(64)
				b.StartTimer()
				floor, op := interleave(b, n, func(j int) {
					writeFloorObject(b, fb.raw, j)
				}, func(j int) {
					ns, name := benchSecretID(j)
					if _, err := s.Put(ctx, backend.PutInput{Namespace: ns, Name: name, Value: value}); err != nil {
						b.Fatal(err)
					}
				})
				b.StopTimer()
				reportRatio(b, op, floor, n)
				_ = s.Close()
				_ = fb.raw.Close()
			}
		})

		// memblob sorts every key of the bucket on each LIST, so a Get (one
		// LIST and one read) on mem:// costs in proportion to the whole
		// bucket; there, Get is timed on an evenly spread sample.
		gets := n
		if driver == "mem" {
			gets = min(n, 1000)
		}
		b.Run(fmt.Sprintf("Get/%s/n=%d", driver, n), func(b *testing.B) {
			b.ReportAllocs()
			f := fixture(b, driver, n)
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				fb := newBenchBucket(b, driver)
				payload := backendtest.RandomBytes(benchFloorObjectSize)
				for j := 0; j < gets; j++ {
					if err := fb.raw.WriteAll(ctx, floorKey(j), payload, nil); err != nil {
						b.Fatal(err)
					}
				}
				s := openBench(b, f.bb, f.root, nil)
				ns, name := benchSecretID(0)
				if _, err := s.Get(ctx, ns, name, backend.GetOptions{}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				readFloor, op := interleave(b, gets, func(j int) {
					if _, err := fb.raw.ReadAll(ctx, floorKey(j)); err != nil {
						b.Fatal(err)
					}
				}, func(j int) {
					k := j * (n / gets)
					ns, name := benchSecretID(k)
					if _, err := s.Get(ctx, ns, name, backend.GetOptions{}); err != nil && !(k%100 == 1 && isNotFound(err)) {
						b.Fatalf("Get(%s/%s): %v", ns, name, err)
					}
				})
				b.StopTimer()
				b.ReportMetric(float64(op.Nanoseconds())/float64(gets), "ns/secret")
				b.ReportMetric(float64(readFloor.Nanoseconds())/float64(gets), "read-floor-ns/obj")
				b.ReportMetric(float64(op)/float64(readFloor), "x-read-floor")
				b.ReportMetric(float64(gets), "gets")
				b.ReportMetric(float64(measureListFloor(b, f.bb.raw).Nanoseconds()), "list-floor-ns")
				_ = s.Close()
				_ = fb.raw.Close()
			}
		})

		for _, size := range []int{n / 10, n} {
			b.Run(fmt.Sprintf("Rotate/%s/n=%d", driver, size), func(b *testing.B) {
				b.ReportAllocs()
				f := fixture(b, driver, size)
				live := size - f.deleted
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					before := measureFloor(b, driver, size)
					bb := f.clone(b)
					s := openBench(b, bb, f.root, nil)
					if _, err := s.CreateKeyVersion(ctx, 2, nil); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					start := time.Now()
					res, err := s.Rotate(ctx, backend.RotateInput{})
					op := time.Since(start)
					b.StopTimer()
					if err != nil || res.Rotated != live {
						b.Fatalf("Rotate = %+v, %v; want %d rotated", res, err, live)
					}
					// The floor is measured just before and just after the
					// rotation and averaged, to follow the machine's load.
					floor := (before + measureFloor(b, driver, size)) / 2
					reportRatio(b, op, floor, size)
					_ = s.Close()
					_ = bb.raw.Close()
				}
			})
		}

		// Rotate's memory, in a separate run with frequent GC (GOGC=10) so
		// that the sampled live heap is close to the real peak. On mem://
		// the bucket itself lives in the heap, so only file:// is measured.
		for _, size := range []int{n / 10, n} {
			if driver != "file" {
				break
			}
			b.Run(fmt.Sprintf("RotateMemory/%s/n=%d", driver, size), func(b *testing.B) {
				f := fixture(b, driver, size)
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					bb := f.clone(b)
					s := openBench(b, bb, f.root, nil)
					if _, err := s.CreateKeyVersion(ctx, 2, nil); err != nil {
						b.Fatal(err)
					}
					old := debug.SetGCPercent(10)
					peak := startHeapPeak()
					b.StartTimer()
					res, err := s.Rotate(ctx, backend.RotateInput{})
					b.StopTimer()
					heap := peak.Stop()
					debug.SetGCPercent(old)
					if err != nil || res.Rotated != size-f.deleted {
						b.Fatalf("Rotate = %+v, %v", res, err)
					}
					b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MB")
					b.ReportMetric(float64(heap)/float64(size), "peak-heap-B/secret")
					b.ReportMetric(float64(peak.cycles), "gc-cycles")
					_ = s.Close()
					_ = bb.raw.Close()
				}
			})
		}

		for _, size := range []int{n / 10, n} {
			type query struct {
				name string
				f    func(f *benchFixture) backend.EventFilter
				want int // checked against the reference scan too; -1: as the scan finds
			}
			queries := []query{
				{"namespace", func(*benchFixture) backend.EventFilter { return backend.EventFilter{Namespace: "ns-0000", Limit: 200} }, min(size, 100) + 1},
				{"secret", func(*benchFixture) backend.EventFilter {
					return backend.EventFilter{Namespace: "ns-0000", Name: "secret-000001", Limit: 200}
				}, 2},
				{"operation", func(*benchFixture) backend.EventFilter {
					return backend.EventFilter{Operations: []string{backend.OpDeleted}, Limit: 200}
				}, (size + 98) / 100},
				{"time-window", func(f *benchFixture) backend.EventFilter {
					since := f.start.Add(time.Duration(size/2) * time.Second)
					return backend.EventFilter{Since: since, Until: since.Add(100 * time.Second), Limit: 200}
				}, -1},
			}
			for _, q := range queries {
				b.Run(fmt.Sprintf("ListEvents/%s/n=%d/%s", driver, size, q.name), func(b *testing.B) {
					b.ReportAllocs()
					f := fixture(b, driver, size)
					b.StopTimer()
					ref := 0
					for _, e := range f.allEventsOf(b) {
						if matches(e, q.f(f)) {
							ref++
						}
					}
					want := q.want
					if want < 0 {
						want = ref
					}
					if ref != want || want == 0 {
						b.Fatalf("reference scan finds %d events for %s, want %d", ref, q.name, want)
					}
					readFloor := measureReadFloor(b, driver, want)
					s := openBench(b, f.bb, f.root, nil)
					defer s.Close()
					if _, err := s.ListEvents(ctx, backend.EventFilter{Limit: 1}); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					// Each iteration runs the query queryRepeats times, so that a
					// single iteration (-benchtime 1x) still averages over several.
					const queryRepeats = 10
					var total time.Duration
					for i := 0; i < b.N*queryRepeats; i++ {
						start := time.Now()
						got := 0
						filter := q.f(f)
						for {
							page, err := s.ListEvents(ctx, filter)
							if err != nil {
								b.Fatal(err)
							}
							got += len(page.Events)
							if page.NextPageToken == "" {
								break
							}
							filter.PageToken = page.NextPageToken
						}
						total += time.Since(start)
						if got != want {
							b.Fatalf("ListEvents %s returned %d events, want %d", q.name, got, want)
						}
					}
					b.StopTimer()
					per := total / time.Duration(b.N*queryRepeats)
					b.ReportMetric(float64(per.Nanoseconds()), "ns/query")
					b.ReportMetric(float64(want), "events/query")
					b.ReportMetric(float64(measureListFloor(b, f.bb.raw).Nanoseconds()), "list-floor-ns")
					b.ReportMetric(float64(per)/float64(readFloor), "x-read-floor")
				})
			}
		}
	}
}

func isNotFound(err error) bool { return errors.Is(err, backend.ErrNotFound) }

// TestRequestCounts checks the request budgets on an instrumented bucket:
// Get of the current revision in at most 2 requests whatever the history
// length, and PlanRotate / PlanCleanup with no GET (or HEAD) of any object.
func TestRequestCounts(t *testing.T) {
	t.Parallel()
	for _, driver := range []string{"mem", "file"} {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			var inner *blob.Bucket
			if driver == "mem" {
				inner = backendtest.OpenRaw(t, "mem://")
			} else {
				inner = backendtest.OpenRaw(t, backendtest.FileURL(t.TempDir()))
			}
			ib, b := backendtest.NewFaultBucket(inner)
			clock := backendtest.NewClock()
			s, err := backend.Open(ctx, backend.Options{Bucket: b, RootKey: backendtest.RandomRootKey(), Now: clock.Now})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer s.Close()
			if _, err := s.CreateKeyVersion(ctx, 1, nil); err != nil {
				t.Fatal(err)
			}

			const history = 50
			for i := 0; i < history; i++ {
				clock.Advance(time.Second)
				if _, err := s.Put(ctx, backend.PutInput{Namespace: "rc", Name: "long", Value: []byte(fmt.Sprint(i))}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.Put(ctx, backend.PutInput{Namespace: "rc", Name: "short", Value: []byte("s")}); err != nil {
				t.Fatal(err)
			}
			counted := func(f func()) backendtest.RequestCounts {
				ib.ResetCounts()
				f()
				return ib.ResetCounts()
			}
			// Warm the keyring with one read, then count.
			if _, err := s.Get(ctx, "rc", "short", backend.GetOptions{}); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"long", "short"} {
				var got backend.Secret
				c := counted(func() {
					got, err = s.Get(ctx, "rc", name, backend.GetOptions{})
				})
				if err != nil {
					t.Fatalf("Get(%s): %v", name, err)
				}
				if name == "long" && (got.Revision != history || string(got.Value) != fmt.Sprint(history-1)) {
					t.Fatalf("Get(long) = revision %d %q", got.Revision, got.Value)
				}
				if c.Total() < 1 || c.Total() > 2 || c.Write != 0 {
					t.Fatalf("Get of %s (current revision %d) made %+v: %d requests, want 1 or 2 and no writes",
						name, got.Revision, c, c.Total())
				}
				t.Logf("Get of the current revision after %d revisions: %+v", got.Revision, c)
			}

			// Planning over 200 secrets reads no object.
			for i := 0; i < 200; i++ {
				ttl := backend.Expiry{}
				if i%4 == 0 {
					ttl = backend.Expiry{Set: true, TTL: time.Hour}
				}
				if _, err := s.Put(ctx, backend.PutInput{Namespace: fmt.Sprintf("p%d", i%3), Name: fmt.Sprintf("s%03d", i), Value: []byte("v"), Expiry: ttl}); err != nil {
					t.Fatal(err)
				}
				if i%4 == 1 {
					if _, err := s.Put(ctx, backend.PutInput{Namespace: fmt.Sprintf("p%d", i%3), Name: fmt.Sprintf("s%03d", i), Value: []byte("v2")}); err != nil {
						t.Fatal(err)
					}
				}
			}
			if _, err := s.CreateKeyVersion(ctx, 2, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := s.KeyVersions(ctx); err != nil {
				t.Fatal(err)
			}
			var plan backend.RotatePlan
			c := counted(func() { plan, err = s.PlanRotate(ctx, backend.RotateInput{}) })
			if err != nil || plan.Pending != 202 {
				t.Fatalf("PlanRotate = %+v, %v; want 202 pending", plan, err)
			}
			if c.Get != 0 || c.Head != 0 || c.Write != 0 || c.List == 0 {
				t.Fatalf("PlanRotate over 202 secrets made %+v; want lists only", c)
			}
			t.Logf("PlanRotate over 202 secrets: %+v", c)
			clock.Advance(100 * time.Hour)
			hour := time.Hour
			var cplan backend.CleanupPlan
			c = counted(func() {
				cplan, err = s.PlanCleanup(ctx, backend.CleanupInput{Retention: backend.Retention{ExpiredSecrets: &hour, DeletedSecrets: &hour, Revisions: &hour, AuditEvents: &hour}})
			})
			if err != nil || cplan.Secrets != 50 || cplan.Revisions != history-1+50 || cplan.Events == 0 {
				t.Fatalf("PlanCleanup = %+v, %v; want 50 secrets, %d revisions and some events", cplan, err, history-1+50)
			}
			if c.Get != 0 || c.Head != 0 || c.Write != 0 || c.List == 0 {
				t.Fatalf("PlanCleanup over 202 secrets made %+v; want lists only", c)
			}
			t.Logf("PlanCleanup over 202 secrets: %+v", c)
		})
	}
}

// TestListEventsRequests checks that filtered ListEvents costs bucket
// requests in proportion to the events it returns, not to the size of the
// log: the same queries on a log of 300 and of 1,500 events make the same
// number of LIST requests and one GET per returned event at most (plus a
// constant). A time window inside one busy day is reported, not bounded:
// its LISTs depend on how the window's edges align (TestListEventsWindowNarrowed
// bounds them).
func TestListEventsRequests(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type cost struct{ lists, gets, events int }
	measure := func(n int) map[string]cost {
		ib, b := backendtest.NewFaultBucket(backendtest.OpenRaw(t, "mem://"))
		clock := backendtest.NewClock()
		s, err := backend.Open(ctx, backend.Options{Bucket: b, RootKey: backendtest.RandomRootKey(), Now: clock.Now})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		defer s.Close()
		if _, err := s.CreateKeyVersion(ctx, 1, nil); err != nil {
			t.Fatal(err)
		}
		start := clock.Now()
		for i := 0; i < n; i++ {
			ns, name := benchSecretID(i)
			if _, err := s.Put(ctx, backend.PutInput{Namespace: ns, Name: name, Value: []byte("v")}); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Second)
		}
		if err := s.Delete(ctx, backend.DeleteInput{Namespace: "ns-0000", Name: "secret-000001"}); err != nil {
			t.Fatal(err)
		}
		since := start.Add(time.Duration(n/2) * time.Second)
		out := map[string]cost{}
		for name, f := range map[string]backend.EventFilter{
			"operation": {Operations: []string{backend.OpDeleted}},
			"namespace": {Namespace: "ns-0001"},
			"secret":    {Namespace: "ns-0000", Name: "secret-000001"},
			"window":    {Since: since, Until: since.Add(50 * time.Second)},
			"ns+op+window": {Namespace: "ns-0000", Operations: []string{backend.OpCreated},
				Since: start.Add(10 * time.Second), Until: start.Add(20 * time.Second), Descending: true},
		} {
			f.Limit = 200
			ib.ResetCounts()
			evs := backendtest.AllEvents(t, s, f)
			c := ib.ResetCounts()
			out[name] = cost{c.List, c.Get + c.Head, len(evs)}
		}
		return out
	}
	small, large := measure(300), measure(1500)
	want := map[string]int{"operation": 1, "namespace": 100, "secret": 2, "window": 50, "ns+op+window": 10}
	for name, w := range want {
		s, l := small[name], large[name]
		if s.events != w || l.events != w {
			t.Fatalf("%s: %d and %d events, want %d", name, s.events, l.events, w)
		}
		if l.gets > w+2 || s.gets > w+2 {
			t.Fatalf("%s: %d and %d reads for %d events", name, s.gets, l.gets, w)
		}
		t.Logf("%s: %d events; 300-event log: %d lists, %d reads; 1,500-event log: %d lists, %d reads", name, w, s.lists, s.gets, l.lists, l.gets)
		if name != "window" && (l.lists != s.lists || l.lists > 4) {
			t.Fatalf("%s: %d LIST requests on the larger log, %d on the smaller; want the same, at most 4", name, l.lists, s.lists)
		}
	}
}
