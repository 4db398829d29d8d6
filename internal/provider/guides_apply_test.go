// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// guideBlock is a ```terraform block of a guide and the heading it is
// under.
type guideBlock struct {
	Heading string
	Body    string
}

var (
	headingRe = regexp.MustCompile(`^#{1,6} (.*)$`)
	// objectRe matches a block of a configuration that uses a provider.
	objectRe = regexp.MustCompile(`(?m)^(resource|data|ephemeral|action|list) "`)
)

// guideBlocks returns the ```terraform blocks of the rendered guide
// docs/guides/<name>.md, each with the nearest heading above it.
func guideBlocks(t *testing.T, name string) []guideBlock {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "guides", name+".md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []guideBlock
	heading := ""
	lines := strings.Split(string(raw), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.HasPrefix(line, "```") {
			lang := strings.TrimPrefix(line, "```")
			var body strings.Builder
			for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
				body.WriteString(lines[i] + "\n")
			}
			if lang == "terraform" {
				out = append(out, guideBlock{Heading: heading, Body: body.String()})
			}
			continue
		}
		if m := headingRe.FindStringSubmatch(line); m != nil {
			heading = m[1]
		}
	}
	return out
}

// guideBlockUnder returns the only ```terraform block under heading, and
// fails t when there is not exactly one (the guide changed: change the
// test with it).
func guideBlockUnder(t *testing.T, blocks []guideBlock, heading string) string {
	t.Helper()
	var found []string
	for _, b := range blocks {
		if b.Heading == heading {
			found = append(found, b.Body)
		}
	}
	if len(found) != 1 {
		t.Fatalf("the guide has %d terraform blocks under %q, want 1", len(found), heading)
	}
	return found[0]
}

// TestAccExamples_guides: every ```terraform block of every guide in
// docs/guides applies, as written, to a fresh store and then plans no
// changes, with the substitutions of TestAccExamples_readme (bucket URLs
// of the guides become file:// stores; the buckets guide's URL forms are
// applied on emulators by the bucketacc tests).
func TestAccExamples_guides(t *testing.T) {
	t.Parallel()
	guides, err := filepath.Glob(filepath.Join("..", "..", "docs", "guides", "*.md"))
	if err != nil || len(guides) == 0 {
		t.Fatalf("no guides in docs/guides (%v)", err)
	}
	for _, g := range guides {
		name := strings.TrimSuffix(filepath.Base(g), ".md")
		for i, block := range guideBlocks(t, name) {
			t.Run(fmt.Sprintf("%s/%d", name, i+1), func(t *testing.T) {
				checkFormatted(t, block.Body)
				ts := newTestStore(t)
				body := block.Body
				if !objectRe.MatchString(body) {
					// A provider block alone: a read makes terraform
					// configure it.
					body += "\ndata \"secretstore_key_versions\" \"example_check\" {}\n"
				}
				cfg, vars := exampleConfig(t, ts, body)
				parallelUnitTest(t, resource.TestCase{
					TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
					ProtoV6ProviderFactories: testAccProviderFactories(nil),
					Steps:                    []resource.TestStep{{Config: cfg, ConfigVariables: vars}},
				})
			})
		}
	}
}

// Headings of the rotation guide whose blocks TestAccGuideRotation
// applies in turn.
const (
	rotationStart  = "1. Start: one key version"
	rotationAddV2  = "2. Add version 2, and point the secrets at it"
	rotationDropV1 = "4. Remove version 1"
)

// rotationSteps returns the configurations of the rotation guide's steps
// for ts by heading, and the variables they share.
func rotationSteps(t *testing.T, ts testStore) (map[string]string, config.Variables) {
	t.Helper()
	blocks := guideBlocks(t, "rotation")
	cfgs := map[string]string{}
	var vars config.Variables
	for _, h := range []string{rotationStart, rotationAddV2, rotationDropV1} {
		cfg, v := exampleConfig(t, ts, guideBlockUnder(t, blocks, h))
		cfgs[h] = cfg
		if vars == nil {
			vars = v
		}
	}
	return cfgs, vars
}

