// SPDX-License-Identifier: MPL-2.0

package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// table prints rows under headers, aligned in columns.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, headers ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
	if len(headers) > 0 {
		t.row(headers...)
	}
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		if c == "" {
			cells[i] = "-"
		}
		// A tab or newline inside a cell would break the columns.
		cells[i] = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(cells[i])
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// writeJSON prints v as one line of JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// timeText is t in RFC 3339 (UTC), or "" when zero.
func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func intText[T int | int64](n T) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(int64(n), 10)
}

func metadataText(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	keys := sortedKeys(m)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ",")
}

// secretJSON is a secret as --json prints it. Value is set by get only.
type secretJSON struct {
	Namespace   string            `json:"namespace"`
	Name        string            `json:"name"`
	Revision    int64             `json:"revision"`
	KeyVersion  int               `json:"key_version"`
	State       string            `json:"state"`
	Metadata    map[string]string `json:"metadata"`
	CreatedAt   string            `json:"created_at"`
	UpdatedAt   string            `json:"updated_at"`
	ExpiresAt   string            `json:"expires_at,omitempty"`
	Value       *string           `json:"value,omitempty"`
	ValueBase64 []byte            `json:"value_base64,omitempty"`
}

func secretToJSON(s backend.Secret) secretJSON {
	md := s.Metadata
	if md == nil {
		md = map[string]string{}
	}
	return secretJSON{
		Namespace: s.Namespace, Name: s.Name, Revision: s.Revision, KeyVersion: s.KeyVersion, State: s.State,
		Metadata: md, CreatedAt: timeText(s.CreatedAt), UpdatedAt: timeText(s.UpdatedAt), ExpiresAt: timeText(s.ExpiresAt),
	}
}

// eventJSON is an audit event as --json prints it.
type eventJSON struct {
	ID         string            `json:"id"`
	Time       string            `json:"time"`
	Operation  string            `json:"operation"`
	Namespace  string            `json:"namespace,omitempty"`
	Name       string            `json:"name,omitempty"`
	Revision   int64             `json:"revision,omitempty"`
	KeyVersion int               `json:"key_version,omitempty"`
	Actor      string            `json:"actor"`
	Reason     string            `json:"reason,omitempty"`
	Metadata   map[string]string `json:"metadata,omitempty"`
}

func eventToJSON(e backend.Event) eventJSON {
	return eventJSON{
		ID: e.ID, Time: timeText(e.Time), Operation: e.Operation, Namespace: e.Namespace, Name: e.Name,
		Revision: e.Revision, KeyVersion: e.KeyVersion, Actor: e.Actor, Reason: e.Reason, Metadata: e.Metadata,
	}
}
