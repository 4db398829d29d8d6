// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// The process tests start real OS processes (this test binary, re-executed
// with -test.run=^TestHelperProcess$) against one file:// directory:
// gocloud's fileblob does not make create-only writes atomic across
// processes, so the store has to, and only separate processes can show it.

const (
	helperEnv       = "SECRETSTORE_HELPER_PROCESS"
	helperConfigEnv = "SECRETSTORE_HELPER_CONFIG"
	raceNamespace   = "race"
)

type helperConfig struct {
	Mode       string // "race", "counter", "create" or "renew"
	ID         int
	Procs      int
	Writers    int // renew: processes 0 to Writers-1 renew, the others clean up
	Rounds     int // race: update rounds; counter: increments per process
	BucketURL  string
	SyncDir    string
	RootKey    string
	ResultFile string
}

// attempt is one write a helper process made.
type attempt struct {
	Phase    string // "kv", "create", "round", "increment"
	Round    int
	Seen     int64 // revision the writer based its write on
	OK       bool
	Revision int64  // revision written, when OK
	Value    string // value written
	Err      string // "concurrent", "exists" or the error text
}

type helperResult struct {
	ID        int
	Attempts  []attempt
	Conflicts int
}

// TestHelperProcess is the body of the child processes; it skips itself in
// a normal test run.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("runs only as a child process of the process tests")
	}
	var cfg helperConfig
	if err := json.Unmarshal([]byte(os.Getenv(helperConfigEnv)), &cfg); err != nil {
		fmt.Fprintf(os.Stderr, "helper: bad config: %v\n", err)
		os.Exit(2)
	}
	res, err := runHelper(cfg)
	if err != nil {
		// Release the others from their barriers at once.
		_ = os.WriteFile(filepath.Join(cfg.SyncDir, abortFile), []byte(err.Error()), 0o600)
	}
	if err == nil {
		var data []byte
		data, err = json.Marshal(res)
		if err == nil {
			err = os.WriteFile(cfg.ResultFile, data, 0o600)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "helper %d: %v\n", cfg.ID, err)
		os.Exit(3)
	}
	os.Exit(0)
}

// abortFile in the sync directory tells every helper to stop waiting.
const abortFile = "abort"

// barrier blocks until every process has reached the named point, or one
// of them has failed.
func barrier(cfg helperConfig, name string) error {
	dir := filepath.Join(cfg.SyncDir, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, strconv.Itoa(cfg.ID)), nil, 0o600); err != nil {
		return err
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		if len(entries) >= cfg.Procs {
			return nil
		}
		if _, err := os.Stat(filepath.Join(cfg.SyncDir, abortFile)); err == nil {
			return fmt.Errorf("barrier %s: another process failed", name)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("barrier %s: only %d of %d processes arrived", name, len(entries), cfg.Procs)
		}
		time.Sleep(time.Millisecond)
	}
}

func errWord(err error) string {
	switch {
	case errors.Is(err, backend.ErrConcurrentModification):
		return "concurrent"
	case errors.Is(err, backend.ErrKeyVersionExists):
		return "exists"
	}
	return err.Error()
}

