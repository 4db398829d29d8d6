// SPDX-License-Identifier: MPL-2.0

// Package cli is the secretstore command: reading and writing secrets,
// the audit log, rotation, cleanup and integrity checks of a store, from a
// shell, over the same backend, keys and audit log as the Terraform
// provider. Run is the whole program; cmd/secretstore only calls it.
//
// Values and root keys never come from command-line arguments, which other
// users of the machine see in ps and shells keep in their history: values
// come from stdin or a file, root keys from the environment or a file.
// Nothing the command prints, other than get's value, carries a value.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Version is the release that `secretstore --version` prints; the release
// build sets it with -ldflags "-X ...internal/cli.Version=...".
var Version = "dev"

// IO is what a run of the command reads and writes: its streams and its
// environment ("KEY=value" entries, as os.Environ returns).
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Env    []string
}

// getenv looks a variable up in env.
func (o IO) getenv(key string) string {
	v, _ := o.lookupEnv(key)
	return v
}

func (o IO) lookupEnv(key string) (string, bool) {
	for i := len(o.Env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(o.Env[i], "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// Run runs the command with args (without the program name) and returns
// its exit code (see the Exit constants). Errors go to o.Stderr as
// "secretstore: <word>: <message>".
func Run(ctx context.Context, args []string, o IO) int {
	app := &app{io: o}
	if err := refuseSecretArgs(args); err != nil {
		return app.fail(err)
	}
	root := app.rootCommand()
	root.SetArgs(args)
	root.SetIn(o.Stdin)
	root.SetOut(o.Stdout)
	root.SetErr(o.Stderr)
	err := root.ExecuteContext(ctx)
	if app.store != nil {
		if cerr := app.store.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		return app.fail(err)
	}
	return ExitOK
}

// fail reports err on stderr and returns its exit code.
func (a *app) fail(err error) int {
	var st *exitStatus
	if errors.As(err, &st) {
		return st.code
	}
	word, code := classify(err)
	fmt.Fprintf(a.io.Stderr, "secretstore: %s: %v\n", word, err)
	if code == ExitUsage {
		fmt.Fprintln(a.io.Stderr, "Run 'secretstore --help' for usage.")
	}
	return code
}

// refusedFlags are flags that would put a secret on the command line,
// with what to use instead.
var refusedFlags = map[string]string{
	"root-key":           "a root key is never taken from the command line (ps and shell history show it); set SECRETSTORE_ROOT_KEY or use --root-key-file",
	"previous-root-key":  "previous root keys are never taken from the command line (ps and shell history show them); set SECRETSTORE_PREVIOUS_ROOT_KEYS",
	"previous-root-keys": "previous root keys are never taken from the command line (ps and shell history show them); set SECRETSTORE_PREVIOUS_ROOT_KEYS",
	"value":              "a value is never taken from the command line (ps and shell history show it); pipe it to stdin or use --from-file",
}

// refuseSecretArgs rejects the flags of refusedFlags anywhere before "--"
// (what follows belongs to exec's command).
func refuseSecretArgs(args []string) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		if !strings.HasPrefix(a, "--") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if why, ok := refusedFlags[name]; ok {
			return &usageError{msg: fmt.Sprintf("--%s is refused: %s", name, why)}
		}
	}
	return nil
}

// app holds one run's flags and its store, opened on first use.
type app struct {
	io          IO
	url         string
	rootKeyFile string
	json        bool
	store       storeAPI
	auditReads  bool
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "secretstore",
		Short: "Read and manage a secretstore store outside Terraform",
		Long: `secretstore reads and writes the secrets of a store that the Terraform provider
secretstore manages, over the same bucket, keys and audit log.

Configuration, as the provider's:
  SECRETSTORE_URL                 bucket URL (or --url); default: ./.secretstore when it exists
  SECRETSTORE_ROOT_KEY            root key (or --root-key-file); never an argument
  SECRETSTORE_PREVIOUS_ROOT_KEYS  older root keys, comma-separated
  SECRETSTORE_ACTOR               who acts in audit events (default user@host)
  SECRETSTORE_AUDIT_READS         true: every get and exec read is audited

Secrets are named NAMESPACE/NAME, for example acme:production/OPENAI_API_KEY.
Values are read from stdin or --from-file, never from arguments.

` + exitCodes,
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&a.url, "url", "", "bucket URL of the store (default $SECRETSTORE_URL)")
	root.PersistentFlags().StringVar(&a.rootKeyFile, "root-key-file", "", "file holding the root key (default $SECRETSTORE_ROOT_KEY)")
	root.PersistentFlags().BoolVar(&a.json, "json", false, "print JSON (one object, or one per line for streams)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &usageError{msg: err.Error()}
	})
	root.AddCommand(
		a.getCommand(), a.putCommand(), a.deleteCommand(), a.listCommand(), a.historyCommand(),
		a.auditCommand(), a.keyVersionsCommand(), a.rotateCommand(), a.cleanupCommand(),
		a.verifyCommand(), a.execCommand(),
	)
	for _, c := range root.Commands() {
		c.Long = strings.TrimSpace(c.Long+"\n\n"+exitCodes) + "\n"
	}
	return root
}

// args checks a command's positional arguments, as a usage error.
func args(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, got []string) error {
		if len(got) != n {
			return &usageError{msg: fmt.Sprintf("%s takes %s (got %d arguments)", cmd.Name(), what, len(got))}
		}
		return nil
	}
}

// isTerminal reports whether w is a terminal, for progress output.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
