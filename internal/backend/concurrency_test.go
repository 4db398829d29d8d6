package backend_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

func testConcurrentPuts(t *testing.T, newTarget backendtest.NewTarget) {
	h := backendtest.New(t, newTarget)
	ctx := h.Ctx
	h.CreateKV(1)
	const workers = 16

	race := func(store func(i int) *backend.Store, in func(i int) backend.PutInput) []putResult {
		out := make([]putResult, workers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < workers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				p := in(i)
				sec, err := store(i).Put(ctx, p)
				out[i] = putResult{string(p.Value), sec, err}
			}()
		}
		close(start)
		wg.Wait()
		return out
	}
	stores := make([]*backend.Store, workers)
	for i := range stores {
		stores[i] = h.Fresh()
	}
	separate := func(i int) *backend.Store { return stores[i] }
	shared := func(int) *backend.Store { return h.S }

	for _, mode := range []struct {
		name  string
		store func(int) *backend.Store
	}{{"shared store", shared}, {"one store each", separate}} {
		name := "c-" + strings.ReplaceAll(mode.name, " ", "-")
		// Create race: exactly one IfRevision -1 wins.
		res := race(mode.store, func(i int) backend.PutInput {
			return backend.PutInput{Namespace: "ns", Name: name, Value: []byte(fmt.Sprintf("create-%d", i)), IfRevision: -1}
		})
		winner := checkOneWinner(t, mode.name+" create", res)
		h.ExpectValue(h.Fresh(), "ns", name, []byte(res[winner].value))

		// Update races: exactly one IfRevision = current wins each round.
		for round := int64(1); round <= 3; round++ {
			res := race(mode.store, func(i int) backend.PutInput {
				return backend.PutInput{Namespace: "ns", Name: name, Value: []byte(fmt.Sprintf("r%d-%d", round, i)), IfRevision: round}
			})
			winner := checkOneWinner(t, fmt.Sprintf("%s round %d", mode.name, round), res)
			if res[winner].sec.Revision != round+1 {
				t.Fatalf("round %d winner wrote revision %d", round, res[winner].sec.Revision)
			}
			h.ExpectValue(h.Fresh(), "ns", name, []byte(res[winner].value))
		}

		// Unconditional writers: each either succeeds with its own revision or
		// reports a concurrent modification; the newest acknowledged value is stored.
		res = race(mode.store, func(i int) backend.PutInput {
			return backend.PutInput{Namespace: "ns", Name: name, Value: []byte(fmt.Sprintf("free-%d", i))}
		})
		revs := map[int64]string{}
		var newest int64
		for _, r := range res {
			if r.err != nil {
				backendtest.ExpectErr(t, r.err, backend.ErrConcurrentModification, "unconditional concurrent Put")
				continue
			}
			if other, dup := revs[r.sec.Revision]; dup {
				t.Fatalf("two writers acknowledged revision %d (%s and %s)", r.sec.Revision, other, r.value)
			}
			revs[r.sec.Revision] = r.value
			newest = max(newest, r.sec.Revision)
		}
		if len(revs) == 0 {
			t.Fatalf("no unconditional writer succeeded")
		}
		got := h.ExpectValue(h.Fresh(), "ns", name, []byte(revs[newest]))
		if got.Revision != newest {
			t.Fatalf("current revision %d, newest acknowledged %d", got.Revision, newest)
		}
		for rev, v := range revs {
			if sec := h.Get(h.Fresh(), "ns", name, rev); string(sec.Value) != v {
				t.Fatalf("acknowledged revision %d reads %q, want %q", rev, sec.Value, v)
			}
		}
	}
}

type putResult struct {
	value string
	sec   backend.Secret
	err   error
}

// checkOneWinner requires exactly one success and only concurrent
// modification errors otherwise; it returns the winner's index.
func checkOneWinner(t *testing.T, what string, res []putResult) int {
	t.Helper()
	winner := -1
	for i, r := range res {
		if r.err == nil {
			if winner >= 0 {
				t.Fatalf("%s: writers %d and %d both won", what, winner, i)
			}
			winner = i
			continue
		}
		backendtest.ExpectErr(t, r.err, backend.ErrConcurrentModification, what+": loser")
	}
	if winner < 0 {
		t.Fatalf("%s: nobody won", what)
	}
	return winner
}
