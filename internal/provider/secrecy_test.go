// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// needle is one secret the canary test looks for, in every encoding it
// could leak in.
type needle struct {
	label string
	forms [][]byte
}

func newNeedle(label string, raw []byte, text string) needle {
	n := needle{label: label}
	if text != "" {
		n.forms = append(n.forms, []byte(text))
	}
	if raw != nil {
		n.forms = append(n.forms, raw, []byte(hex.EncodeToString(raw)),
			[]byte(base64.StdEncoding.EncodeToString(raw)), []byte(base64.RawURLEncoding.EncodeToString(raw)))
	}
	return n
}

// found reports whether any form of n occurs in data.
func (n needle) found(data []byte) bool {
	for _, f := range n.forms {
		if bytes.Contains(data, f) {
			return true
		}
	}
	return false
}

// scanReport counts bytes scanned per category and records hits.
type scanReport struct {
	scanned map[string]int
	hits    []string
}

// scan looks for needles in data, recording the category and source of
// any hit of a needle not allowed in that category.
func (r *scanReport) scan(category, source string, data []byte, needles []needle, allowed map[string]bool) {
	if r.scanned == nil {
		r.scanned = map[string]int{}
	}
	r.scanned[category] += len(data)
	for _, n := range needles {
		if allowed[n.label] {
			continue
		}
		if n.found(data) {
			r.hits = append(r.hits, fmt.Sprintf("%s found in %s %s", n.label, category, source))
		}
	}
}

// scanPlanFile scans every entry of a saved plan (a zip archive, so its
// contents are compressed on disk).
func (r *scanReport) scanPlanFile(t *testing.T, file string, needles []needle, allowed map[string]bool) {
	t.Helper()
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatalf("opening plan file %s: %v", file, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		r.scan("plan", filepath.Base(file)+":"+f.Name, data, needles, allowed)
	}
}

// scanTree scans every regular file under root.
func (r *scanReport) scanTree(t *testing.T, category, root string, needles []needle, allowed map[string]bool) int {
	t.Helper()
	files := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		rel, _ := filepath.Rel(root, p)
		r.scan(category, rel, data, needles, allowed)
		return nil
	})
	if err != nil {
		t.Fatalf("scanning %s: %v", root, err)
	}
	return files
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestScanReportFindsEveryForm(t *testing.T) {
	t.Parallel()
	raw := randomBytes(t, 32)
	n := newNeedle("k", raw, "")
	for _, data := range [][]byte{
		append([]byte("x"), raw...),
		[]byte("..." + hex.EncodeToString(raw) + "..."),
		[]byte(`"` + base64.StdEncoding.EncodeToString(raw) + `"`),
	} {
		var r scanReport
		r.scan("c", "s", data, []needle{n}, nil)
		if len(r.hits) != 1 {
			t.Errorf("needle not found in %q", data)
		}
	}
	var r scanReport
	r.scan("c", "s", []byte("nothing here"), []needle{n}, nil)
	if len(r.hits) != 0 || r.scanned["c"] != len("nothing here") {
		t.Errorf("false hit or wrong count: %+v", r)
	}
}

