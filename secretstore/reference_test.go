// SPDX-License-Identifier: MPL-2.0

package secretstore_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/secretstore"
)

func TestParseReference(t *testing.T) {
	t.Parallel()
	valid := map[string]secretstore.Reference{
		"secretstore:acme:production/openai":        {Namespace: "acme:production", Name: "openai"},
		"secretstore:acme:production/openai#3":      {Namespace: "acme:production", Name: "openai", Revision: 3},
		"secretstore:ns/db.password#10":             {Namespace: "ns", Name: "db.password", Revision: 10},
		"secretstore:team-a_b.c/KEY:with:colons@v1": {Namespace: "team-a_b.c", Name: "KEY:with:colons@v1"},
	}
	for in, want := range valid {
		got, ok, err := secretstore.ParseReference(in)
		if err != nil || !ok || got != want {
			t.Errorf("ParseReference(%q) = %+v, %t, %v; want %+v", in, got, ok, err, want)
		}
		if got.String() != in {
			t.Errorf("%+v.String() = %q, want %q", got, got.String(), in)
		}
	}
	for _, in := range []string{"", "plain value", "Secretstore:ns/a", " secretstore:ns/a", "https://example.com/x#1", "ns/a"} {
		if _, ok, err := secretstore.ParseReference(in); ok || err != nil {
			t.Errorf("ParseReference(%q) = %t, %v; want not a reference", in, ok, err)
		}
	}
	invalid := map[string]string{
		"secretstore:":                         "no '/'",
		"secretstore:ns":                       "no '/'",
		"secretstore:/name":                    "namespace",
		"secretstore:ns/":                      "name",
		"secretstore:ns/a/b":                   "name",
		"secretstore:ns/a#":                    "revision",
		"secretstore:ns/a#0":                   "revision",
		"secretstore:ns/a#-1":                  "revision",
		"secretstore:ns/a#+1":                  "revision",
		"secretstore:ns/a#01":                  "revision",
		"secretstore:ns/a#1x":                  "revision",
		"secretstore:ns/a#1#2":                 "revision",
		"secretstore:ns/a#9223372036854775808": "out of range",
		"secretstore:n s/a":                    "namespace",
		"secretstore:ns/a b":                   "name",
	}
	for in, says := range invalid {
		_, ok, err := secretstore.ParseReference(in)
		if !ok || !errors.Is(err, secretstore.ErrInvalidArgument) || !strings.Contains(err.Error(), says) {
			t.Errorf("ParseReference(%q) = %t, %v; want an ErrInvalidArgument saying %q", in, ok, err, says)
		}
	}
}

func TestSplitID(t *testing.T) {
	t.Parallel()
	ns, name, err := secretstore.SplitID("acme:production/OPENAI_API_KEY")
	if err != nil || ns != "acme:production" || name != "OPENAI_API_KEY" {
		t.Errorf("SplitID = %q, %q, %v", ns, name, err)
	}
	for _, bad := range []string{"", "noslash", "/x", "ns/", "ns/a/b", "n s/a"} {
		if _, _, err := secretstore.SplitID(bad); !errors.Is(err, secretstore.ErrInvalidArgument) {
			t.Errorf("SplitID(%q) = %v, want ErrInvalidArgument", bad, err)
		}
	}
}