const guideSecret = "secretstore_secret.db"

// checkGuideSecrets fails unless each secret of payments:production named
// in under is under the key version given for it, and key version
// retired (when not 0) is retired.
func checkGuideSecrets(t *testing.T, ts testStore, under map[string]int, retired int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		s := ts.open(t)
		for name, kv := range under {
			sec, err := s.Get(context.Background(), "payments:production", name, backend.GetOptions{})
			if err != nil {
				return err
			}
			if sec.KeyVersion != kv {
				return fmt.Errorf("%s is under key version %d, want %d", name, sec.KeyVersion, kv)
			}
		}
		if retired == 0 {
			return nil
		}
		kvs, err := s.KeyVersions(context.Background())
		if err != nil {
			return err
		}
		for _, v := range kvs {
			if v.Version == retired && !v.Retired {
				return fmt.Errorf("key version %d is not retired", retired)
			}
		}
		return nil
	}
}

// TestAccGuideRotation_stepByStep follows the rotation guide's steps 1 to
// 4 through terraform on one store that also holds a secret written
// outside the configuration: step 2 creates version 2 and rewraps the
// configuration's secret under it, step 3 rotates the other secret, and
// step 4 retires version 1; each step then plans no change, and destroy
// succeeds.
func TestAccGuideRotation_stepByStep(t *testing.T) {
	slowTest(t, "four terraform steps")
	ts := newTestStore(t)
	cfgs, vars := rotationSteps(t, ts)
	const v1, v2 = "secretstore_key_version.v1", "secretstore_key_version.v2"
	parallelUnitTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		CheckDestroy:             checkAllKeyVersionsRetired(t, ts),
		Steps: []resource.TestStep{
			{
				Config: cfgs[rotationStart], ConfigVariables: vars,
				Check: checkGuideSecrets(t, ts, map[string]int{"db-password": 1}, 0),
			},
			{
				// Step 2, with a secret that another configuration
				// wrote under version 1.
				PreConfig: func() { seedSecret(t, ts.open(t), "payments:production", "api-token", time.Time{}) },
				Config:    cfgs[rotationAddV2], ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(v2, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(guideSecret, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(guideSecret, tfjsonpath.New("key_version")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(v2, tfjsonpath.New("primary"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(guideSecret, tfjsonpath.New("key_version"), knownvalue.Int64Exact(2)),
				},
				Check:              checkGuideSecrets(t, ts, map[string]int{"db-password": 2, "api-token": 1}, 0),
				ExpectNonEmptyPlan: true,
			},
			{
				// Step 3: the plan updates version 2, and apply rotates
				// the other secret.
				Config: cfgs[rotationAddV2], ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(v2, plancheck.ResourceActionUpdate),
					plannedAttr{v2, "pending_rewrap", "1", "0"},
					plancheck.ExpectResourceAction(v1, plancheck.ResourceActionNoop),
				}},
				Check: checkGuideSecrets(t, ts, map[string]int{"db-password": 2, "api-token": 2}, 0),
			},
			{
				// Step 4: version 1 goes.
				Config: cfgs[rotationDropV1], ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(v1, plancheck.ResourceActionDestroy),
					plancheck.ExpectResourceAction(guideSecret, plancheck.ResourceActionNoop),
				}},
				Check: checkGuideSecrets(t, ts, map[string]int{"db-password": 2, "api-token": 2}, 1),
			},
			{
				// The other configuration's secret goes, so that the
				// destroy of this one can retire version 2.
				PreConfig: func() {
					if err := ts.open(t).Delete(context.Background(), backend.DeleteInput{Namespace: "payments:production", Name: "api-token"}); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfgs[rotationDropV1], ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

// plannedAttr is a plan check that the plan takes attr of addr from
// before to after.
type plannedAttr struct{ addr, attr, before, after string }

func (c plannedAttr) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address == c.addr {
			b, _ := rc.Change.Before.(map[string]any)
			a, _ := rc.Change.After.(map[string]any)
			if got, gotAfter := fmt.Sprint(b[c.attr]), fmt.Sprint(a[c.attr]); got != c.before || gotAfter != c.after {
				resp.Error = fmt.Errorf("%s.%s: planned %s -> %s, want %s -> %s", c.addr, c.attr, got, gotAfter, c.before, c.after)
			}
			return
		}
	}
	resp.Error = fmt.Errorf("%s: not in the plan", c.addr)
}

// TestAccGuideRotation_oneApply applies the rotation guide's step 4
// right after step 1 with the terraform binary, as its "Steps 2 and 4 in
// one apply" says: one apply creates version 2, rewraps the secret under
// it and retires version 1 (which create_before_destroy orders after the
// secret's update); the next plan is empty, and destroy retires
// version 2.
func TestAccGuideRotation_oneApply(t *testing.T) {
	slowTest(t, "four terraform runs")
	t.Parallel()
	ts := newTestStore(t)
	cfgs, _ := rotationSteps(t, ts)
	d := newTFDir(t, t.TempDir(), "rotation", "TF_VAR_db_password=example-"+randomText(t, 24))
	d.write(cfgs[rotationStart])
	d.mustRun("apply", "-auto-approve")
	if err := checkGuideSecrets(t, ts, map[string]int{"db-password": 1}, 0)(nil); err != nil {
		t.Fatal(err)
	}
	d.write(cfgs[rotationDropV1])
	plan := d.mustRun("plan")
	for _, want := range []string{
		"secretstore_key_version.v2 will be created",
		"secretstore_secret.db will be updated in-place",
		"secretstore_key_version.v1 will be destroyed",
		"Plan: 1 to add, 1 to change, 1 to destroy.",
	} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan of step 4 after step 1 lacks %q:\n%s", want, plan)
		}
	}
	d.mustRun("apply", "-auto-approve")
	if err := checkGuideSecrets(t, ts, map[string]int{"db-password": 2}, 1)(nil); err != nil {
		t.Fatal(err)
	}
	if out, err := d.run("plan", "-detailed-exitcode"); err != nil {
		t.Errorf("plan after the one-apply rotation is not empty (%v):\n%s", err, out)
	}
	d.mustRun("destroy", "-auto-approve")
	if err := checkAllKeyVersionsRetired(t, ts)(nil); err != nil {
		t.Error(err)
	}
}

