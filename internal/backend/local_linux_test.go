//go:build linux

package backend_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/createonly"
)

// TestLocalPutIsDurableInOrder: a Put on a file:// store flushes the
// filesystem (syncfs) before any of its names is published, again once
// its audit event is published and before the revision is, and once more
// after the revision is published, before Put returns.
func TestLocalPutIsDurableInOrder(t *testing.T) {
	u := backendtest.New(t, backendtest.FileSkipMetadata)
	u.CreateKV(1)
	u.PutValue("ns", "a", "v1")
	record := filepath.Join(u.Tg.Dir, filepath.FromSlash(backend.RecordKey(backend.SecretDir("ns", "a"), 2)))
	events := filepath.Join(u.Tg.Dir, filepath.FromSlash(backend.AuditSecretIndex("ns", "a")))
	countEvents := func() int {
		n := 0
		_ = filepath.WalkDir(events, func(_ string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				n++
			}
			return nil
		})
		return n
	}
	before := countEvents()
	type flush struct {
		record bool
		events int
	}
	var flushes []flush
	var orig func(string) error
	orig = createonly.ReplaceFlush(func(root string) error {
		_, err := os.Stat(record)
		flushes = append(flushes, flush{record: err == nil, events: countEvents()})
		return orig(root)
	})
	t.Cleanup(func() { createonly.ReplaceFlush(orig) })
	u.PutValue("ns", "a", "v2")
	createonly.ReplaceFlush(orig)

	// The first flush covers data only; one flush sees the event but not
	// yet the revision; the last one sees both.
	eventFirst := false
	for _, f := range flushes {
		eventFirst = eventFirst || (f.events > before && !f.record)
	}
	n := len(flushes)
	if n < 3 || flushes[0].record || flushes[0].events != before || !eventFirst || !flushes[n-1].record || flushes[n-1].events <= before {
		t.Fatalf("flushes during Put (revision visible, events) = %+v; want data, then the event, then the revision made durable", flushes)
	}
}