func runHelper(cfg helperConfig) (helperResult, error) {
	ctx := context.Background()
	res := helperResult{ID: cfg.ID}
	if err := barrier(cfg, "open"); err != nil {
		return res, err
	}
	s, err := backend.Open(ctx, backend.Options{BucketURL: cfg.BucketURL, RootKey: cfg.RootKey, Actor: fmt.Sprintf("process-%d", cfg.ID)})
	if err != nil {
		return res, fmt.Errorf("open: %w", err)
	}
	defer s.Close()

	switch cfg.Mode {
	case "race":
		if err := barrier(cfg, "kv"); err != nil {
			return res, err
		}
		_, err := s.CreateKeyVersion(ctx, 1, nil)
		a := attempt{Phase: "kv", OK: err == nil}
		if err != nil {
			a.Err = errWord(err)
		}
		res.Attempts = append(res.Attempts, a)

		if err := barrier(cfg, "create"); err != nil {
			return res, err
		}
		v := fmt.Sprintf("create-p%d", cfg.ID)
		sec, err := s.Put(ctx, backend.PutInput{Namespace: raceNamespace, Name: "s", Value: []byte(v), IfRevision: -1})
		a = attempt{Phase: "create", Seen: -1, OK: err == nil, Revision: sec.Revision, Value: v}
		if err != nil {
			a.Err = errWord(err)
		}
		res.Attempts = append(res.Attempts, a)

		for r := 1; r <= cfg.Rounds; r++ {
			if err := barrier(cfg, fmt.Sprintf("read-%d", r)); err != nil {
				return res, err
			}
			head, err := s.Head(ctx, raceNamespace, "s")
			if err != nil {
				return res, fmt.Errorf("round %d: head: %w", r, err)
			}
			if err := barrier(cfg, fmt.Sprintf("put-%d", r)); err != nil {
				return res, err
			}
			v := fmt.Sprintf("round-%d-p%d", r, cfg.ID)
			sec, err := s.Put(ctx, backend.PutInput{Namespace: raceNamespace, Name: "s", Value: []byte(v), IfRevision: head.Revision})
			a := attempt{Phase: "round", Round: r, Seen: head.Revision, OK: err == nil, Revision: sec.Revision, Value: v}
			if err != nil {
				a.Err = errWord(err)
			}
			res.Attempts = append(res.Attempts, a)
		}
	case "counter":
		if err := barrier(cfg, "start"); err != nil {
			return res, err
		}
		for i := 0; i < cfg.Rounds; i++ {
			for try := 0; ; try++ {
				if try > 1000 {
					return res, fmt.Errorf("increment %d: no progress after %d tries", i, try)
				}
				cur, err := s.Get(ctx, raceNamespace, "counter", backend.GetOptions{})
				if err != nil {
					return res, fmt.Errorf("get counter: %w", err)
				}
				n, err := strconv.Atoi(string(cur.Value))
				if err != nil {
					return res, fmt.Errorf("counter value %q: %w", cur.Value, err)
				}
				v := strconv.Itoa(n + 1)
				sec, err := s.Put(ctx, backend.PutInput{Namespace: raceNamespace, Name: "counter", Value: []byte(v), IfRevision: cur.Revision})
				if err == nil {
					res.Attempts = append(res.Attempts, attempt{Phase: "increment", Seen: cur.Revision, OK: true, Revision: sec.Revision, Value: v})
					break
				}
				if !errors.Is(err, backend.ErrConcurrentModification) {
					return res, fmt.Errorf("put counter: %w", err)
				}
				res.Conflicts++
			}
		}
	case "create":
		// Every process opened the store before it existed; each creates
		// its own key version, so each may be the store's first write.
		if err := barrier(cfg, "start"); err != nil {
			return res, err
		}
		_, err := s.CreateKeyVersion(ctx, cfg.ID+1, nil)
		a := attempt{Phase: "kv", OK: err == nil}
		if err != nil {
			a.Err = err.Error()
		}
		res.Attempts = append(res.Attempts, a)
	case "renew":
		if err := barrier(cfg, "start"); err != nil {
			return res, err
		}
		return renewOrClean(ctx, cfg, s, res)
	default:
		return res, fmt.Errorf("unknown mode %q", cfg.Mode)
	}
	return res, nil
}

// runProcesses starts procs helper processes and returns their results.
func runProcesses(t *testing.T, mode string, procs, rounds int, bucketURL, rootKey string) []helperResult {
	t.Helper()
	return runProcessesWith(t, mode, procs, rounds, bucketURL, rootKey, func(*helperConfig) {})
}

// runProcessesWith is runProcesses with each helper's configuration
// changed by mut.
func runProcessesWith(t *testing.T, mode string, procs, rounds int, bucketURL, rootKey string, mut func(*helperConfig)) []helperResult {
	t.Helper()
	work := t.TempDir()
	type child struct {
		cmd *exec.Cmd
		out *bytes.Buffer
		cfg helperConfig
	}
	children := make([]child, procs)
	for i := range children {
		cfg := helperConfig{
			Mode: mode, ID: i, Procs: procs, Rounds: rounds, BucketURL: bucketURL,
			SyncDir: filepath.Join(work, "sync"), RootKey: rootKey,
			ResultFile: filepath.Join(work, fmt.Sprintf("result-%d.json", i)),
		}
		mut(&cfg)
		data, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.timeout=5m")
		cmd.Env = append(os.Environ(), helperEnv+"=1", helperConfigEnv+"="+string(data))
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting helper process %d: %v", i, err)
		}
		children[i] = child{cmd, out, cfg}
	}
	var results []helperResult
	var failed []string
	for _, c := range children {
		if err := c.cmd.Wait(); err != nil {
			failed = append(failed, fmt.Sprintf("process %d: %v\n%s", c.cfg.ID, err, c.out))
			continue
		}
		data, err := os.ReadFile(c.cfg.ResultFile)
		if err != nil {
			failed = append(failed, fmt.Sprintf("process %d wrote no result: %v\n%s", c.cfg.ID, err, c.out))
			continue
		}
		var r helperResult
		if err := json.Unmarshal(data, &r); err != nil {
			t.Fatalf("process %d result: %v", c.cfg.ID, err)
		}
		results = append(results, r)
	}
	if len(failed) > 0 {
		t.Fatalf("%d helper processes failed:\n%s", len(failed), failed)
	}
	return results
}

