// SPDX-License-Identifier: MPL-2.0

package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// consoleBlock is a ```console block of a document: commands after "$ ",
// each followed by the output it must print (stdout and stderr together,
// as a terminal shows them; "..." in an expected line matches any text).
type consoleBlock struct {
	line       int  // of the opening fence
	moduleRoot bool // marked <!-- readme-test: module-root -->: runs in the module root
	commands   []consoleCommand
}

type consoleCommand struct {
	line   int
	text   string
	output []string
}

// parseConsoleBlocks returns the console blocks of a Markdown document.
func parseConsoleBlocks(t *testing.T, path string) []consoleBlock {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []consoleBlock
	var cur *consoleBlock
	marked := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && line == "<!-- readme-test: module-root -->":
			marked = true
		case cur == nil && line == "```console":
			blocks = append(blocks, consoleBlock{line: n, moduleRoot: marked})
			cur = &blocks[len(blocks)-1]
			marked = false
		case cur == nil:
			marked = marked && line == ""
		case line == "```":
			cur = nil
		case strings.HasPrefix(line, "$ "):
			cur.commands = append(cur.commands, consoleCommand{line: n, text: strings.TrimPrefix(line, "$ ")})
		case len(cur.commands) == 0:
			t.Fatalf("%s:%d: a console block begins with output, not a command", path, n)
		default:
			c := &cur.commands[len(cur.commands)-1]
			c.output = append(c.output, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("%s:%d: console block not closed", path, cur.line)
	}
	return blocks
}

// TestDocumentedCommands runs every command of the console blocks of the
// README and of the CLI guide (docs/guides/cli.md, generated from
// templates/guides/cli.md.tmpl), in order and in one shell per document,
// against a new file:// store in a temporary directory, with the binary
// the README's own install command builds, and compares each command's
// output with the document's. A command must exit 0 (a document shows a
// failure as `... || echo "exit $?"`).
func TestDocumentedCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is needed to run the documented commands")
	}
	moduleRoot, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	gobin := t.TempDir()
	readme := parseConsoleBlocks(t, filepath.Join(moduleRoot, "README.md"))
	guide := parseConsoleBlocks(t, filepath.Join(moduleRoot, "docs", "guides", "cli.md"))
	for _, b := range guide {
		if b.moduleRoot {
			t.Fatalf("docs/guides/cli.md:%d: only the README's install block runs in the module root", b.line)
		}
	}
	requireCommands(t, "README.md", readme, "go install ./cmd/secretstore", "secretstore get ", "secretstore exec ")
	requireCommands(t, "docs/guides/cli.md", guide, "secretstore get ", "secretstore exec ", "secretstore audit ",
		"secretstore rotate --dry-run", "secretstore verify")
	// The README's install command builds the binary both documents use.
	runDocument(t, bash, moduleRoot, gobin, "README.md", readme)
	runDocument(t, bash, moduleRoot, gobin, "docs/guides/cli.md", guide)
}

// requireCommands fails unless the blocks show each of the commands.
func requireCommands(t *testing.T, doc string, blocks []consoleBlock, commands ...string) {
	t.Helper()
	for _, want := range commands {
		found := false
		for _, b := range blocks {
			for _, c := range b.commands {
				found = found || strings.Contains(c.text, want)
			}
		}
		if !found {
			t.Errorf("%s shows no %q command in a console block", doc, want)
		}
	}
}

// runDocument runs the commands of blocks in one shell, in a new work
// directory (or the module root for a block so marked), and compares their
// outputs with the document's.
func runDocument(t *testing.T, bash, moduleRoot, gobin, doc string, blocks []consoleBlock) {
	t.Helper()
	// One script: each command's output and exit status go to files, so
	// that variables exported by one command are seen by the next.
	work, out := t.TempDir(), t.TempDir()
	var script strings.Builder
	script.WriteString("set -u\n")
	var all []consoleCommand
	for _, b := range blocks {
		dir := work
		if b.moduleRoot {
			dir = moduleRoot
		}
		script.WriteString("cd " + strconv.Quote(dir) + " || exit 99\n")
		for _, c := range b.commands {
			o := filepath.Join(out, strconv.Itoa(len(all)))
			script.WriteString("{ " + c.text + "\n} </dev/null >" + strconv.Quote(o) + " 2>&1; echo $? >" + strconv.Quote(o+".rc") + "\n")
			all = append(all, c)
		}
	}
	// The commands ran the binary the install command built, not another
	// secretstore on PATH.
	script.WriteString("[ \"$(command -v secretstore)\" = " + strconv.Quote(filepath.Join(gobin, "secretstore")) + " ] || { echo \"secretstore is $(command -v secretstore)\"; exit 98; }\n")
	cmd := exec.Command(bash, "--noprofile", "--norc", "-c", script.String())
	cmd.Env = docEnv(gobin)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("running the commands of %s: %v\n%s", doc, err, msg)
	}

	for i, c := range all {
		o := filepath.Join(out, strconv.Itoa(i))
		rc, err := os.ReadFile(o + ".rc")
		if err != nil {
			t.Fatalf("%s:%d: %s: not run: %v", doc, c.line, c.text, err)
		}
		got, err := os.ReadFile(o)
		if err != nil {
			t.Fatal(err)
		}
		if s := strings.TrimSpace(string(rc)); s != "0" {
			t.Errorf("%s:%d: %s\nexit status %s; output:\n%s", doc, c.line, c.text, s, got)
			continue
		}
		if err := matchOutput(c.output, string(got)); err != "" {
			t.Errorf("%s:%d: %s\n%s\ngot:\n%s\nwant:\n%s", doc, c.line, c.text, err, got, strings.Join(c.output, "\n"))
		}
	}
}

// docEnv is the environment for the README's commands: the caller's
// without its SECRETSTORE_* variables, with GOBIN first on PATH.
func docEnv(gobin string) []string {
	env := []string{
		"PATH=" + gobin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"GOBIN=" + gobin,
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "SECRETSTORE_"), k == "PATH", k == "GOBIN":
		default:
			env = append(env, kv)
		}
	}
	return env
}

// matchOutput compares output with the expected lines, one for one; "..."
// in an expected line matches any text. It returns what differs, or "".
func matchOutput(want []string, output string) string {
	got := strings.Split(strings.TrimRight(output, "\n"), "\n")
	if output == "" {
		got = nil
	}
	if len(got) != len(want) {
		return "got " + strconv.Itoa(len(got)) + " lines, want " + strconv.Itoa(len(want))
	}
	for i := range want {
		re := "^" + strings.ReplaceAll(regexp.QuoteMeta(want[i]), regexp.QuoteMeta("..."), ".*") + "$"
		if !regexp.MustCompile(re).MatchString(strings.TrimRight(got[i], " ")) {
			return "line " + strconv.Itoa(i+1) + " differs"
		}
	}
	return ""
}