// exampleDir is a directory of examples/ that TestAccExamples_dirs
// applies: the concatenation of files (all *.tf when empty), after seed
// has written what the example reads or imports into the fresh store.
type exampleDir struct {
	dir   string
	files []string
	seed  func(t *testing.T, s backend.StoreAPI, ts testStore)
	// extra is appended to the configuration: a read that makes
	// terraform configure a provider block that nothing else uses.
	extra string
	// minVersion is the oldest terraform the example is for.
	minVersion string
}

// seedOtherKeyVersion creates key version 7, which no example manages, so
// that seeded secrets have a key version and examples can create theirs.
func seedOtherKeyVersion(t *testing.T, s backend.StoreAPI) {
	t.Helper()
	if _, err := s.CreateKeyVersion(context.Background(), 7, nil); err != nil {
		t.Fatalf("creating key version 7: %v", err)
	}
}

// TestAccExamples_dirs: each example under examples/ (resources, data
// sources, ephemeral resources, the provider, the quickstart, and, on
// Terraform 1.14 and later, actions) applies to a fresh store holding what
// it reads or imports, then plans no changes and is destroyed, with the
// substitutions of TestAccExamples_readme. The list resource example is
// run by TestAccExamples_listResource; the buckets guide's examples by the
// guide tests and bucketacc.
func TestAccExamples_dirs(t *testing.T) {
	t.Parallel()
	for _, ex := range []exampleDir{
		{dir: "provider", extra: "\ndata \"secretstore_key_versions\" \"example_check\" {}\n"},
		{dir: "quickstart"},
		{dir: "resources/secretstore_cleanup"},
		{dir: "resources/secretstore_key_version", files: []string{"resource.tf"}},
		{
			dir: "resources/secretstore_key_version", files: []string{"resource.tf", "import-by-string-id.tf"},
			seed: func(t *testing.T, s backend.StoreAPI, _ testStore) { seedKeyVersion(t, s) },
		},
		{
			dir: "resources/secretstore_key_version", files: []string{"resource.tf", "import-by-identity.tf"},
			seed:       func(t *testing.T, s backend.StoreAPI, _ testStore) { seedKeyVersion(t, s) },
			minVersion: "1.12.0",
		},
		{dir: "resources/secretstore_secret", files: []string{"resource.tf"}},
		{
			dir: "resources/secretstore_secret", files: []string{"resource.tf", "import-by-string-id.tf"},
			seed: func(t *testing.T, s backend.StoreAPI, _ testStore) {
				seedOtherKeyVersion(t, s)
				seedSecret(t, s, "acme:production", "openai-api-key", time.Time{})
			},
		},
		{
			dir: "resources/secretstore_secret", files: []string{"resource.tf", "import-by-identity.tf"},
			seed: func(t *testing.T, s backend.StoreAPI, _ testStore) {
				seedOtherKeyVersion(t, s)
				seedSecret(t, s, "acme:production", "openai-api-key", time.Time{})
			},
			minVersion: "1.12.0",
		},
		{dir: "data-sources/secretstore_audit_events"},
		{dir: "data-sources/secretstore_key_versions"},
		{
			dir: "data-sources/secretstore_secret",
			seed: func(t *testing.T, s backend.StoreAPI, _ testStore) {
				seedOtherKeyVersion(t, s)
				for range 3 {
					seedSecret(t, s, "openai:production", "api-key", time.Time{})
				}
			},
		},
		{
			dir: "data-sources/secretstore_secrets",
			seed: func(t *testing.T, s backend.StoreAPI, _ testStore) {
				seedOtherKeyVersion(t, s)
				seedSecret(t, s, "payments:production", "db-primary", time.Time{})
			},
		},
		{
			dir: "ephemeral-resources/secretstore_secret",
			seed: func(t *testing.T, s backend.StoreAPI, ts testStore) {
				seedOtherKeyVersion(t, s)
				seedSecret(t, s, "payments:production", "db-password", time.Time{})
				// The aliased provider's root key: the test store's, so
				// that it opens the same store.
				if _, err := s.Put(context.Background(), backend.PutInput{
					Namespace: "platform:production", Name: "dr-store-root-key", Value: []byte(ts.RootKey),
				}); err != nil {
					t.Fatal(err)
				}
			},
		},
		{dir: "actions/secretstore_cleanup", minVersion: "1.14.0"},
		{dir: "actions/secretstore_rotate", minVersion: "1.14.0"},
	} {
		name := ex.dir
		if len(ex.files) > 0 {
			name += "/" + strings.Join(ex.files, "+")
		}
		t.Run(name, func(t *testing.T) {
			if ex.minVersion != "" {
				skipBelowTerraform(t, ex.minVersion)
			}
			src := exampleSource(t, ex)
			ts := newTestStore(t)
			if ex.seed != nil {
				ex.seed(t, ts.open(t), ts)
			}
			cfg, vars := exampleConfig(t, ts, src+ex.extra)
			parallelUnitTest(t, resource.TestCase{
				TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
				ProtoV6ProviderFactories: testAccProviderFactories(nil),
				Steps:                    []resource.TestStep{{Config: cfg, ConfigVariables: vars}},
			})
		})
	}
}

