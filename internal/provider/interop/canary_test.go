// SPDX-License-Identifier: MPL-2.0

package interop

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tfconfig "github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/secretstore/terraform-provider-secretstore/secretstore"
)

// encodings are the forms a leaked value could take: as is, base64 (with
// and without padding, standard and URL alphabets) and hex.
func encodings(v string) [][]byte {
	b := []byte(v)
	return [][]byte{
		b,
		[]byte(base64.StdEncoding.EncodeToString(b)), []byte(base64.RawStdEncoding.EncodeToString(b)),
		[]byte(base64.URLEncoding.EncodeToString(b)), []byte(base64.RawURLEncoding.EncodeToString(b)),
		[]byte(hex.EncodeToString(b)), []byte(strings.ToUpper(hex.EncodeToString(b))),
	}
}

// leak returns the first form of a canary found in data, or "".
func leak(data []byte, canaries ...string) string {
	for _, c := range canaries {
		for _, e := range encodings(c) {
			if bytes.Contains(data, e) {
				return string(e)
			}
		}
	}
	return ""
}

// stateCanary fails when a canary is anywhere in the state.
type stateCanary struct{ canaries []string }

func (c stateCanary) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	data, err := json.Marshal(req.State)
	if err != nil {
		resp.Error = err
		return
	}
	if l := leak(data, c.canaries...); l != "" {
		resp.Error = fmt.Errorf("the state holds a canary (%q)", l)
	}
}

// planCanary fails when a canary is anywhere in the plan.
type planCanary struct{ canaries []string }

func (c planCanary) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	data, err := json.Marshal(req.Plan)
	if err != nil {
		resp.Error = err
		return
	}
	if l := leak(data, c.canaries...); l != "" {
		resp.Error = fmt.Errorf("the plan holds a canary (%q)", l)
	}
}

