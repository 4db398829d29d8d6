// SPDX-License-Identifier: MPL-2.0

package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// referencePrefix starts an environment value that exec replaces.
const referencePrefix = "secretstore:"

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
			env, err := a.resolveEnv(cmd)
			if err != nil {
				return err
			}
			return a.runChild(argv, env)
		},
	}
}

// resolveEnv returns the environment with every reference replaced. The
// store is opened only when there is a reference.
func (a *app) resolveEnv(cmd *cobra.Command) ([]string, error) {
	out := make([]string, len(a.io.Env))
	copy(out, a.io.Env)
	for i, kv := range out {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(v, referencePrefix) {
			continue
		}
		ref, rev, err := parseReference(strings.TrimPrefix(v, referencePrefix))
		if err != nil {
			return nil, fmt.Errorf("environment variable %s: %w", k, err)
		}
		s, err := a.open(cmd.Context())
		if err != nil {
			return nil, err
		}
		sec, err := s.Get(cmd.Context(), ref.ns, ref.name, backend.GetOptions{Revision: rev})
		if err != nil {
			return nil, fmt.Errorf("environment variable %s: %w", k, err)
		}
		if a.auditReads {
			if err := s.RecordRead(cmd.Context(), sec); err != nil {
				clear(sec.Value)
				return nil, fmt.Errorf("recording the read in the audit log: %w", err)
			}
		}
		out[i] = k + "=" + string(sec.Value)
		clear(sec.Value)
	}
	return out, nil
}

// parseReference parses NAMESPACE/NAME[#REVISION].
func parseReference(s string) (secretRef, int64, error) {
	var rev int64
	if base, r, ok := strings.Cut(s, "#"); ok {
		n, err := strconv.ParseInt(r, 10, 64)
		if err != nil || n < 1 {
			return secretRef{}, 0, &usageError{msg: fmt.Sprintf("reference revision %q is not a revision number (1 or more)", r)}
		}
		s, rev = base, n
	}
	ref, err := parseRef(s)
	return ref, rev, err
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