// exampleSource concatenates the files of ex (every *.tf of its directory
// when it names none) and fails when there are none.
func exampleSource(t *testing.T, ex exampleDir) string {
	t.Helper()
	dir := filepath.Join("..", "..", "examples", filepath.FromSlash(ex.dir))
	files := ex.files
	if len(files) == 0 {
		matches, err := filepath.Glob(filepath.Join(dir, "*.tf"))
		if err != nil || len(matches) == 0 {
			t.Fatalf("no .tf files in %s (%v)", dir, err)
		}
		for _, m := range matches {
			files = append(files, filepath.Base(m))
		}
	}
	var b strings.Builder
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(raw)
		b.WriteString("\n")
	}
	return b.String()
}

// TestAccExamples_importCommands: each `terraform import` command of an
// examples/resources/*/import.sh imports, as written, an object of the
// store into a working directory holding that directory's resource.tf.
func TestAccExamples_importCommands(t *testing.T) {
	slowTest(t, "builds the provider and runs terraform import")
	t.Parallel()
	scripts, err := filepath.Glob(filepath.Join("..", "..", "examples", "resources", "*", "import.sh"))
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no import.sh under examples/resources (%v)", err)
	}
	seeds := map[string]func(*testing.T, backend.StoreAPI){
		"secretstore_key_version": seedKeyVersion,
		"secretstore_secret": func(t *testing.T, s backend.StoreAPI) {
			seedOtherKeyVersion(t, s)
			seedSecret(t, s, "acme:production", "openai-api-key", time.Time{})
		},
	}
	for _, script := range scripts {
		typ := filepath.Base(filepath.Dir(script))
		t.Run(typ, func(t *testing.T) {
			seed, ok := seeds[typ]
			if !ok {
				t.Fatalf("no seed for the import example of %s", typ)
			}
			raw, err := os.ReadFile(script)
			if err != nil {
				t.Fatal(err)
			}
			var cmds [][]string
			for _, line := range strings.Split(string(raw), "\n") {
				if f := strings.Fields(line); len(f) > 0 && f[0] == "terraform" {
					cmds = append(cmds, f[1:])
				}
			}
			if len(cmds) == 0 {
				t.Fatalf("%s has no terraform command", script)
			}
			ts := newTestStore(t)
			seed(t, ts.open(t))
			cfg, _ := exampleConfig(t, ts, exampleSource(t, exampleDir{dir: "resources/" + typ, files: []string{"resource.tf"}}))
			var env []string
			for _, m := range variableRe.FindAllStringSubmatch(cfg, -1) {
				env = append(env, "TF_VAR_"+m[1]+"="+randomKey(t))
			}
			d := newTFDir(t, t.TempDir(), "import", env...)
			d.write(cfg)
			for _, args := range cmds {
				d.mustRun(args...)
				if args[0] == "import" {
					addr := args[len(args)-2]
					if show := d.mustRun("show"); !strings.Contains(show, "# "+addr+":") {
						t.Errorf("terraform %s: state lacks %s:\n%s", strings.Join(args, " "), addr, show)
					}
				}
			}
		})
	}
}

