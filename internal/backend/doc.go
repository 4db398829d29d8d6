// SPDX-License-Identifier: MPL-2.0

// Package backend is the secret store: object layout, revisions, keyring,
// audit log, and the rotation and cleanup engines, over any gocloud.dev
// *blob.Bucket. It knows nothing of Terraform; the cryptography is package
// envelope's, and create-only writes to local directories are package
// createonly's.
//
// Errors wrap at most one of the sentinel errors (ErrNotFound, ...);
// invalid input is a *ValidationError naming the input with a Field, in
// the store's own words, and a rollback is a *RollbackError. A gap in the
// audit log is an *AuditGapError (ErrAuditGap, a kind of ErrIntegrity).
// Operations over many secrets (List, PlanRotate, PlanCleanup, the counts
// of KeyVersions) leave out a secret whose stored state cannot be used and
// return a *DamagedSecretsError naming it together with the result for
// every other secret.
//
// # Keys
//
// A root key (a gocloud.dev/secrets keeper: base64key://, awskms://, ... or
// a bare base64 key; see CheckRootKey) wraps a random store secret, kept in
// the store header (v1/h/). Failing to unwrap it with the root key and
// every previous root key is ErrRootKeyMismatch, reported by Open before
// anything else (for a store that exists; one that does not is created,
// with a new store secret, by its first write); when the key service of a
// keeper URL fails instead (it is unreachable, refuses, or cannot encrypt
// either), the error is a *RootKeyError, since a failing service says
// nothing about whether its key matches. A Store makes one key service
// request per key version it unwraps or wraps and one per store header
// revision it opens or writes, never one per secret.
// The root key also wraps the material of every key version
// (v1/k/); keys derived from the store secret authenticate the header, key
// version records and audit events. Key versions wrap the per-value data
// keys of secret revisions.
//
// The keyring is one directory per key version, holding immutable record
// revisions (v1/k/<ver>/r<inv>). A record carries the version's 32-byte
// material wrapped by the root key (keeper.Encrypt), its key check value,
// its creation time, whether it is retired, and the root-key epoch it was
// wrapped in (the store header revision current at the time). It ends with
// an HMAC under a key derived from the store secret, so a bucket writer
// without the root key can neither forge a version nor swap material
// between versions; after unwrapping, the material must also match the
// check value. Retiring or rewrapping a version writes its next revision.
//
// Retirement only ever grows, and deleting one object does not undo it:
// retiring a version also writes a store header revision listing every
// retired version, and a version is retired when either its newest record
// or the newest header says so. The header names the root-key epoch: the
// header revision whose root key wraps the store secret (a retirement
// keeps it, a root-key rotation starts a new one), and a record is under
// the current root key when its epoch is at least that one.
//
// # Wrap budget
//
// AES-GCM with random 96-bit nonces is safe for at most 2^32 encryptions
// under one key (NIST SP 800-38D §8.3); every data key wrapped under a key
// version is one. Counting them exactly would need a shared counter, which
// immutable objects cannot be, so wraps are reserved in blocks: before
// wrapping, a Store claims the next block of 4,096 wraps with a create-only
// object v1/w/<ver>/b<inv block>, and refuses with ErrWrapLimit once the
// next block would pass 2^31, half the NIST bound. Unused parts of a block
// are simply lost, so the count is an upper bound: a run that writes one
// secret uses one block, allowing over half a million runs per version.
// Claiming costs one LIST and one write per block.
//
// # Objects and concurrency
//
// Every object is immutable and written create-only, so that concurrent
// writers (goroutines, processes, Terraform runs) cannot lose each other's
// updates: a secret revision's key depends on its revision number only, and
// the loser of a race gets ErrConcurrentModification. The current revision
// of a secret costs one LIST (newest first) and one GET; planners
// (PlanRotate, PlanCleanup, KeyVersions' counts) read listings only.
//
// Open, reads and Exists write nothing. A Store checks once, before its
// first write, that the bucket enforces create-only writes
// (ErrConditionalWritesUnsupported otherwise). A bucket without a store
// opens as a store that does not exist yet (Exists reports false, reads
// find nothing); its first write creates it: the directory of a file://
// store, then store header revision 1, create-only, so that of concurrent
// creators one header wins and every creator uses it.
//
// Every stored time comes from the clock of the host that wrote it
// (Options.Now). Cleanup and PlanCleanup measure retentions against their
// own clock less ClockSkewMargin (five minutes): they purge only what is
// past its retention plus that margin, so a cleanup host whose clock runs
// up to the margin ahead of a writer's never purges that writer's objects
// early. A larger skew is not detected.
//
// A conditional write (PutInput.IfRevision, DeleteInput.IfRevision) names
// the revision its caller last saw. A current revision older than that one
// means the bucket lost revisions: a *RollbackError. With AllowRotations, a
// newer current revision is accepted when every revision since is a key
// rotation: its authenticated header keeps the creation and update times,
// metadata and expiry of the expected revision and its value ciphertext is
// byte for byte the same (when the expected revision is purged, the audit
// log tells instead).
//
// # Object layout
//
// This is format 1. Every key lives under "v1/" and uses only the
// characters [0-9a-z_/], all of which sort above '/'. That single rule makes
// listings correct on every driver: a prefix listing returns keys in
// lexical order, and fileblob's walk (which visits directories in lexical
// order of their names) returns the same order, because no key segment can
// be a prefix of a sibling whose next character sorts below '/' (the
// `app/` versus `app-2/` drop of fileblob's ListPage). Keys are also
// lowercase only, so case-insensitive filesystems cannot merge two keys.
//
//	v1/h/r<inv>                         store header revisions (root-key check)
//	v1/k/<ver>/r<inv>                   key version record revisions
//	v1/w/<ver>/b<invblock>              wrap-budget blocks of a key version
//	v1/p/<random>                       create-only probe (deleted at once; see probe)
//	v1/s/<ns>/<name>/r<inv>             secret revision record (create-only CAS)
//	v1/s/<ns>/<name>/r<inv>_<fields>    marker of that revision, for planners
//	v1/a/s/<ns>/<name>/y<day>/e<t>_<id>_<op>          one audit event
//	v1/a/n/<ns>/y<day>/<op>/b<min>_<max>_<n>_<id>     events of a namespace
//	v1/a/o/y<day>/<op>/b<min>_<max>_<n>_<id>          every event
//	v1/a/c/c<inv cutoff>                              audit purge record
//	v1/a/x/<id>                                       audit event withdrawal record
//
// <inv> is 2^64-1 minus the revision, as 20 decimal digits, so the newest
// revision sorts first and "current revision" is the first key of a listing
// (one LIST request, whatever the length of the history). <ns> is the
// namespace in lowercase base32hex without padding (128 bytes give 205
// characters, within the 255-byte limit of a file name). <name> is the name
// in lowercase hex, split into path segments of at most 250 characters; hex
// keeps byte prefixes as string prefixes, so a name-prefix listing is a key
// prefix listing. Segment kinds never collide: name segments are hex
// [0-9a-f], while files of a secret directory start with 'r' and day
// directories with 'y'. The keys of one secret are therefore contiguous in
// a listing.
//
// A revision is two objects. The record "r<inv>" carries the sealed
// envelope record and is written create-only: its key depends only on the
// revision number, so two writers of the same revision cannot both succeed
// (a key that also carried the fields below would not be a compare-and-swap
// at all). The marker "r<inv>_<kv>_<written>_<expires>_<flag>" repeats what
// planners need (key version, write time, expiry, tombstone) where a LIST
// sees it, so PlanRotate and PlanCleanup read no object. Markers are hints:
// every decision that acts on a secret re-reads and authenticates its record.
//
// Audit entries: <day> is the UTC day yyyymmdd of the entry's (first)
// event; <t>, <min> and <max> are event times in Unix nanoseconds as 20
// decimal digits, so that a time range is a small set of key prefixes; <n>
// is the batch's event count and <id> 24 hex digits. A batch never holds
// events of two different minutes since the epoch (max and min are in the
// same one-minute slot), so it never spans a day either.
//
// # Object framing
//
// Secret revision records are package envelope's format. The store's own
// objects (store header, key version records, audit events) share one
// framing, format version 1:
//
//	magic (4 bytes) || format version (1 byte) || JSON body || trailer
//
// The magic names the kind of object ("SSHD" header, "SSKV" key version,
// "SSAE" audit event, "SSAB" audit batch, "SSAC" audit purge record).
// Header, key version and audit purge objects
// end with a 32-byte HMAC-SHA256 trailer over
// AAD(label, magic, context, body), where context is the object's identity
// (its key without the revision-independent parts), so that an object
// copied to another key fails. Audit objects carry one MAC per event inside
// the body instead. A store header revision that retires key versions, or
// keeps an earlier root-key epoch, is format version 2 (the fields
// "root_epoch" and "retired" exist only there); every other object is
// format version 1. A header revision written under a key service root
// key also carries "root_key_tag" (in either version), which names, keyed,
// the key that wrapped its secret; a build from before that field reads
// such a header as ErrIntegrity. A version byte other than those is
// refused with
// ErrUnsupportedFormat, never guessed at (in an audit object, it is
// ErrIntegrity like any other damage, so that a damaged event is never
// mistaken for a store written by a newer build); any other deviation is
// ErrIntegrity.
//
// # Audit log
//
// Every mutation appends one event per change, written before the change
// it describes (write-ahead) in the same commit: the event's objects are
// durable before the change becomes visible, and if they cannot be written
// the change is not attempted (fail closed). So every change that happened
// has its event. The converse is weaker: an event is the record of an
// intended change. When the audit write fails part way, or a single write
// then loses a create-only race, the events already written are withdrawn
// (best effort); an event can still outlive its change when the process
// dies between the two, or (for a rotation, whose events are batched) when
// a concurrent writer takes the revision first, in which case the revision
// holds the other writer's change and has that writer's event too.
//
// Each event is stored in up to three places (see Object layout), so that
// a query by secret, by namespace or by operation lists only matching
// entries. A write (a Put, or a chunk of a Rotate) stores its events of one
// namespace, day and operation in a single batch object, so rotating a
// thousand secrets writes a thousand per-secret objects but only a handful
// of batches. Every index entry carries the full event, so returning an
// event costs no second read. The key of an entry carries its operation
// and time bounds, so ListEvents skips what the filter excludes without
// reading it.
//
// A query reads the most selective index: the secret's when a name is
// given, else the namespace's when a namespace is given, else the global
// one; an operation filter then lists only those operations' directories.
// gocloud.dev/blob lists keys in ascending order and has no "start after",
// so Since, Until and the page cursor select day directories (y<yyyymmdd>,
// UTC) first: one delimiter LIST finds the days (none for a range of at
// most a week), then each day touched is listed and its entries are read
// lazily in time order (a merge over the entries' [min, max] bounds),
// ascending or descending. Inside a day, the part the query wants (window
// and cursor) narrows the listing: entry keys start with their (first)
// time in fixed-width decimal, so that part is matched by at most six key
// prefixes per entry directory, and a batch, whose events lie within one
// minute, is found by its first time. Without an operation filter, one
// delimiter LIST finds the day's operation directories first. A query
// therefore costs one LIST for the days, for each day touched one LIST per
// prefix of each matching directory (a whole day: one LIST per directory)
// plus pages of 1,000 keys, and one GET per entry returned; the keys listed
// are those of the window plus a margin of the same order. A day directory
// never holds an event of another day (batches are split by minute, hence
// by day), so days are independent.
//
// Each event carries an HMAC-SHA256 under the audit key (derived from the
// store secret) over its canonical encoding; ListEvents also checks that an
// event matches the key and partition it was found under. A forged,
// altered, or moved event is an ErrIntegrity error that names the event; it
// is never returned as genuine.
//
// # Audit chain
//
// Events and batches of event format 2 (a "v":2 field in their JSON body;
// format 1 has none) bind the log together, so that deleting, truncating
// or reordering it is reported as a gap (ErrAuditGap, a kind of
// ErrIntegrity, in an *AuditGapError saying where) rather than silently
// shortening a query:
//
//   - Each event of a secret links to the newest event of that secret when
//     it was written (its id, time and operation, under the event's MAC),
//     found with one delimiter LIST of the secret's audit days and one
//     LIST of the newest day. A query that returns an event checks that the
//     event it links to was returned too, when the query's index,
//     operations, window and page cover it; a query of one secret's events
//     otherwise checks that its entry exists (one request per such event).
//     The chain of a store written by older builds starts at its first
//     format 2 event, which links to the newest format 1 event.
//   - A batch of format 2 carries a MAC over its index, operation, event
//     count and its events' ids and MACs in order, so no event can be cut
//     out of it, added to it or moved within it; a batch of format 1 may
//     not hold format 2 events.
//   - An audit purge writes, before it deletes anything, a MAC'd purge
//     record of its cutoff (v1/a/c/); a link to an event older than the
//     newest cutoff is not a gap. The record is read only when a link is
//     missing.
//   - A writer that withdraws the events of a change that did not happen
//     (its create-only write lost a race) first writes a MAC'd withdrawal
//     record of each secret event (v1/a/x/<id>), so that a concurrent
//     writer's event linking to it is not a gap; without the record the
//     event is left in place. The record is read only when a link is
//     missing, and is never purged.
//
// What the chain cannot tell: the newest events of a secret (no later
// event links to them yet) deleted before its next write, and events that
// concern no secret (key versions, audit purges) deleted with every copy. A
// query of a namespace or of the whole log checks only links inside what
// it read.
//
// # Local directories
//
// file:// stores opened by URL are written through a createonly.Dir, which
// makes every write create-only across processes and durable when the call
// returns; fileblob only reads them.
package backend
