// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// Kinds of VerifyProblem.
const (
	VerifyHeader     = "header"      // a store header revision
	VerifyKeyVersion = "key_version" // a key version record, or its material
	VerifyRecord     = "record"      // a secret revision record
	VerifyMarker     = "marker"      // a secret revision marker
	VerifyAudit      = "audit"       // the audit log: an event, a batch or a gap
)

// VerifyInput configures Verify.
type VerifyInput struct {
	// Progress, when set, is called after each object or query with the
	// counts so far (Problems is then nil).
	Progress func(VerifyReport)
}

// VerifyProblem is one damaged part of the store.
type VerifyProblem struct {
	Kind   string // one of VerifyHeader, VerifyKeyVersion, VerifyRecord, VerifyMarker, VerifyAudit
	Object string // what it concerns, in words: "secret ns/name revision 3", "audit log of namespace ns"
	Err    error  // why; never carries a value or key material
}

// VerifyReport counts what Verify checked and lists what is damaged.
type VerifyReport struct {
	Headers     int // store header revisions authenticated
	KeyVersions int // key version record revisions authenticated (each version's material is also unwrapped)
	Records     int // secret revision records authenticated and, unless tombstones, decrypted
	Markers     int // markers compared with their records
	Events      int // audit events read from the global log
	Problems    []VerifyProblem
}

// Damaged reports whether Verify found anything damaged.
func (r *VerifyReport) Damaged() bool { return len(r.Problems) > 0 }

// Verify scans the whole store and reports every damaged object: each
// store header revision (an old revision wrapped only under a root key
// that is no longer configured cannot be opened and is skipped), each key
// version record revision, and each version's material (unwrapped and
// checked against its check value), every revision record of every secret
// (authenticated under its key version and decrypted; the value is
// cleared at once, never returned), every marker against its record (a
// marker without its record is a deleted revision), and the audit log: the
// global log, then each namespace's and each secret's index, so that a
// forged, altered or deleted event, or a gap in a secret's chain, is
// reported (see Audit chain in the package documentation); the three
// copies of each secret event are compared, so that an event deleted from
// one log is reported even where no chain link reveals it (a secret's
// newest event), unless it was withdrawn or is older than the newest audit
// purge.
//
// A damaged object is a VerifyProblem, and the scan goes on. The error is
// for failures that stop the scan (the bucket cannot be listed, the
// context is canceled); the report then holds what was found so far. Cost:
// one LIST pass over the keyring, the headers and the secrets, one GET per
// object checked, and one audit query per namespace and per secret (read
// again for those whose logs disagree).
func (s *Store) Verify(ctx context.Context, in VerifyInput) (VerifyReport, error) {
	if err := s.enter(); err != nil {
		return VerifyReport{}, err
	}
	defer s.leave()
	if err := s.prepareRead(ctx); err != nil {
		return VerifyReport{}, err
	}
	v := &verifier{s: s, progress: in.Progress, namespaces: map[string]bool{}, secrets: map[secretID]bool{}}
	steps := []func(context.Context) error{v.headers, v.keyring, v.records, v.audit}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return v.rep, err
		}
	}
	return v.rep, nil
}

// verifier carries one Verify run.
type verifier struct {
	s          *Store
	progress   func(VerifyReport)
	rep        VerifyReport
	namespaces map[string]bool
	secrets    map[secretID]bool
	copies     map[string]*eventCopies // events of secrets by id, in audit
	failed     map[string]bool         // logs whose query reported a problem
	recheck    bool                    // query only marks the events already in copies
}

// verifyRecheckHook, when set, is called before compareCopies reads a log
// again; tests set it to write between the two readings.
var verifyRecheckHook func()

func (v *verifier) problem(kind, object string, err error) {
	v.rep.Problems = append(v.rep.Problems, VerifyProblem{Kind: kind, Object: object, Err: err})
}

func (v *verifier) tick() {
	if v.progress != nil {
		r := v.rep
		r.Problems = nil
		v.progress(r)
	}
}

// keys lists every key under prefix.
func (v *verifier) keys(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	err := v.s.obj().eachKey(ctx, prefix, func(o *blob.ListObject) error {
		keys = append(keys, o.Key)
		return nil
	})
	return keys, err
}