// TestAccSecrecyCanary runs terraform (TF_LOG=TRACE to a file) against the
// provider binary with canary values, keeps the working directory, and
// greps the state, every saved plan, the TRACE log, terraform's output and
// every object of the bucket. Write-only values, key material and the root
// key must appear nowhere; a plain `value` may appear only in state and
// plan (where Terraform keeps it, marked sensitive), never in the log,
// output or bucket.
func TestAccSecrecyCanary(t *testing.T) {
	t.Parallel()
	// Kept when the test fails, so not a t.TempDir.
	base, err := os.MkdirTemp("", "secretstore-canary-") //nolint:usetesting
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("SECRETSTORE_KEEP_WORKDIR") != "" {
			t.Logf("working directory kept: %s", base)
			return
		}
		os.RemoveAll(base)
	})

	woCanary := "canary-wo-" + hex.EncodeToString(randomBytes(t, 12))
	woCanary2 := "canary-wo2-" + hex.EncodeToString(randomBytes(t, 12))
	valueCanary := "canary-value-" + hex.EncodeToString(randomBytes(t, 12))
	rootRaw, materialRaw := randomBytes(t, 32), randomBytes(t, 32)
	rootKey := base64.StdEncoding.EncodeToString(rootRaw)
	material := base64.StdEncoding.EncodeToString(materialRaw)
	logPath := filepath.Join(base, "trace.log")

	d := newTFDir(t, base, "work",
		"SECRETSTORE_ROOT_KEY="+rootKey,
		"TF_LOG=TRACE",
		"TF_LOG_PATH="+logPath,
		"TF_VAR_material="+material,
		"TF_VAR_wo="+woCanary,
		"TF_VAR_plain="+valueCanary,
	)
	config := func(woVersion int) string {
		return fmt.Sprintf(`
variable "material" {
  type      = string
  sensitive = true
  ephemeral = true
}
variable "wo" {
  type      = string
  sensitive = true
  ephemeral = true
}
variable "plain" {
  type      = string
  sensitive = true
}

# No url: the default .secretstore directory in the working directory.
provider "secretstore" {}

resource "secretstore_key_version" "v1" {
  version         = 1
  key_material_wo = var.material
}

resource "secretstore_secret" "wo" {
  namespace        = "canary:test"
  name             = "write-only"
  value_wo         = var.wo
  value_wo_version = %d
  metadata         = { purpose = "canary" }
  depends_on       = [secretstore_key_version.v1]
}

resource "secretstore_secret" "plain" {
  namespace  = "canary:test"
  name       = "plain"
  value      = var.plain
  depends_on = [secretstore_key_version.v1]
}
`, woVersion)
	}

	var outputs strings.Builder
	d.write(config(1))
	outputs.WriteString(d.mustRun("plan", "-input=false", "-out=create.tfplan"))
	outputs.WriteString(d.mustRun("apply", "-input=false", "create.tfplan"))
	// A refresh through Read, then an update of the write-only value.
	d.env = append(d.env, "TF_VAR_wo="+woCanary2)
	d.write(config(2))
	outputs.WriteString(d.mustRun("plan", "-input=false", "-out=update.tfplan"))
	outputs.WriteString(d.mustRun("apply", "-input=false", "update.tfplan"))
	out, err := d.run("plan", "-input=false", "-detailed-exitcode", "-out=noop.tfplan")
	outputs.WriteString(out)
	if err != nil {
		t.Fatalf("final plan is not empty (or failed): %v\n%s", err, out)
	}

	needles := []needle{
		newNeedle("value_wo canary", nil, woCanary),
		newNeedle("second value_wo canary", nil, woCanary2),
		newNeedle("value canary", nil, valueCanary),
		newNeedle("key material", materialRaw, material),
		newNeedle("root key", rootRaw, rootKey),
	}
	inStateAndPlan := map[string]bool{"value canary": true}
	var r scanReport

	for _, f := range []string{"terraform.tfstate", "terraform.tfstate.backup"} {
		data, err := os.ReadFile(filepath.Join(d.Dir, f))
		if err != nil {
			t.Fatalf("reading %s: %v", f, err)
		}
		r.scan("state", f, data, needles, inStateAndPlan)
	}
	for _, f := range []string{"create.tfplan", "update.tfplan", "noop.tfplan"} {
		r.scanPlanFile(t, filepath.Join(d.Dir, f), needles, inStateAndPlan)
	}
	logData, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("reading the TRACE log: %v", err)
	}
	r.scan("log", "trace.log", logData, needles, nil)
	r.scan("output", "terraform stdout/stderr", []byte(outputs.String()), needles, nil)
	objects := r.scanTree(t, "bucket", filepath.Join(d.Dir, defaultStoreDir), needles, nil)

	for _, c := range []string{"state", "plan", "log", "output", "bucket"} {
		if r.scanned[c] == 0 {
			t.Errorf("scanned zero bytes of %s", c)
		}
	}
	if objects < 3 {
		t.Errorf("the bucket holds %d object(s); expected the keyring and two secrets at least", objects)
	}
	// Positive controls: the scans can see what is there. The plain value is
	// in state (Terraform keeps `value`), and the log holds the provider's
	// own TRACE output, not only terraform core's.
	var ctl scanReport
	stateData, _ := os.ReadFile(filepath.Join(d.Dir, "terraform.tfstate"))
	ctl.scan("state", "terraform.tfstate", stateData, needles[2:3], nil)
	if len(ctl.hits) != 1 {
		t.Errorf("positive control failed: the plain value is not found in state, so the state scan sees nothing")
	}
	for _, want := range []string{"created secret", "updated secret", "sdk.framework", "ReadResource"} {
		if !bytes.Contains(logData, []byte(want)) {
			t.Errorf("the TRACE log lacks %q: provider logs were not captured", want)
		}
	}
	for _, h := range r.hits {
		t.Errorf("LEAK: %s", h)
	}
	t.Logf("scanned bytes: %v; bucket objects: %d", r.scanned, objects)
}
