package backendtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"sort"
	"testing"

	"gocloud.dev/blob"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// RandomBytes returns n bytes from crypto/rand.
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// RandomHex returns n random bytes in hex.
func RandomHex(n int) string { return hex.EncodeToString(RandomBytes(n)) }

// RandomRootKey returns a bare base64 32-byte root key.
func RandomRootKey() string { return base64.StdEncoding.EncodeToString(RandomBytes(32)) }

// Trunc shortens b to 40 bytes for a failure message.
func Trunc(b []byte) []byte {
	if len(b) > 40 {
		return append(b[:40:40], "..."...)
	}
	return b
}

// ExpectErr fails unless err wraps want.
func ExpectErr(t testing.TB, err, want error, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got nil error, want %v", what, want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %q (%T), want one wrapping %q", what, err, err, want)
	}
}

// AllEvents pages through ListEvents with f and returns every event. It
// fails if a page holds more than f.Limit events (MaxEventLimit when 0).
func AllEvents(t testing.TB, s *backend.Store, f backend.EventFilter) []backend.Event {
	t.Helper()
	var out []backend.Event
	if f.Limit == 0 {
		f.Limit = backend.MaxEventLimit
	}
	for pages := 0; ; pages++ {
		if pages > 100000 {
			t.Fatalf("ListEvents did not terminate")
		}
		page, err := s.ListEvents(context.Background(), f)
		if err != nil {
			t.Fatalf("ListEvents(%+v): %v", f, err)
		}
		if len(page.Events) > f.Limit {
			t.Fatalf("ListEvents returned %d events, more than Limit %d", len(page.Events), f.Limit)
		}
		out = append(out, page.Events...)
		if page.NextPageToken == "" {
			return out
		}
		f.PageToken = page.NextPageToken
	}
}

// AllSecrets pages through List with in and returns every secret. It
// fails if a page holds more than in.PageSize secrets (100 when 0).
func AllSecrets(t testing.TB, s *backend.Store, in backend.ListInput) []backend.Secret {
	t.Helper()
	var out []backend.Secret
	for pages := 0; ; pages++ {
		if pages > 100000 {
			t.Fatalf("List did not terminate")
		}
		page, err := s.List(context.Background(), in)
		if err != nil {
			t.Fatalf("List(%+v): %v", in, err)
		}
		limit := in.PageSize
		if limit == 0 {
			limit = 100
		}
		if len(page.Secrets) > limit {
			t.Fatalf("List returned %d secrets, more than PageSize %d", len(page.Secrets), limit)
		}
		out = append(out, page.Secrets...)
		if page.NextPageToken == "" {
			return out
		}
		in.PageToken = page.NextPageToken
	}
}

// SecretNames returns the names of secs in order.
func SecretNames(secs []backend.Secret) []string {
	out := make([]string, len(secs))
	for i, s := range secs {
		out[i] = s.Name
	}
	return out
}

// RawObjects returns every object key in the bucket with its size.
func RawObjects(t testing.TB, b *blob.Bucket) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	it := b.List(nil)
	for {
		obj, err := it.Next(context.Background())
		if err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatalf("listing raw bucket: %v", err)
		}
		out[obj.Key] = obj.Size
	}
}

// RawKeys lists the raw keys under prefix, in listing order. A listing
// error ends the list.
func RawKeys(t testing.TB, b *blob.Bucket, prefix string) []string {
	t.Helper()
	var out []string
	it := b.List(&blob.ListOptions{Prefix: prefix})
	for {
		o, err := it.Next(context.Background())
		if err != nil {
			break
		}
		out = append(out, o.Key)
	}
	return out
}

// NewObjects returns the keys in after that are not in before, sorted.
func NewObjects(before, after map[string]int64) []string {
	var out []string
	for k := range after {
		if _, ok := before[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// LargestNew returns the largest object written between two snapshots:
// the revision object of a secret whose value is larger than any event.
func LargestNew(t testing.TB, before, after map[string]int64) string {
	t.Helper()
	best, size := "", int64(-1)
	for _, k := range NewObjects(before, after) {
		if after[k] > size {
			best, size = k, after[k]
		}
	}
	if best == "" {
		t.Fatalf("no object was written")
	}
	return best
}

// ReadRaw returns the bytes of one raw object.
func ReadRaw(t testing.TB, b *blob.Bucket, key string) []byte {
	t.Helper()
	data, err := b.ReadAll(context.Background(), key)
	if err != nil {
		t.Fatalf("reading raw object %q: %v", key, err)
	}
	return data
}

// WriteRaw writes (or overwrites) one raw object, as a bucket writer
// without keys can.
func WriteRaw(t testing.TB, b *blob.Bucket, key string, data []byte) {
	t.Helper()
	if err := b.WriteAll(context.Background(), key, data, nil); err != nil {
		t.Fatalf("overwriting raw object %q: %v", key, err)
	}
}