// fetch reads key, turning a failure into a problem; ok is false then.
func (v *verifier) fetch(ctx context.Context, kind, object, key string, limit int) ([]byte, bool, error) {
	data, err := v.s.obj().get(ctx, key, limit)
	switch {
	case ctx.Err() != nil:
		return nil, false, ctx.Err()
	case errors.Is(err, errObjectNotFound):
		// Listed a moment ago: removed meanwhile (a concurrent cleanup).
		return nil, false, nil
	case err != nil:
		v.problem(kind, object, err)
		return nil, false, nil
	}
	return data, true, nil
}

func (v *verifier) headers(ctx context.Context) error {
	keys, err := v.keys(ctx, prefixHeader)
	if err != nil {
		return fmt.Errorf("listing the store header: %w", err)
	}
	newest := true
	for _, key := range keys {
		rev, ok := parseHeaderKey(key)
		if !ok {
			continue
		}
		object := fmt.Sprintf("store header revision %d", rev)
		data, ok, err := v.fetch(ctx, VerifyHeader, object, key, maxObjectLen)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		hs, err := v.s.decodeHeader(ctx, data, rev)
		clear(hs.secret)
		clear(hs.keyringKey)
		clear(hs.headerKey)
		clear(hs.auditKey)
		switch {
		case errors.Is(err, ErrRootKeyMismatch) && !newest:
			// Wrapped under a root key no longer configured: it cannot
			// be authenticated, and it is not the header in use.
		case err != nil:
			v.problem(VerifyHeader, object, err)
		default:
			v.rep.Headers++
		}
		newest = false
		v.tick()
	}
	return nil
}

func (v *verifier) keyring(ctx context.Context) error {
	keys, err := v.keys(ctx, prefixKeyring)
	if err != nil {
		return fmt.Errorf("listing the keyring: %w", err)
	}
	v.s.mu.Lock()
	macKey := v.s.header.keyringKey
	v.s.mu.Unlock()
	versions := map[int]bool{}
	for _, key := range keys {
		ver, rev, ok := parseKeyVersionKey(key)
		if !ok {
			continue
		}
		object := fmt.Sprintf("key version %d record revision %d", ver, rev)
		data, ok, err := v.fetch(ctx, VerifyKeyVersion, object, key, maxObjectLen)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		versions[ver] = true
		if _, err := decodeKeyVersion(macKey, data, ver, rev); err != nil {
			v.problem(VerifyKeyVersion, object, err)
		} else {
			v.rep.KeyVersions++
		}
		v.tick()
	}
	if err := v.s.refreshKeyring(ctx); err != nil {
		return err
	}
	order := make([]int, 0, len(versions))
	for ver := range versions {
		order = append(order, ver)
	}
	sort.Ints(order)
	for _, ver := range order {
		// kek unwraps the material and checks its check value.
		if _, err := v.s.kek(ctx, ver); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			v.problem(VerifyKeyVersion, fmt.Sprintf("key version %d material", ver), err)
		}
	}
	return nil
}

func (v *verifier) records(ctx context.Context) error {
	err := v.s.scanSecrets(ctx, "", true, func(g *secretGroup) error {
		v.namespaces[g.Namespace] = true
		v.secrets[secretID{g.Namespace, g.Name}] = true
		for i := range g.Revs {
			if err := v.revision(ctx, g, &g.Revs[i]); err != nil {
				return err
			}
		}
		v.tick()
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing the secrets: %w", err)
	}
	return nil
}

// revision checks one revision's record and marker.
func (v *verifier) revision(ctx context.Context, g *secretGroup, r *revInfo) error {
	ref := secretRef(g.Namespace, g.Name)
	object := fmt.Sprintf("secret %s revision %d", ref, r.Rev)
	if r.RecordKey == "" {
		// Writes put the record before its marker and purges delete the
		// marker first: a marker alone is a record deleted by someone else.
		v.problem(VerifyMarker, object, fmt.Errorf("secret %s revision %d: the marker is there but the record is missing: %w", ref, r.Rev, ErrIntegrity))
		return nil
	}
	rec, data, err := v.s.readRecord(ctx, g.Namespace, g.Name, r.Rev)
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, ErrNotFound):
		return nil // purged meanwhile
	case err != nil:
		v.problem(VerifyRecord, object, err)
		return nil
	}
	kek, err := v.s.kek(ctx, int(rec.Header.KeyVersion))
	if err != nil {
		v.problem(VerifyRecord, object, recordError(ref, r.Rev, err))
		return nil
	}
	var h envelope.Header
	if rec.Header.Tombstone {
		h, _, err = envelope.VerifyID(kek, data)
	} else {
		var value []byte
		h, value, _, err = envelope.OpenID(kek, data)
		clear(value)
	}
	if err != nil {
		v.problem(VerifyRecord, object, recordError(ref, r.Rev, err))
		return nil
	}
	v.rep.Records++
	if r.Marker != nil {
		if err := checkMarker(ref, r.Rev, r.Marker, &h); err != nil {
			v.problem(VerifyMarker, object, err)
		} else {
			v.rep.Markers++
		}
	}
	return nil
}

