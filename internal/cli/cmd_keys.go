// SPDX-License-Identifier: MPL-2.0

package cli

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// warnDamaged turns a *backend.DamagedSecretsError, returned with a
// complete result for every other secret, into a warning on stderr, as
// the provider does; any other error is returned.
func (a *app) warnDamaged(err error, what string) error {
	var d *backend.DamagedSecretsError
	if !errors.As(err, &d) {
		return err
	}
	names := d.Secrets
	more := ""
	if len(names) > 10 {
		names, more = names[:10], fmt.Sprintf(" and %d more", len(d.Secrets)-10)
	}
	fmt.Fprintf(a.io.Stderr, "secretstore: warning: %d damaged secret(s) left out of %s: %s%s; run 'secretstore verify'\n",
		len(d.Secrets), what, strings.Join(names, ", "), more)
	return nil
}

func (a *app) keyVersionsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key-versions",
		Short: "List the keyring's key versions",
		Long: `List the key versions of the store's keyring (never key material): which one is
primary (new data keys are wrapped under it), which are retired, how many
secrets each one's current revisions use, whether its material is wrapped under
the current root key, its key check value and its wrap count. --json prints one
object per key version, one per line.`,
		Args: args(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.openExisting(cmd.Context())
			if err != nil {
				return err
			}
			kvs, err := s.KeyVersions(cmd.Context())
			if err = a.warnDamaged(err, "the counts of secrets"); err != nil {
				return err
			}
			if a.json {
				for _, kv := range kvs {
					if err := writeJSON(a.io.Stdout, map[string]any{
						"version": kv.Version, "primary": kv.Primary, "retired": kv.Retired, "check_value": kv.CheckValue,
						"created_at": timeText(kv.CreatedAt), "secrets": kv.Secrets, "root_key_current": kv.RootKeyCurrent, "wraps": kv.Wraps,
					}); err != nil {
						return err
					}
				}
				return nil
			}
			t := newTable(a.io.Stdout, "VERSION", "PRIMARY", "RETIRED", "SECRETS", "ROOT KEY CURRENT", "CHECK VALUE", "CREATED", "WRAPS")
			for _, kv := range kvs {
				t.row(strconv.Itoa(kv.Version), strconv.FormatBool(kv.Primary), strconv.FormatBool(kv.Retired), strconv.Itoa(kv.Secrets),
					strconv.FormatBool(kv.RootKeyCurrent), kv.CheckValue, timeText(kv.CreatedAt), strconv.FormatInt(kv.Wraps, 10))
			}
			return t.flush()
		},
	}
	cmd.AddCommand(a.keyVersionCreateCommand())
	return cmd
}

func (a *app) keyVersionCreateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "create [VERSION]",
		Short: "Create a key version with random material",
		Long: `Create key version VERSION (default: one above the highest) with fresh random
material, wrapped under the root key. It becomes the primary: new writes use it,
and 'secretstore rotate' rewraps existing secrets under it. The creation is
audited. In a store whose keyring Terraform manages, create versions with the
secretstore_key_version resource instead, so that its state knows them.`,
		Args: func(cmd *cobra.Command, argv []string) error {
			if len(argv) > 1 {
				return &usageError{msg: "create takes at most one VERSION"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, argv []string) error {
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			version := 0
			if len(argv) == 1 {
				if version, err = strconv.Atoi(argv[0]); err != nil || version < 1 {
					return &usageError{msg: fmt.Sprintf("key version %q is not a number of 1 or more", argv[0])}
				}
			} else {
				kvs, err := s.KeyVersions(cmd.Context())
				if err = a.warnDamaged(err, "the counts of secrets"); err != nil {
					return err
				}
				for _, kv := range kvs {
					version = max(version, kv.Version)
				}
				version++
			}
			kv, err := s.CreateKeyVersion(cmd.Context(), version, nil)
			if err != nil {
				return err
			}
			if a.json {
				return writeJSON(a.io.Stdout, map[string]any{"version": kv.Version, "primary": kv.Primary, "check_value": kv.CheckValue, "created_at": timeText(kv.CreatedAt)})
			}
			t := newTable(a.io.Stdout, "VERSION", "PRIMARY", "CHECK VALUE", "CREATED")
			t.row(strconv.Itoa(kv.Version), strconv.FormatBool(kv.Primary), kv.CheckValue, timeText(kv.CreatedAt))
			return t.flush()
		},
	}
}

func (a *app) rotateCommand() *cobra.Command {
	var (
		namespace string
		dryRun    bool
	)
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Rewrap every secret under the primary key version",
		Long: `Rewrap the data key of every secret whose current revision is not under the
primary key version, with the engine a Terraform apply of secretstore_key_version
uses: each becomes a new revision with the same value ciphertext, audited as
rotated. Values are never decrypted or rewritten.

--dry-run only counts: the pending count is the pending_rewrap that a Terraform
plan shows on the primary secretstore_key_version (from listings only).
--namespace limits the work to one namespace. Progress goes to stderr when it
is a terminal.`,
		Args: args(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if namespace != "" {
				if err := backend.ValidateNamespace(namespace); err != nil {
					return err
				}
			}
			s, err := a.openStore(cmd.Context(), dryRun)
			if err != nil {
				return err
			}
			in := backend.RotateInput{Namespace: namespace}
			if dryRun {
				p, err := s.PlanRotate(cmd.Context(), in)
				if err = a.warnDamaged(err, "the count of secrets to rewrap"); err != nil {
					return err
				}
				return a.printRotatePlan(p)
			}
			if isTerminal(a.io.Stderr) {
				var mu sync.Mutex
				in.Progress = func(r backend.RotateResult) {
					mu.Lock()
					defer mu.Unlock()
					fmt.Fprintf(a.io.Stderr, "\rrotating: %d examined, %d rewrapped", r.Processed, r.Rotated)
				}
			}
			res, err := s.Rotate(cmd.Context(), in)
			if in.Progress != nil {
				fmt.Fprintln(a.io.Stderr)
			}
			if err != nil {
				return err
			}
			if a.json {
				return writeJSON(a.io.Stdout, map[string]int{"processed": res.Processed, "rotated": res.Rotated, "skipped": res.Skipped})
			}
			t := newTable(a.io.Stdout, "PROCESSED", "ROTATED", "SKIPPED")
			t.row(strconv.Itoa(res.Processed), strconv.Itoa(res.Rotated), strconv.Itoa(res.Skipped))
			return t.flush()
		},
	}
	cmd.Flags().StringVar(&namespace, "namespace", "", "only rotate secrets of this namespace")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "count what would be rewrapped, change nothing")
	return cmd
}

func (a *app) printRotatePlan(p backend.RotatePlan) error {
	if a.json {
		by := map[string]int{}
		for v, n := range p.ByVersion {
			by[strconv.Itoa(v)] = n
		}
		return writeJSON(a.io.Stdout, map[string]any{"primary": p.Primary, "pending_rewrap": p.Pending, "by_key_version": by})
	}
	fmt.Fprintf(a.io.Stdout, "primary key version %d: %d secret(s) pending rewrap\n", p.Primary, p.Pending)
	versions := make([]int, 0, len(p.ByVersion))
	for v := range p.ByVersion {
		versions = append(versions, v)
	}
	slices.Sort(versions)
	t := newTable(a.io.Stdout, "KEY VERSION", "SECRETS")
	for _, v := range versions {
		t.row(strconv.Itoa(v), strconv.Itoa(p.ByVersion[v]))
	}
	return t.flush()
}
