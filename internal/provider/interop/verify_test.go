// SPDX-License-Identifier: MPL-2.0

package interop

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// verifyReport is verify --json's output.
type verifyReport struct {
	OK       bool `json:"ok"`
	Records  int  `json:"records"`
	Events   int  `json:"events"`
	Problems []struct {
		Kind, Object, Error, Message string
	} `json:"problems"`
}

// verify runs verify, as text and --json, and returns both.
func (s *store) verify() (text, jsonRun cliRun, rep verifyReport) {
	s.t.Helper()
	text = s.cli("", nil, "verify")
	jsonRun = s.cli("", nil, "--json", "verify")
	if err := json.Unmarshal([]byte(jsonRun.Stdout), &rep); err != nil {
		s.t.Fatalf("verify --json: %v\n%s", err, jsonRun.Stdout)
	}
	return text, jsonRun, rep
}

// recordFile matches a secret revision record (not its marker).
var recordFile = regexp.MustCompile(`^v1/s/[^/]+/[^/]+/r[0-9]{20}$`)

// eventFile matches one event of a secret's audit index.
var eventFile = regexp.MustCompile(`^v1/a/s/[^/]+/[^/]+/y[0-9]{8}/e[^/]+$`)

// secretDir is the layout's directory of a secret (namespace in lowercase
// base32hex without padding, name in hex), relative to the bucket.
func secretDir(prefix, ns, name string) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuv"
	var sb strings.Builder
	var buf, bits uint
	for _, c := range []byte(ns) {
		buf = buf<<8 | uint(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			sb.WriteByte(alphabet[(buf>>bits)&31])
		}
	}
	if bits > 0 {
		sb.WriteByte(alphabet[(buf<<(5-bits))&31])
	}
	return path.Join(prefix, sb.String(), fmt.Sprintf("%x", name))
}

// After a Terraform apply, verify passes on the intact store; on a copy
// where one byte of one secret's revision record is flipped, and on a copy
// where one audit event of a secret is deleted, it exits 6 (integrity) and
// names what is damaged, in text and in --json, and nothing else.
func TestAccInterop_verifyReportsDamage(t *testing.T) {
	s := newStore(t)
	config := s.providerBlock() + `
resource "secretstore_key_version" "v1" {
  version = 1
}

resource "secretstore_secret" "one" {
  namespace        = "interop:verify"
  name             = "one"
  value_wo         = "first secret"
  value_wo_version = 1
  min_key_version  = secretstore_key_version.v1.version
}

resource "secretstore_secret" "two" {
  namespace        = "interop:verify"
  name             = "two"
  value_wo         = "second secret"
  value_wo_version = 1
  min_key_version  = secretstore_key_version.v1.version
}
`
	intact := func() error {
		text, js, rep := s.verify()
		if text.Code != 0 || js.Code != 0 || !rep.OK || len(rep.Problems) != 0 {
			return fmt.Errorf("verify of the intact store: exit %d (--json %d), problems %v\n%s%s", text.Code, js.Code, rep.Problems, text.Stdout, text.Stderr)
		}
		if !strings.Contains(text.Stdout, "no damage found") || rep.Records != 2 || rep.Events < 3 {
			return fmt.Errorf("verify of the intact store checked %d records and %d events, want 2 and at least 3:\n%s", rep.Records, rep.Events, text.Stdout)
		}
		return nil
	}
	tampered := func() error {
		c := s.copyStore()
		dir := secretDir("v1/s", "interop:verify", "one")
		var records []string
		for _, f := range c.files() {
			if recordFile.MatchString(f) && strings.HasPrefix(f, dir+"/") {
				records = append(records, f)
			}
		}
		if len(records) != 1 {
			return fmt.Errorf("%d records of interop:verify/one in %s, want 1", len(records), dir)
		}
		p := filepath.Join(c.Dir, filepath.FromSlash(records[0]))
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		data[len(data)/2] ^= 0x40
		if err := os.Chmod(p, 0o600); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			return err
		}
		return c.expectDamage(backend.VerifyRecord, "secret interop:verify/one revision 1", "interop:verify/two")
	}
	deletedEvent := func() error {
		c := s.copyStore()
		dir := secretDir("v1/a/s", "interop:verify", "two")
		var events []string
		for _, f := range c.files() {
			if eventFile.MatchString(f) && strings.HasPrefix(f, dir+"/") {
				events = append(events, f)
			}
		}
		if len(events) != 1 {
			return fmt.Errorf("%d audit events of interop:verify/two in %s, want 1", len(events), dir)
		}
		if err := os.Remove(filepath.Join(c.Dir, filepath.FromSlash(events[0]))); err != nil {
			return err
		}
		return c.expectDamage(backend.VerifyAudit, "interop:verify/two", "interop:verify/one")
	}

	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		ProtoV6ProviderFactories: factories(),
		Steps: []resource.TestStep{{
			Config: config,
			Check:  resource.ComposeAggregateTestCheckFunc(check(intact), check(tampered), check(deletedEvent), check(intact)),
		}},
	})
}

// expectDamage runs verify and fails unless it exits 6 and every problem
// it reports is of kind and names object, and none names intact.
func (s *store) expectDamage(kind, object, intact string) error {
	text, js, rep := s.verify()
	if text.Code != 6 || js.Code != 6 || rep.OK {
		return fmt.Errorf("verify after damage to %s: exit %d (--json %d, ok %v), want 6\n%s%s", object, text.Code, js.Code, rep.OK, text.Stdout, text.Stderr)
	}
	if !strings.Contains(text.Stderr, "integrity") || !strings.Contains(text.Stdout, object) {
		return fmt.Errorf("verify after damage to %s does not name it:\n%s%s", object, text.Stdout, text.Stderr)
	}
	if len(rep.Problems) == 0 {
		return fmt.Errorf("verify --json after damage to %s lists no problem", object)
	}
	kinds := []string{}
	for _, p := range rep.Problems {
		kinds = append(kinds, p.Kind)
		if p.Error != "integrity" || !strings.Contains(p.Object+" "+p.Message, object) || strings.Contains(p.Object, intact) {
			return fmt.Errorf("verify --json after damage to %s reports %+v", object, p)
		}
	}
	if !slices.Contains(kinds, kind) {
		return fmt.Errorf("verify --json after damage to %s reports kinds %v, want %s", object, kinds, kind)
	}
	return nil
}
