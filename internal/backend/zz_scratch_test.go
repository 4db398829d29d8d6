package backend

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestScratchSyncfs(t *testing.T) {
	dir := t.TempDir()
	d, _ := os.Open(dir)
	defer d.Close()
	syncfs := func() {
		syscall.Syscall(306, d.Fd(), 0, 0)
	}
	syncfs()
	for _, k := range []int{1, 10, 64, 320, 1000} {
		for rep := 0; rep < 2; rep++ {
			sub := filepath.Join(dir, fmt.Sprintf("s%d_%d", k, rep))
			os.MkdirAll(sub, 0o777)
			start := time.Now()
			for i := 0; i < k; i++ {
				p := filepath.Join(sub, fmt.Sprintf("f%06d", i))
				os.WriteFile(p+".tmp", []byte("hello world some bytes here ........................................................................................................................................"), 0o666)
			}
			w := time.Since(start)
			syncfs()
			s1 := time.Since(start)
			for i := 0; i < k; i++ {
				p := filepath.Join(sub, fmt.Sprintf("f%06d", i))
				os.Link(p+".tmp", p)
				os.Remove(p + ".tmp")
			}
			syncfs()
			s2 := time.Since(start)
			t.Logf("k=%4d write %v syncfs1 %v link+syncfs2 %v  per file %v", k, w, s1-w, s2-s1, s2/time.Duration(k))
		}
	}
}
