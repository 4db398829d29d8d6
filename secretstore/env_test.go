// SPDX-License-Identifier: MPL-2.0

package secretstore_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/secretstore"
)

func TestResolveEnv(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	first, second, other := canary(), canary(), canary()
	f := newFixture(t, time.Time{})
	f.h.PutValue("acme:production", "openai", first)
	f.h.PutValue("acme:production", "openai", second)
	f.h.PutValue("acme:production", "db", other)
	s := f.open(t)

	environ := []string{
		"PATH=/usr/bin:/bin",
		"OPENAI_API_KEY=secretstore:acme:production/openai",
		"OPENAI_OLD=secretstore:acme:production/openai#1",
		"DB_PASSWORD=secretstore:acme:production/db",
		"DB_AGAIN=secretstore:acme:production/db",
		"NOT_A_REF=Secretstore:acme:production/db",
		"EMBEDDED=x secretstore:acme:production/db",
		"MALFORMED_ENTRY",
		"EMPTY=",
	}
	got, err := s.ResolveEnv(ctx, environ)
	if err != nil {
		t.Fatalf("ResolveEnv: %v", err)
	}
	want := []string{
		"PATH=/usr/bin:/bin",
		"OPENAI_API_KEY=" + second,
		"OPENAI_OLD=" + first,
		"DB_PASSWORD=" + other,
		"DB_AGAIN=" + other,
		"NOT_A_REF=Secretstore:acme:production/db",
		"EMBEDDED=x secretstore:acme:production/db",
		"MALFORMED_ENTRY",
		"EMPTY=",
	}
	if !slices.Equal(got, want) {
		t.Errorf("ResolveEnv = %q\nwant %q", got, want)
	}
	if environ[1] != "OPENAI_API_KEY=secretstore:acme:production/openai" {
		t.Errorf("ResolveEnv changed its input: %q", environ[1])
	}
	if got, err := s.ResolveEnv(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("ResolveEnv(nil) = %q, %v", got, err)
	}
}

// A variable that cannot be resolved fails the whole call with an error
// naming the variable and its reference, never a value.
func TestResolveEnvErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	secret := canary()
	f := newFixture(t, time.Now().Add(-2*time.Hour))
	f.h.PutValue("ns", "good", secret)
	f.h.Put(backend.PutInput{Namespace: "ns", Name: "expired", Value: []byte(secret), Expiry: backend.Expiry{Set: true, TTL: time.Hour}})
	f.h.PutValue("ns", "binary", secret+"\x00tail")
	s := f.open(t)

	cases := []struct {
		entry string
		want  error
	}{
		{"BAD_REF=secretstore:ns/good#zero", secretstore.ErrInvalidArgument},
		{"MISSING=secretstore:ns/missing", secretstore.ErrNotFound},
		{"OLD=secretstore:ns/good#7", secretstore.ErrNotFound},
		{"EXPIRED=secretstore:ns/expired", secretstore.ErrExpired},
		{"BINARY=secretstore:ns/binary", secretstore.ErrInvalidArgument},
	}
	for _, tc := range cases {
		name, ref, _ := strings.Cut(tc.entry, "=")
		got, err := s.ResolveEnv(ctx, []string{"GOOD=secretstore:ns/good", tc.entry})
		if got != nil || !errors.Is(err, tc.want) {
			t.Errorf("ResolveEnv(%s) = %d entries, %v; want nil, %v", tc.entry, len(got), err, tc.want)
			continue
		}
		var envErr *secretstore.EnvError
		if !errors.As(err, &envErr) || envErr.Variable != name || envErr.Reference != ref {
			t.Errorf("ResolveEnv(%s) error %#v does not name the variable and reference", tc.entry, err)
		}
		if !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), ref) {
			t.Errorf("ResolveEnv(%s) message does not name the variable and reference: %v", tc.entry, err)
		}
		expectClean(t, err, secret)
	}
}
