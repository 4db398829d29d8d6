// SPDX-License-Identifier: MPL-2.0

package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secretstore/terraform-provider-secretstore/secretstore"
)

func (a *app) execCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "exec -- COMMAND [ARGS...]",
		Short: "Run a command with secret references in its environment resolved",
		Long: `Run COMMAND with the environment of secretstore, where every variable whose
value is a reference secretstore:NAMESPACE/NAME (or secretstore:NAMESPACE/NAME#REVISION)
is replaced by that secret's value, so that an application reads its secrets
from plain environment variables and never needs the store's code.

When a reference cannot be resolved the command is not started, and exec exits
with that failure's code. Otherwise exec exits with the command's exit code.
Values are never printed.`,
		Example: `  OPENAI_API_KEY=secretstore:acme:production/OPENAI_API_KEY secretstore exec -- ./server`,
		Args: func(cmd *cobra.Command, argv []string) error {
			if len(argv) == 0 {
				return &usageError{msg: "exec needs a command: secretstore exec -- COMMAND [ARGS...]"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, argv []string) error {
			env, err := a.resolveEnv(cmd.Context())
			if err != nil {
				return err
			}
			return a.runChild(argv, env)
		},
	}
}

// resolveEnv returns the environment with every reference replaced by
// the client's resolver (secretstore.Store.ResolveEnv), so that exec and
// an application reading its references resolve them alike. The store is
// opened, read-only, only when there is a reference; with
// SECRETSTORE_AUDIT_READS every secret read is audited.
func (a *app) resolveEnv(ctx context.Context) ([]string, error) {
	if !hasReference(a.io.Env) {
		return slices.Clone(a.io.Env), nil
	}
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	client, err := secretstore.Open(ctx, secretstore.Config(cfg))
	if err != nil {
		return nil, err
	}
	env, err := client.ResolveEnv(ctx, a.io.Env)
	if cerr := client.Close(); err == nil && cerr != nil {
		return nil, cerr
	}
	return env, err
}

// hasReference reports whether a value of env is a reference (or starts
// like one).
func hasReference(env []string) bool {
	for _, kv := range env {
		if _, v, ok := strings.Cut(kv, "="); ok {
			if _, isRef, _ := secretstore.ParseReference(v); isRef {
				return true
			}
		}
	}
	return false
}

// runChild runs argv with env, forwarding interrupts to it, and returns
// its exit status.
func (a *app) runChild(argv, env []string) error {
	c := exec.Command(argv[0], argv[1:]...) //nolint:gosec // running the user's command is exec's purpose
	c.Env = env
	c.Stdin, c.Stdout, c.Stderr = a.io.Stdin, a.io.Stdout, a.io.Stderr
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)
	if err := c.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", argv[0], err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-sigs:
				_ = c.Process.Signal(sig)
			case <-done:
				return
			}
		}
	}()
	err := c.Wait()
	close(done)
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code := ee.ExitCode()
		if code < 0 {
			code = 128 + signalNumber(ee)
		}
		return &exitStatus{code: code}
	case err != nil:
		return fmt.Errorf("running %s: %w", argv[0], err)
	}
	return nil
}
