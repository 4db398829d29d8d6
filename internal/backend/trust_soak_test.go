// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// The fault soak runs a seeded random sequence of store operations (Put,
// Delete, Rotate, Cleanup, CreateKeyVersion, RetireKeyVersion) on mem://,
// file:// and the S3 emulator, with a share of the bucket requests
// failing: before the write, after it (the object stored, or deleted, and
// the request reported failed), on listings and, on S3, by losing the
// response of a performed write so that the SDK retries it.
//
// The model. A call that returns nil is acknowledged; a call that fails
// while a fault fired is ambiguous (it may or may not have taken effect).
// Per secret the model keeps the state of the last acknowledged call (a
// value with its revision and value id, or "absent") and the states of the
// ambiguous calls made on that secret since. The store must then read as
// one of those states: absent (ErrNotFound) only if one of them is absent;
// a value only if it is one of theirs (values are unique per call); the
// acknowledged value with the acknowledged value id, at its revision or a
// later one (rotations). An answer that is a fact about the state (Delete
// returning ErrNotFound) becomes the acknowledged state. Every
// acknowledged write reads back at its revision with its value and value
// id unless a Cleanup that started after its retention could have purged
// it. The audit log of every secret, namespace and the whole store lists
// without error (no ErrAuditGap, no ErrIntegrity), and the current revision
// of every secret has its event unless audit retention could have purged
// it. A call that fails without a fault firing fails the soak, except for
// the answers the model allows (ErrNotFound, ErrKeyVersionExists,
// ErrKeyVersionInUse, each where stated).
//
// Convergence. With faults off, the failed calls are run again in order
// and must succeed (or give the allowed answers); then Rotate leaves
// nothing pending, Cleanup leaves a plan of zero, and a second Cleanup
// purges nothing; the model then holds exactly, with no ambiguous states.

// Soak sizing and replay.
const (
	envSoakSeed    = "SECRETSTORE_SOAK_SEED"     // replay: the seed a failed run printed
	envSoakOps     = "SECRETSTORE_SOAK_OPS"      // operations of TestFaultSoak (default soakOps)
	envSoakLongOps = "SECRETSTORE_SOAK_LONG_OPS" // operations of TestFaultSoakLong, which runs only when it is set
	soakOps        = 200
)

// Soak retention: short against the clock's steps, so that purges happen.
var (
	soakDeletedRet  = 40 * time.Second
	soakRevisionRet = 90 * time.Second
	soakAuditRet    = 20 * time.Minute
	soakRetention   = backend.Retention{DeletedSecrets: &soakDeletedRet, Revisions: &soakRevisionRet, AuditEvents: &soakAuditRet}
)

func TestFaultSoak(t *testing.T) {
	t.Parallel()
	runSoak(t, envInt(t, envSoakOps, soakOps))
}

// TestFaultSoakLong is the long soak, sized by SECRETSTORE_SOAK_LONG_OPS
// (e.g. 5000); it is skipped when that is unset and under -short.
func TestFaultSoakLong(t *testing.T) {
	if testing.Short() || os.Getenv(envSoakLongOps) == "" {
		t.Skipf("long soak skipped: set %s and run without -short", envSoakLongOps)
	}
	t.Parallel()
	runSoak(t, envInt(t, envSoakLongOps, 0))
}

func envInt(t *testing.T, name string, def int64) int64 {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

func runSoak(t *testing.T, ops int64) {
	seed := envInt(t, envSoakSeed, time.Now().UnixNano())
	for _, kind := range soakTargetKinds() {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			t.Logf("seed %d (replay with %s=%d), %d operations", seed, envSoakSeed, seed, ops)
			start := time.Now()
			sk := newSoak(t, kind, seed, int(ops))
			sk.run()
			t.Logf("%d operations, %d faults fired (%d lost responses), %d calls failed, in %v",
				ops, sk.fired, sk.lostFired, sk.failedCalls, time.Since(start).Round(time.Millisecond))
		})
	}
}

