// SPDX-License-Identifier: MPL-2.0

package secretstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/secretstore"
)

// However a Secret is printed, marshalled or logged, its value stays out.
func TestSecretNeverShowsItsValue(t *testing.T) {
	t.Parallel()
	value := canary()
	f := newFixture(t, time.Time{})
	f.h.PutValue("acme:production", "openai", value)
	s := f.open(t)
	sec, err := s.Get(context.Background(), "acme:production", "openai")
	if err != nil {
		t.Fatal(err)
	}
	if string(sec.Value) != value {
		t.Fatalf("Get value = %q", sec.Value)
	}
	// The value in the forms a formatter could render it.
	needles := []string{value, fmt.Sprintf("%x", value), fmt.Sprintf("%X", value), decimalBytes(value)[:20],
		strings.TrimRight(jsonBase64(value), "="), fmt.Sprintf("%q", []byte(value))}
	type holder struct {
		S secretstore.Secret
		P *secretstore.Secret
	}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v"} {
		for _, v := range []any{*sec, sec, []secretstore.Secret{*sec}, []*secretstore.Secret{sec},
			map[string]secretstore.Secret{"k": *sec}, holder{*sec, sec}} {
			out = append(out, fmt.Sprintf(verb, v))
		}
	}
	out = append(out, sec.String(), fmt.Sprint(sec), fmt.Sprintln(*sec))
	j, err := json.Marshal(map[string]any{"s": sec, "v": *sec})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, string(j))
	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("loaded", "secret", sec, "copy", *sec)
		out = append(out, buf.String())
	}
	for _, o := range out {
		for _, n := range needles {
			if strings.Contains(o, n) {
				t.Fatalf("output reveals the value (%q): %s", n, o)
			}
		}
	}
	if !strings.Contains(out[0], "acme:production/openai revision 1") || !strings.Contains(string(j), `"value_id":"`+sec.ValueID) {
		t.Errorf("formatting lost the description: %s / %s", out[0], j)
	}
}

// decimalBytes renders s as fmt prints a []byte with %v, without brackets.
func decimalBytes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d", s[i])
	}
	return b.String()
}

func jsonBase64(s string) string {
	b, _ := json.Marshal([]byte(s))
	return strings.Trim(string(b), `"`)
}

func TestConfigNeverShowsKeys(t *testing.T) {
	t.Parallel()
	c := secretstore.Config{URL: "s3://bucket?access_key=AKIDSECRET&region=eu-west-1", RootKey: canary(),
		PreviousRootKeys: []string{canary()}, Actor: "app", AuditReads: true}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for _, v := range []any{c, &c} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range []string{c.RootKey, c.PreviousRootKeys[0], "AKIDSECRET", fmt.Sprintf("%x", c.RootKey)} {
				if strings.Contains(out, secret) {
					t.Errorf("%s of Config reveals a secret: %s", verb, out)
				}
			}
			if !strings.Contains(out, "s3://bucket") || !strings.Contains(out, "<redacted>") {
				t.Errorf("%s of Config = %s", verb, out)
			}
		}
	}
}

// ConfigFromEnv reads the variables the provider reads, with its rules.
// (Not parallel: it sets the process environment.)
func TestConfigFromEnv(t *testing.T) {
	f := newFixture(t, time.Time{})
	f.h.PutValue("ns", "a", "value")
	prev := canary()
	t.Setenv(secretstore.EnvURL, f.cfg.URL)
	t.Setenv(secretstore.EnvRootKey, f.cfg.RootKey)
	t.Setenv(secretstore.EnvPreviousRootKeys, "")
	t.Setenv(secretstore.EnvActor, "worker-1")
	t.Setenv(secretstore.EnvAuditReads, "true")
	cfg, err := secretstore.ConfigFromEnv()
	if err != nil {
		t.Fatalf("ConfigFromEnv: %v", err)
	}
	if cfg.URL != f.cfg.URL || cfg.RootKey != f.cfg.RootKey || cfg.Actor != "worker-1" || !cfg.AuditReads || cfg.PreviousRootKeys != nil {
		t.Fatalf("ConfigFromEnv = %v", cfg)
	}
	s, err := secretstore.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Get(context.Background(), "ns", "a"); err != nil {
		t.Fatal(err)
	}

	t.Setenv(secretstore.EnvPreviousRootKeys, f.cfg.RootKey+", ,base64key://"+f.cfg.RootKey)
	if cfg, err = secretstore.ConfigFromEnv(); err != nil || len(cfg.PreviousRootKeys) != 2 {
		t.Fatalf("ConfigFromEnv with two previous keys = %d keys, %v", len(cfg.PreviousRootKeys), err)
	}

	t.Setenv(secretstore.EnvRootKey, prev[:10])
	t.Setenv(secretstore.EnvPreviousRootKeys, "x,"+prev)
	t.Setenv(secretstore.EnvAuditReads, "sometimes")
	t.Setenv(secretstore.EnvActor, "bad\x1b[31m")
	_, err = secretstore.ConfigFromEnv()
	if err == nil {
		t.Fatal("ConfigFromEnv accepted malformed variables")
	}
	for _, says := range []string{secretstore.EnvRootKey, "entry 0 of " + secretstore.EnvPreviousRootKeys,
		"entry 1 of " + secretstore.EnvPreviousRootKeys, secretstore.EnvAuditReads, secretstore.EnvActor} {
		if !strings.Contains(err.Error(), says) {
			t.Errorf("ConfigFromEnv error does not name %s: %v", says, err)
		}
	}
	expectClean(t, err, prev, prev[:10])
	if os.Getenv(secretstore.EnvURL) == "" {
		t.Fatal("environment lost")
	}
}