// TestAccExamples_listResource: the list resource example, as written in
// a .tfquery.hcl file, finds with `terraform query` the secrets of a
// seeded store that its namespace and name_prefix select, and only those
// (Terraform 1.14 and later).
func TestAccExamples_listResource(t *testing.T) {
	skipBelowTerraform(t, "1.14.0")
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("..", "..", "examples", "list-resources", "secretstore_secret", "list-resource.tfquery.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestStore(t)
	store := ts.open(t)
	seedOtherKeyVersion(t, store)
	seedSecret(t, store, "acme:production", "openai-api-key", time.Time{})
	seedSecret(t, store, "acme:production", "stripe-api-key", time.Time{})
	d := newTFDir(t, t.TempDir(), "query")
	d.write(ts.providerBlock(""))
	if err := os.WriteFile(filepath.Join(d.Dir, "list-resource.tfquery.hcl"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out := d.mustRun("query")
	if !strings.Contains(out, "acme:production/openai-api-key") || strings.Contains(out, "stripe-api-key") {
		t.Errorf("terraform query of the example: want acme:production/openai-api-key only:\n%s", out)
	}
}

// checkFormatted fails t unless src is as `terraform fmt` writes it.
func checkFormatted(t *testing.T, src string) {
	t.Helper()
	cmd := exec.Command(cliPath(), "fmt", "-no-color", "-")
	cmd.Stdin = strings.NewReader(src)
	cmd.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("terraform fmt: %v", err)
	}
	if string(out) != src {
		t.Errorf("the block is not formatted as terraform fmt writes it; formatted:\n%s", out)
	}
}
