// SPDX-License-Identifier: MPL-2.0

package createonly

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestDirCreateOnly(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	w := newTestDir(t, root)
	// Goroutines racing on one key: exactly one creates it, and its data
	// is what the file holds.
	const racers = 16
	ops := make([]*Op, racers)
	var wg sync.WaitGroup
	errs := make([]error, racers)
	for i := range ops {
		ops[i] = &Op{Key: "v1/x/key", Data: []byte{byte(i)}, Alias: "v1/x/key_alias"}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.Commit(ctx, Stage{Ops: []*Op{ops[i]}})
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
	if left, _ := os.ReadDir(filepath.Join(root, TempDir)); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "v1", "x"))
	if len(entries) != 2 {
		t.Fatalf("v1/x holds %d entries, want the key and its alias", len(entries))
	}
}

func TestDirStrictStageStops(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	w := newTestDir(t, root)
	if err := w.Commit(ctx, Stage{Ops: []*Op{{Key: "v1/a/taken", Data: []byte("x")}}}); err != nil {
		t.Fatal(err)
	}
	audit := []*Op{{Key: "v1/a/new", Data: []byte("e")}, {Key: "v1/a/taken", Data: []byte("e")}}
	rec := &Op{Key: "v1/s/rec", Data: []byte("r")}
	err := w.Commit(ctx, Stage{Ops: audit, Strict: true}, Stage{Ops: []*Op{rec}})
	if !errors.Is(err, ErrExists) {
		t.Fatalf("commit with a taken strict key = %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "v1", "s", "rec")); !os.IsNotExist(err) {
		t.Fatalf("the next stage was written after a strict stage failed: %v", err)
	}
	if left, _ := os.ReadDir(filepath.Join(root, TempDir)); len(left) != 0 {
		t.Fatalf("temporary files left after a failed commit: %v", left)
	}
}
