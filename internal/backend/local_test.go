package backend_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/createonly"
)

// TestLocalStaleTemps: temporary files of interrupted writes are invisible
// to the store and removed by Cleanup once old.
func TestLocalStaleTemps(t *testing.T) {
	t.Parallel()
	u := backendtest.New(t, backendtest.FileSkipMetadata)
	u.CreateKV(1)
	u.PutValue("ns", "a", "v")
	tmpDir := filepath.Join(u.Tg.Dir, createonly.TempDir)
	stale := filepath.Join(tmpDir, "0123456789abcdef01234567"+createonly.TempSuffix)
	fresh := filepath.Join(tmpDir, "fedcba9876543210fedcba98"+createonly.TempSuffix)
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * backend.StrayAge)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	page, err := u.S.List(u.Ctx, backend.ListInput{Namespace: "ns"})
	if err != nil || len(page.Secrets) != 1 {
		t.Fatalf("List with temporary files around = %+v, %v", page, err)
	}
	if _, err := u.S.Cleanup(u.Ctx, backend.CleanupInput{Retention: backend.Retention{Revisions: dur(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("stale temporary file survived Cleanup: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("a recent temporary file (a write in progress?) was removed: %v", err)
	}
}
