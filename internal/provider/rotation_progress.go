// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"sync"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// rotationStep is the point of a rotation a progress report is made at.
type rotationStep int

const (
	rotationStarted    rotationStep = iota // before the first secret
	rotationProgressed                     // another tenth of the pending secrets rewrapped
	rotationFinished                       // the run completed without error
)

// rotateWithProgress runs the store's rotation engine (backend.StoreAPI
// Rotate) over in, and calls report, never concurrently, when it starts,
// each time another tenth of pending (at least one secret) has been
// rewrapped, and when it has finished. Reports carry counts only. When the
// run stops with an error, the result's Rotated is the most the run is
// known to have rewrapped.
func rotateWithProgress(ctx context.Context, store backend.StoreAPI, in backend.RotateInput, pending int64,
	report func(rotationStep, backend.RotateResult)) (backend.RotateResult, error) {
	step := max(pending/10, 1)
	var (
		mu     sync.Mutex
		logged int64
		last   backend.RotateResult
	)
	report(rotationStarted, backend.RotateResult{})
	in.Progress = func(p backend.RotateResult) {
		mu.Lock()
		defer mu.Unlock()
		if p.Rotated > last.Rotated {
			last = p
		}
		if n := int64(p.Rotated); n/step > logged/step {
			logged = n
			report(rotationProgressed, p)
		}
	}
	res, err := store.Rotate(ctx, in)
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		res.Rotated = max(res.Rotated, last.Rotated)
		return res, err
	}
	report(rotationFinished, res)
	return res, nil
}