// A canary written through the command and one written through Terraform
// (value_wo) appear in no stderr of any command run (successes and
// failures), in no output but get's, in no error of the client, in no file
// of the bucket (raw, base64 or hex), and in neither state nor plan.
func TestAccInterop_canary(t *testing.T) {
	s := newStore(t)
	cliCanary := "canary-cli-" + randomText(t, 24)
	tfCanary := "canary-tf-" + randomText(t, 24)
	canaries := []string{cliCanary, tfCanary}
	const cliRef, tfRef = "interop:canary/cli", "interop:canary/tf"

	// The value comes from an ephemeral variable, as documented: a literal
	// would be in the plan's copy of the configuration.
	config := s.providerBlock() + `
variable "tf_value" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "secretstore_key_version" "v1" {
  version = 1
}

resource "secretstore_secret" "tf" {
  namespace        = "interop:canary"
  name             = "tf"
  value_wo         = var.tf_value
  value_wo_version = 1
  metadata         = { owner = "terraform" }
  min_key_version  = secretstore_key_version.v1.version
}
`
	vars := tfconfig.Variables{"tf_value": tfconfig.StringVariable(tfCanary)}

	// Commands that must fail, each with a canary at hand: on stdin, in
	// the store, or in the environment of exec.
	failures := func() {
		for _, f := range []struct {
			stdin string
			env   []string
			args  []string
		}{
			{cliCanary, nil, []string{"put", cliRef, cliCanary}},
			{cliCanary, nil, []string{"put", "--value=" + cliCanary, cliRef}},
			{cliCanary, nil, []string{"put", "--if-revision", "7", cliRef}},
			{cliCanary, nil, []string{"--json", "put", "--if-revision", "7", cliRef}},
			{cliCanary, nil, []string{"put", "--expires-at", "2001-01-01T00:00:00Z", cliRef}},
			{cliCanary, nil, []string{"put", "interop:canary/bad name"}},
			{cliCanary, nil, []string{"put", "--ttl", "soon", cliRef}},
			{"", nil, []string{"get", "--revision", "9", cliRef}},
			{"", nil, []string{"--json", "get", "--revision", "9", tfRef}},
			{"", nil, []string{"get", "interop:canary/missing"}},
			{"", []string{"SECRETSTORE_ROOT_KEY=" + randomKey(t)}, []string{"get", cliRef}},
			{"", []string{"CANARY=secretstore:" + cliRef + "#9"}, []string{"exec", "--", "true"}},
			{"", []string{"CANARY=secretstore:" + cliRef}, []string{"exec", "--", "sh", "-c", "exit 3"}},
			{"", []string{"CANARY=secretstore:" + tfRef}, []string{"exec", "--", "/nonexistent/command"}},
		} {
			if r := s.cli(f.stdin, f.env, f.args...); r.Code == 0 {
				t.Errorf("secretstore %s succeeded, want a failure", strings.Join(f.args, " "))
			}
		}
	}
	// Commands that must succeed; get's value is checked, not scanned.
	successes := func() {
		for _, ref := range []string{cliRef, tfRef} {
			want := cliCanary
			if ref == tfRef {
				want = tfCanary
			}
			if r := s.cli("", nil, "get", ref); r.Code != 0 || r.Stdout != want {
				t.Errorf("get %s: exit %d, value equal: %v\n%s", ref, r.Code, r.Stdout == want, r.Stderr)
			}
			if r := s.cli("", nil, "--json", "get", ref); r.Code != 0 || !strings.Contains(r.Stdout, want) {
				t.Errorf("get --json %s: exit %d, value present: %v\n%s", ref, r.Code, strings.Contains(r.Stdout, want), r.Stderr)
			}
			for _, args := range [][]string{{"history", ref}, {"--json", "history", ref}} {
				s.ok("", args...)
			}
			// exec passes the value to the command only.
			r := s.cli("", []string{"CANARY=secretstore:" + ref}, "exec", "--", "sh", "-c", `test "$CANARY" = "`+want+`"`)
			if r.Code != 0 {
				t.Errorf("exec with %s: exit %d\n%s", ref, r.Code, r.Stderr)
			}
		}
		for _, args := range [][]string{
			{"list", "interop:canary"}, {"--json", "list", "interop:canary"},
			{"audit"}, {"--json", "audit"}, {"key-versions"}, {"--json", "key-versions"},
			{"rotate", "--dry-run"}, {"--json", "rotate", "--dry-run"}, {"rotate"}, {"--json", "rotate"},
			{"cleanup", "--dry-run", "--revision-retention", "0s"}, {"--json", "cleanup", "--dry-run", "--revision-retention", "0s"},
			{"verify"}, {"--json", "verify"},
		} {
			s.ok("", args...)
		}
		// The client's errors.
		c := s.openClient()
		for _, rev := range []int64{0, 9} {
			if _, err := c.GetRevision(context.Background(), "interop:canary", "cli", rev); err == nil {
				t.Errorf("client GetRevision %d succeeded, want an error", rev)
			} else if l := leak([]byte(err.Error()+fmt.Sprintf(" %v %+v %#v", err, err, err)), canaries...); l != "" {
				t.Errorf("client error holds a canary (%q): %v", l, err)
			}
		}
		if _, err := secretstore.Open(context.Background(), secretstore.Config{URL: s.URL, RootKey: randomKey(t)}); err == nil {
			t.Error("client Open with another root key succeeded")
		} else if l := leak([]byte(err.Error()), canaries...); l != "" {
			t.Errorf("client Open error holds a canary (%q): %v", l, err)
		}
		sec, err := c.Get(context.Background(), "interop:canary", "tf")
		if err != nil {
			t.Fatalf("client Get: %v", err)
		}
		if l := leak([]byte(fmt.Sprintf("%v %+v %#v %s", sec, sec, sec, sec.String())), canaries...); l != "" {
			t.Errorf("a client Secret formats with its value (%q)", l)
		}
		if js, err := json.Marshal(sec); err != nil || leak(js, canaries...) != "" {
			t.Errorf("a client Secret marshals to JSON with its value: %s (%v)", js, err)
		}
	}
	scan := func() error {
		var errs []error
		for _, r := range s.runs {
			cmd := strings.Join(r.Args, " ")
			if l := leak([]byte(r.Stderr), canaries...); l != "" {
				errs = append(errs, fmt.Errorf("stderr of secretstore %s (exit %d) holds a canary (%q):\n%s", cmd, r.Code, l, r.Stderr))
			}
			if len(r.Args) > 0 && (r.Args[0] == "get" || len(r.Args) > 1 && r.Args[0] == "--json" && r.Args[1] == "get") && r.Code == 0 {
				continue
			}
			if l := leak([]byte(r.Stdout), canaries...); l != "" {
				errs = append(errs, fmt.Errorf("stdout of secretstore %s (exit %d) holds a canary (%q):\n%s", cmd, r.Code, l, r.Stdout))
			}
		}
		files := s.files()
		if len(files) < 10 {
			errs = append(errs, fmt.Errorf("the store holds only %d files: %v", len(files), files))
		}
		for _, f := range files {
			data, err := os.ReadFile(filepath.Join(s.Dir, filepath.FromSlash(f)))
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if l := leak(data, canaries...); l != "" {
				errs = append(errs, fmt.Errorf("bucket object %s holds a canary (%q)", f, l))
			}
		}
		return errors.Join(errs...)
	}

	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		ProtoV6ProviderFactories: factories(),
		Steps: []resource.TestStep{
			{
				Config:          config,
				ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply:             []plancheck.PlanCheck{planCanary{canaries}},
					PostApplyPostRefresh: []plancheck.PlanCheck{planCanary{canaries}},
				},
				ConfigStateChecks: []statecheck.StateCheck{stateCanary{canaries}},
			},
			{
				// The command writes its canary into the store Terraform
				// created, then every command runs against both secrets.
				PreConfig: func() {
					s.ok(cliCanary, "put", "--metadata", "owner=cli", cliRef)
					s.ok(cliCanary+"-2", "--json", "put", cliRef)
					s.ok(cliCanary, "put", "--if-revision", "2", cliRef)
					failures()
					successes()
				},
				Config:            config,
				ConfigVariables:   vars,
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{planCanary{canaries}, plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{stateCanary{canaries}},
				// The command's secret is deleted last, so that destroy can
				// retire key version 1.
				Check: resource.ComposeTestCheckFunc(check(scan), check(func() error {
					s.ok("", "delete", cliRef)
					return nil
				})),
			},
		},
	})
}
