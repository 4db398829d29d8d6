package backendtest

import "testing"

// ConformanceTest is one topic of the conformance suite: Run checks a
// contract on stores whose buckets it creates with newTarget (each store
// on its own empty bucket).
type ConformanceTest struct {
	Name string
	Run  func(t *testing.T, newTarget NewTarget)
}

// RunConformanceTests runs every test once per kind, as subtests
// "<kind>/<test>". Every subtest runs in parallel with the others: a
// conformance test shares nothing with another but the process, so it
// must not set environment variables or change the working directory.
func RunConformanceTests(t *testing.T, kinds []TargetKind, tests []ConformanceTest) {
	for _, kind := range kinds {
		t.Run(kind.Name, func(t *testing.T) {
			t.Parallel()
			for _, ct := range tests {
				t.Run(ct.Name, func(t *testing.T) {
					t.Parallel()
					ct.Run(t, kind.New)
				})
			}
		})
	}
}

// ForEach runs f as a parallel subtest per kind, each with a new Harness
// on a bucket of that kind.
func ForEach(t *testing.T, kinds []TargetKind, f func(t *testing.T, h *Harness)) {
	for _, kind := range kinds {
		t.Run(kind.Name, func(t *testing.T) {
			t.Parallel()
			f(t, New(t, kind.New))
		})
	}
}
