package provider

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// readFactories serves the provider with the clock now, next to the echo
// provider that copies ephemeral values into state for assertions.
func readFactories(now func() time.Time) map[string]func() (tfprotov6.ProviderServer, error) {
	f := testAccProviderFactories(now)
	f["echo"] = echoprovider.NewProviderServer()
	return f
}

// openSeedStore opens the test store for setting it up, with the clock now
// (nil: time.Now) and actor "seeder", and creates key version 1 unless the
// store has one.
func openSeedStore(t *testing.T, ts testStore, now func() time.Time) backend.StoreAPI {
	t.Helper()
	s, err := backend.Open(context.Background(), backend.Options{BucketURL: ts.URL, RootKey: ts.RootKey, Actor: "seeder", Now: now})
	if err != nil {
		t.Fatalf("opening test store %s: %v", ts.URL, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	kvs, err := s.KeyVersions(context.Background())
	if err != nil {
		t.Fatalf("listing key versions: %v", err)
	}
	if len(kvs) == 0 {
		if _, err := s.CreateKeyVersion(context.Background(), 1, nil); err != nil {
			t.Fatalf("creating key version 1: %v", err)
		}
	}
	return s
}

// mustPut writes a secret and fails the test on error.
func mustPut(t *testing.T, s backend.StoreAPI, in backend.PutInput) backend.Secret {
	t.Helper()
	sec, err := s.Put(context.Background(), in)
	if err != nil {
		t.Fatalf("writing %s/%s: %v", in.Namespace, in.Name, err)
	}
	return sec
}

// randomText returns n random lowercase hex characters.
func randomText(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)[:n]
}

// diagRegexp matches a diagnostic that contains every part in order.
// Terraform wraps diagnostic text to the terminal width, so spaces inside a
// part match any run of whitespace.
func diagRegexp(parts ...string) *regexp.Regexp {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		words := strings.Fields(p)
		for j, w := range words {
			words[j] = regexp.QuoteMeta(w)
		}
		quoted[i] = strings.Join(words, `\s+`)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(quoted, `.*`))
}

// rfc3339 formats t as the provider does.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// bucketFiles returns the regular files under dir (relative slash paths)
// with their sizes, without fileblob's .attrs sidecars.
func bucketFiles(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".attrs") {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = info.Size()
		return nil
	})
	if err != nil {
		t.Fatalf("walking bucket %s: %v", dir, err)
	}
	return out
}

