// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// secretRef names a secret in errors.
func secretRef(ns, name string) string { return ns + "/" + name }

// loadCurrent finds the current revision of the secret in dir with one
// LIST: the first record key (newest first), and its marker when the same
// page shows it.
func (s *Store) loadCurrent(ctx context.Context, dir string) (rev int64, m *marker, found bool, err error) {
	var token []byte
	for {
		objs, next, err := s.obj.listPage(ctx, dir+"r", "", token, 4)
		if err != nil {
			return 0, nil, false, err
		}
		for _, o := range objs {
			sk, ok := parseSecretKey(o.Key)
			if !ok || sk.Dir != dir {
				continue
			}
			if !found {
				if sk.Marker != nil {
					continue // a marker whose record is gone
				}
				rev, found = sk.Revision, true
				continue
			}
			if sk.Revision == rev && sk.Marker != nil {
				m = sk.Marker
			}
			return rev, m, true, nil
		}
		if found || len(next) == 0 {
			return rev, m, found, nil
		}
		token = next
	}
}

// readRecord reads and decodes (without authenticating) a revision record,
// checking that it is the record its key names.
func (s *Store) readRecord(ctx context.Context, ns, name string, rev int64) (*envelope.Record, []byte, error) {
	ref := secretRef(ns, name)
	data, err := s.obj.get(ctx, recordKey(secretDir(ns, name), rev), envelope.MaxRecordLen)
	if errors.Is(err, errObjectNotFound) {
		return nil, nil, fmt.Errorf("secret %s revision %d: %w", ref, rev, ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("secret %s: %w", ref, err)
	}
	rec, err := envelope.Decode(data)
	if err != nil {
		return nil, nil, recordError(ref, rev, err)
	}
	h := rec.Header
	if h.Namespace != ns || h.Name != name || h.Revision != uint64(rev) {
		return nil, nil, fmt.Errorf("secret %s revision %d: the object holds revision %d of %s: %w", ref, rev, h.Revision, secretRef(h.Namespace, h.Name), ErrIntegrity)
	}
	return rec, data, nil
}

// markerFlag is the marker flag that a revision header implies. A purge
// tombstone is told from a user's tombstone by its header, not only by its
// marker: it keeps the expiry of the value it covers, while Delete writes
// tombstones without one.
func markerFlag(h *envelope.Header) byte {
	switch {
	case !h.Tombstone:
		return flagLive
	case h.ExpiresAt != 0:
		return flagPurging
	}
	return flagTombstone
}

// checkMarker compares a record's header with the marker written beside
// it. They are written from the same header, so a disagreement means one
// of them was altered: for example a record whose key version label was
// changed is an integrity failure, not a request for a key version that
// does not exist, and a user's tombstone whose marker claims a purge in
// progress is not purged.
func checkMarker(ref string, rev int64, m *marker, h *envelope.Header) error {
	if m == nil {
		return nil
	}
	if m.KeyVersion != int(h.KeyVersion) || m.Flag != markerFlag(h) || m.Expires != h.ExpiresAt {
		return fmt.Errorf("secret %s revision %d: the record disagrees with its marker (key version %d, expiry or deletion flag): %w", ref, rev, h.KeyVersion, ErrIntegrity)
	}
	return nil
}

// recordError wraps a failure to use one secret revision. A failure of
// package envelope (bad tag, truncation, trailing bytes, unknown format
// version) is that record's ErrIntegrity, with the envelope's own error
// (ErrIntegrity, ErrMalformed or ErrUnsupportedVersion) also matchable.
// Any other error keeps its own kind: an unavailable or damaged key
// version, or an I/O failure, is not the record's damage.
func recordError(ref string, rev int64, err error) error {
	if errors.Is(err, envelope.ErrIntegrity) || errors.Is(err, envelope.ErrMalformed) || errors.Is(err, envelope.ErrUnsupportedVersion) {
		return fmt.Errorf("secret %s revision %d: %w: %w", ref, rev, ErrIntegrity, err)
	}
	return fmt.Errorf("secret %s revision %d: %w", ref, rev, err)
}

// secretDamage reports whether err concerns one secret's stored state (a
// tampered or corrupt record, or a key version that cannot be used), so
// that Rotate and Cleanup leave that secret alone and go on. Any other
// error (I/O, a canceled context) stops them.
func secretDamage(err error) bool {
	return errors.Is(err, ErrIntegrity) || errors.Is(err, ErrKeyVersionUnavailable)
}

// readRevision reads revision rev of a secret, or its current revision
// when rev is 0, and returns its revision number and decoded (not yet
// authenticated) record. The current revision's record is checked against
// its marker.
func (s *Store) readRevision(ctx context.Context, ns, name string, rev int64) (int64, *envelope.Record, []byte, error) {
	ref := secretRef(ns, name)
	var m *marker
	if rev == 0 {
		r, mk, found, err := s.loadCurrent(ctx, secretDir(ns, name))
		if err != nil {
			return 0, nil, nil, fmt.Errorf("secret %s: %w", ref, err)
		}
		if !found {
			return 0, nil, nil, fmt.Errorf("secret %s: %w", ref, ErrNotFound)
		}
		rev, m = r, mk
	}
	rec, data, err := s.readRecord(ctx, ns, name, rev)
	if err != nil {
		return 0, nil, nil, err
	}
	if err := checkMarker(ref, rev, m, &rec.Header); err != nil {
		return 0, nil, nil, err
	}
	return rev, rec, data, nil
}

// secretFromHeader builds the Secret an authenticated header describes.
func secretFromHeader(h envelope.Header, now time.Time) Secret {
	sec := Secret{
		Namespace:  h.Namespace,
		Name:       h.Name,
		Revision:   int64(h.Revision),
		KeyVersion: int(h.KeyVersion),
		CreatedAt:  time.Unix(0, h.CreatedAt).UTC(),
		UpdatedAt:  time.Unix(0, h.UpdatedAt).UTC(),
		State:      StateActive,
	}
	if len(h.Metadata) > 0 {
		sec.Metadata = maps.Clone(h.Metadata)
	}
	if h.ExpiresAt != 0 {
		sec.ExpiresAt = time.Unix(0, h.ExpiresAt).UTC()
		if expired(h.ExpiresAt, now) {
			sec.State = StateExpired
		}
	}
	return sec
}

func expired(expiresAt int64, now time.Time) bool {
	return expiresAt != 0 && now.UnixNano() >= expiresAt
}

// Get returns a secret with its value: the current revision, or
// opts.Revision. Errors: ErrNotFound (missing, or deleted), ErrExpired (the
// returned Secret then carries every field but Value),
// ErrKeyVersionUnavailable, and ErrIntegrity for a corrupt or tampered
// record of this secret. The current revision costs one LIST and one GET.
func (s *Store) Get(ctx context.Context, namespace, name string, opts GetOptions) (Secret, error) {
	if err := validateSecretID(namespace, name); err != nil {
		return Secret{}, err
	}
	if opts.Revision < 0 {
		return Secret{}, invalid("revision", "is %d; revisions are numbered from 1 (0 means the current one)", opts.Revision)
	}
	ref := secretRef(namespace, name)
	rev, rec, data, err := s.readRevision(ctx, namespace, name, opts.Revision)
	if err != nil {
		return Secret{}, err
	}
	kek, err := s.kek(ctx, int(rec.Header.KeyVersion))
	if err != nil {
		return Secret{}, recordError(ref, rev, err)
	}
	now := s.now()
	if rec.Header.Tombstone || expired(rec.Header.ExpiresAt, now) {
		// Authenticate the header before trusting what it says, but
		// never decrypt the value of a deleted or expired secret.
		h, err := envelope.Verify(kek, data)
		if err != nil {
			return Secret{}, recordError(ref, rev, err)
		}
		if h.Tombstone {
			return Secret{}, fmt.Errorf("secret %s is deleted (revision %d): %w", ref, rev, ErrNotFound)
		}
		sec := secretFromHeader(h, now)
		return sec, fmt.Errorf("secret %s expired at %s: %w", ref, sec.ExpiresAt.Format(time.RFC3339), ErrExpired)
	}
	h, value, err := envelope.Open(kek, data)
	if err != nil {
		return Secret{}, recordError(ref, rev, err)
	}
	sec := secretFromHeader(h, now)
	sec.Value = value
	return sec, nil
}

// head reads and authenticates the current revision's header.
func (s *Store) head(ctx context.Context, namespace, name string) (envelope.Header, error) {
	rev, rec, data, err := s.readRevision(ctx, namespace, name, 0)
	if err != nil {
		return envelope.Header{}, err
	}
	return s.verifyRecord(ctx, secretRef(namespace, name), rev, rec, data)
}

// Head returns the current revision without decrypting its value. An
// expired secret is returned with State StateExpired and a nil error; a
// deleted one is ErrNotFound.
func (s *Store) Head(ctx context.Context, namespace, name string) (Secret, error) {
	if err := validateSecretID(namespace, name); err != nil {
		return Secret{}, err
	}
	h, err := s.head(ctx, namespace, name)
	if err != nil {
		return Secret{}, err
	}
	if h.Tombstone {
		return Secret{}, fmt.Errorf("secret %s is deleted (revision %d): %w", secretRef(namespace, name), h.Revision, ErrNotFound)
	}
	return secretFromHeader(h, s.now()), nil
}

// Has reports whether Get of the current revision would return a value:
// the secret exists, is not deleted, has not expired, its key version is
// available and its value decrypts (which Has checks, then discards the
// value). Integrity and I/O failures are errors (with false).
func (s *Store) Has(ctx context.Context, namespace, name string) (bool, error) {
	sec, err := s.Get(ctx, namespace, name, GetOptions{})
	clear(sec.Value)
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrExpired), errors.Is(err, ErrKeyVersionUnavailable):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

func validateSecretID(ns, name string) error {
	if err := ValidateNamespace(ns); err != nil {
		return err
	}
	return ValidateName(name)
}

// resolveExpiry applies an Expiry change to the stored expiry. An absolute
// time wins over a TTL given with it.
func resolveExpiry(e Expiry, stored int64, now time.Time) (int64, error) {
	if !e.Set {
		return stored, nil
	}
	switch {
	case !e.At.IsZero():
		if !e.At.After(now) {
			return 0, invalid("expires_at", "%s is not in the future", e.At.UTC().Format(time.RFC3339))
		}
		return e.At.UnixNano(), nil
	case e.TTL < 0:
		return 0, invalid("ttl", "is negative (%s); give a positive duration such as 720h", e.TTL)
	case e.TTL == 0:
		return 0, nil
	}
	return now.Add(e.TTL).UnixNano(), nil
}

// Put creates or updates a secret (see PutInput) and returns the new
// revision without its value. The new revision is wrapped under the primary
// key version. A value-less update (metadata or expiry only) rewraps the
// stored data key and keeps the value ciphertext byte for byte. The audit
// event is written first: if it cannot be written, nothing is.
func (s *Store) Put(ctx context.Context, in PutInput) (Secret, error) {
	if err := validateSecretID(in.Namespace, in.Name); err != nil {
		return Secret{}, err
	}
	if err := validateValue(in.Value); err != nil {
		return Secret{}, err
	}
	if in.SetMetadata {
		if err := validateMetadata(in.Metadata); err != nil {
			return Secret{}, err
		}
	}
	if err := validateReason("reason", in.Reason); err != nil {
		return Secret{}, err
	}
	ref := secretRef(in.Namespace, in.Name)
	dir := secretDir(in.Namespace, in.Name)
	now := s.now()
	if _, err := resolveExpiry(in.Expiry, 0, now); err != nil {
		return Secret{}, err
	}

	rev, _, found, err := s.loadCurrent(ctx, dir)
	if err != nil {
		return Secret{}, fmt.Errorf("secret %s: %w", ref, err)
	}
	var (
		prevData []byte
		prevHdr  envelope.Header
		prevErr  error
	)
	if found {
		var rec *envelope.Record
		rec, prevData, prevErr = s.readRecord(ctx, in.Namespace, in.Name, rev)
		if errors.Is(prevErr, ErrNotFound) {
			return Secret{}, fmt.Errorf("secret %s: revision %d vanished while reading it: %w", ref, rev, ErrConcurrentModification)
		}
		if prevErr == nil {
			// Authenticate the header before carrying any of it over.
			prevHdr, prevErr = s.verifyRecord(ctx, ref, rev, rec, prevData)
		}
	}
	// An unreadable current revision counts as live: nothing proves it
	// deleted.
	live := found && (prevErr != nil || !prevHdr.Tombstone)
	switch {
	case in.IfRevision > 0 && !found:
		return Secret{}, fmt.Errorf("secret %s does not exist, expected revision %d: %w", ref, in.IfRevision, ErrConcurrentModification)
	case in.IfRevision > 0 && rev != in.IfRevision:
		return Secret{}, fmt.Errorf("secret %s is at revision %d, not the expected %d: %w", ref, rev, in.IfRevision, ErrConcurrentModification)
	case in.IfRevision < 0 && live:
		return Secret{}, fmt.Errorf("secret %s already exists at revision %d: %w", ref, rev, ErrConcurrentModification)
	case in.Value == nil && !live:
		return Secret{}, invalid("value", "is required: secret %s does not exist", ref)
	case prevErr != nil && (in.Value == nil || !in.SetMetadata || !in.Expiry.Set):
		// Keeping a stored value, metadata or expiry needs a readable
		// record; a new value with explicit metadata and expiry may
		// replace an unreadable one.
		return Secret{}, prevErr
	}

	h := envelope.Header{Namespace: in.Namespace, Name: in.Name, Revision: uint64(rev + 1), CreatedAt: now.UnixNano(), UpdatedAt: now.UnixNano()}
	var storedExpiry int64
	if live && prevErr == nil {
		h.CreatedAt = prevHdr.CreatedAt
		h.Metadata = prevHdr.Metadata
		storedExpiry = prevHdr.ExpiresAt
	}
	if in.SetMetadata {
		h.Metadata = nil
		if len(in.Metadata) > 0 {
			h.Metadata = maps.Clone(in.Metadata)
		}
	}
	if h.ExpiresAt, err = resolveExpiry(in.Expiry, storedExpiry, now); err != nil {
		return Secret{}, err
	}

	pv, kek, err := s.primary(ctx)
	if err != nil {
		return Secret{}, err
	}
	h.KeyVersion = uint32(pv)
	if err := s.reserveWraps(ctx, pv, 1); err != nil {
		return Secret{}, err
	}
	var enc []byte
	if in.Value != nil {
		enc, err = envelope.Seal(kek, h, in.Value)
	} else {
		var oldKEK []byte
		if oldKEK, err = s.kek(ctx, int(prevHdr.KeyVersion)); err == nil {
			enc, err = envelope.Rewrap(oldKEK, kek, prevData, h)
		}
	}
	if err != nil {
		return Secret{}, recordError(ref, rev+1, err)
	}
	op := recordOp(dir, h, enc, now)
	ev := Event{Operation: OpUpdated, Namespace: in.Namespace, Name: in.Name, Revision: rev + 1, KeyVersion: pv, Reason: in.Reason, Time: now}
	if !live {
		ev.Operation = OpCreated
	}
	if err := s.commitWithAudit(ctx, []Event{ev}, op); err != nil {
		return Secret{}, fmt.Errorf("secret %s: writing revision %d: %w", ref, rev+1, err)
	}
	return secretFromHeader(h, now), nil
}

// verifyRecord authenticates a decoded record's header under its key
// version.
func (s *Store) verifyRecord(ctx context.Context, ref string, rev int64, rec *envelope.Record, data []byte) (envelope.Header, error) {
	kek, err := s.kek(ctx, int(rec.Header.KeyVersion))
	if err != nil {
		return envelope.Header{}, recordError(ref, rev, err)
	}
	h, err := envelope.Verify(kek, data)
	if err != nil {
		return envelope.Header{}, recordError(ref, rev, err)
	}
	return h, nil
}

// recordOp is the create-only write of a revision record and its marker.
func recordOp(dir string, h envelope.Header, enc []byte, written time.Time) *writeOp {
	m := marker{KeyVersion: int(h.KeyVersion), Written: written.UnixNano(), Expires: h.ExpiresAt, Flag: markerFlag(&h)}
	return &writeOp{Key: recordKey(dir, int64(h.Revision)), Data: enc, Alias: markerKey(dir, int64(h.Revision), m)}
}

// commitWithAudit writes the audit events, then each op in turn, each one
// durable before the next is written (see commitAudited for a failed
// audit write). When an op loses its create-only race, the ops after it
// are not written and ErrConcurrentModification is returned; if it was the
// first op, nothing was changed and the events (which describe a write
// that did not happen) are withdrawn.
func (s *Store) commitWithAudit(ctx context.Context, events []Event, ops ...*writeOp) error {
	auditOps, err := s.auditOps(events)
	if err != nil {
		return err
	}
	stages := make([]stage, len(ops))
	for i, op := range ops {
		stages[i] = stage{Ops: []*writeOp{op}, Strict: true}
	}
	err = s.commitAudited(ctx, auditOps, stages...)
	for i, op := range ops {
		if op.Exists {
			if i == 0 {
				s.withdraw(ctx, auditOps)
			}
			return fmt.Errorf("%s was written by another writer first: %w", op.Key, ErrConcurrentModification)
		}
	}
	return err
}

// commitAudited commits the audit objects (a strict stage), then stages.
// Audit is written ahead and fails closed: if the audit stage fails,
// nothing of stages is attempted, and the audit objects it wrote, or may
// have written, are withdrawn, since they describe a change that did not
// happen.
func (s *Store) commitAudited(ctx context.Context, auditOps []*writeOp, stages ...stage) error {
	err := s.obj.commit(ctx, append([]stage{{Ops: auditOps, Strict: true}}, stages...)...)
	if err != nil && slices.ContainsFunc(auditOps, func(op *writeOp) bool { return !op.Done }) {
		s.withdraw(ctx, auditOps)
	}
	return err
}

// withdraw deletes the audit objects of a change that was not made (its
// audit write failed, or its write lost a race), except keys that already
// existed, which belong to someone else. It is best effort: an event left
// behind is the record of an intended change (see audit.go).
func (s *Store) withdraw(ctx context.Context, auditOps []*writeOp) {
	keys := make([]string, 0, len(auditOps))
	for _, op := range auditOps {
		if !op.Exists {
			keys = append(keys, op.Key)
		}
	}
	_ = s.obj.deleteAll(context.WithoutCancel(ctx), keys)
}

// Delete writes a tombstone revision: the secret then reads as
// ErrNotFound, and its earlier revisions stay until Cleanup purges them
// (so a mistaken delete can be undone by reading an earlier revision).
// ifRevision is as PutInput.IfRevision. Deleting a deleted or missing
// secret is ErrNotFound.
func (s *Store) Delete(ctx context.Context, namespace, name string, ifRevision int64) error {
	if err := validateSecretID(namespace, name); err != nil {
		return err
	}
	ref := secretRef(namespace, name)
	dir := secretDir(namespace, name)
	rev, _, found, err := s.loadCurrent(ctx, dir)
	if err != nil {
		return fmt.Errorf("secret %s: %w", ref, err)
	}
	if !found {
		return fmt.Errorf("secret %s: %w", ref, ErrNotFound)
	}
	now := s.now()
	createdAt := now.UnixNano()
	prev, prevData, prevErr := s.readRecord(ctx, namespace, name, rev)
	if errors.Is(prevErr, ErrNotFound) {
		return fmt.Errorf("secret %s: revision %d vanished while reading it: %w", ref, rev, ErrConcurrentModification)
	}
	if prevErr == nil {
		// An unreadable current revision may still be deleted: that is
		// how a damaged secret is put aside.
		if h, err := s.verifyRecord(ctx, ref, rev, prev, prevData); err == nil {
			if h.Tombstone {
				return fmt.Errorf("secret %s is already deleted (revision %d): %w", ref, rev, ErrNotFound)
			}
			createdAt = h.CreatedAt
		}
	}
	switch {
	case ifRevision > 0 && rev != ifRevision:
		return fmt.Errorf("secret %s is at revision %d, not the expected %d: %w", ref, rev, ifRevision, ErrConcurrentModification)
	case ifRevision < 0:
		return fmt.Errorf("secret %s exists at revision %d: %w", ref, rev, ErrConcurrentModification)
	}
	pv, kek, err := s.primary(ctx)
	if err != nil {
		return err
	}
	if err := s.reserveWraps(ctx, pv, 1); err != nil {
		return err
	}
	h := envelope.Header{Namespace: namespace, Name: name, Revision: uint64(rev + 1), KeyVersion: uint32(pv), Tombstone: true, CreatedAt: createdAt, UpdatedAt: now.UnixNano()}
	enc, err := envelope.Seal(kek, h, nil)
	if err != nil {
		return recordError(ref, rev+1, err)
	}
	ev := Event{Operation: OpDeleted, Namespace: namespace, Name: name, Revision: rev + 1, KeyVersion: pv, Time: now}
	if err := s.commitWithAudit(ctx, []Event{ev}, recordOp(dir, h, enc, now)); err != nil {
		return fmt.Errorf("secret %s: writing the tombstone: %w", ref, err)
	}
	return nil
}

// listToken is the decoded ListPage.NextPageToken: where the next page
// starts in the driver's listing, and the last key already returned.
type listToken struct {
	Driver []byte `json:"d"`
	After  string `json:"a"`
}

// List returns one page of a namespace's secrets (deleted ones excluded),
// each with its metadata and state but never its value. Secrets are
// ordered by name (names sharing their first 125 bytes may deviate). Each
// listed secret costs one GET to authenticate its header; a page may hold
// fewer than PageSize secrets when some turn out to be deleted.
func (s *Store) List(ctx context.Context, in ListInput) (ListPage, error) {
	if err := ValidateNamespace(in.Namespace); err != nil {
		return ListPage{}, err
	}
	if err := validateNameLike("name_prefix", in.NamePrefix, true); err != nil {
		return ListPage{}, err
	}
	size := in.PageSize
	if size == 0 {
		size = 100
	}
	if size < 0 || size > MaxListPageSize {
		return ListPage{}, invalid("page_size", "is %d; give 1 to %d (0 means 100)", in.PageSize, MaxListPageSize)
	}
	prefix := namespaceDir(in.Namespace) + encodeNamePrefix(in.NamePrefix)
	sc := s.newScanner(prefix, false)
	if in.PageToken != "" {
		tok, err := decodeListToken(in.PageToken)
		if err != nil || !strings.HasPrefix(tok.After, prefix) {
			return ListPage{}, invalid("page_token", "is not a token returned by List for this namespace and name prefix")
		}
		sc.token, sc.after = tok.Driver, tok.After
	}
	var groups []*secretGroup
	var last *secretGroup
	for len(groups) < size {
		g, err := sc.next(ctx)
		if err != nil {
			return ListPage{}, err
		}
		if g == nil {
			break
		}
		last = g
		if r := g.current(); r == nil || (r.Marker != nil && r.Marker.Flag != flagLive) {
			continue
		}
		groups = append(groups, g)
	}
	var page ListPage
	if last != nil {
		more, err := sc.next(ctx)
		if err != nil {
			return ListPage{}, err
		}
		if more != nil {
			page.NextPageToken = encodeListToken(listToken{Driver: last.nextStart, After: last.LastKey})
		}
	}
	secrets := make([]*Secret, len(groups))
	now := s.now()
	err := forEach(ctx, s.conc, len(groups), func(ctx context.Context, i int) error {
		g := groups[i]
		r := g.current()
		rec, data, err := s.readRecord(ctx, g.Namespace, g.Name, r.Rev)
		if errors.Is(err, ErrNotFound) {
			return nil // purged since the listing
		}
		if err != nil {
			return err
		}
		h, err := s.verifyRecord(ctx, secretRef(g.Namespace, g.Name), r.Rev, rec, data)
		if err != nil {
			return err
		}
		if !h.Tombstone {
			sec := secretFromHeader(h, now)
			secrets[i] = &sec
		}
		return nil
	})
	if err != nil {
		return ListPage{}, err
	}
	for _, sec := range secrets {
		if sec != nil {
			page.Secrets = append(page.Secrets, *sec)
		}
	}
	return page, nil
}

func encodeListToken(t listToken) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeListToken(s string) (listToken, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return listToken{}, err
	}
	var t listToken
	if err := json.Unmarshal(b, &t); err != nil {
		return listToken{}, err
	}
	return t, nil
}
