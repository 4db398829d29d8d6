// SPDX-License-Identifier: MPL-2.0

package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

func (a *app) getCommand() *cobra.Command {
	var revision int64
	cmd := &cobra.Command{
		Use:   "get NAMESPACE/NAME",
		Short: "Print a secret's value",
		Long: `Print a secret's value on stdout, byte for byte, and nothing else (no newline is
added). --revision reads an earlier revision. --json prints one object with the
revision, key version, state, metadata and times, and the value ("value" when it
is UTF-8 text, else "value_base64").

With SECRETSTORE_AUDIT_READS=true the read is recorded in the audit log.`,
		Example: `  secretstore get acme:production/OPENAI_API_KEY
  secretstore get --revision 2 --json acme:production/OPENAI_API_KEY`,
		Args: args(1, "one NAMESPACE/NAME"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			ref, err := parseRef(argv[0])
			if err != nil {
				return err
			}
			if revision < 0 {
				return &usageError{msg: fmt.Sprintf("--revision %d: revisions are numbered from 1", revision)}
			}
			s, err := a.openExisting(cmd.Context())
			if err != nil {
				return err
			}
			sec, err := s.Get(cmd.Context(), ref.ns, ref.name, backend.GetOptions{Revision: revision})
			defer clear(sec.Value)
			if err != nil {
				return err
			}
			if a.auditReads {
				if err := s.RecordRead(cmd.Context(), sec); err != nil {
					return fmt.Errorf("recording the read in the audit log: %w", err)
				}
			}
			if !a.json {
				_, err := a.io.Stdout.Write(sec.Value)
				return err
			}
			out := secretToJSON(sec)
			if utf8.Valid(sec.Value) {
				v := string(sec.Value)
				out.Value = &v
			} else {
				out.ValueBase64 = sec.Value
			}
			return writeJSON(a.io.Stdout, out)
		},
	}
	cmd.Flags().Int64Var(&revision, "revision", 0, "read this revision instead of the current one")
	return cmd
}

func (a *app) putCommand() *cobra.Command {
	var (
		fromFile   string
		metadata   []string
		ttl        string
		expiresAt  string
		ifRevision int64
		reason     string
	)
	cmd := &cobra.Command{
		Use:   "put NAMESPACE/NAME < VALUE",
		Short: "Create or update a secret from stdin or a file",
		Long: `Create or update a secret. The value is read from stdin, byte for byte (a
trailing newline is part of it: use printf '%s', not echo), or from --from-file.
A value is never taken from an argument: ps and shell history would show it.

--metadata k=v (repeatable) replaces the metadata; without it the stored
metadata is kept. --ttl (a duration such as 720h) or --expires-at (RFC 3339)
sets the expiry; without them the stored expiry is kept. --if-revision N
writes only if the current revision is N. The write is audited with
SECRETSTORE_ACTOR (default user@host), as a Terraform write is.`,
		Example: `  printf '%s' "$TOKEN" | secretstore put acme:production/OPENAI_API_KEY
  secretstore put --from-file ./db.pass --metadata owner=dba --ttl 720h acme:production/db`,
		Args: func(cmd *cobra.Command, argv []string) error {
			if len(argv) > 1 {
				return &usageError{msg: "put takes only NAMESPACE/NAME: a value is never taken from the command line (ps and shell history show it); pipe it to stdin or use --from-file"}
			}
			return args(1, "one NAMESPACE/NAME")(cmd, argv)
		},
		RunE: func(cmd *cobra.Command, argv []string) error {
			ref, err := parseRef(argv[0])
			if err != nil {
				return err
			}
			in := backend.PutInput{Namespace: ref.ns, Name: ref.name, IfRevision: ifRevision, Reason: reason}
			if ifRevision < 0 {
				return &usageError{msg: fmt.Sprintf("--if-revision %d: revisions are numbered from 1", ifRevision)}
			}
			if cmd.Flags().Changed("metadata") {
				in.SetMetadata = true
				in.Metadata = map[string]string{}
				for _, kv := range metadata {
					k, v, ok := strings.Cut(kv, "=")
					if !ok || k == "" {
						return &usageError{msg: fmt.Sprintf("--metadata %q is not KEY=VALUE", kv)}
					}
					in.Metadata[k] = v
				}
			}
			if in.Expiry, err = parseExpiry(ttl, expiresAt); err != nil {
				return err
			}
			if in.Value, err = a.readValue(fromFile); err != nil {
				return err
			}
			defer clear(in.Value)
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			sec, err := s.Put(cmd.Context(), in)
			if err != nil {
				return err
			}
			return a.printWritten(sec)
		},
	}
	cmd.Flags().StringVar(&fromFile, "from-file", "", "read the value from this file instead of stdin")
	cmd.Flags().StringArrayVar(&metadata, "metadata", nil, "metadata entry KEY=VALUE (repeatable; replaces the stored metadata)")
	cmd.Flags().StringVar(&ttl, "ttl", "", "expire after this duration, such as 720h")
	cmd.Flags().StringVar(&expiresAt, "expires-at", "", "expire at this time (RFC 3339)")
	cmd.Flags().Int64Var(&ifRevision, "if-revision", 0, "write only if the current revision is this one")
	cmd.Flags().StringVar(&reason, "reason", "", "reason recorded in the audit event")
	return cmd
}

