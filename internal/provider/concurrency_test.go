// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// raceResult is the outcome of one of two concurrent terraform runs.
type raceResult struct {
	dir *tfDir
	out string
	err error
}

// runConcurrently runs terraform args in every directory at once.
func runConcurrently(dirs []*tfDir, args ...string) []raceResult {
	res := make([]raceResult, len(dirs))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, d := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out, err := d.run(args...)
			res[i] = raceResult{dir: d, out: out, err: err}
		}()
	}
	close(start)
	wg.Wait()
	return res
}

// oneWinner returns the winner and the loser of a two-way race, failing
// the test unless exactly one run failed with wantErr.
func oneWinner(t *testing.T, res []raceResult, wantErr *regexp.Regexp) (winner, loser raceResult) {
	t.Helper()
	switch {
	case res[0].err == nil && res[1].err != nil:
		winner, loser = res[0], res[1]
	case res[1].err == nil && res[0].err != nil:
		winner, loser = res[1], res[0]
	default:
		t.Fatalf("want exactly one of two concurrent runs to fail; got errors %v and %v\n--- %s:\n%s\n--- %s:\n%s",
			res[0].err, res[1].err, res[0].dir.Dir, res[0].out, res[1].dir.Dir, res[1].out)
	}
	if !wantErr.MatchString(loser.out) {
		t.Fatalf("the losing run failed, but not with %s:\n%s", wantErr, loser.out)
	}
	t.Logf("losing run (%s):\n%s", filepath.Base(loser.dir.Dir), loser.out)
	return winner, loser
}

// TestAccConcurrentRuns runs two real terraform processes (each with its
// own provider process) writing the same secret in one store: one fails
// with the concurrent-modification error, the other's value is stored,
// and re-running the loser stores its value with nothing lost.
func TestAccConcurrentRuns(t *testing.T) {
	slowTest(t, "nine runs of the real terraform binary, two pairs of them racing")
	t.Parallel()
	base := t.TempDir()
	storeDir := filepath.Join(base, "store")
	if err := os.MkdirAll(storeDir, 0o700); err != nil {
		t.Fatal(err)
	}
	ts := testStore{URL: fileURL(storeDir), RootKey: randomKey(t)}
	provider := ts.providerBlock("")
	secret := func(value string) string {
		return provider + fmt.Sprintf(`
resource "secretstore_secret" "shared" {
  namespace = "app:prod"
  name      = "shared"
  value     = %q
}
`, value)
	}

	setup := newTFDir(t, base, "setup")
	setup.write(provider + kvBlock)
	setup.mustRun("apply", "-input=false", "-auto-approve")

	a := newTFDir(t, base, "a", "SECRETSTORE_ACTOR=run-a")
	b := newTFDir(t, base, "b", "SECRETSTORE_ACTOR=run-b")
	values := map[*tfDir]string{a: "from-a", b: "from-b"}
	actorOf := map[*tfDir]string{a: "run-a", b: "run-b"}
	a.write(secret(values[a]))
	b.write(secret(values[b]))

	// Both create the secret at once: exactly one create wins.
	winner, loser := oneWinner(t, runConcurrently([]*tfDir{a, b}, "apply", "-input=false", "-auto-approve"),
		wrappedRe(`another run changed app:prod/shared; re-run plan`))
	store := ts.open(t)
	ctx := context.Background()
	assertStored := func(value string, revision int64) {
		t.Helper()
		s, err := store.Get(ctx, "app:prod", "shared", backend.GetOptions{})
		if err != nil {
			t.Fatalf("reading the shared secret: %v", err)
		}
		if string(s.Value) != value || s.Revision != revision {
			t.Fatalf("stored %q at revision %d, want %q at revision %d", s.Value, s.Revision, value, revision)
		}
	}
	assertStored(values[winner.dir], 1)
	wantActors := map[int64]string{1: actorOf[winner.dir]}

	// The loser adopts the secret (as `terraform import` would) by taking
	// the winner's state; now both record revision 1.
	state, err := os.ReadFile(filepath.Join(winner.dir.Dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(loser.dir.Dir, "terraform.tfstate"), state, 0o600); err != nil {
		t.Fatal(err)
	}

	// Both plan an update from revision 1, then apply their saved plans at
	// once: exactly one update wins, the other is refused.
	values[a], values[b] = "a-second", "b-second"
	a.write(secret(values[a]))
	b.write(secret(values[b]))
	a.mustRun("plan", "-input=false", "-out=update.tfplan")
	b.mustRun("plan", "-input=false", "-out=update.tfplan")
	winner, loser = oneWinner(t, runConcurrently([]*tfDir{a, b}, "apply", "-input=false", "update.tfplan"),
		wrappedRe(`Concurrent modification.*another run changed app:prod/shared; re-run plan`))
	assertStored(values[winner.dir], 2)
	wantActors[2], wantActors[3] = actorOf[winner.dir], actorOf[loser.dir]

	// Nothing is lost: the loser re-plans, sees the other run's value as
	// drift, and writes its own.
	out := loser.dir.mustRun("plan", "-input=false", "-out=retry.tfplan")
	if !strings.Contains(out, "update in-place") {
		t.Fatalf("the re-run plan does not update the secret:\n%s", out)
	}
	loser.dir.mustRun("apply", "-input=false", "retry.tfplan")
	assertStored(values[loser.dir], 3)

	// Every write is in the audit log, under the actor of the run that
	// made it.
	page, err := store.ListEvents(ctx, backend.EventFilter{Namespace: "app:prod", Name: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	actors := map[int64]string{}
	for _, ev := range page.Events {
		if ev.Operation == backend.OpCreated || ev.Operation == backend.OpUpdated {
			actors[ev.Revision] = ev.Actor
		}
	}
	for rev, actor := range wantActors {
		if actors[rev] != actor {
			t.Errorf("audit event of revision %d names %q, want %q (events: %v)", rev, actors[rev], actor, actors)
		}
	}
	if len(actors) != 3 {
		t.Errorf("want 3 write events, got %v", actors)
	}
}
