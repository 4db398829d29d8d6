// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"errors"
	"strings"
	"testing"
)

func TestNamespacePolicyCheck(t *testing.T) {
	t.Parallel()
	p := namespacePolicy{Patterns: []string{"*:production", "shared"}}
	for _, ns := range []string{"openai:production", ":production", "shared"} {
		if err := p.Check(ns); err != nil {
			t.Errorf("Check(%q) = %v, want allowed", ns, err)
		}
	}
	for _, ns := range []string{"openai:staging", "shared2", "production", "a/b:production"} {
		err := p.Check(ns)
		if err == nil {
			t.Errorf("Check(%q) allowed, want refused", ns)
			continue
		}
		if !errors.Is(err, errNamespaceNotAllowed) {
			t.Errorf("Check(%q) error %v does not wrap errNamespaceNotAllowed", ns, err)
		}
		for _, want := range []string{`"` + ns + `"`, `"*:production"`, `"shared"`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("Check(%q) error %q does not name %s", ns, err, want)
			}
		}
	}
	if err := (namespacePolicy{}).Check("anything"); err != nil {
		t.Errorf("empty policy refused a namespace: %v", err)
	}
}

func TestValidatePatterns(t *testing.T) {
	t.Parallel()
	if err := validatePatterns([]string{"*:production", "team-[a-c]:*"}); err != nil {
		t.Fatalf("valid patterns refused: %v", err)
	}
	for _, bad := range [][]string{{"[a-"}, {""}, {"ok", "  "}} {
		if err := validatePatterns(bad); err == nil {
			t.Errorf("validatePatterns(%q) = nil, want error", bad)
		}
	}
}
