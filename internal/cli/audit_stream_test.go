// SPDX-License-Identifier: MPL-2.0

package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/cli"
)

// auditEvents is more than one page of the audit log (backend.MaxEventLimit).
const auditEvents = backend.MaxEventLimit + 200

// auditSecrets share the events' writing, in parallel.
const auditSecrets = 4

// audit streams every matching event, page after page, with no cap at the
// data source's 1,000: the events are written through the backend (reads
// of one secret, the cheapest events), then the command prints them all,
// as table rows and as JSON lines, each event once.
func TestAuditStreamsEveryEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("writes over 2,000 audit events to a directory")
	}
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	url := "file://" + filepath.ToSlash(dir)
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	rootKey := base64.StdEncoding.EncodeToString(key)

	// One clock tick per event, so that every event has its own time.
	var tick atomic.Int64
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return start.Add(time.Duration(tick.Add(1)) * time.Millisecond) }
	s, err := backend.Open(ctx, backend.Options{BucketURL: url, RootKey: rootKey, Actor: "seeder", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateKeyVersion(ctx, 1, nil); err != nil {
		t.Fatal(err)
	}
	// key_version_created and each secret's created are events too.
	reads := auditEvents - 1 - auditSecrets
	writeReads := func(i int) error {
		sec, err := s.Put(ctx, backend.PutInput{Namespace: "app:prod", Name: fmt.Sprintf("db-%d", i), Value: []byte("v")})
		if err != nil {
			return err
		}
		for j := i; j < reads; j += auditSecrets {
			if err := s.RecordRead(ctx, sec); err != nil {
				return err
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make([]error, auditSecrets)
	for i := range auditSecrets {
		wg.Go(func() { errs[i] = writeReads(i) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	env := []string{"SECRETSTORE_URL=" + url, "SECRETSTORE_ROOT_KEY=" + rootKey}

	t.Run("text", func(t *testing.T) {
		out := runCLI(t, env, "audit")
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if !strings.HasPrefix(lines[0], "TIME ") {
			t.Fatalf("first line %q is not the header", lines[0])
		}
		rows := lines[1:]
		if len(rows) != auditEvents {
			t.Fatalf("audit printed %d rows, want %d (every event)", len(rows), auditEvents)
		}
		ids := map[string]bool{}
		reads := 0
		for _, r := range rows {
			f := strings.Fields(r)
			if len(f) < 8 {
				t.Fatalf("row %q has %d columns, want 8", r, len(f))
			}
			ids[f[len(f)-1]] = true
			if f[1] == backend.OpRead {
				reads++
			}
		}
		if len(ids) != auditEvents {
			t.Errorf("audit printed %d distinct event ids, want %d", len(ids), auditEvents)
		}
		if want := auditEvents - 1 - auditSecrets; reads != want {
			t.Errorf("audit printed %d read events, want %d", reads, want)
		}
	})

	t.Run("json", func(t *testing.T) {
		out := runCLI(t, env, "audit", "--json", "--order", "asc")
		sc := bufio.NewScanner(strings.NewReader(out))
		ids := map[string]bool{}
		var last time.Time
		n := 0
		for sc.Scan() {
			var e struct {
				ID        string `json:"id"`
				Time      string `json:"time"`
				Operation string `json:"operation"`
				Actor     string `json:"actor"`
			}
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("line %d is not a JSON object: %v: %q", n+1, err, sc.Text())
			}
			n++
			if e.ID == "" || e.Actor != "seeder" {
				t.Fatalf("line %d: event %+v lacks its id or actor", n, e)
			}
			at, err := time.Parse(time.RFC3339Nano, e.Time)
			if err != nil || at.Before(last) {
				t.Fatalf("line %d: time %s is not RFC 3339, or before %s with --order asc", n, e.Time, last)
			}
			last = at
			ids[e.ID] = true
		}
		if n != auditEvents || len(ids) != auditEvents {
			t.Errorf("audit --json printed %d lines with %d distinct ids, want %d", n, len(ids), auditEvents)
		}
	})

	t.Run("limit", func(t *testing.T) {
		out := runCLI(t, env, "audit", "--json", "--limit", "1001")
		if n := strings.Count(out, "\n"); n != 1001 {
			t.Errorf("audit --limit 1001 printed %d lines, want 1001", n)
		}
	})
}

// runCLI runs the command in-process with env and no stdin, and fails the
// test unless it exits 0 with nothing on stderr.
func runCLI(t *testing.T, env []string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), args, cli.IO{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Env: env})
	if code != cli.ExitOK || stderr.Len() > 0 {
		t.Fatalf("secretstore %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
	}
	return stdout.String()
}
