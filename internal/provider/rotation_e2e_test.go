// SPDX-License-Identifier: MPL-2.0

//go:build unix

package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// TestRotation_staleWriteShowsAgain: after a completed rotation to version
// 2, a run that loaded the keyring while version 1 was still primary (a
// stale run in another working directory) writes a secret under version 1.
// The next plan shows pending_rewrap 1 -> 0 on version 2 and apply rewraps
// that secret.
func TestRotation_staleWriteShowsAgain(t *testing.T) {
	slowTest(t, "five terraform steps through a rotation")
	ts := newTestStore(t)
	store := ts.open(t)
	v1 := ts.providerBlock("") + kvBlocks(1) + rotationSecrets(depsV1)
	v1v2 := ts.providerBlock("") + kvBlocks(1, 2) + rotationSecrets(depsV1V2)
	const kv2 = "secretstore_key_version.v2"
	const staleNS, staleName, staleValue = "rot:stale", "late", "written-by-a-stale-run"
	// stale is a store handle whose keyring was loaded while version 1 was
	// the primary: a store keeps writing under the primary it loaded until
	// a keyring operation reloads it, as a long run started before version
	// 2 existed does.
	var stale backend.StoreAPI

	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{Config: v1},
			{
				PreConfig: func() { stale = ts.open(t) },
				Config:    v1v2,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(kv2, tfjsonpath.New("pending_rewrap"), knownvalue.Int64Exact(4)),
				},
				ExpectNonEmptyPlan: true,
			},
			{
				// The rotation completes: nothing is pending any more.
				Config: v1v2,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{expectChange{addr: kv2, attr: "pending_rewrap", before: "4", after: "0"}},
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: checkAll(func() error { return checkRotationSecrets(store, 2) }),
			},
			{
				// The stale run writes under version 1, after the rotation.
				PreConfig: func() {
					sec, err := stale.Put(context.Background(), backend.PutInput{Namespace: staleNS, Name: staleName, Value: []byte(staleValue)})
					if err != nil {
						t.Fatalf("stale write: %v", err)
					}
					if sec.KeyVersion != 1 {
						t.Fatalf("the stale run wrote under key version %d; it must write under version 1 to model a stale run", sec.KeyVersion)
					}
				},
				Config: v1v2,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: append(noopSecrets(),
						plancheck.ExpectResourceAction(kv2, plancheck.ResourceActionUpdate),
						expectChange{addr: kv2, attr: "pending_rewrap", before: "1", after: "0"},
					),
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(kv2, tfjsonpath.New("pending_rewrap"), knownvalue.Int64Exact(0)),
				},
				Check: checkAll(
					func() error { return checkRotationSecrets(store, 2) },
					func() error {
						sec, err := store.Get(context.Background(), staleNS, staleName, backend.GetOptions{})
						if err != nil {
							return fmt.Errorf("the stale run's secret is unreadable: %w", err)
						}
						if string(sec.Value) != staleValue || sec.KeyVersion != 2 {
							return fmt.Errorf("the stale run's secret: key version %d, value intact %v; want version 2 and its value", sec.KeyVersion, string(sec.Value) == staleValue)
						}
						p, err := store.PlanRotate(context.Background(), backend.RotateInput{})
						if err != nil {
							return err
						}
						if p.Pending != 0 || p.ByVersion[1] != 0 {
							return fmt.Errorf("after the apply: %d pending, %d under version 1; want none", p.Pending, p.ByVersion[1])
						}
						page, err := store.ListEvents(context.Background(), backend.EventFilter{
							Namespace: staleNS, Name: staleName, Operations: []string{backend.OpRotated},
						})
						if err != nil {
							return err
						}
						if len(page.Events) != 1 || page.Events[0].KeyVersion != 2 {
							return fmt.Errorf("rotated events of the stale secret: %+v; want one, under version 2", page.Events)
						}
						return nil
					},
				),
			},
			{
				// Delete the secret Terraform does not manage, so that the
				// final destroy can retire the key versions.
				PreConfig: func() {
					if err := store.Delete(context.Background(), backend.DeleteInput{Namespace: staleNS, Name: staleName}); err != nil {
						t.Fatal(err)
					}
				},
				Config:           v1v2,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

// The killed rotation works on managedKillSecrets secrets created by
// terraform (count) and seededKillSecrets written by other runs (directly
// through the store), all under version 1. The store commits a rotation in
// chunks of 64 secrets and the provider logs progress every tenth of the
// pending work; the kill follows the first progress line, so with this
// many most of the rotation is still to do when it lands. Terraform
// manages few of them because each costs a refresh in every run.
const (
	managedKillSecrets = 50
	seededKillSecrets  = 1150
)

// killSecretID names the i-th secret of TestAccRotation_killedApply and
// gives its value: the first managedKillSecrets are terraform's.
func killSecretID(i int) (namespace, name, value string) {
	if i < managedKillSecrets {
		return "rot:managed", fmt.Sprintf("s%04d", i), fmt.Sprintf("managed-value-%d", i)
	}
	return "rot:other", fmt.Sprintf("s%04d", i), fmt.Sprintf("other-value-%d", i)
}

// TestAccRotation_killedApply: a real `terraform apply` of a rotation,
// killed (terraform and its provider process) part-way, leaves every
// secret readable with its value; the next plan shows the remainder as
// pending_rewrap and its apply finishes the rotation.
func TestAccRotation_killedApply(t *testing.T) {
	slowTest(t, "writes 1,200 secrets and rotates them with real terraform runs")
	t.Parallel()
	base := t.TempDir()
	storeDir := filepath.Join(base, "store")
	if err := os.MkdirAll(storeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	ts := testStore{URL: fileURL(storeDir), RootKey: randomKey(t)}
	store := ts.open(t)
	const total = managedKillSecrets + seededKillSecrets
	secrets := func(deps string) string {
		return fmt.Sprintf(`
resource "secretstore_secret" "managed" {
  count      = %d
  namespace  = "rot:managed"
  name       = format("s%%04d", count.index)
  value      = "managed-value-${count.index}"
  depends_on = %s
}
`, managedKillSecrets, deps)
	}
	d := newTFDir(t, base, "work")
	start := time.Now()
	d.write(ts.providerBlock("") + kvBlocks(1) + secrets(depsV1))
	d.mustRun("apply", "-input=false", "-auto-approve", "-parallelism=20")
	seedKillSecrets(t, store)
	t.Logf("wrote %d secrets under version 1 in %v", total, time.Since(start))

	// Version 2 becomes primary; its creation counts the work, rewraps nothing.
	d.write(ts.providerBlock("") + kvBlocks(1, 2) + secrets(depsV1V2))
	d.mustRun("apply", "-input=false", "-auto-approve", "-target=secretstore_key_version.v2")
	if p := planRotate(t, store); p.Primary != 2 || p.Pending != total {
		t.Fatalf("before the rotation: primary %d, %d pending; want 2 and %d", p.Primary, p.Pending, total)
	}

	// The rotation, killed once part of it is committed.
	start = time.Now()
	rotated := killRotationPartWay(t, d, store, total)
	t.Logf("killed the rotation after %v with %d of %d secrets rewrapped", time.Since(start), rotated, total)
	remaining := total - rotated

	// Every secret reads with its value, at its old or its new version.
	byVersion := map[int]int{}
	for i := range total {
		ns, name, want := killSecretID(i)
		sec, err := store.Get(context.Background(), ns, name, backend.GetOptions{})
		if err != nil {
			t.Fatalf("%s/%s unreadable after the killed rotation: %v", ns, name, err)
		}
		if string(sec.Value) != want {
			t.Fatalf("%s/%s reads a different value after the killed rotation", ns, name)
		}
		byVersion[sec.KeyVersion]++
	}
	if byVersion[2] != rotated || byVersion[1] != remaining {
		t.Fatalf("after the kill the secrets read under versions %v; want %d under 2 and %d under 1", byVersion, rotated, remaining)
	}

	// The next plan shows the remainder on version 2 and nothing else.
	// Killing terraform may leave its lock information behind; the local
	// state's lock itself is released with the process.
	out := d.mustRun("plan", "-input=false", "-lock-timeout=10s", "-out=resume.tfplan")
	changes := planChanges(t, d, "resume.tfplan")
	if len(changes) != 1 {
		t.Fatalf("the plan after the kill changes %v; want only secretstore_key_version.v2\n%s", changes, out)
	}
	c, ok := changes["secretstore_key_version.v2"]
	if !ok || c.actions != "update" || c.before["pending_rewrap"] != float64(remaining) || c.after["pending_rewrap"] != float64(0) {
		t.Fatalf("the plan after the kill: %+v; want an update of pending_rewrap %d -> 0\n%s", c, remaining, out)
	}
	start = time.Now()
	d.mustRun("apply", "-input=false", "-lock-timeout=10s", "resume.tfplan")
	t.Logf("the resumed apply rewrapped the remaining %d secrets in %v", remaining, time.Since(start))

	if p := planRotate(t, store); p.Pending != 0 || p.ByVersion[2] != total {
		t.Fatalf("after the resumed apply: %d pending, %d under version 2; want 0 and %d", p.Pending, p.ByVersion[2], total)
	}
	for _, i := range []int{0, managedKillSecrets - 1, managedKillSecrets, total - 1} {
		ns, name, want := killSecretID(i)
		sec, err := store.Get(context.Background(), ns, name, backend.GetOptions{})
		if err != nil || string(sec.Value) != want || sec.KeyVersion != 2 {
			t.Fatalf("%s/%s after the resumed apply: key version %d, error %v", ns, name, sec.KeyVersion, err)
		}
	}
	out, err := d.run("plan", "-input=false", "-detailed-exitcode")
	if err != nil {
		t.Fatalf("plan after the finished rotation is not empty (%v):\n%s", err, out)
	}
}

// seedKillSecrets writes the secrets of other runs, a few at a time.
func seedKillSecrets(t *testing.T, store backend.StoreAPI) {
	t.Helper()
	const workers = 4
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for i := managedKillSecrets + w; i < managedKillSecrets+seededKillSecrets; i += workers {
				ns, name, value := killSecretID(i)
				if _, err := store.Put(context.Background(), backend.PutInput{Namespace: ns, Name: name, Value: []byte(value)}); err != nil {
					errs <- fmt.Errorf("writing %s/%s: %w", ns, name, err)
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// planRotate returns the store's rotation plan across every namespace.
func planRotate(t *testing.T, s backend.StoreAPI) backend.RotatePlan {
	t.Helper()
	p, err := s.PlanRotate(context.Background(), backend.RotateInput{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// progressLine matches the provider's rotation progress log line (INFO, as
// terraform relays it with TF_LOG_PROVIDER) and captures how many secrets
// were committed under the new version when it was logged.
var progressLine = regexp.MustCompile(`rotation: progress:.*\brotated=(\d+)`)

// progressWatcher collects terraform's output and reports, once, the
// rotated count of the first rotation progress line it sees.
type progressWatcher struct {
	mu       sync.Mutex
	out      bytes.Buffer
	partial  []byte
	reported bool
	rotated  chan int
}

func (w *progressWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.out.Write(p)
	if w.reported {
		return len(p), nil
	}
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := w.partial[:i]
		w.partial = w.partial[i+1:]
		if m := progressLine.FindSubmatch(line); m != nil {
			n, _ := strconv.Atoi(string(m[1]))
			w.reported = true
			w.partial = nil
			w.rotated <- n
			break
		}
	}
	return len(p), nil
}

func (w *progressWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.out.String()
}

// killRotationPartWay starts `terraform apply` of a pending rotation of n
// secrets in its own process group, with the provider's INFO log on
// terraform's stderr, and kills the whole group (terraform and the
// provider) with SIGKILL as soon as the provider logs rotation progress.
// The provider logs progress every tenth of the pending work, after the
// store committed the chunk that crossed it, so the kill lands after at
// least one committed chunk with most of the work still to do, however
// slow or loaded the machine. It returns how many secrets were rewrapped
// when every process of the group had exited, and fails the test unless
// that is some but not all of the n, and no fewer than the progress line
// reported.
func killRotationPartWay(t *testing.T, d *tfDir, store backend.StoreAPI, n int) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cliPath(), "apply", "-no-color", "-input=false", "-auto-approve")
	cmd.Dir = d.Dir
	cmd.Env = append(append([]string(nil), d.env...), "TF_LOG_PROVIDER=INFO")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out := &progressWatcher{rotated: make(chan int, 1)}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	killed := false
	kill := func() {
		if !killed {
			killed = true
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	}
	defer kill()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var logged int
	select {
	case logged = <-out.rotated:
		kill()
	case err := <-done:
		t.Fatalf("terraform apply ended (%v) before the provider logged rotation progress\n%s", err, out.String())
	}
	t.Logf("killed terraform apply when the provider logged %d of %d secrets rotated; it ended: %v", logged, n, <-done)
	// The provider was in the group too: wait until no process of it is
	// left, so nothing writes to the store any more.
	for deadline := time.Now().Add(10 * time.Second); ; {
		if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes of the killed terraform run are still alive")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Nothing else rewraps: a provider process that escaped the kill would
	// move these counts within a fraction of a second.
	p := planRotate(t, store)
	time.Sleep(300 * time.Millisecond)
	if again := planRotate(t, store); again.Pending != p.Pending || again.ByVersion[2] != p.ByVersion[2] {
		t.Fatalf("the store still changes after the kill (%v, then %v): a process of the run survived", p.ByVersion, again.ByVersion)
	}
	switch {
	case p.ByVersion[2]+p.Pending != n:
		t.Fatalf("after the kill: %v by version, %d pending; want the %d secrets split between versions 1 and 2", p.ByVersion, p.Pending, n)
	case p.Pending == 0:
		t.Fatalf("the rotation finished before the kill reached it (%v by version); the kill must land part-way\n%s", p.ByVersion, out.String())
	case p.ByVersion[2] == 0:
		t.Fatalf("the kill landed before any secret was rewrapped (%v by version)\n%s", p.ByVersion, out.String())
	case p.ByVersion[2] < logged:
		t.Fatalf("after the kill %d secrets are under version 2, fewer than the %d the provider logged as rotated", p.ByVersion[2], logged)
	}
	return p.ByVersion[2]
}

// plannedChange is one resource change of a saved plan.
type plannedChange struct {
	actions       string
	before, after map[string]any
}

// planChanges returns the resource changes of a saved plan other than
// no-ops and reads, by address.
func planChanges(t *testing.T, d *tfDir, planFile string) map[string]plannedChange {
	t.Helper()
	js := d.mustRun("show", "-json", planFile)
	var plan struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Change  struct {
				Actions []string       `json:"actions"`
				Before  map[string]any `json:"before"`
				After   map[string]any `json:"after"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(js), &plan); err != nil {
		t.Fatalf("decoding the plan: %v", err)
	}
	changes := map[string]plannedChange{}
	for _, rc := range plan.ResourceChanges {
		a := fmt.Sprint(rc.Change.Actions)
		if a == "[no-op]" || a == "[read]" {
			continue
		}
		changes[rc.Address] = plannedChange{actions: a[1 : len(a)-1], before: rc.Change.Before, after: rc.Change.After}
	}
	return changes
}