// TestProcessRace: processes race on a new directory: opening it, creating
// key version 1, creating a secret, then rounds in which every process
// writes with IfRevision = the revision all of them read. Exactly one wins
// each race, every loser gets ErrConcurrentModification, and every
// acknowledged value reads back.
func TestProcessRace(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	const procs, rounds = 12, 8
	bucketURL := backendtest.FileURL(t.TempDir())
	root := backendtest.RandomRootKey()
	results := runProcesses(t, "race", procs, rounds, bucketURL, root)

	winners := func(phase string, round int) []attempt {
		var ws []attempt
		for _, r := range results {
			for _, a := range r.Attempts {
				if a.Phase != phase || a.Round != round {
					continue
				}
				if a.OK {
					ws = append(ws, a)
				} else if a.Err != "concurrent" && !(phase == "kv" && a.Err == "exists") {
					t.Fatalf("process %d, %s %d: unexpected error %q", r.ID, phase, round, a.Err)
				}
			}
		}
		if len(ws) != 1 {
			t.Fatalf("%s round %d: %d winners, want exactly 1: %+v", phase, round, len(ws), ws)
		}
		return ws
	}
	winners("kv", 0)
	w := winners("create", 0)[0]
	acked := map[int64]string{w.Revision: w.Value}
	prev := w.Revision
	for r := 1; r <= rounds; r++ {
		for _, res := range results {
			for _, a := range res.Attempts {
				if a.Phase == "round" && a.Round == r && a.Seen != prev {
					t.Fatalf("round %d: process %d read revision %d, want %d", r, res.ID, a.Seen, prev)
				}
			}
		}
		w := winners("round", r)[0]
		if w.Revision != prev+1 {
			t.Fatalf("round %d winner wrote revision %d after %d", r, w.Revision, prev)
		}
		acked[w.Revision] = w.Value
		prev = w.Revision
	}

	ctx := context.Background()
	s, err := backend.Open(ctx, backend.Options{BucketURL: bucketURL, RootKey: root})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if kvs := kvByVersion(t, s); len(kvs) != 1 || !kvs[1].Primary {
		t.Fatalf("key versions after the race: %+v", kvs)
	}
	cur, err := s.Get(ctx, raceNamespace, "s", backend.GetOptions{})
	if err != nil || cur.Revision != prev || string(cur.Value) != acked[prev] {
		t.Fatalf("final Get = revision %d %q, %v; want revision %d %q", cur.Revision, cur.Value, err, prev, acked[prev])
	}
	for rev, v := range acked {
		got, err := s.Get(ctx, raceNamespace, "s", backend.GetOptions{Revision: rev})
		if err != nil || string(got.Value) != v {
			t.Fatalf("acknowledged revision %d reads %q, %v; want %q", rev, got.Value, err, v)
		}
	}
	evs := backendtest.AllEvents(t, s, backend.EventFilter{Namespace: raceNamespace, Name: "s"})
	if len(evs) != rounds+1 {
		t.Fatalf("%d audit events for the raced secret, want %d (one per acknowledged write)", len(evs), rounds+1)
	}
	if kvEvents := backendtest.AllEvents(t, s, backend.EventFilter{Operations: []string{backend.OpKeyVersionCreated}}); len(kvEvents) != 1 {
		t.Fatalf("%d key_version_created events, want 1", len(kvEvents))
	}
}

// TestProcessCounter: processes increment one counter with read, then
// write IfRevision, retrying on concurrent modification. No update is lost:
// the final count equals the number of acknowledged writes.
func TestProcessCounter(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	const procs, increments = 8, 8
	bucketURL := backendtest.FileURL(t.TempDir())
	root := backendtest.RandomRootKey()
	ctx := context.Background()
	s, err := backend.Open(ctx, backend.Options{BucketURL: bucketURL, RootKey: root})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if _, err := s.CreateKeyVersion(ctx, 1, nil); err != nil {
		t.Fatalf("CreateKeyVersion: %v", err)
	}
	start, err := s.Put(ctx, backend.PutInput{Namespace: raceNamespace, Name: "counter", Value: []byte("0")})
	if err != nil {
		t.Fatalf("Put: %v", err)
	}

	results := runProcesses(t, "counter", procs, increments, bucketURL, root)
	acked := map[int64]string{}
	conflicts := 0
	for _, r := range results {
		conflicts += r.Conflicts
		for _, a := range r.Attempts {
			if other, dup := acked[a.Revision]; dup {
				t.Fatalf("revision %d acknowledged twice (%q and %q)", a.Revision, other, a.Value)
			}
			acked[a.Revision] = a.Value
		}
	}
	if len(acked) != procs*increments {
		t.Fatalf("%d acknowledged increments, want %d", len(acked), procs*increments)
	}
	cur, err := s.Get(ctx, raceNamespace, "counter", backend.GetOptions{})
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if string(cur.Value) != strconv.Itoa(len(acked)) || cur.Revision != start.Revision+int64(len(acked)) {
		t.Fatalf("final counter %q at revision %d; want %d at revision %d (lost updates)",
			cur.Value, cur.Revision, len(acked), start.Revision+int64(len(acked)))
	}
	for rev, v := range acked {
		got, err := s.Get(ctx, raceNamespace, "counter", backend.GetOptions{Revision: rev})
		if err != nil || string(got.Value) != v {
			t.Fatalf("acknowledged revision %d reads %q, %v; want %q", rev, got.Value, err, v)
		}
	}
	if conflicts == 0 {
		t.Fatalf("no process ever lost a race: the test did not exercise concurrency")
	}
	t.Logf("%d increments by %d processes, %d lost races retried", len(acked), procs, conflicts)
}