// soakTarget is a bucket whose requests a FaultBucket can fail (and, on
// S3, a faultProxy can lose responses of), with a way to open a store
// that sees it without faults.
type soakTarget struct {
	tg    backendtest.Target
	proxy *faultProxy // S3 only
	clean backend.Options
}

type soakTargetKind struct {
	name string
	new  func(t testing.TB) soakTarget
}

func soakTargetKinds() []soakTargetKind {
	return []soakTargetKind{
		{"mem", func(t testing.TB) soakTarget {
			inner := backendtest.OpenRaw(t, "mem://")
			fb, b := backendtest.NewFaultBucket(inner)
			return soakTarget{
				tg:    backendtest.Target{Opts: backend.Options{Bucket: b, Concurrency: 4}, Raw: inner, Faults: fb},
				clean: backend.Options{Bucket: inner},
			}
		}},
		{"file", func(t testing.TB) soakTarget {
			// The faulted store reaches the directory through fileblob; the
			// checking store opens it by URL, with the store's own file
			// reader, so both readers must agree on what was written.
			dir := t.TempDir()
			u := backendtest.FileURL(dir)
			inner := backendtest.OpenRaw(t, u+"?metadata=skip")
			fb, b := backendtest.NewFaultBucket(inner)
			return soakTarget{
				tg:    backendtest.Target{Opts: backend.Options{Bucket: b, Concurrency: 4}, Raw: inner, Dir: dir, Faults: fb},
				clean: backend.Options{BucketURL: u},
			}
		}},
		{"s3fake", func(t testing.TB) soakTarget {
			tg, p := s3ViaProxy(t)
			// Lost responses cancel proxied requests; that is the fault, not news.
			p.rp.ErrorLog = log.New(io.Discard, "", 0)
			fb, b := backendtest.NewFaultBucket(quickRetryS3(t, tg.Opts.BucketURL))
			return soakTarget{
				tg:    backendtest.Target{Opts: backend.Options{Bucket: b, Concurrency: 4}, Raw: tg.Raw, Faults: fb},
				proxy: p,
				clean: backend.Options{Bucket: tg.Raw},
			}
		}},
	}
}