// audit reads the global log, then each namespace's and each secret's
// index: each query checks the MACs of what it reads and the links inside
// it, and a secret's query checks its whole chain. Every event of a secret
// is stored three times (in the global log, its namespace's index and its
// own index), so the three are then compared: an event missing from one of
// them was deleted there, even when no chain link reveals it (a secret's
// newest event, which no later event links to yet).
func (v *verifier) audit(ctx context.Context) error {
	v.copies, v.failed = map[string]*eventCopies{}, map[string]bool{}
	n, err := v.query(ctx, EventFilter{}, "the global audit log", inGlobal, true)
	if err != nil {
		return err
	}
	v.rep.Events = n
	nss := make([]string, 0, len(v.namespaces))
	for ns := range v.namespaces {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	for _, ns := range nss {
		if _, err := v.query(ctx, EventFilter{Namespace: ns}, namespaceLog(ns), inNamespace, false); err != nil {
			return err
		}
	}
	ids := make([]secretID, 0, len(v.secrets))
	for id := range v.secrets {
		ids = append(ids, id)
	}
	sortSecretIDs(ids)
	for _, id := range ids {
		if _, err := v.query(ctx, EventFilter{Namespace: id.ns, Name: id.name}, secretLog(id), inSecret, false); err != nil {
			return err
		}
	}
	return v.compareCopies(ctx)
}

func namespaceLog(ns string) string { return "the audit log of namespace " + ns }
func secretLog(id secretID) string  { return "the audit log of secret " + secretRef(id.ns, id.name) }

func sortSecretIDs(ids []secretID) {
	sort.Slice(ids, func(i, j int) bool {
		if ids[i].ns != ids[j].ns {
			return ids[i].ns < ids[j].ns
		}
		return ids[i].name < ids[j].name
	})
}

// Copies of a secret's event, as bits of eventCopies.in.
const (
	inGlobal = 1 << iota
	inNamespace
	inSecret
	inAll = inGlobal | inNamespace | inSecret
)

// eventCopies records which of the three logs returned an event of a
// secret.
type eventCopies struct {
	ev Event
	in int
}

// compareCopies reports each event of a secret that one of the three logs
// holds and another lacks. A write in progress puts its copies one after
// the other, so the logs that lack an event are read again before it is
// reported; an event withdrawn (its change did not happen) or older than
// the newest audit purge is not reported.
func (v *verifier) compareCopies(ctx context.Context) error {
	incomplete := func() []*eventCopies {
		var out []*eventCopies
		for _, c := range v.copies {
			if c.in != inAll {
				out = append(out, c)
			}
		}
		return out
	}
	missing := incomplete()
	if len(missing) == 0 {
		return nil
	}
	// Read again only the logs that lack an event; problems of the
	// second reading were already reported by the first.
	global, nss, secrets := false, map[string]bool{}, map[secretID]bool{}
	for _, c := range missing {
		global = global || c.in&inGlobal == 0
		if c.in&inNamespace == 0 {
			nss[c.ev.Namespace] = true
		}
		if c.in&inSecret == 0 {
			secrets[secretID{c.ev.Namespace, c.ev.Name}] = true
		}
	}
	if verifyRecheckHook != nil {
		verifyRecheckHook()
	}
	// The second reading only completes the events of the first: an event
	// written since then is in the logs it reads and not yet in the others.
	again := &verifier{s: v.s, copies: v.copies, recheck: true, failed: map[string]bool{}, namespaces: map[string]bool{}, secrets: map[secretID]bool{}}
	if global {
		if _, err := again.query(ctx, EventFilter{}, "the global audit log", inGlobal, false); err != nil {
			return err
		}
	}
	nsList := make([]string, 0, len(nss))
	for ns := range nss {
		nsList = append(nsList, ns)
	}
	sort.Strings(nsList)
	for _, ns := range nsList {
		if _, err := again.query(ctx, EventFilter{Namespace: ns}, namespaceLog(ns), inNamespace, false); err != nil {
			return err
		}
	}
	ids := make([]secretID, 0, len(secrets))
	for id := range secrets {
		ids = append(ids, id)
	}
	sortSecretIDs(ids)
	for _, id := range ids {
		if _, err := again.query(ctx, EventFilter{Namespace: id.ns, Name: id.name}, secretLog(id), inSecret, false); err != nil {
			return err
		}
	}
	// A log that fails only when read again is reported now.
	for _, p := range again.rep.Problems {
		if !v.failed[p.Object] {
			v.failed[p.Object] = true
			v.rep.Problems = append(v.rep.Problems, p)
		}
	}
	missing = incomplete()
	if len(missing) == 0 {
		return nil
	}
	cutoff, err := v.s.auditPurgeCutoff(ctx)
	if err != nil {
		return err
	}
	sort.Slice(missing, func(i, j int) bool {
		a, b := missing[i].ev, missing[j].ev
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		return a.ID < b.ID
	})
	for _, c := range missing {
		if c.ev.Time.UnixNano() <= cutoff {
			continue
		}
		id := secretID{c.ev.Namespace, c.ev.Name}
		var has, lacks []string
		for _, l := range []struct {
			bit    int
			object string
		}{{inGlobal, "the global audit log"}, {inNamespace, namespaceLog(id.ns)}, {inSecret, secretLog(id)}} {
			switch {
			case c.in&l.bit != 0:
				has = append(has, l.object)
			case !v.failed[l.object]:
				// A log whose query failed is reported already.
				lacks = append(lacks, l.object)
			}
		}
		if len(lacks) == 0 {
			continue
		}
		withdrawn, err := v.s.withdrawn(ctx, c.ev.ID)
		if err != nil {
			return err
		}
		if withdrawn {
			continue
		}
		for _, object := range lacks {
			v.problem(VerifyAudit, object, fmt.Errorf("event %s (%s of secret %s, revision %d, at %s) is in %s but missing from %s: %w",
				c.ev.ID, c.ev.Operation, secretRef(id.ns, id.name), c.ev.Revision, c.ev.Time.UTC().Format(time.RFC3339Nano),
				strings.Join(has, " and "), object, ErrAuditGap))
		}
	}
	return nil
}

// query pages through every event f selects and returns their count. A
// damaged event or a gap ends the query with a problem. Each event of a
// secret is marked as found in log (one of the in* bits); with v.recheck,
// only the events already in v.copies are. With collect,
// the namespaces and secrets the events name are added to those to query.
func (v *verifier) query(ctx context.Context, f EventFilter, object string, log int, collect bool) (int, error) {
	f.Limit = MaxEventLimit
	count := 0
	for {
		page, err := v.s.ListEvents(ctx, f)
		if err != nil {
			if ctx.Err() != nil {
				return count, ctx.Err()
			}
			v.problem(VerifyAudit, object, err)
			v.failed[object] = true
			return count, nil
		}
		for _, e := range page.Events {
			if collect && e.Namespace != "" {
				v.namespaces[e.Namespace] = true
				if e.Name != "" {
					v.secrets[secretID{e.Namespace, e.Name}] = true
				}
			}
			if e.Namespace != "" && e.Name != "" {
				c := v.copies[e.ID]
				if c == nil && v.recheck {
					continue
				}
				if c == nil {
					c = &eventCopies{ev: e}
					v.copies[e.ID] = c
				}
				c.in |= log
			}
		}
		count += len(page.Events)
		v.tick()
		if page.NextPageToken == "" {
			return count, nil
		}
		f.PageToken = page.NextPageToken
	}
}
