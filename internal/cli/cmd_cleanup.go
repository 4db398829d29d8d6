// SPDX-License-Identifier: MPL-2.0

package cli

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// retentionFlags are cleanup's retentions, named as the attributes of
// secretstore_cleanup.
var retentionFlags = []struct {
	flag, what string
	target     func(*backend.Retention) **time.Duration
}{
	{"expired-secret-retention", "expired secrets", func(r *backend.Retention) **time.Duration { return &r.ExpiredSecrets }},
	{"deleted-secret-retention", "deleted secrets", func(r *backend.Retention) **time.Duration { return &r.DeletedSecrets }},
	{"revision-retention", "superseded revisions", func(r *backend.Retention) **time.Duration { return &r.Revisions }},
	{"audit-event-retention", "audit events", func(r *backend.Retention) **time.Duration { return &r.AuditEvents }},
}

func (a *app) cleanupCommand() *cobra.Command {
	var (
		namespace string
		dryRun    bool
	)
	values := make([]string, len(retentionFlags))
	cmd := &cobra.Command{
		Use:   "cleanup",
		Short: "Purge what is past its retention",
		Long: `Purge expired and deleted secrets, superseded revisions and audit events past
their retention, with the engine a Terraform apply of secretstore_cleanup uses.
Each retention is a duration such as 720h (0s: as soon as they qualify); a kind
without one is never purged, and at least one is required. Nothing still
readable is purged, nor any current revision; every retention is extended by a
clock-skew margin of five minutes.

--dry-run only counts: the counts are the purgeable_secrets, purgeable_revisions
and purgeable_events that a Terraform plan of secretstore_cleanup with the same
settings shows. --namespace limits secrets and revisions to one namespace
(audit events are one log for the whole store).`,
		Example: `  secretstore cleanup --dry-run --deleted-secret-retention 720h --revision-retention 2160h`,
		Args:    args(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := backend.CleanupInput{Namespace: namespace}
			if namespace != "" {
				if err := backend.ValidateNamespace(namespace); err != nil {
					return err
				}
			}
			set := false
			for i, r := range retentionFlags {
				if !cmd.Flags().Changed(r.flag) {
					continue
				}
				d, err := time.ParseDuration(values[i])
				if err != nil || d < 0 {
					return &usageError{msg: fmt.Sprintf("--%s %q is not a duration such as 720h (0s or more)", r.flag, values[i])}
				}
				*r.target(&in.Retention) = &d
				set = true
			}
			if !set {
				return &usageError{msg: "cleanup needs at least one retention: --expired-secret-retention, --deleted-secret-retention, --revision-retention or --audit-event-retention"}
			}
			s, err := a.openStore(cmd.Context(), dryRun)
			if err != nil {
				return err
			}
			var res backend.CleanupPlan
			if dryRun {
				res, err = s.PlanCleanup(cmd.Context(), in)
				if err = a.warnDamaged(err, "the purgeable counts"); err != nil {
					return err
				}
			} else if res, err = s.Cleanup(cmd.Context(), in); err != nil {
				return err
			}
			if a.json {
				key := "purged"
				if dryRun {
					key = "purgeable"
				}
				return writeJSON(a.io.Stdout, map[string]any{key + "_secrets": res.Secrets, key + "_revisions": res.Revisions, key + "_events": res.Events})
			}
			head := "PURGED"
			if dryRun {
				head = "PURGEABLE"
			}
			t := newTable(a.io.Stdout, head+" SECRETS", head+" REVISIONS", head+" EVENTS")
			t.row(strconv.Itoa(res.Secrets), strconv.Itoa(res.Revisions), strconv.Itoa(res.Events))
			return t.flush()
		},
	}
	cmd.Flags().StringVar(&namespace, "namespace", "", "only clean secrets and revisions of this namespace")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "count what would be purged, purge nothing")
	for i, r := range retentionFlags {
		cmd.Flags().StringVar(&values[i], r.flag, "", "purge "+r.what+" older than this duration")
	}
	return cmd
}
