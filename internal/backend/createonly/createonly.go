// SPDX-License-Identifier: MPL-2.0

// Package createonly writes objects that are never overwritten: every write
// creates its key or reports that the key already exists, and a group of
// writes becomes visible in stages, each stage durable before the next one
// is written.
//
// A Writer commits stages of Ops. After Commit, each Op reports whether it
// created its key (Done) or found it taken (Exists, a lost compare-and-swap:
// another writer was first). A write whose response was lost and whose
// retry found its own object is Done, never Exists. A Strict stage must create every one of its
// keys: a taken key stops the commit with an *ExistsError, and nothing of a
// later stage is written.
//
// Dir is the Writer for a local directory: create-only across processes
// (link(2)), durable when Commit returns, and never showing a torn object.
// Writers for other buckets implement the same contract with the
// conditional writes of their service.
package createonly

import (
	"context"
	"errors"
	"fmt"
)

// Op is one create-only write of a commit.
type Op struct {
	Key string
	// Data, when not empty, must be unique to this Op (it carries random
	// bytes: a nonce, a random id): a Writer over a service that may
	// perform a write and lose its response recognises its own object by
	// finding Data under Key byte for byte. An Op with empty Data that
	// finds Key taken always reports Exists.
	Data []byte
	// Alias, when set, names an empty object created after Key succeeds
	// (for example an index entry). An alias that already exists is not an
	// error.
	Alias string

	// Exists reports, after Commit, that Key was already taken; Done that
	// this Op created it.
	Exists bool
	Done   bool
}

// Stage is a set of writes that become visible together: every object of
// a stage is durable before any object of the next stage becomes visible.
type Stage struct {
	Ops []*Op
	// Strict stages must create every object; a key that already exists
	// stops the commit with an *ExistsError.
	Strict bool
}

// Writer creates objects.
type Writer interface {
	// Commit writes the stages in order and returns the first error other
	// than a non-strict Exists. Nothing of a later stage is written once a
	// stage fails.
	Commit(ctx context.Context, stages ...Stage) error
}

// ErrExists is wrapped by every *ExistsError.
var ErrExists = errors.New("already exists")

// ExistsError reports the taken key that stopped a strict stage.
type ExistsError struct{ Key string }

func (e *ExistsError) Error() string { return fmt.Sprintf("object %s already exists", e.Key) }

// Unwrap returns ErrExists.
func (e *ExistsError) Unwrap() error { return ErrExists }

// Check returns an *ExistsError for the first taken key of a strict stage,
// after its writes; a writer calls it before it goes on to the next stage.
func (st Stage) Check() error {
	if !st.Strict {
		return nil
	}
	for _, op := range st.Ops {
		if op.Exists {
			return &ExistsError{Key: op.Key}
		}
	}
	return nil
}
