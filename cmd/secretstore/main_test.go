// SPDX-License-Identifier: MPL-2.0

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/secretstore/terraform-provider-secretstore/internal/cli"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"secretstore": func() {
			os.Exit(cli.Run(context.Background(), os.Args[1:], cli.IO{
				Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Env: os.Environ(),
			}))
		},
	})
}

// rcScript runs its arguments and reports their exit status on stderr as
// "exit N", so that a script can check the exact code with
// `exec rc secretstore ...` and `stderr '^exit 3$'`.
const rcScript = "#!/bin/sh\n\"$@\"\necho \"exit $?\" >&2\n"

// TestScripts runs testdata/script/*.txtar. Each script has its own store
// in $WORK/store (SECRETSTORE_URL) and root key (SECRETSTORE_ROOT_KEY).
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			key := make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return err
			}
			store := filepath.Join(env.WorkDir, "store")
			if err := os.Mkdir(store, 0o700); err != nil {
				return err
			}
			bin := filepath.Join(env.WorkDir, ".bin")
			if err := os.Mkdir(bin, 0o700); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(bin, "rc"), []byte(rcScript), 0o700); err != nil { //nolint:gosec // a test script that must be executable
				return err
			}
			env.Setenv("PATH", bin+string(os.PathListSeparator)+env.Getenv("PATH"))
			env.Setenv("SECRETSTORE_URL", "file://"+filepath.ToSlash(store))
			env.Setenv("SECRETSTORE_ROOT_KEY", base64.StdEncoding.EncodeToString(key))
			env.Setenv("SECRETSTORE_ACTOR", "cli-test")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"corrupt-record":     cmdCorruptRecord,
			"delete-audit-event": cmdDeleteAuditEvent,
			"drop-key-version":   cmdDropKeyVersion,
			"no-plaintext":       cmdNoPlaintext,
		},
	})
}

var recordName = regexp.MustCompile(`^r[0-9]{20}$`)

// cmdCorruptRecord flips one byte in the middle of the current revision
// record of every secret of the store.
func cmdCorruptRecord(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: corrupt-record")
	}
	newest := map[string]string{}
	walk(ts, "store/v1/s", func(path string) {
		dir, base := filepath.Split(path)
		if recordName.MatchString(base) && (newest[dir] == "" || base < newest[dir]) {
			newest[dir] = base
		}
	})
	if len(newest) == 0 {
		ts.Fatalf("no record to corrupt")
	}
	for dir, base := range newest {
		p := filepath.Join(dir, base)
		data, err := os.ReadFile(p)
		ts.Check(err)
		data[len(data)/2] ^= 0x01
		ts.Check(os.Chmod(p, 0o600))
		ts.Check(os.WriteFile(p, data, 0o600))
	}
}

// cmdDeleteAuditEvent deletes the oldest event of each secret from the
// secrets' audit index (v1/a/s).
func cmdDeleteAuditEvent(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: delete-audit-event")
	}
	oldest := map[string]string{}
	walk(ts, "store/v1/a/s", func(path string) {
		// .../<ns>/<name>/y<day>/e<time>_<id>_<op>
		day := filepath.Dir(path)
		secret := filepath.Dir(day)
		if cur := oldest[secret]; cur == "" || filepath.Base(day)+filepath.Base(path) < filepath.Base(filepath.Dir(cur))+filepath.Base(cur) {
			oldest[secret] = path
		}
	})
	if len(oldest) == 0 {
		ts.Fatalf("no audit event to delete")
	}
	for _, p := range oldest {
		ts.Check(os.Remove(p))
	}
}

// cmdDropKeyVersion removes key version N's records from the keyring.
func cmdDropKeyVersion(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: drop-key-version N")
	}
	n, err := strconv.Atoi(args[0])
	ts.Check(err)
	ts.Check(os.RemoveAll(ts.MkAbs("store/v1/k/" + strings.Repeat("0", 10-len(args[0])) + strconv.Itoa(n))))
}

// cmdNoPlaintext fails when TEXT occurs in any file under PATH (a file or
// a directory, walked), or in it base64-encoded.
func cmdNoPlaintext(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: no-plaintext TEXT PATH...")
	}
	needles := [][]byte{[]byte(args[0]), []byte(base64.StdEncoding.EncodeToString([]byte(args[0])))}
	files := 0
	for _, root := range args[1:] {
		walk(ts, root, func(path string) {
			files++
			data, err := os.ReadFile(path)
			ts.Check(err)
			for _, n := range needles {
				if bytes.Contains(data, n) {
					ts.Fatalf("%s holds the plaintext %q", path, n)
				}
			}
		})
	}
	if files == 0 {
		ts.Fatalf("no file scanned under %s", strings.Join(args[1:], " "))
	}
}

func walk(ts *testscript.TestScript, root string, fn func(string)) {
	var paths []string
	err := filepath.WalkDir(ts.MkAbs(root), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			paths = append(paths, path)
		}
		return nil
	})
	ts.Check(err)
	slices.Sort(paths)
	for _, p := range paths {
		fn(p)
	}
}
