// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// Every ```terraform block of README.md applies, as written, to a fresh
// store and then plans no changes. The test substitutes what a reader
// supplies: the terraform block is dropped (the in-process provider serves
// the address), every provider url (a cloud bucket in the README) becomes
// a file:// store in a temporary directory, the root key is set in the
// provider block instead of SECRETSTORE_ROOT_KEY, and each variable gets a
// random value.
func TestAccExamples_readme(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := fencedTerraform(string(raw))
	if len(blocks) == 0 {
		t.Fatal("README.md has no terraform blocks")
	}
	for _, block := range blocks {
		t.Run(strings.TrimSpace(firstLine(block)), func(t *testing.T) {
			ts := newTestStore(t)
			cfg, vars := exampleConfig(t, ts, block)
			parallelUnitTest(t, resource.TestCase{
				TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
				ProtoV6ProviderFactories: testAccProviderFactories(nil),
				Steps:                    []resource.TestStep{{Config: cfg, ConfigVariables: vars}},
			})
		})
	}
}

var fenceRe = regexp.MustCompile("(?ms)^```terraform\n(.*?)^```")

// fencedTerraform returns the bodies of the ```terraform blocks of md.
func fencedTerraform(md string) []string {
	var out []string
	for _, m := range fenceRe.FindAllStringSubmatch(md, -1) {
		out = append(out, m[1])
	}
	return out
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

var (
	urlRe      = regexp.MustCompile(`(?m)^(\s*url\s*=\s*)"[^"]*"`)
	providerRe = regexp.MustCompile(`(?m)^provider "secretstore" \{\n`)
	// emptyProviderRe is a provider block written on one line, `{}`.
	emptyProviderRe = regexp.MustCompile(`(?m)^provider "secretstore" \{\}\n`)
	variableRe      = regexp.MustCompile(`(?m)^variable "([^"]+)"`)
	aliasRe         = regexp.MustCompile(`(?m)^\s*alias\s*=`)
)

// exampleConfig turns an example into a configuration for ts (see
// TestAccExamples_readme) and returns the variables it declares with
// random values: a 32-byte base64 key for names with key_material.
func exampleConfig(t *testing.T, ts testStore, example string) (string, config.Variables) {
	t.Helper()
	cfg := dropBlock(example, "terraform {")
	cfg = urlRe.ReplaceAllString(cfg, `${1}"`+ts.URL+`"`)
	cfg = emptyProviderRe.ReplaceAllString(cfg, "provider \"secretstore\" {\n}\n")
	// The default (unaliased) provider block gets the root key, and the
	// url when it sets none; without one, the test's block is added. An
	// aliased block keeps its own root key (its url is ts's).
	var b strings.Builder
	found, rest := false, cfg
	for {
		loc := providerRe.FindStringIndex(rest)
		if loc == nil {
			b.WriteString(rest)
			break
		}
		body := rest[loc[1]:]
		if end := strings.Index(body, "\n}"); end >= 0 {
			body = body[:end]
		}
		b.WriteString(rest[:loc[1]])
		if !aliasRe.MatchString(body) {
			found = true
			b.WriteString("  root_key = \"" + ts.RootKey + "\"\n")
			if !urlRe.MatchString(body) {
				b.WriteString("  url = \"" + ts.URL + "\"\n")
			}
		}
		rest = rest[loc[1]:]
	}
	cfg = b.String()
	if !found {
		cfg = ts.providerBlock("") + cfg
	}
	vars := config.Variables{}
	for _, m := range variableRe.FindAllStringSubmatch(cfg, -1) {
		v := "example-" + randomText(t, 24)
		if strings.Contains(m[1], "key_material") {
			v = randomKey(t)
		}
		vars[m[1]] = config.StringVariable(v)
	}
	return cfg, vars
}

// dropBlock removes the top-level block that starts with the line opening
// (for example `terraform {`), up to its matching closing brace.
func dropBlock(src, opening string) string {
	i := strings.Index(src, "\n"+opening)
	if !strings.HasPrefix(src, opening) && i < 0 {
		return src
	}
	if strings.HasPrefix(src, opening) {
		i = 0
	} else {
		i++
	}
	depth := 0
	for j := i; j < len(src); j++ {
		switch src[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return src[:i] + src[j+1:]
			}
		}
	}
	return src
}
