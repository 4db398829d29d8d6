// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// rotatedEvents counts the rotated audit events of one secret.
func rotatedEvents(t *testing.T, s backend.StoreAPI, namespace, name string) int {
	t.Helper()
	page, err := s.ListEvents(context.Background(), backend.EventFilter{
		Namespace: namespace, Name: name, Operations: []string{backend.OpRotated}, Limit: backend.MaxEventLimit,
	})
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Events)
}

// keyVersionOf is the key version of a secret's current revision.
func keyVersionOf(t *testing.T, s backend.StoreAPI, namespace, name string) int {
	t.Helper()
	sec, err := s.Head(context.Background(), namespace, name)
	if err != nil {
		t.Fatal(err)
	}
	return sec.KeyVersion
}

// TestProtocolRotateAction: invoking secretstore_rotate rewraps every
// current revision of the namespace not under the primary key version,
// one rotated audit event per secret, with progress events from the
// count to the totals; values stay readable, other namespaces stay as
// they were until rotated in turn; a second run writes nothing; a
// namespace allowed_namespaces forbids fails at plan.
func TestProtocolRotateAction(t *testing.T) {
	t.Parallel()
	ts := newTestStore(t)
	store := ts.open(t)
	ctx := context.Background()
	seedKeyVersion(t, store)
	for i := range 12 {
		seedSecret(t, store, "app:production", fmt.Sprintf("s%02d", i), time.Time{})
	}
	seedSecret(t, store, "app:staging", "s00", time.Time{})
	if _, err := store.CreateKeyVersion(ctx, 2, nil); err != nil {
		t.Fatal(err)
	}

	p := newConfiguredProto(t, ts, nil, nil)
	cfg := map[string]tftypes.Value{"namespace": tfString("app:production")}
	if diags := p.planAction("secretstore_rotate", cfg); len(diags) != 0 {
		t.Fatalf("plan: %s", diagnosticsText(diags))
	}
	progress, diags := p.invokeAction("secretstore_rotate", cfg)
	if len(diags) != 0 {
		t.Fatalf("invoke: %s", diagnosticsText(diags))
	}
	if len(progress) < 3 ||
		progress[0] != `Rewrapping 12 secret(s) of namespace "app:production" under key version 2` ||
		progress[len(progress)-1] != "Rotation done: 12 secret(s) rewrapped under key version 2, 0 already under it" {
		t.Errorf("progress events: %q", progress)
	}
	for _, msg := range progress[1 : len(progress)-1] {
		if !strings.HasPrefix(msg, "Rewrapped ") || !strings.HasSuffix(msg, " of 12 secret(s)") {
			t.Errorf("intermediate progress event %q", msg)
		}
	}
	for i := range 12 {
		name := fmt.Sprintf("s%02d", i)
		if kv := keyVersionOf(t, store, "app:production", name); kv != 2 {
			t.Errorf("%s: key version %d after rotation, want 2", name, kv)
		}
		if n := rotatedEvents(t, store, "app:production", name); n != 1 {
			t.Errorf("%s: %d rotated events, want 1", name, n)
		}
		if err := checkReadable(store, "app:production", name); err != nil {
			t.Error(err)
		}
	}
	if kv := keyVersionOf(t, store, "app:staging", "s00"); kv != 1 {
		t.Errorf("app:staging/s00 rotated outside the namespace: key version %d", kv)
	}

	// Nothing left: nothing written.
	progress, diags = p.invokeAction("secretstore_rotate", cfg)
	if len(diags) != 0 || progress[len(progress)-1] != "Rotation done: 0 secret(s) rewrapped under key version 2, 12 already under it" {
		t.Errorf("second run: %q %s", progress, diagnosticsText(diags))
	}
	if n := rotatedEvents(t, store, "app:production", "s00"); n != 1 {
		t.Errorf("second run wrote rotated events: %d", n)
	}

	// Every namespace.
	if _, diags := p.invokeAction("secretstore_rotate", nil); len(diags) != 0 {
		t.Fatalf("invoke over every namespace: %s", diagnosticsText(diags))
	}
	if kv := keyVersionOf(t, store, "app:staging", "s00"); kv != 2 || rotatedEvents(t, store, "app:staging", "s00") != 1 {
		t.Errorf("app:staging/s00 after rotating every namespace: key version %d", kv)
	}

	restricted := newConfiguredProto(t, ts, nil, map[string]tftypes.Value{
		"allowed_namespaces": tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, []tftypes.Value{tfString("*:staging")}),
	})
	if diags := restricted.planAction("secretstore_rotate", cfg); !strings.Contains(diagnosticsText(diags), "Namespace not allowed") {
		t.Errorf("plan of a forbidden namespace: %s", diagnosticsText(diags))
	}
}

