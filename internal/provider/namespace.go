package provider

import (
	"fmt"
	"path"
	"strings"
)

// namespacePolicy is the allowed_namespaces glob list; empty allows all.
// Patterns use path.Match syntax (`*`, `?`, `[...]`), so `*:production`
// matches `openai:production` and `*` matches every namespace.
type namespacePolicy struct {
	Patterns []string
}

// errNamespaceNotAllowed is wrapped by the error of namespacePolicy.Check.
var errNamespaceNotAllowed = fmt.Errorf("namespace not allowed")

// validatePatterns returns an error naming the first malformed pattern.
func validatePatterns(patterns []string) error {
	for i, p := range patterns {
		if strings.TrimSpace(p) == "" {
			return fmt.Errorf("pattern %d is empty; use a glob such as \"*:production\"", i)
		}
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("pattern %q is not a valid glob (path.Match syntax: *, ?, [a-z]): %w", p, err)
		}
	}
	return nil
}

// Check returns nil when namespace matches at least one pattern (or the
// policy is empty), else an error that names the namespace and every pattern.
func (p namespacePolicy) Check(namespace string) error {
	if len(p.Patterns) == 0 {
		return nil
	}
	for _, pat := range p.Patterns {
		if ok, err := path.Match(pat, namespace); err == nil && ok {
			return nil
		}
	}
	quoted := make([]string, len(p.Patterns))
	for i, pat := range p.Patterns {
		quoted[i] = fmt.Sprintf("%q", pat)
	}
	return fmt.Errorf("%w: namespace %q matches none of the allowed_namespaces patterns [%s]",
		errNamespaceNotAllowed, namespace, strings.Join(quoted, ", "))
}
