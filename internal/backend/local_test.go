// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestLocalWriterCreateOnly(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	w := &localWriter{root: root}
	// Goroutines racing on one key: exactly one creates it, and its data
	// is what the file holds.
	const racers = 16
	ops := make([]*writeOp, racers)
	var wg sync.WaitGroup
	errs := make([]error, racers)
	for i := range ops {
		ops[i] = &writeOp{Key: "v1/x/key", Data: []byte{byte(i)}, Alias: "v1/x/key_alias"}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.commit(ctx, stage{Ops: []*writeOp{ops[i]}})
		}()
	}
	wg.Wait()
	winner := -1
	for i, op := range ops {
		if errs[i] != nil {
			t.Fatalf("racer %d: %v", i, errs[i])
		}
		if op.Done == op.Exists {
			t.Fatalf("racer %d: Done %v, Exists %v", i, op.Done, op.Exists)
		}
		if op.Done {
			if winner >= 0 {
				t.Fatalf("racers %d and %d both created the key", winner, i)
			}
			winner = i
		}
	}
	data, err := os.ReadFile(filepath.Join(root, "v1", "x", "key"))
	if err != nil || len(data) != 1 || int(data[0]) != winner {
		t.Fatalf("file holds %v (%v), want the winner's byte %d", data, err, winner)
	}
	if fi, err := os.Stat(filepath.Join(root, "v1", "x", "key_alias")); err != nil || fi.Size() != 0 {
		t.Fatalf("alias: %v, %v", fi, err)
	}
	// No temporary file is left behind, and none ever lives in the key
	// space.
	if left, _ := os.ReadDir(filepath.Join(root, localTmpDir)); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "v1", "x"))
	if len(entries) != 2 {
		t.Fatalf("v1/x holds %d entries, want the key and its alias", len(entries))
	}
}

func TestLocalWriterStrictStageStops(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	w := &localWriter{root: root}
	if err := w.commit(ctx, stage{Ops: []*writeOp{{Key: "v1/a/taken", Data: []byte("x")}}}); err != nil {
		t.Fatal(err)
	}
	audit := []*writeOp{{Key: "v1/a/new", Data: []byte("e")}, {Key: "v1/a/taken", Data: []byte("e")}}
	rec := &writeOp{Key: "v1/s/rec", Data: []byte("r")}
	err := w.commit(ctx, stage{Ops: audit, Strict: true}, stage{Ops: []*writeOp{rec}})
	if !errors.Is(err, ErrConcurrentModification) {
		t.Fatalf("commit with a taken strict key = %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "v1", "s", "rec")); !os.IsNotExist(err) {
		t.Fatalf("the next stage was written after a strict stage failed: %v", err)
	}
	if left, _ := os.ReadDir(filepath.Join(root, localTmpDir)); len(left) != 0 {
		t.Fatalf("temporary files left after a failed commit: %v", left)
	}
}

// TestLocalStaleTemps: temporary files of interrupted writes are invisible
// to the store and removed by Cleanup once old.
func TestLocalStaleTemps(t *testing.T) {
	u := newUnit(t, "file")
	u.kv(1)
	u.put("ns", "a", "v")
	tmpDir := filepath.Join(u.dir, localTmpDir)
	stale := filepath.Join(tmpDir, "0123456789abcdef01234567"+tmpSuffix)
	fresh := filepath.Join(tmpDir, "fedcba9876543210fedcba98"+tmpSuffix)
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * strayAge)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	page, err := u.s.List(u.ctx, ListInput{Namespace: "ns"})
	if err != nil || len(page.Secrets) != 1 {
		t.Fatalf("List with temporary files around = %+v, %v", page, err)
	}
	if _, err := u.s.Cleanup(u.ctx, CleanupInput{Retention: Retention{Revisions: dur(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale temporary file survived Cleanup: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("a recent temporary file (a write in progress?) was removed: %v", err)
	}
}