// TestProtocolCleanupAction: invoking secretstore_cleanup purges what the
// retentions make purgeable now (an expired and a deleted secret, a
// superseded revision), reports the counts as progress, and keeps
// everything readable and current; without a retention it is refused.
func TestProtocolCleanupAction(t *testing.T) {
	t.Parallel()
	ts := newTestStore(t)
	store := ts.open(t)
	ctx := context.Background()
	now := time.Now().UTC()
	seedKeyVersion(t, store)
	seedSecret(t, store, "app", "expired", now.Add(time.Hour).Truncate(time.Second))
	del := seedSecret(t, store, "app", "deleted", time.Time{})
	if err := store.Delete(ctx, backend.DeleteInput{Namespace: "app", Name: "deleted", IfRevision: del.Revision}); err != nil {
		t.Fatal(err)
	}
	seedSecret(t, store, "app", "live", time.Time{})
	if _, err := store.Put(ctx, backend.PutInput{Namespace: "app", Name: "live", SetMetadata: true, Metadata: map[string]string{"v": "2"}, IfRevision: 1}); err != nil {
		t.Fatal(err)
	}

	// Two hours later by the provider's clock.
	clock := newStepClock(now.Add(2 * time.Hour))
	p := newConfiguredProto(t, ts, clock.Now, nil)
	if diags := p.validateAction("secretstore_cleanup", map[string]tftypes.Value{"namespace": tfString("app")}); !strings.Contains(diagnosticsText(diags), "No retention configured") {
		t.Errorf("validate without a retention: %s", diagnosticsText(diags))
	}
	cfg := map[string]tftypes.Value{
		"namespace":                tfString("app"),
		"expired_secret_retention": tfString("0s"),
		"deleted_secret_retention": tfString("0s"),
		"revision_retention":       tfString("0s"),
	}
	if diags := p.validateAction("secretstore_cleanup", cfg); len(diags) != 0 {
		t.Fatalf("validate: %s", diagnosticsText(diags))
	}
	if diags := p.planAction("secretstore_cleanup", cfg); len(diags) != 0 {
		t.Fatalf("plan: %s", diagnosticsText(diags))
	}
	progress, diags := p.invokeAction("secretstore_cleanup", cfg)
	if len(diags) != 0 {
		t.Fatalf("invoke: %s", diagnosticsText(diags))
	}
	want := []string{
		"Purgeable now: 2 secret(s), 1 superseded revision(s), 0 audit event(s)",
		"Purged: 2 secret(s), 1 superseded revision(s), 0 audit event(s)",
	}
	if strings.Join(progress, "\n") != strings.Join(want, "\n") {
		t.Errorf("progress events:\n%s\nwant\n%s", strings.Join(progress, "\n"), strings.Join(want, "\n"))
	}
	for _, err := range []error{
		checkGone(store, "app", "expired"), checkGone(store, "app", "deleted"), checkReadable(store, "app", "live"),
	} {
		if err != nil {
			t.Error(err)
		}
	}
	for name, reason := range map[string]string{"expired": backend.ReasonExpiredCleanup, "deleted": backend.ReasonDeletedCleanup} {
		if got, err := deletedEventReason(store, "app", name); err != nil || got != reason {
			t.Errorf("%s: deleted event reason %q (%v), want %q", name, got, err, reason)
		}
	}
	progress, diags = p.invokeAction("secretstore_cleanup", cfg)
	if len(diags) != 0 || len(progress) != 2 || progress[1] != "Purged: 0 secret(s), 0 superseded revision(s), 0 audit event(s)" {
		t.Errorf("second run: %q %s", progress, diagnosticsText(diags))
	}
}
