// SPDX-License-Identifier: MPL-2.0

package backend

import (
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Key prefixes of format 1 (see Object layout in the package
// documentation).
const (
	prefixStore   = "v1/" // every key of format 1
	prefixHeader  = "v1/h/"
	prefixKeyring = "v1/k/"
	prefixWraps   = "v1/w/"
	prefixProbe   = "v1/p/"
	prefixSecrets = "v1/s/"
	prefixAudit   = "v1/a/"
	prefixAuditS  = "v1/a/s/"
	prefixAuditN  = "v1/a/n/"
	prefixAuditO  = "v1/a/o/"
	// prefixAuditPurge holds the records of audit purges.
	prefixAuditPurge = "v1/a/c/"
	// prefixAuditWithdrawn holds the records of withdrawn audit events.
	prefixAuditWithdrawn = "v1/a/x/"

	// nameSegment is the longest hex segment of an encoded name.
	nameSegment = 250
)

// nsEncoding is base32hex in lowercase: it only uses [0-9a-v].
var nsEncoding = base32.NewEncoding("0123456789abcdefghijklmnopqrstuv").WithPadding(base32.NoPadding)

func encodeNamespace(ns string) string { return nsEncoding.EncodeToString([]byte(ns)) }

// decodeNamespace reverses encodeNamespace and refuses any string that is
// not the canonical encoding of its bytes.
func decodeNamespace(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	b, err := nsEncoding.DecodeString(s)
	if err != nil || nsEncoding.EncodeToString(b) != s {
		return "", false
	}
	return string(b), true
}

// encodeNamePrefix hex-encodes a name (or a prefix of one) and splits it
// into segments of nameSegment characters.
func encodeNamePrefix(name string) string {
	h := hex.EncodeToString([]byte(name))
	if len(h) <= nameSegment {
		return h
	}
	var sb strings.Builder
	for len(h) > nameSegment {
		sb.WriteString(h[:nameSegment])
		sb.WriteByte('/')
		h = h[nameSegment:]
	}
	sb.WriteString(h)
	return sb.String()
}

// decodeName reverses encodeNamePrefix for a complete name given as its
// segments.
func decodeName(segs []string) (string, bool) {
	if len(segs) == 0 {
		return "", false
	}
	var sb strings.Builder
	for i, s := range segs {
		if s == "" || len(s) > nameSegment || (i < len(segs)-1 && len(s) != nameSegment) {
			return "", false
		}
		sb.WriteString(s)
	}
	h := sb.String()
	if len(h)%2 != 0 || strings.ToLower(h) != h {
		return "", false
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// secretDir is the directory holding every revision of one secret.
func secretDir(ns, name string) string {
	return prefixSecrets + encodeNamespace(ns) + "/" + encodeNamePrefix(name) + "/"
}

// namespaceDir is the directory of one namespace's secrets.
func namespaceDir(ns string) string { return prefixSecrets + encodeNamespace(ns) + "/" }

// invert maps a revision to the 20-digit string that sorts newest first.
func invert(rev int64) string { return fmt.Sprintf("%020d", uint64(math.MaxUint64)-uint64(rev)) }

// uninvert reverses invert; it refuses anything but 20 digits naming a
// revision >= 1.
func uninvert(s string) (int64, bool) {
	if len(s) != 20 || !allDigits(s) {
		return 0, false
	}
	u, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false
	}
	r := uint64(math.MaxUint64) - u
	if r < 1 || r > math.MaxInt64 {
		return 0, false
	}
	return int64(r), true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func recordKey(dir string, rev int64) string { return dir + "r" + invert(rev) }

// Marker flags.
const (
	flagLive      = 'a' // a value
	flagTombstone = 't' // deleted by the user
	flagPurging   = 'p' // tombstone written by cleanup before it purges an expired secret (see markerFlag)
)

// marker is what a revision's marker key says about it.
type marker struct {
	KeyVersion int
	Written    int64 // unix ns: when this revision was written
	Expires    int64 // unix ns; 0 never
	Flag       byte
}

func markerKey(dir string, rev int64, m marker) string {
	return fmt.Sprintf("%sr%s_%d_%d_%d_%c", dir, invert(rev), m.KeyVersion, m.Written, m.Expires, m.Flag)
}

// secretKey is a parsed key under v1/s/.
type secretKey struct {
	Dir       string // "v1/s/<ns>/<name>/"
	Namespace string
	Name      string
	Revision  int64
	Marker    *marker // nil for a record key
}

// parseSecretKey parses a record or marker key. Keys that are not exactly
// one of the two forms (temporary files of the local writer, stray objects)
// give false and are ignored by every listing.
func parseSecretKey(key string) (secretKey, bool) {
	rest, ok := strings.CutPrefix(key, prefixSecrets)
	if !ok {
		return secretKey{}, false
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 3 {
		return secretKey{}, false
	}
	ns, ok := decodeNamespace(parts[0])
	if !ok {
		return secretKey{}, false
	}
	name, ok := decodeName(parts[1 : len(parts)-1])
	if !ok {
		return secretKey{}, false
	}
	file := parts[len(parts)-1]
	if len(file) < 21 || file[0] != 'r' {
		return secretKey{}, false
	}
	rev, ok := uninvert(file[1:21])
	if !ok {
		return secretKey{}, false
	}
	sk := secretKey{Dir: key[:len(key)-len(file)], Namespace: ns, Name: name, Revision: rev}
	if len(file) == 21 {
		return sk, true
	}
	m, ok := parseMarkerFields(file[21:])
	if !ok {
		return secretKey{}, false
	}
	sk.Marker = &m
	return sk, true
}

func parseMarkerFields(s string) (marker, bool) {
	f := strings.Split(s, "_")
	if len(f) != 5 || f[0] != "" || len(f[4]) != 1 {
		return marker{}, false
	}
	kv, err1 := strconv.ParseUint(f[1], 10, 32)
	w, err2 := strconv.ParseInt(f[2], 10, 64)
	e, err3 := strconv.ParseInt(f[3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || kv == 0 || !allDigits(f[1]) || !allDigits(f[2]) || !allDigits(f[3]) {
		return marker{}, false
	}
	switch fl := f[4][0]; fl {
	case flagLive, flagTombstone, flagPurging:
		return marker{KeyVersion: int(kv), Written: w, Expires: e, Flag: fl}, true
	}
	return marker{}, false
}

// Key version records.

func keyVersionDir(v int) string { return fmt.Sprintf("%s%010d/", prefixKeyring, v) }

func keyVersionKey(v int, rev int64) string { return keyVersionDir(v) + "r" + invert(rev) }

// parseKeyVersionKey parses v1/k/<ver>/r<inv>.
func parseKeyVersionKey(key string) (version int, rev int64, ok bool) {
	rest, ok := strings.CutPrefix(key, prefixKeyring)
	if !ok || len(rest) != 10+1+21 || rest[10] != '/' || rest[11] != 'r' || !allDigits(rest[:10]) {
		return 0, 0, false
	}
	v, err := strconv.Atoi(rest[:10])
	if err != nil || v < 1 || int64(v) > math.MaxUint32 {
		return 0, 0, false
	}
	rev, ok = uninvert(rest[12:])
	return v, rev, ok
}

func headerKey(rev int64) string { return prefixHeader + "r" + invert(rev) }

func parseHeaderKey(key string) (int64, bool) {
	rest, ok := strings.CutPrefix(key, prefixHeader)
	if !ok || len(rest) != 21 || rest[0] != 'r' {
		return 0, false
	}
	return uninvert(rest[1:])
}

// Wrap-budget blocks.

func wrapDir(v int) string { return fmt.Sprintf("%s%010d/", prefixWraps, v) }

const maxBlockNumber = 9_999_999_999

func wrapBlockKey(v int, block int64) string {
	return fmt.Sprintf("%sb%010d", wrapDir(v), maxBlockNumber-block)
}

func parseWrapBlockKey(v int, key string) (int64, bool) {
	rest, ok := strings.CutPrefix(key, wrapDir(v))
	if !ok || len(rest) != 11 || rest[0] != 'b' || !allDigits(rest[1:]) {
		return 0, false
	}
	n, err := strconv.ParseInt(rest[1:], 10, 64)
	if err != nil {
		return 0, false
	}
	return maxBlockNumber - n, true
}

// Audit keys.

// dayOf is the UTC day bucket of a time, as yyyymmdd.
func dayOf(t int64) string { return time.Unix(0, t).UTC().Format("20060102") }

func dayStart(day string) (int64, bool) {
	t, err := time.Parse("20060102", day)
	if err != nil || t.Format("20060102") != day {
		return 0, false
	}
	return t.UnixNano(), true
}

// auditSecretIndex is the per-secret audit directory; its day directories
// hold single events.
func auditSecretIndex(ns, name string) string {
	return prefixAuditS + encodeNamespace(ns) + "/" + encodeNamePrefix(name) + "/"
}

// auditNamespaceIndex is a namespace's audit directory; its day
// directories hold one directory of batches per operation, as do
// prefixAuditO's.
func auditNamespaceIndex(ns string) string { return prefixAuditN + encodeNamespace(ns) + "/" }

func auditEventKey(index string, t int64, id, op string) string {
	return fmt.Sprintf("%sy%s/e%020d_%s_%s", index, dayOf(t), t, id, op)
}

// auditBatchKey names a batch whose events all fall in the day of minT.
func auditBatchKey(index, op string, minT, maxT int64, n int, id string) string {
	return fmt.Sprintf("%sy%s/%s/b%020d_%020d_%d_%s", index, dayOf(minT), op, minT, maxT, n, id)
}

// auditItem is a parsed key of an audit day directory: one event (e...) or
// a batch of events (b...).
type auditItem struct {
	Key   string
	Batch bool
	Min   int64 // event time, or earliest event time of the batch
	Max   int64
	Count int
	ID    string // event id or batch id
	Op    string // the operation of the event, or of every event of the batch
}

// parseAuditKey parses an audit key, under any index, into its entry.
func parseAuditKey(key string) (auditItem, bool) {
	parts := strings.Split(key, "/")
	n := len(parts)
	if n < 5 {
		return auditItem{}, false
	}
	isDay := func(s string) bool { return len(s) == 9 && s[0] == 'y' }
	switch {
	case isDay(parts[n-2]):
		return parseAuditItem(key, parts[n-1], parts[n-2][1:], "")
	case isOperation(parts[n-2]) && isDay(parts[n-3]):
		return parseAuditItem(key, parts[n-1], parts[n-3][1:], parts[n-2])
	}
	return auditItem{}, false
}

// parseAuditItem parses the file part of an audit key within the day
// directory day (and the operation directory op, for batches). It refuses
// times outside that day, so every day directory is self-contained, and a
// batch whose events span two maxBatchSpan slots (see auditOps).
func parseAuditItem(key, file, day, op string) (auditItem, bool) {
	start, ok := dayStart(day)
	if !ok || len(file) < 2 {
		return auditItem{}, false
	}
	end := start + int64(24*time.Hour)
	inDay := func(t int64) bool { return t >= start && t < end }
	switch file[0] {
	case 'e':
		if op != "" {
			return auditItem{}, false
		}
		f := strings.SplitN(file[1:], "_", 3)
		if len(f) != 3 || len(f[0]) != 20 || !allDigits(f[0]) || !validID(f[1]) || !isOperation(f[2]) {
			return auditItem{}, false
		}
		t, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || !inDay(t) {
			return auditItem{}, false
		}
		return auditItem{Key: key, Min: t, Max: t, Count: 1, ID: f[1], Op: f[2]}, true
	case 'b':
		if op == "" {
			return auditItem{}, false
		}
		f := strings.Split(file[1:], "_")
		if len(f) != 4 || len(f[0]) != 20 || len(f[1]) != 20 || !allDigits(f[0]) || !allDigits(f[1]) || !allDigits(f[2]) || !validID(f[3]) {
			return auditItem{}, false
		}
		lo, err1 := strconv.ParseInt(f[0], 10, 64)
		hi, err2 := strconv.ParseInt(f[1], 10, 64)
		n, err3 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || err3 != nil || lo > hi || n < 1 || n > maxBatchEvents || !inDay(lo) || lo/maxBatchSpan != hi/maxBatchSpan {
			return auditItem{}, false
		}
		return auditItem{Key: key, Batch: true, Min: lo, Max: hi, Count: n, ID: f[3], Op: op}, true
	}
	return auditItem{}, false
}

// validID reports whether s is an event or batch id: idLen lowercase hex.
func validID(s string) bool {
	if len(s) != idLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func isOperation(op string) bool {
	for _, o := range Operations {
		if o == op {
			return true
		}
	}
	return false
}
