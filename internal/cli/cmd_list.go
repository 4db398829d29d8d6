// SPDX-License-Identifier: MPL-2.0

package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

func (a *app) listCommand() *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:   "list NAMESPACE",
		Short: "List a namespace's secrets (never their values)",
		Long: `List the secrets of a namespace (deleted ones excluded) with their revision, key
version, state and times. Nothing is decrypted. --prefix keeps the names that
start with it. --json prints one object per line.`,
		Args: args(1, "one NAMESPACE"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			if err := backend.ValidateNamespace(argv[0]); err != nil {
				return err
			}
			s, err := a.openExisting(cmd.Context())
			if err != nil {
				return err
			}
			var t *table
			if !a.json {
				t = newTable(a.io.Stdout, "NAME", "REVISION", "KEY VERSION", "STATE", "UPDATED", "EXPIRES", "METADATA")
			}
			in := backend.ListInput{Namespace: argv[0], NamePrefix: prefix, PageSize: 1000}
			for {
				page, err := s.List(cmd.Context(), in)
				if err = a.warnDamaged(err, "the list"); err != nil {
					return err
				}
				for _, sec := range page.Secrets {
					if a.json {
						if err := writeJSON(a.io.Stdout, secretToJSON(sec)); err != nil {
							return err
						}
						continue
					}
					t.row(sec.Name, intText(sec.Revision), intText(sec.KeyVersion), sec.State,
						timeText(sec.UpdatedAt), timeText(sec.ExpiresAt), metadataText(sec.Metadata))
				}
				if page.NextPageToken == "" {
					break
				}
				in.PageToken = page.NextPageToken
			}
			if t != nil {
				return t.flush()
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&prefix, "prefix", "", "only names that start with this prefix")
	return cmd
}

// revisionOperations are the audit operations that write or remove revisions.
var revisionOperations = []string{backend.OpCreated, backend.OpUpdated, backend.OpRotated, backend.OpDeleted, backend.OpPurged}

func (a *app) historyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "history NAMESPACE/NAME",
		Short: "Show every revision of a secret with its time, key version and actor",
		Long: `Show a secret's history from the audit log, oldest first: every revision
written (created, updated, rotated, deleted) and every purge, with its time, key
version and the actor who made it. The audit log is authenticated: an altered
event, or a gap in the secret's chain of events, fails with integrity.`,
		Args: args(1, "one NAMESPACE/NAME"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			ref, err := parseRef(argv[0])
			if err != nil {
				return err
			}
			s, err := a.openExisting(cmd.Context())
			if err != nil {
				return err
			}
			f := backend.EventFilter{Namespace: ref.ns, Name: ref.name, Operations: revisionOperations, Limit: backend.MaxEventLimit}
			headers := []string{"REVISION", "TIME", "OPERATION", "KEY VERSION", "ACTOR", "REASON"}
			n, err := a.streamEvents(cmd, s, f, 0, headers, func(e backend.Event) []string {
				return []string{intText(e.Revision), timeText(e.Time), e.Operation, intText(e.KeyVersion), e.Actor, e.Reason}
			})
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("secret %s has no history in the audit log: %w", ref, backend.ErrNotFound)
			}
			return nil
		},
	}
	return cmd
}