// createdFiles returns the files of after that are not in before, largest
// first.
func createdFiles(before, after map[string]int64) []string {
	var out []string
	for p := range after {
		if _, ok := before[p]; !ok {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if after[out[i]] != after[out[j]] {
			return after[out[i]] > after[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

// tamperNewRevision writes a new revision of namespace/name with a 4 KiB
// value and flips a byte in the middle of its record, inside the value's
// ciphertext, as a bucket writer without the keys could.
func tamperNewRevision(t *testing.T, ts testStore, s backend.StoreAPI, namespace, name string) {
	t.Helper()
	before := bucketFiles(t, ts.dir())
	mustPut(t, s, backend.PutInput{Namespace: namespace, Name: name, Value: []byte(randomText(t, 4096))})
	// The largest new object under the secrets prefix v1/s/ (layout.go) is
	// the revision record holding the 4 KiB value's ciphertext.
	for _, f := range createdFiles(before, bucketFiles(t, ts.dir())) {
		if strings.HasPrefix(f, "v1/s/") {
			flipByte(t, ts.dir(), f)
			return
		}
	}
	t.Fatal("writing a revision created no object under v1/s/ in the bucket")
}

// rewriteBucketFile replaces a bucket file's contents with edit's result,
// inside dir only.
func rewriteBucketFile(t *testing.T, dir, rel string, edit func([]byte) []byte) {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	name := filepath.FromSlash(rel)
	b, err := root.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := root.WriteFile(name, edit(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

// flipByte inverts one byte in the middle of a bucket file.
func flipByte(t *testing.T, dir, rel string) {
	t.Helper()
	rewriteBucketFile(t, dir, rel, func(b []byte) []byte {
		if len(b) == 0 {
			t.Fatalf("bucket object %s is empty", rel)
		}
		b[len(b)/2] ^= 0xff
		return b
	})
}

// readEvents returns the read events of one secret, oldest first.
func readEvents(s backend.StoreAPI, namespace, name string) ([]backend.Event, error) {
	page, err := s.ListEvents(context.Background(), backend.EventFilter{
		Namespace: namespace, Name: name, Operations: []string{backend.OpRead}, Limit: backend.MaxEventLimit,
	})
	return page.Events, err
}

// checkReadEvents fails unless the secret has read events (want true) or
// none (want false); each must name the actor and the revision read.
func checkReadEvents(t *testing.T, ts testStore, namespace, name string, want bool, actor string, revision int64) func(*terraform.State) error {
	return func(*terraform.State) error {
		events, err := readEvents(ts.open(t), namespace, name)
		if err != nil {
			return fmt.Errorf("listing read events of %s/%s: %w", namespace, name, err)
		}
		if !want {
			if len(events) != 0 {
				return fmt.Errorf("%s/%s: %d read events with audit_reads off, want none", namespace, name, len(events))
			}
			return nil
		}
		if len(events) == 0 {
			return fmt.Errorf("%s/%s: no read event with audit_reads on", namespace, name)
		}
		for _, e := range events {
			if e.Actor != actor || e.Revision != revision {
				return fmt.Errorf("%s/%s: read event %s has actor %q revision %d, want %q and %d",
					namespace, name, e.ID, e.Actor, e.Revision, actor, revision)
			}
		}
		return nil
	}
}

// TestSecretReadDiagnosticWords pins the reason word and summary of each
// read failure, and that an integrity failure is never worded as not_found,
// even when the store's error also wraps ErrNotFound (the reason words may
// then appear only in the quoted store error, never in the provider's text).
func TestSecretReadDiagnosticWords(t *testing.T) {
	reasonWords := []string{"not_found", "expired:", "key_version_unavailable"}
	for _, tc := range []struct {
		err     error
		summary string
		word    string
	}{
		{backend.ErrNotFound, `Secret "ns/a" not found`, "not_found"},
		{backend.ErrExpired, `Secret "ns/a" has expired`, "expired:"},
		{backend.ErrKeyVersionUnavailable, `Secret "ns/a" cannot be decrypted`, "key_version_unavailable"},
		{fmt.Errorf("revision 3: %w", backend.ErrIntegrity), `Secret "ns/a" failed its integrity check`, ""},
		{errors.Join(backend.ErrIntegrity, backend.ErrNotFound), `Secret "ns/a" failed its integrity check`, ""},
		{fmt.Errorf("%w (%w)", backend.ErrIntegrity, backend.ErrKeyVersionUnavailable), `Secret "ns/a" failed its integrity check`, ""},
	} {
		d := diagSecretRead("ns", "a", 0, time.Time{}, tc.err)
		if d.Severity() != diag.SeverityError || d.Summary() != tc.summary {
			t.Errorf("%v: summary %q, want error %q", tc.err, d.Summary(), tc.summary)
		}
		own, quoted, _ := strings.Cut(d.Detail(), "\n\nStore error: ")
		if quoted != tc.err.Error() {
			t.Errorf("%v: detail does not end with the store error: %q", tc.err, d.Detail())
		}
		for _, w := range reasonWords {
			switch {
			case w == tc.word && !strings.HasPrefix(own, w):
				t.Errorf("%v: detail %q does not start with %q", tc.err, own, w)
			case w != tc.word && strings.Contains(own, w):
				t.Errorf("%v: detail %q carries the reason word %q", tc.err, own, w)
			}
		}
		if tc.word == "" && !strings.Contains(own, "modified or corrupted") {
			t.Errorf("%v: integrity detail %q does not say the object was modified", tc.err, own)
		}
	}
	d := diagSecretRead("ns", "a", 7, time.Time{}, backend.ErrNotFound)
	if !strings.Contains(d.Detail(), `revision 7 of secret "ns/a"`) {
		t.Errorf("a missing revision's detail %q does not name the revision", d.Detail())
	}
	d = diagSecretRead("ns", "a", 0, mustTime(t, "2030-01-02T03:04:05Z"), backend.ErrExpired)
	if !strings.Contains(d.Detail(), "it expired at 2030-01-02T03:04:05Z") {
		t.Errorf("an expired secret's detail %q does not say when it expired", d.Detail())
	}
	d = diagSecretRead("ns", "a/b", 0, time.Time{}, &backend.ValidationError{Field: backend.FieldName, Reason: "contains '/'"})
	if wp, ok := d.(diag.DiagnosticWithPath); !ok || !wp.Path().Equal(path.Root("name")) {
		t.Errorf("an invalid name is not reported on the name attribute: %#v", d)
	}
}

// removeKeyVersionAfter creates key version version (it becomes primary),
// runs write (whose secrets are then wrapped under it), and removes that key
// version's records from the file:// bucket, as if its material were lost.
// The directory is the backend's v1/k/<version, 10 digits>/ (layout.go).
func removeKeyVersionAfter(t *testing.T, ts testStore, s backend.StoreAPI, version int, write func()) {
	t.Helper()
	if _, err := s.CreateKeyVersion(context.Background(), version, nil); err != nil {
		t.Fatalf("creating key version %d: %v", version, err)
	}
	write()
	dir := filepath.Join(ts.dir(), "v1", "k", fmt.Sprintf("%010d", version))
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("key version %d records not where the backend's layout puts them: %v", version, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
}
