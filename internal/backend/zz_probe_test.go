package backend

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestZZProbeFileEvents(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clock := newTestClock()
	root := randomRootKey()
	s, err := Open(ctx, Options{BucketURL: fileURL(dir), RootKey: root, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	s.CreateKeyVersion(ctx, 1, nil)
	start := clock.Now()
	n := 3000
	var wg sync.WaitGroup
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
				s.Put(ctx, PutInput{Namespace: ns, Name: name, Value: []byte("v")})
				clock.Advance(time.Second)
			}
		}()
	}
	wg.Wait()
	for i := 0; i < n; i += 100 {
		ns, name := benchSecretID(i + 1)
		s.Delete(ctx, ns, name, 0)
	}
	ib, b := newInstrumented(openRaw(t, fileURL(dir)))
	ib.onList = func(p, d string, k int, dur time.Duration) { t.Logf("  LIST %q delim %q -> %d keys in %v", p, d, k, dur) }
	s2, err := Open(ctx, Options{Bucket: b, RootKey: root, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	since := start.Add(time.Duration(n/2) * time.Second)
	for name, f := range map[string]EventFilter{
		"op":     {Operations: []string{OpDeleted}, Limit: 200},
		"window": {Since: since, Until: since.Add(100 * time.Second), Limit: 200},
	} {
		t.Logf("%s:", name)
		t0 := time.Now()
		evs := allEvents(t, s2, f)
		t.Logf("%s: %d events in %v, %+v", name, len(evs), time.Since(t0), ib.resetCounts())
	}
}