// parseExpiry turns --ttl or --expires-at into an expiry change.
func parseExpiry(ttl, expiresAt string) (backend.Expiry, error) {
	switch {
	case ttl != "" && expiresAt != "":
		return backend.Expiry{}, &usageError{msg: "--ttl and --expires-at exclude each other: give one"}
	case ttl != "":
		d, err := time.ParseDuration(ttl)
		if err != nil || d <= 0 {
			return backend.Expiry{}, &usageError{msg: fmt.Sprintf("--ttl %q is not a positive duration such as 720h", ttl)}
		}
		return backend.Expiry{Set: true, TTL: d}, nil
	case expiresAt != "":
		t, err := time.Parse(time.RFC3339, expiresAt)
		if err != nil {
			return backend.Expiry{}, &usageError{msg: fmt.Sprintf("--expires-at %q is not an RFC 3339 time such as 2030-01-31T00:00:00Z", expiresAt)}
		}
		return backend.Expiry{Set: true, At: t}, nil
	}
	return backend.Expiry{}, nil
}

// readValue reads a value from file, or from stdin when file is empty.
func (a *app) readValue(file string) ([]byte, error) {
	var (
		v   []byte
		err error
	)
	if file != "" {
		v, err = os.ReadFile(file)
		if err != nil {
			return nil, &usageError{msg: fmt.Sprintf("--from-file: %v", err)}
		}
	} else {
		if a.io.Stdin == nil {
			return nil, &usageError{msg: "no value: pipe it to stdin or use --from-file"}
		}
		v, err = io.ReadAll(io.LimitReader(a.io.Stdin, backend.MaxValueLen+1))
		if err != nil {
			return nil, fmt.Errorf("reading the value from stdin: %w", err)
		}
	}
	if len(v) == 0 {
		return nil, &usageError{msg: "the value is empty: pipe it to stdin or use --from-file"}
	}
	return v, nil
}

// printWritten reports a written revision (never its value).
func (a *app) printWritten(sec backend.Secret) error {
	if a.json {
		return writeJSON(a.io.Stdout, secretToJSON(sec))
	}
	t := newTable(a.io.Stdout, "SECRET", "REVISION", "KEY VERSION", "STATE", "EXPIRES")
	t.row(sec.Namespace+"/"+sec.Name, intText(sec.Revision), intText(sec.KeyVersion), sec.State, timeText(sec.ExpiresAt))
	return t.flush()
}

func (a *app) deleteCommand() *cobra.Command {
	var ifRevision int64
	cmd := &cobra.Command{
		Use:   "delete NAMESPACE/NAME",
		Short: "Delete a secret (recoverable until cleanup purges it)",
		Long: `Delete a secret: it then reads as not_found. Its earlier revisions stay until
cleanup purges them, so a mistaken delete can be undone by reading an earlier
revision (get --revision) and putting it back. --if-revision N deletes only if
the current revision is N. The deletion is audited.`,
		Args: args(1, "one NAMESPACE/NAME"),
		RunE: func(cmd *cobra.Command, argv []string) error {
			ref, err := parseRef(argv[0])
			if err != nil {
				return err
			}
			if ifRevision < 0 {
				return &usageError{msg: fmt.Sprintf("--if-revision %d: revisions are numbered from 1", ifRevision)}
			}
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			if err := s.Delete(cmd.Context(), backend.DeleteInput{Namespace: ref.ns, Name: ref.name, IfRevision: ifRevision}); err != nil {
				return err
			}
			if a.json {
				return writeJSON(a.io.Stdout, map[string]any{"namespace": ref.ns, "name": ref.name, "deleted": true})
			}
			_, err = fmt.Fprintf(a.io.Stdout, "deleted %s\n", ref)
			return err
		},
	}
	cmd.Flags().Int64Var(&ifRevision, "if-revision", 0, "delete only if the current revision is this one")
	return cmd
}
