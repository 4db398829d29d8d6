package provider

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// namespacePolicy is the allowed_namespaces glob list; empty allows all.
// Patterns use path.Match syntax (`*`, `?`, `[...]`), so `*:production`
// matches `openai:production` and `*` matches every namespace.
type namespacePolicy struct {
	Patterns []string
}

// errNamespaceNotAllowed matches (errors.Is) every error of
// namespacePolicy.Check.
var errNamespaceNotAllowed = errors.New("namespace not allowed")

// namespaceNotAllowedError names the refused namespace and every pattern.
type namespaceNotAllowedError struct {
	namespace string
	patterns  []string
}

func (e *namespaceNotAllowedError) Error() string {
	quoted := make([]string, len(e.patterns))
	for i, pat := range e.patterns {
		quoted[i] = strconv.Quote(pat)
	}
	return fmt.Sprintf("namespace %q matches none of the allowed_namespaces patterns [%s]",
		e.namespace, strings.Join(quoted, ", "))
}

func (e *namespaceNotAllowedError) Is(target error) bool { return target == errNamespaceNotAllowed }

// patternError is a pattern that is not a usable glob: Err is nil for an
// empty pattern, else the error of path.Match. diagInvalidPattern words it.
type patternError struct {
	Pattern string
	Err     error
}

func (e *patternError) Error() string {
	if e.Err == nil {
		return "empty namespace pattern"
	}
	return fmt.Sprintf("namespace pattern %q: %v", e.Pattern, e.Err)
}

func (e *patternError) Unwrap() error { return e.Err }

// validatePattern returns a *patternError when p is not a usable glob.
func validatePattern(p string) error {
	if strings.TrimSpace(p) == "" {
		return &patternError{Pattern: p}
	}
	if _, err := path.Match(p, ""); err != nil {
		return &patternError{Pattern: p, Err: err}
	}
	return nil
}

// validatePatterns returns the error of the first malformed pattern.
func validatePatterns(patterns []string) error {
	for _, p := range patterns {
		if err := validatePattern(p); err != nil {
			return err
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
	return &namespaceNotAllowedError{namespace: namespace, patterns: p.Patterns}
}
