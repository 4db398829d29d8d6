// SPDX-License-Identifier: MPL-2.0

//go:build linux

package createonly

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkDirCommit measures the file operations of one commit shaped
// like a Put of a new secret (an audit stage of three objects, then a
// record with its marker in a new directory), with the filesystem flush
// replaced by nothing, so that the cost of the writer's own system calls
// is not drowned by syncfs(2).
func BenchmarkDirCommit(b *testing.B) {
	orig := ReplaceFlush(func(string) error { return nil })
	b.Cleanup(func() { ReplaceFlush(orig) })
	w, err := OpenDir(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = w.Close() })
	ctx := context.Background()
	data := make([]byte, 512)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir := fmt.Sprintf("v1/s/ns/%08x/", i)
		audit := []*Op{
			{Key: fmt.Sprintf("v1/a/s/ns/%08x/y20261202/e%d", i, i), Data: data},
			{Key: fmt.Sprintf("v1/a/n/ns/y20261202/created/b%08x", i), Data: data},
			{Key: fmt.Sprintf("v1/a/o/y20261202/created/b%08x", i), Data: data},
		}
		rec := &Op{Key: dir + "r1", Data: data, Alias: dir + "r1_m"}
		if err := w.Commit(ctx, Stage{Ops: audit, Strict: true}, Stage{Ops: []*Op{rec}, Strict: true}); err != nil {
			b.Fatal(err)
		}
	}
}
