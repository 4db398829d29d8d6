// SPDX-License-Identifier: MPL-2.0

package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

func (a *app) verifyCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "verify",
		Short: "Check the integrity of the whole store",
		Long: `Scan the whole store and report every damaged object: each store header
revision, each key version record and its material, every revision record of
every secret (authenticated and decrypted; values are discarded at once, never
printed), every marker against its record, and the audit log (every event's
MAC, and the chains that reveal deleted, truncated or reordered events), by the
global log, each namespace and each secret, whose copies of every event are
compared, so that an event deleted from one of them is reported.

Exits 0 when nothing is damaged, 6 (integrity) when anything is. Progress goes
to stderr when it is a terminal.`,
		Args: args(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.openExisting(cmd.Context())
			if err != nil {
				return err
			}
			var in backend.VerifyInput
			if isTerminal(a.io.Stderr) {
				in.Progress = func(r backend.VerifyReport) {
					fmt.Fprintf(a.io.Stderr, "\rverifying: %d headers, %d key version records, %d records, %d markers, %d events",
						r.Headers, r.KeyVersions, r.Records, r.Markers, r.Events)
				}
			}
			rep, err := s.Verify(cmd.Context(), in)
			if in.Progress != nil {
				fmt.Fprintln(a.io.Stderr)
			}
			if err != nil {
				return err
			}
			if err := a.printVerify(rep); err != nil {
				return err
			}
			if rep.Damaged() {
				fmt.Fprintf(a.io.Stderr, "secretstore: %s: %d damaged object(s) found\n", wordIntegrity, len(rep.Problems))
				return &exitStatus{code: ExitIntegrity}
			}
			return nil
		},
	}
}

func (a *app) printVerify(rep backend.VerifyReport) error {
	if a.json {
		problems := make([]map[string]string, 0, len(rep.Problems))
		for _, p := range rep.Problems {
			word, _ := classify(p.Err)
			problems = append(problems, map[string]string{"kind": p.Kind, "object": p.Object, "error": word, "message": p.Err.Error()})
		}
		return writeJSON(a.io.Stdout, map[string]any{
			"ok": !rep.Damaged(), "headers": rep.Headers, "key_version_records": rep.KeyVersions,
			"records": rep.Records, "markers": rep.Markers, "events": rep.Events, "problems": problems,
		})
	}
	t := newTable(a.io.Stdout, "CHECKED", "COUNT")
	t.row("store header revisions", strconv.Itoa(rep.Headers))
	t.row("key version records", strconv.Itoa(rep.KeyVersions))
	t.row("secret revision records", strconv.Itoa(rep.Records))
	t.row("markers", strconv.Itoa(rep.Markers))
	t.row("audit events", strconv.Itoa(rep.Events))
	if err := t.flush(); err != nil {
		return err
	}
	if !rep.Damaged() {
		_, err := fmt.Fprintln(a.io.Stdout, "\nno damage found")
		return err
	}
	fmt.Fprintf(a.io.Stdout, "\n%d damaged:\n", len(rep.Problems))
	t = newTable(a.io.Stdout, "KIND", "OBJECT", "ERROR", "DETAIL")
	for _, p := range rep.Problems {
		word, _ := classify(p.Err)
		t.row(p.Kind, p.Object, word, p.Err.Error())
	}
	return t.flush()
}
