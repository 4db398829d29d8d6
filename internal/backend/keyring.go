// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/secrets"

	"github.com/secretstore/terraform-provider-secretstore/internal/envelope"
)

// kvBody is the JSON body of a key version record revision.
type kvBody struct {
	Version         int    `json:"version"`
	Revision        int64  `json:"revision"`
	CreatedAt       int64  `json:"created_at"`
	Retired         bool   `json:"retired"`
	RootEpoch       int64  `json:"root_epoch"`
	CheckValue      string `json:"check_value"`
	WrappedMaterial []byte `json:"wrapped_material"`
}

// keyVersionState is one cached key version. material is unwrapped on
// first use: with a KMS root key that is one KMS call per key version a run
// touches, not one per secret.
type keyVersionState struct {
	body kvBody
	key  string
	err  error // a record that failed to verify; reported by version
	// written is the Store's keyringWrites count when this Store wrote the
	// record revision; 0 for one loaded from the bucket.
	written uint64

	mu       sync.Mutex
	material []byte
}

func kvContext(v int, rev int64) string { return fmt.Sprintf("k/%d/%d", v, rev) }

// refreshKeyring reloads the key version records that changed since the
// last load: one LIST, plus one GET per new record revision. A record
// revision this Store wrote while the reload ran is kept even when the
// listing missed it, or listed an older revision.
func (s *Store) refreshKeyring(ctx context.Context) error {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	s.mu.Lock()
	writesBefore := s.keyringWrites
	s.mu.Unlock()
	newest := map[int]string{}
	err := s.obj().eachKey(ctx, prefixKeyring, func(o *blob.ListObject) error {
		if v, _, ok := parseKeyVersionKey(o.Key); ok {
			if _, seen := newest[v]; !seen {
				newest[v] = o.Key
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading the keyring: %w", err)
	}
	s.mu.Lock()
	old := s.keyring
	keyringKey := s.header.keyringKey
	s.mu.Unlock()
	ring := make(map[int]*keyVersionState, len(newest))
	for v, key := range newest {
		if st := old[v]; st != nil && st.key == key && st.err == nil {
			ring[v] = st
			continue
		}
		_, rev, _ := parseKeyVersionKey(key)
		st := &keyVersionState{key: key}
		data, err := s.obj().get(ctx, key, maxObjectLen)
		switch {
		case errors.Is(err, errObjectNotFound):
			continue
		case err != nil:
			return fmt.Errorf("reading key version %d: %w", v, err)
		}
		st.body, st.err = decodeKeyVersion(keyringKey, data, v, rev)
		if prev := old[v]; st.err == nil && prev != nil && prev.body.CheckValue == st.body.CheckValue {
			prev.mu.Lock()
			if prev.material != nil {
				st.material = slices.Clone(prev.material)
			}
			prev.mu.Unlock()
		}
		ring[v] = st
	}
	s.mu.Lock()
	// A record revision this Store wrote after the listing began may be
	// missing from it, or newer than what it listed: keep it.
	for v, st := range s.keyring {
		if st.written <= writesBefore {
			continue
		}
		listed := ring[v]
		if listed == nil || revisionOf(listed.key) < st.body.Revision ||
			(revisionOf(listed.key) == st.body.Revision && listed.err == nil) {
			// The same revision, listed and verified, is what this
			// Store wrote; its copy also holds the material.
			ring[v] = st
		}
	}
	s.keyring = ring
	s.mu.Unlock()
	return nil
}

// revisionOf is the record revision a key version record key names, or 0.
func revisionOf(key string) int64 {
	_, rev, _ := parseKeyVersionKey(key)
	return rev
}

func decodeKeyVersion(macKey, data []byte, v int, rev int64) (kvBody, error) {
	body, mac, err := unframe(magicKeyVersion, data, true)
	if err != nil {
		return kvBody{}, fmt.Errorf("key version %d record revision %d: %w", v, rev, err)
	}
	if err := verifyMAC(macKey, magicKeyVersion, kvContext(v, rev), body, mac); err != nil {
		return kvBody{}, fmt.Errorf("key version %d record revision %d: %w", v, rev, err)
	}
	var b kvBody
	if err := decodeJSON(body, &b); err != nil {
		return kvBody{}, fmt.Errorf("key version %d record revision %d: %w", v, rev, err)
	}
	if b.Version != v || b.Revision != rev {
		return kvBody{}, fmt.Errorf("key version %d record revision %d names version %d revision %d: %w", v, rev, b.Version, b.Revision, ErrIntegrity)
	}
	return b, nil
}

// keyState returns the cached state of version v, reloading the keyring
// once if it is unknown (another process may have created it).
func (s *Store) keyState(ctx context.Context, v int) (*keyVersionState, error) {
	s.mu.Lock()
	st := s.keyring[v]
	s.mu.Unlock()
	if st == nil {
		if err := s.refreshKeyring(ctx); err != nil {
			return nil, err
		}
		s.mu.Lock()
		st = s.keyring[v]
		s.mu.Unlock()
	}
	if st == nil {
		return nil, fmt.Errorf("key version %d is not in the keyring: %w", v, ErrKeyVersionUnavailable)
	}
	if st.err != nil {
		return nil, st.err
	}
	return st, nil
}

// kek returns the unwrapped material of key version v.
func (s *Store) kek(ctx context.Context, v int) ([]byte, error) {
	st, err := s.keyState(ctx, v)
	if err != nil {
		return nil, err
	}
	return s.material(ctx, st)
}

// material unwraps a key version's material with the root key that
// wrapped it and checks it against the check value.
func (s *Store) material(ctx context.Context, st *keyVersionState) ([]byte, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.material != nil {
		return st.material, nil
	}
	s.mu.Lock()
	hdr := s.header
	s.mu.Unlock()
	// Try first the root key most likely to have wrapped it.
	var order []*secrets.Keeper
	if st.body.RootEpoch >= hdr.rootEpoch {
		order = append(order, hdr.openedWith)
	}
	order = append(order, s.previous...)
	order = append(order, s.keeper)
	tried := map[*secrets.Keeper]bool{}
	var lastErr error
	var failed []*secrets.Keeper
	var errs []error
	for _, k := range order {
		if k == nil || tried[k] {
			continue
		}
		tried[k] = true
		pt, err := k.Decrypt(ctx, st.body.WrappedMaterial)
		if err != nil {
			lastErr = s.redactKeeperError(k, err)
			failed, errs = append(failed, k), append(errs, err)
			continue
		}
		if len(pt) != envelope.KeySize || hex.EncodeToString(envelope.CheckValue(pt)) != st.body.CheckValue {
			clear(pt)
			return nil, fmt.Errorf("key version %d: its material does not match its check value %s: %w", st.body.Version, st.body.CheckValue, ErrIntegrity)
		}
		st.material = pt
		return pt, nil
	}
	if err := s.firstDecryptFailure(ctx, failed, errs); err != nil {
		return nil, fmt.Errorf("key version %d: %w", st.body.Version, err)
	}
	return nil, fmt.Errorf("key version %d: no configured root key decrypts its material (last error: %w); if the root key was rotated, add the old one to the previous root keys: %w", st.body.Version, lastErr, ErrKeyVersionUnavailable)
}

// primary returns the newest non-retired key version and its material.
// The keyring is cached from Open (and reloaded by keyring operations,
// Rotate and Cleanup); a version another process creates later is used
// from the next reload, and writes meanwhile go under the previous primary
// (still valid, and rotated by the next Rotate). With no primary cached,
// the keyring is reloaded once before giving up.
func (s *Store) primary(ctx context.Context) (int, []byte, error) {
	v := s.primaryVersion()
	if v == 0 {
		if err := s.refreshKeyring(ctx); err != nil {
			return 0, nil, err
		}
		v = s.primaryVersion()
	}
	if v == 0 {
		return 0, nil, fmt.Errorf("the keyring has no active key version; create one first: %w", ErrNoKeyVersion)
	}
	kek, err := s.kek(ctx, v)
	if err != nil {
		return 0, nil, err
	}
	return v, kek, nil
}

// CreateKeyVersion adds key version `version` with the given 32-byte
// material, or with fresh random material when material is nil, and
// returns it as written. The material is stored only wrapped by the root
// key. Errors: ErrKeyVersionExists, a ValidationError for a bad version
// number or material (including material that another version already
// uses). Once the version is written the call succeeds, whatever the
// state of other versions (a damaged one included).
func (s *Store) CreateKeyVersion(ctx context.Context, version int, material []byte) (KeyVersion, error) {
	if err := s.enter(); err != nil {
		return KeyVersion{}, err
	}
	defer s.leave()
	if version < 1 || int64(version) > math.MaxUint32 {
		return KeyVersion{}, invalid(FieldKeyVersion, "is %d; key versions are numbered from 1 to %d", version, uint32(math.MaxUint32))
	}
	if material != nil && len(material) != envelope.KeySize {
		return KeyVersion{}, invalid(FieldKeyMaterial, "is %d bytes; key material is exactly %d bytes", len(material), KeySize)
	}
	if err := s.prepareWrite(ctx); err != nil {
		return KeyVersion{}, err
	}
	if err := s.refreshKeyring(ctx); err != nil {
		return KeyVersion{}, err
	}
	if material == nil {
		var err error
		if material, err = envelope.NewKey(); err != nil {
			return KeyVersion{}, err
		}
	} else {
		material = slices.Clone(material)
	}
	cv := hex.EncodeToString(envelope.CheckValue(material))
	s.mu.Lock()
	_, exists := s.keyring[version]
	dup := 0
	for v, st := range s.keyring {
		if st.err == nil && st.body.CheckValue == cv {
			dup = v
		}
	}
	epoch := s.header.rev
	s.mu.Unlock()
	if exists {
		clear(material)
		return KeyVersion{}, fmt.Errorf("key version %d: %w", version, ErrKeyVersionExists)
	}
	if dup != 0 {
		clear(material)
		return KeyVersion{}, invalid(FieldKeyMaterial, "is the same key as key version %d; each version needs its own key", dup)
	}
	wrapped, err := s.encryptRoot(ctx, material)
	if err != nil {
		clear(material)
		return KeyVersion{}, fmt.Errorf("wrapping key version %d with the root key: %w", version, err)
	}
	now := s.now()
	body := kvBody{Version: version, Revision: 1, CreatedAt: now.UnixNano(), RootEpoch: epoch, CheckValue: cv, WrappedMaterial: wrapped}
	st := &keyVersionState{body: body, key: keyVersionKey(version, 1), material: material}
	_, err = s.writeKeyVersion(ctx, st, Event{Operation: OpKeyVersionCreated, KeyVersion: version, Metadata: map[string]string{"check_value": cv}}, nil)
	if errors.Is(err, ErrConcurrentModification) {
		clear(material)
		return KeyVersion{}, fmt.Errorf("key version %d: %w", version, ErrKeyVersionExists)
	}
	if err != nil {
		clear(material)
		return KeyVersion{}, err
	}
	// Describe the version written from what was written: the state of
	// other versions (one may be damaged) must not turn a completed write
	// into an error that a retry would meet as ErrKeyVersionExists.
	s.mu.Lock()
	rootCurrent := s.header.rootCurrent && epoch == s.header.rev
	s.mu.Unlock()
	return KeyVersion{
		Version:        version,
		Primary:        s.primaryVersion() == version,
		CheckValue:     cv,
		CreatedAt:      time.Unix(0, body.CreatedAt).UTC(),
		RootKeyCurrent: rootCurrent,
		// A version just created has wrapped no data key and holds no
		// secret.
	}, nil
}

// writeKeyVersion appends the audit event, then writes first (when not
// nil: a store header revision the record depends on), then the record
// revision st.body.Revision, which it caches. It reports whether first was
// written.
func (s *Store) writeKeyVersion(ctx context.Context, st *keyVersionState, ev Event, first *writeOp) (firstDone bool, err error) {
	s.mu.Lock()
	macKey := s.header.keyringKey
	s.mu.Unlock()
	data, err := frameMAC(magicKeyVersion, macKey, kvContext(st.body.Version, st.body.Revision), st.body)
	if err != nil {
		return false, err
	}
	ops := []*writeOp{{Key: st.key, Data: data}}
	if first != nil {
		ops = append([]*writeOp{first}, ops...)
	}
	err = s.commitWithAudit(ctx, []Event{ev}, ops...)
	if err != nil {
		return ops[0].Done && first != nil, fmt.Errorf("writing key version %d: %w", st.body.Version, err)
	}
	s.mu.Lock()
	s.keyringWrites++
	st.written = s.keyringWrites
	s.keyring[st.body.Version] = st
	s.mu.Unlock()
	return first != nil, nil
}

// KeyVersions lists the keyring in version order, with, for each version,
// the number of secrets whose current revision is wrapped under it (from
// one listing of the secrets; no object is read unless a revision marker
// is missing). A secret whose record must be read and cannot be decoded is
// left out of the counts and reported in a *DamagedSecretsError returned
// with the key versions.
func (s *Store) KeyVersions(ctx context.Context) ([]KeyVersion, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if err := s.prepareRead(ctx); err != nil || !s.created() {
		return nil, err // a store that does not exist has no key version
	}
	if err := s.refreshKeyring(ctx); err != nil {
		return nil, err
	}
	return s.describeKeyVersions(ctx, true)
}

// describeKeyVersions describes the keyring, with the counts of secrets
// when count is set. Its error is either a failure (with no key versions)
// or the *DamagedSecretsError of the counts (with every key version).
func (s *Store) describeKeyVersions(ctx context.Context, count bool) ([]KeyVersion, error) {
	var counts map[int]int
	var damaged error
	if count {
		var err error
		if counts, damaged, err = s.countByKeyVersion(ctx, ""); err != nil {
			return nil, err
		}
	}
	s.mu.Lock()
	hdr := s.header
	var out []KeyVersion
	primary := 0
	for v, st := range s.keyring {
		if st.err != nil {
			s.mu.Unlock()
			return nil, st.err
		}
		retired := s.retired(v, st)
		if !retired && v > primary {
			primary = v
		}
		out = append(out, KeyVersion{
			Version:        v,
			Retired:        retired,
			CheckValue:     st.body.CheckValue,
			CreatedAt:      time.Unix(0, st.body.CreatedAt).UTC(),
			Secrets:        counts[v],
			RootKeyCurrent: hdr.rootCurrent && st.body.RootEpoch >= hdr.rootEpoch,
		})
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b KeyVersion) int { return a.Version - b.Version })
	for i := range out {
		out[i].Primary = out[i].Version == primary
		w, err := s.wrapsReserved(ctx, out[i].Version)
		if err != nil {
			return nil, err
		}
		out[i].Wraps = w
	}
	return out, damaged
}

// countByKeyVersion counts current, non-deleted revisions per key version
// in one namespace (or all).
//
// A secret whose record must be read and cannot be decoded is left out of
// the counts: damaged (a *DamagedSecretsError, or nil) reports those.
func (s *Store) countByKeyVersion(ctx context.Context, ns string) (counts map[int]int, damaged, err error) {
	counts = map[int]int{}
	var log damageLog
	err = s.scanSecrets(ctx, ns, false, func(g *secretGroup) error {
		cur, err := s.currentInfo(ctx, g)
		if err != nil && log.add(g.Namespace, g.Name, err) {
			return nil
		}
		if err != nil || cur == nil {
			return err
		}
		if cur.Flag == flagLive {
			counts[cur.KeyVersion]++
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return counts, log.err(), nil
}

// RetireKeyVersion retires a version: new data keys are no longer wrapped
// under it (the primary becomes the newest version not retired), while
// records already under it stay readable. It is refused with
// ErrKeyVersionInUse while any secret's current revision uses it (a secret
// written under it by a concurrent run, while it was still the primary,
// stays readable and is moved by the next Rotate); retiring a retired
// version does nothing.
//
// Retirement is written twice, in one commit after its audit event: as a
// store header revision listing every retired version, then as the
// version's next record revision. Deleting either object leaves the
// version retired. A version that only one of the two shows as retired
// (its other object was deleted, or it was retired by a build that did not
// write the header) is retired again in the other.
func (s *Store) RetireKeyVersion(ctx context.Context, version int) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := validateKeyVersion(version); err != nil {
		return err
	}
	if exists, err := s.prepareUpdate(ctx); err != nil || !exists {
		if err == nil {
			err = keyVersionNotFound(version)
		}
		return err
	}
	s.headerMu.Lock()
	defer s.headerMu.Unlock()
	for attempt := 0; ; attempt++ {
		st, err := s.existingKeyVersion(ctx, version)
		if err != nil {
			return err
		}
		s.mu.Lock()
		hdr := s.header
		s.mu.Unlock()
		inHeader := hdr.isRetired(version)
		if st.body.Retired && inHeader {
			return nil
		}
		if !st.body.Retired && !inHeader {
			counts, damaged, err := s.countByKeyVersion(ctx, "")
			if err != nil {
				return err
			}
			if damaged != nil {
				// A damaged secret may be under this version: refuse
				// rather than guess.
				return fmt.Errorf("key version %d: cannot tell which secrets it wraps: %w", version, damaged)
			}
			if n := counts[version]; n > 0 {
				return fmt.Errorf("key version %d still wraps the current revision of %d secret(s); rotate them to the primary version first: %w", version, n, ErrKeyVersionInUse)
			}
		}
		ev := Event{Operation: OpKeyVersionRetired, KeyVersion: version}
		var headerOp *writeOp
		next := hdr
		if !inHeader {
			next.rev++
			next.retired = slices.Clone(hdr.retired)
			i, _ := slices.BinarySearch(next.retired, version)
			next.retired = slices.Insert(next.retired, i, version)
			if !hdr.rootCurrent {
				// The header is rewrapped under the current root key: a
				// new root-key epoch begins.
				next.rootEpoch, next.rootCurrent, next.openedWith = next.rev, true, s.keeper
			}
			if headerOp, err = s.headerOp(ctx, &next); err != nil {
				return err
			}
		}
		headerDone := false
		if st.body.Retired {
			err = s.commitWithAudit(ctx, []Event{ev}, headerOp)
			if err != nil {
				err = fmt.Errorf("retiring key version %d: %w", version, err)
			}
			headerDone = err == nil
		} else {
			nb := st.body
			nb.Revision++
			nb.Retired = true
			rec := &keyVersionState{body: nb, key: keyVersionKey(version, nb.Revision)}
			st.mu.Lock()
			rec.material = slices.Clone(st.material)
			st.mu.Unlock()
			headerDone, err = s.writeKeyVersion(ctx, rec, ev, headerOp)
		}
		retry, rerr := s.settleHeader(ctx, headerOp, headerDone, next, attempt)
		if rerr != nil {
			return rerr
		}
		if retry {
			continue
		}
		return err
	}
}

// retired reports whether key version v, whose state is st, is retired:
// by its own record or by the store header. s.mu must be held.
func (s *Store) retired(v int, st *keyVersionState) bool {
	return st.body.Retired || s.header.isRetired(v)
}

// existingKeyVersion reloads the keyring and returns version v; a version
// that does not exist is ErrNotFound.
func (s *Store) existingKeyVersion(ctx context.Context, v int) (*keyVersionState, error) {
	if err := s.refreshKeyring(ctx); err != nil {
		return nil, err
	}
	st, err := s.keyState(ctx, v)
	if errors.Is(err, ErrKeyVersionUnavailable) {
		return nil, keyVersionNotFound(v)
	}
	return st, err
}

// keyVersionNotFound is the error for key version v that was never
// created.
func keyVersionNotFound(v int) error {
	return fmt.Errorf("key version %d does not exist: %w", v, ErrNotFound)
}

// validateKeyVersion checks a key version number given as input.
func validateKeyVersion(v int) error {
	if v < 1 || int64(v) > math.MaxUint32 {
		return invalid(FieldKeyVersion, "is %d; key versions are numbered from 1 to %d", v, uint32(math.MaxUint32))
	}
	return nil
}

// primaryVersion is the newest non-retired version, or 0.
func (s *Store) primaryVersion() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := 0
	for ver, st := range s.keyring {
		if st.err == nil && !s.retired(ver, st) && ver > v {
			v = ver
		}
	}
	return v
}