// quickRetryS3 opens the s3blob URL u (of a FakeS3 or a faultProxy) with
// an S3 client whose retries wait a millisecond, not the SDK's backoff, so
// that lost responses cost the soak no time. It keeps the SDK's retry
// rules: a lost response is retried as it would be against AWS.
func quickRetryS3(t testing.TB, u string) *blob.Bucket {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatalf("parsing %q: %v", u, err)
	}
	q := pu.Query()
	endpoint := q.Get("endpoint")
	client := s3.NewFromConfig(aws.Config{
		Region:      q.Get("region"),
		Credentials: credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
			})
		},
	}, func(o *s3.Options) {
		o.BaseEndpoint = &endpoint
		o.UsePathStyle = true
	})
	b, err := s3blob.OpenBucket(context.Background(), client, pu.Host, nil)
	if err != nil {
		t.Fatalf("opening %q: %v", pu.Host, err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// soakState is one state of a secret in the model.
type soakState struct {
	exists  bool
	value   []byte
	rev     int64  // set for acknowledged writes
	valueID string // set for acknowledged writes
}

// soakWrite is one acknowledged value write.
type soakWrite struct {
	id      secretID
	value   []byte
	rev     int64
	valueID string
	at      time.Time
}

// soakOp is one call of the soak, to run (again).
type soakOp struct {
	kind    string // put, delete, rotate, cleanup, create-kv, retire-kv
	id      secretID
	value   []byte
	version int
}

func (o soakOp) String() string {
	switch o.kind {
	case "put":
		return fmt.Sprintf("Put(%s/%s, %q)", o.id.ns, o.id.name, o.value)
	case "delete":
		return fmt.Sprintf("Delete(%s/%s)", o.id.ns, o.id.name)
	case "create-kv":
		return fmt.Sprintf("CreateKeyVersion(%d)", o.version)
	case "retire-kv":
		return fmt.Sprintf("RetireKeyVersion(%d)", o.version)
	}
	return o.kind
}

type soak struct {
	t     *testing.T
	seed  int64
	ops   int
	rng   *rand.Rand
	ctx   context.Context
	h     *backendtest.Harness
	st    soakTarget
	ids   []secretID
	step  int
	calls int // values written so far, for unique values

	acked   map[secretID]soakState
	pending map[secretID][]soakState
	writes  []soakWrite
	failed  []soakOp

	kvAcked     []int // key versions known to exist, ascending
	nextKV      int
	retired     map[int]bool
	cleanups    []time.Time // start times of every Cleanup call
	fired       int
	lostFired   int
	failedCalls int
}

func newSoak(t *testing.T, kind soakTargetKind, seed int64, ops int) *soak {
	sk := &soak{
		t: t, seed: seed, ops: ops, ctx: context.Background(),
		rng:     rand.New(rand.NewPCG(uint64(seed), uint64(seed)>>32^0x9e3779b97f4a7c15)),
		acked:   map[secretID]soakState{},
		pending: map[secretID][]soakState{},
		retired: map[int]bool{},
		nextKV:  1,
	}
	sk.h = backendtest.New(t, func(t testing.TB) backendtest.Target {
		sk.st = kind.new(t)
		return sk.st.tg
	})
	for _, ns := range []string{"app", "ops"} {
		for i := range 4 {
			sk.ids = append(sk.ids, secretID{ns, fmt.Sprintf("s%d", i)})
		}
	}
	return sk
}

// fatalf fails the soak with the seed and step that replay it.
func (sk *soak) fatalf(format string, args ...any) {
	sk.t.Helper()
	sk.t.Fatalf("seed %d, step %d: %s", sk.seed, sk.step, fmt.Sprintf(format, args...))
}

func (sk *soak) run() {
	// A first key version, so that writes can succeed.
	sk.do(soakOp{kind: "create-kv", version: sk.nextKV}, false)
	for sk.step = 1; sk.step <= sk.ops; sk.step++ {
		sk.h.Clock.Advance(time.Duration(1+sk.rng.IntN(20)) * time.Second)
		sk.do(sk.pick(), true)
	}
	sk.step = 0
	sk.verify("after the faulted run")
	sk.converge()
	sk.verify("after convergence")
}

// pick chooses the next operation.
func (sk *soak) pick() soakOp {
	id := sk.ids[sk.rng.IntN(len(sk.ids))]
	switch r := sk.rng.IntN(100); {
	case r < 50:
		sk.calls++
		return soakOp{kind: "put", id: id, value: fmt.Appendf(nil, "value %d of %s/%s", sk.calls, id.ns, id.name)}
	case r < 70:
		return soakOp{kind: "delete", id: id}
	case r < 80:
		return soakOp{kind: "rotate"}
	case r < 90:
		return soakOp{kind: "cleanup"}
	case r < 95:
		return soakOp{kind: "create-kv", version: sk.nextKV}
	default:
		// Any acknowledged version but the newest is not the primary.
		if len(sk.kvAcked) < 2 {
			return soakOp{kind: "rotate"}
		}
		return soakOp{kind: "retire-kv", version: sk.kvAcked[sk.rng.IntN(len(sk.kvAcked)-1)]}
	}
}

// arm injects at most one fault for the next call: a failed bucket
// request (the k-th of its kind) or, on S3, a lost response of the k-th
// PUT.
func (sk *soak) arm() (bucket bool) {
	r := sk.rng.IntN(100)
	k := 1 + sk.rng.IntN(4)
	switch {
	case r < 25:
		kinds := []backendtest.FaultKind{
			backendtest.FaultWrite, backendtest.FaultWriteStored, backendtest.FaultList,
			backendtest.FaultDelete, backendtest.FaultDeleteDone,
		}
		sk.st.tg.Faults.Arm(kinds[sk.rng.IntN(len(kinds))], k)
		return true
	case r < 35 && sk.st.proxy != nil:
		sk.st.proxy.losePutResponse(func(string) bool { k--; return k == 0 })
	}
	return false
}

// disarm stops every fault and reports which fired: the bucket fault, if
// bucket says one was armed, and a lost response.
func (sk *soak) disarm(bucket bool) (fired, lost bool) {
	if bucket {
		fired, _ = sk.st.tg.Faults.Disarm()
	}
	if p := sk.st.proxy; p != nil {
		p.mu.Lock()
		lost = len(p.lost) > 0
		p.rule, p.lost = nil, nil
		p.mu.Unlock()
	}
	return fired, lost
}

// do runs o, with a fault armed when faults is set, and updates the model.
func (sk *soak) do(o soakOp, faults bool) {
	sk.t.Helper()
	armed := faults && sk.arm()
	now := sk.h.Clock.Now()
	var err error
	var sec backend.Secret
	switch o.kind {
	case "put":
		sec, err = sk.h.S.Put(sk.ctx, backend.PutInput{Namespace: o.id.ns, Name: o.id.name, Value: o.value})
	case "delete":
		err = sk.h.S.Delete(sk.ctx, backend.DeleteInput{Namespace: o.id.ns, Name: o.id.name})
	case "rotate":
		_, err = sk.h.S.Rotate(sk.ctx, backend.RotateInput{})
	case "cleanup":
		sk.cleanups = append(sk.cleanups, now)
		_, err = sk.h.S.Cleanup(sk.ctx, backend.CleanupInput{Retention: soakRetention})
	case "create-kv":
		_, err = sk.h.S.CreateKeyVersion(sk.ctx, o.version, nil)
	case "retire-kv":
		err = sk.h.S.RetireKeyVersion(sk.ctx, o.version)
	}
	fired, lost := sk.disarm(armed)
	if fired {
		sk.fired++
	}
	if lost {
		sk.lostFired++
	}
	if err != nil && !fired {
		if sk.allowed(o, err) {
			return
		}
		if lost {
			sk.fatalf("%s failed after a lost response, which the store must recognise as its own write: %v", o, err)
		}
		sk.fatalf("%s failed without a fault: %v", o, err)
	}
	if err != nil {
		if errors.Is(err, backend.ErrIntegrity) || errors.Is(err, backend.ErrAuditGap) {
			sk.fatalf("%s reported damage after an injected fault: %v", o, err)
		}
		sk.failed = append(sk.failed, o)
		sk.failedCalls++
		switch o.kind {
		case "put":
			sk.pending[o.id] = append(sk.pending[o.id], soakState{exists: true, value: o.value})
		case "delete":
			sk.pending[o.id] = append(sk.pending[o.id], soakState{})
		}
		return
	}
	switch o.kind {
	case "put":
		if !bytes.Equal(sec.Value, o.value) && sec.Value != nil {
			sk.fatalf("%s returned value %q", o, sec.Value)
		}
		sk.acked[o.id] = soakState{exists: true, value: o.value, rev: sec.Revision, valueID: sec.ValueID}
		delete(sk.pending, o.id)
		sk.writes = append(sk.writes, soakWrite{id: o.id, value: o.value, rev: sec.Revision, valueID: sec.ValueID, at: now})
	case "delete":
		sk.acked[o.id] = soakState{}
		delete(sk.pending, o.id)
	case "rotate":
		if !fired {
			sk.expectNothingPending("Rotate")
		}
	case "create-kv":
		sk.kvCreated(o.version)
	case "retire-kv":
		sk.retired[o.version] = true
	}
}

// allowed reports whether err is an answer the model allows o to give
// without a fault, and records what it says about the state.
func (sk *soak) allowed(o soakOp, err error) bool {
	switch o.kind {
	case "delete":
		if !errors.Is(err, backend.ErrNotFound) {
			return false
		}
		absent := !sk.acked[o.id].exists
		for _, p := range sk.pending[o.id] {
			absent = absent || !p.exists
		}
		if absent {
			sk.acked[o.id] = soakState{}
			delete(sk.pending, o.id)
		}
		return absent
	case "create-kv":
		// Only a version whose creation failed ambiguously may exist.
		if !errors.Is(err, backend.ErrKeyVersionExists) || !sk.failedBefore(o) {
			return false
		}
		sk.kvCreated(o.version)
		return true
	case "retire-kv":
		// A version still under some current revision (a Rotate failed).
		return errors.Is(err, backend.ErrKeyVersionInUse)
	}
	return false
}

func (sk *soak) failedBefore(o soakOp) bool {
	for _, f := range sk.failed {
		if f.kind == o.kind && f.version == o.version {
			return true
		}
	}
	return false
}

func (sk *soak) kvCreated(v int) {
	if len(sk.kvAcked) == 0 || sk.kvAcked[len(sk.kvAcked)-1] < v {
		sk.kvAcked = append(sk.kvAcked, v)
	}
	if v >= sk.nextKV {
		sk.nextKV = v + 1
	}
}

func (sk *soak) expectNothingPending(what string) {
	sk.t.Helper()
	plan, err := sk.h.S.PlanRotate(sk.ctx, backend.RotateInput{})
	if err != nil {
		sk.fatalf("PlanRotate after %s: %v", what, err)
	}
	if plan.Pending != 0 {
		sk.fatalf("after %s, PlanRotate = %+v, want nothing pending", what, plan)
	}
}

// converge runs every failed call again without faults, then Rotate and
// Cleanup, and checks that nothing is left to do.
func (sk *soak) converge() {
	sk.t.Helper()
	sk.step = -1
	failed := sk.failed
	sk.failed = nil
	for _, o := range failed {
		if o.kind == "create-kv" {
			// The rerun of an ambiguous creation may find it done.
			sk.failed = append(sk.failed, o)
		}
		sk.h.Clock.Advance(time.Second)
		sk.do(o, false)
	}
	if len(sk.pending) != 0 {
		sk.fatalf("ambiguous states left after the reruns: %v", sk.pending)
	}
	sk.h.Clock.Advance(time.Second)
	sk.do(soakOp{kind: "rotate"}, false)
	sk.expectNothingPending("the final Rotate")
	sk.h.Clock.Advance(time.Second)
	sk.do(soakOp{kind: "cleanup"}, false)
	in := backend.CleanupInput{Retention: soakRetention}
	plan, err := sk.h.S.PlanCleanup(sk.ctx, in)
	if err != nil {
		sk.fatalf("PlanCleanup after the final Cleanup: %v", err)
	}
	if plan != (backend.CleanupPlan{}) {
		sk.fatalf("PlanCleanup after the final Cleanup = %+v, want nothing", plan)
	}
	res, err := sk.h.Fresh().Cleanup(sk.ctx, in)
	if err != nil || res != (backend.CleanupResult{}) {
		sk.fatalf("second Cleanup = %+v, %v; want nothing purged", res, err)
	}
}

// purgeable reports whether a Cleanup started at or after at+ret.
func (sk *soak) purgeable(at time.Time, ret time.Duration) bool {
	for _, c := range sk.cleanups {
		if !c.Before(at.Add(ret)) {
			return true
		}
	}
	return false
}

// verify checks the bucket against the model through a store that sees it
// without faults.
func (sk *soak) verify(what string) {
	sk.t.Helper()
	c := sk.h.MustOpen(func(o *backend.Options) {
		o.Bucket, o.BucketURL, o.Concurrency = sk.st.clean.Bucket, sk.st.clean.BucketURL, 0
	})
	lastWrite := map[secretID]time.Time{}
	for _, w := range sk.writes {
		lastWrite[w.id] = w.at
	}
	for _, id := range sk.ids {
		acked := sk.acked[id]
		cands := append([]soakState{acked}, sk.pending[id]...)
		got, err := c.Get(sk.ctx, id.ns, id.name, backend.GetOptions{})
		if errors.Is(err, backend.ErrNotFound) {
			absent := false
			for _, s := range cands {
				absent = absent || !s.exists
			}
			if !absent {
				sk.fatalf("%s: %s/%s is not found; acknowledged %q, ambiguous %d", what, id.ns, id.name, acked.value, len(sk.pending[id]))
			}
		} else if err != nil {
			sk.fatalf("%s: Get(%s/%s): %v", what, id.ns, id.name, err)
		} else {
			match := -1
			for i, s := range cands {
				if s.exists && bytes.Equal(s.value, got.Value) {
					match = i
				}
			}
			switch {
			case match < 0:
				sk.fatalf("%s: %s/%s reads %q; acknowledged %q (exists %v), ambiguous %d", what, id.ns, id.name, got.Value, acked.value, acked.exists, len(sk.pending[id]))
			case match == 0:
				if got.ValueID != acked.valueID || got.Revision < acked.rev {
					sk.fatalf("%s: %s/%s reads its acknowledged value at revision %d, value id %s; acknowledged revision %d, value id %s",
						what, id.ns, id.name, got.Revision, got.ValueID, acked.rev, acked.valueID)
				}
			}
			if at, ok := lastWrite[id]; !ok || !sk.purgeable(at, soakAuditRet) {
				found := false
				for _, ev := range sk.events(c, backend.EventFilter{Namespace: id.ns, Name: id.name}) {
					found = found || ev.Revision == got.Revision
				}
				if !found {
					sk.fatalf("%s: current revision %d of %s/%s has no audit event", what, got.Revision, id.ns, id.name)
				}
			}
		}
		sk.events(c, backend.EventFilter{Namespace: id.ns, Name: id.name})
	}
	for _, w := range sk.writes {
		got, err := c.Get(sk.ctx, w.id.ns, w.id.name, backend.GetOptions{Revision: w.rev})
		if sk.purgeable(w.at, min(soakDeletedRet, soakRevisionRet)) {
			// Purged, or (after its secret was purged) a later write's
			// revision of the same number.
			if err == nil || errors.Is(err, backend.ErrNotFound) {
				continue
			}
		}
		if err != nil {
			sk.fatalf("%s: acknowledged revision %d of %s/%s (%q): %v", what, w.rev, w.id.ns, w.id.name, w.value, err)
		}
		if !bytes.Equal(got.Value, w.value) || got.ValueID != w.valueID {
			sk.fatalf("%s: acknowledged revision %d of %s/%s reads %q, value id %s; acknowledged %q, value id %s",
				what, w.rev, w.id.ns, w.id.name, got.Value, got.ValueID, w.value, w.valueID)
		}
	}
	sk.events(c, backend.EventFilter{Namespace: "app"})
	sk.events(c, backend.EventFilter{Namespace: "ops"})
	sk.events(c, backend.EventFilter{})
	sk.events(c, backend.EventFilter{Descending: true})
	kvs, err := c.KeyVersions(sk.ctx)
	if err != nil {
		sk.fatalf("%s: KeyVersions: %v", what, err)
	}
	have := map[int]bool{}
	for _, kv := range kvs {
		have[kv.Version] = true
		if sk.retired[kv.Version] && !kv.Retired {
			sk.fatalf("%s: key version %d was retired and reads as not retired", what, kv.Version)
		}
	}
	for _, v := range sk.kvAcked {
		if !have[v] {
			sk.fatalf("%s: acknowledged key version %d is missing (have %v)", what, v, kvs)
		}
	}
}

// events lists every event f selects, failing the soak on any error.
func (sk *soak) events(s *backend.Store, f backend.EventFilter) []backend.Event {
	sk.t.Helper()
	f.Limit = backend.MaxEventLimit
	var out []backend.Event
	for {
		page, err := s.ListEvents(sk.ctx, f)
		if err != nil {
			sk.fatalf("ListEvents(namespace %q, name %q, descending %v): %v", f.Namespace, f.Name, f.Descending, err)
		}
		out = append(out, page.Events...)
		if page.NextPageToken == "" {
			return out
		}
		f.PageToken = page.NextPageToken
	}
}
