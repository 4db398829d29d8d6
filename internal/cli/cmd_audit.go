// SPDX-License-Identifier: MPL-2.0

package cli

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

func (a *app) auditCommand() *cobra.Command {
	var (
		namespace, name, since, until, order string
		operations                           []string
		limit                                int
	)
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Stream audit events",
		Long: `Print the audit events that match every filter given, as the
secretstore_audit_events data source selects them, but without its cap of 1,000:
every matching event is streamed, page by page (--limit N stops after N). --json
prints one object per line. Events never carry values or key material.

Operations: ` + strings.Join(backend.Operations, ", ") + `.
Every event is authenticated; an altered or forged event, or a gap in the log,
fails with integrity.`,
		Example: `  secretstore audit --namespace acme:production --since 2026-01-01T00:00:00Z
  secretstore audit --namespace acme:production --name db --operation rotated --json`,
		Args: args(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := eventFilter(namespace, name, operations, since, until, order)
			if err != nil {
				return err
			}
			if limit < 0 {
				return &usageError{msg: fmt.Sprintf("--limit %d: give a positive number, or 0 for every event", limit)}
			}
			s, err := a.openExisting(cmd.Context())
			if err != nil {
				return err
			}
			headers := []string{"TIME", "OPERATION", "SECRET", "REVISION", "KEY VERSION", "ACTOR", "REASON", "ID"}
			_, err = a.streamEvents(cmd, s, f, limit, headers, func(e backend.Event) []string {
				secret := ""
				if e.Namespace != "" {
					secret = e.Namespace + "/" + e.Name
				}
				reason := e.Reason
				if md := metadataText(e.Metadata); md != "" {
					reason = strings.TrimPrefix(reason+" "+md, " ")
				}
				return []string{timeText(e.Time), e.Operation, secret, intText(e.Revision), intText(e.KeyVersion), e.Actor, reason, e.ID}
			})
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&namespace, "namespace", "", "only events of secrets in this namespace")
	fl.StringVar(&name, "name", "", "only events of the secret with this name (requires --namespace)")
	fl.StringArrayVar(&operations, "operation", nil, "only events with this operation (repeatable)")
	fl.StringVar(&since, "since", "", "only events at or after this time (RFC 3339)")
	fl.StringVar(&until, "until", "", "only events before this time (RFC 3339, exclusive)")
	fl.StringVar(&order, "order", "desc", "desc: newest first; asc: oldest first")
	fl.IntVar(&limit, "limit", 0, "stop after this many events (0: every matching event)")
	return cmd
}

// eventFilter checks the audit filters as the data source does.
func eventFilter(namespace, name string, operations []string, since, until, order string) (backend.EventFilter, error) {
	f := backend.EventFilter{Namespace: namespace, Name: name, Limit: backend.MaxEventLimit}
	if name != "" && namespace == "" {
		return f, &usageError{msg: "--name requires --namespace"}
	}
	if namespace != "" {
		if err := backend.ValidateNamespace(namespace); err != nil {
			return f, err
		}
	}
	if name != "" {
		if err := backend.ValidateName(name); err != nil {
			return f, err
		}
	}
	for _, op := range operations {
		if !slices.Contains(backend.Operations, op) {
			return f, &usageError{msg: fmt.Sprintf("--operation %q is not one of %s", op, strings.Join(backend.Operations, ", "))}
		}
	}
	f.Operations = operations
	var err error
	if f.Since, err = parseTimeFlag("since", since); err != nil {
		return f, err
	}
	if f.Until, err = parseTimeFlag("until", until); err != nil {
		return f, err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return f, &usageError{msg: fmt.Sprintf("--until %s is not after --since %s", until, since)}
	}
	switch order {
	case "desc":
		f.Descending = true
	case "asc":
	default:
		return f, &usageError{msg: fmt.Sprintf("--order %q is not asc or desc", order)}
	}
	return f, nil
}

func parseTimeFlag(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, &usageError{msg: fmt.Sprintf("--%s %q is not an RFC 3339 time such as 2026-01-31T00:00:00Z", flag, v)}
	}
	return t, nil
}

// streamEvents prints every event f selects, page by page (at most max
// when max > 0), as table rows or JSON lines, and returns how many.
func (a *app) streamEvents(cmd *cobra.Command, s storeAPI, f backend.EventFilter, limit int, headers []string, row func(backend.Event) []string) (int, error) {
	n := 0
	printedHeader := false
	for {
		if limit > 0 {
			f.Limit = min(backend.MaxEventLimit, limit-n)
		}
		page, err := s.ListEvents(cmd.Context(), f)
		if err != nil {
			return n, err
		}
		var t *table
		if !a.json && (len(page.Events) > 0 || !printedHeader) {
			// One table per page: each page is printed as it arrives.
			if !printedHeader {
				t = newTable(a.io.Stdout, headers...)
				printedHeader = true
			} else {
				t = newTable(a.io.Stdout)
			}
		}
		for _, e := range page.Events {
			n++
			if a.json {
				if err := writeJSON(a.io.Stdout, eventToJSON(e)); err != nil {
					return n, err
				}
				continue
			}
			t.row(row(e)...)
		}
		if t != nil {
			if err := t.flush(); err != nil {
				return n, err
			}
		}
		if page.NextPageToken == "" || (limit > 0 && n >= limit) {
			return n, nil
		}
		f.PageToken = page.NextPageToken
	}
}
