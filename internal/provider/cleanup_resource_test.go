// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// betweenPlanAndApply is a plan check that runs fn after terraform has
// saved the step's plan and before it applies that plan, to change the
// store behind Terraform's back.
type betweenPlanAndApply func() error

func (fn betweenPlanAndApply) CheckPlan(_ context.Context, _ plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = fn()
}

// seedKeyVersion creates key version 1 in the store directly.
func seedKeyVersion(t *testing.T, s backend.StoreAPI) {
	t.Helper()
	if _, err := s.CreateKeyVersion(context.Background(), 1, nil); err != nil {
		t.Fatalf("creating key version 1: %v", err)
	}
}

// seedSecret writes a secret directly; a zero expiresAt means no expiry.
func seedSecret(t *testing.T, s backend.StoreAPI, namespace, name string, expiresAt time.Time) backend.Secret {
	t.Helper()
	in := backend.PutInput{Namespace: namespace, Name: name, Value: []byte("seed-" + name)}
	if !expiresAt.IsZero() {
		in.Expiry = backend.Expiry{Set: true, At: expiresAt}
	}
	sec, err := s.Put(context.Background(), in)
	if err != nil {
		t.Fatalf("writing %s/%s: %v", namespace, name, err)
	}
	return sec
}

// checkGone fails unless the secret no longer exists in the store.
func checkGone(s backend.StoreAPI, namespace, name string) error {
	if _, err := s.Head(context.Background(), namespace, name); !errors.Is(err, backend.ErrNotFound) {
		return errors.New(namespace + "/" + name + ": want not_found after purge, got " + errString(err))
	}
	return nil
}

// checkKept fails unless the secret still exists (readable or expired).
func checkKept(s backend.StoreAPI, namespace, name string) error {
	if _, err := s.Head(context.Background(), namespace, name); err != nil {
		return errors.New(namespace + "/" + name + " must not be purged: " + err.Error())
	}
	return nil
}

// checkReadable fails unless the secret's value decrypts.
func checkReadable(s backend.StoreAPI, namespace, name string) error {
	sec, err := s.Get(context.Background(), namespace, name, backend.GetOptions{})
	if err != nil {
		return errors.New(namespace + "/" + name + " must stay readable: " + err.Error())
	}
	if string(sec.Value) != "seed-"+name {
		return errors.New(namespace + "/" + name + " reads a different value after cleanup")
	}
	return nil
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// checkAll runs each check against the store and returns the first failure.
func checkAll(checks ...func() error) resource.TestCheckFunc {
	return func(*terraform.State) error {
		for _, c := range checks {
			if err := c(); err != nil {
				return err
			}
		}
		return nil
	}
}

// deletedEventReason returns the reason of the secret's newest deleted event.
func deletedEventReason(s backend.StoreAPI, namespace, name string) (string, error) {
	page, err := s.ListEvents(context.Background(), backend.EventFilter{
		Namespace: namespace, Name: name, Operations: []string{backend.OpDeleted}, Descending: true, Limit: 1,
	})
	if err != nil {
		return "", err
	}
	if len(page.Events) == 0 {
		return "", errors.New(namespace + "/" + name + ": no deleted event")
	}
	return page.Events[0].Reason, nil
}

func TestCleanupResource_expiredSecrets(t *testing.T) {
	slowTest(t, "three terraform steps with cleanup applies")
	ts := newTestStore(t)
	store := ts.open(t)
	t0 := time.Now().UTC().Truncate(time.Second)
	seedKeyVersion(t, store)
	seedSecret(t, store, "app", "expired", t0.Add(time.Hour))
	seedSecret(t, store, "app", "renewed", t0.Add(time.Hour))
	seedSecret(t, store, "app", "recent", t0.Add(150*time.Minute)) // expired 30m ago, within retention
	seedSecret(t, store, "app", "live", time.Time{})
	seedSecret(t, store, "app", "later", t0.Add(10*time.Hour))
	seedSecret(t, store, "other", "expired", t0.Add(time.Hour)) // outside the namespace
	clock := newStepClock(t0.Add(3 * time.Hour))

	const addr = "secretstore_cleanup.app"
	cfg := ts.providerBlock("") + `
resource "secretstore_cleanup" "app" {
  namespace                = "app"
  expired_secret_retention = "1h"
}
`
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(clock.Now),
		Steps: []resource.TestStep{
			{
				// Create counts only; the post-apply plan shows 2 -> 0.
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
					plancheck.ExpectUnknownValue(addr, tfjsonpath.New("purgeable_secrets")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact("app")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("purgeable_secrets"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("purgeable_revisions"), knownvalue.Int64Exact(0)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("purgeable_events"), knownvalue.Int64Exact(0)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("last_purged_at"), knownvalue.Null()),
				},
				Check: checkAll(
					func() error { return checkKept(store, "app", "expired") },
					func() error { return checkKept(store, "app", "renewed") },
				),
				ExpectNonEmptyPlan: true,
			},
			{
				// The plan shows 2 -> 0; "renewed" gets a later expiry after
				// the plan is saved and must survive the apply.
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("purgeable_secrets"), knownvalue.Int64Exact(0)),
					plancheck.ExpectUnknownValue(addr, tfjsonpath.New("last_purged_at")),
					betweenPlanAndApply(func() error {
						_, err := store.Put(context.Background(), backend.PutInput{
							Namespace: "app", Name: "renewed",
							Expiry: backend.Expiry{Set: true, At: t0.Add(24 * time.Hour)},
						})
						return err
					}),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("purgeable_secrets"), knownvalue.Int64Exact(0)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("last_purged_at"),
						knownvalue.StringExact(t0.Add(3*time.Hour).Format(time.RFC3339))),
				},
				Check: checkAll(
					func() error { return checkGone(store, "app", "expired") },
					func() error { return checkReadable(store, "app", "renewed") },
					func() error { return checkKept(store, "app", "recent") },
					func() error { return checkReadable(store, "app", "live") },
					func() error { return checkReadable(store, "app", "later") },
					func() error { return checkKept(store, "other", "expired") },
					func() error {
						reason, err := deletedEventReason(store, "app", "expired")
						if err != nil {
							return err
						}
						if reason != backend.ReasonExpiredCleanup {
							return errors.New("deleted event of app/expired has reason " + reason + ", want " + backend.ReasonExpiredCleanup)
						}
						return nil
					},
				),
			},
			{
				// Nothing left to purge: the refreshed plan is empty.
				Config:   cfg,
				PlanOnly: true,
			},
		},
	})
}

func TestCleanupResource_deletedSecretsAndRevisions(t *testing.T) {
	ts := newTestStore(t)
	store := ts.open(t)
	ctx := context.Background()
	t0 := time.Now().UTC().Truncate(time.Second)
	seedKeyVersion(t, store)
	seedSecret(t, store, "rev", "a", time.Time{})
	if _, err := store.Put(ctx, backend.PutInput{Namespace: "rev", Name: "a", Value: []byte("seed-a")}); err != nil {
		t.Fatal(err)
	}
	seedSecret(t, store, "rev", "single", time.Time{})
	seedSecret(t, store, "del", "gone", time.Time{})
	if err := store.Delete(ctx, backend.DeleteInput{Namespace: "del", Name: "gone"}); err != nil {
		t.Fatal(err)
	}
	seedSecret(t, store, "del", "kept", time.Time{})
	clock := newStepClock(t0.Add(48 * time.Hour))

	cfg := ts.providerBlock("") + `
resource "secretstore_cleanup" "rev" {
  namespace          = "rev"
  revision_retention = "24h"
}
resource "secretstore_cleanup" "del" {
  namespace                = "del"
  deleted_secret_retention = "24h"
}
`
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(clock.Now),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("secretstore_cleanup.rev", tfjsonpath.New("purgeable_revisions"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue("secretstore_cleanup.rev", tfjsonpath.New("purgeable_secrets"), knownvalue.Int64Exact(0)),
					statecheck.ExpectKnownValue("secretstore_cleanup.del", tfjsonpath.New("purgeable_secrets"), knownvalue.Int64Exact(1)),
				},
				ExpectNonEmptyPlan: true,
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("secretstore_cleanup.rev", plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("secretstore_cleanup.del", plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue("secretstore_cleanup.rev", tfjsonpath.New("purgeable_revisions"), knownvalue.Int64Exact(0)),
					plancheck.ExpectKnownValue("secretstore_cleanup.del", tfjsonpath.New("purgeable_secrets"), knownvalue.Int64Exact(0)),
				}},
				Check: checkAll(
					func() error {
						// The superseded revision is gone, the current one is not.
						if _, err := store.Get(ctx, "rev", "a", backend.GetOptions{Revision: 1}); !errors.Is(err, backend.ErrNotFound) {
							return errors.New("rev/a revision 1: want not_found after purge, got " + errString(err))
						}
						return checkReadable(store, "rev", "a")
					},
					func() error { return checkReadable(store, "rev", "single") },
					func() error { return checkReadable(store, "del", "kept") },
					func() error {
						reason, err := deletedEventReason(store, "del", "gone")
						if err != nil {
							return err
						}
						if reason != backend.ReasonDeletedCleanup {
							return errors.New("last deleted event of del/gone has reason " + reason + ", want " + backend.ReasonDeletedCleanup)
						}
						return nil
					},
				),
			},
			{Config: cfg, PlanOnly: true},
		},
	})
}

func TestCleanupResource_nothingReadableIsPurged(t *testing.T) {
	ts := newTestStore(t)
	store := ts.open(t)
	t0 := time.Now().UTC().Truncate(time.Second)
	seedKeyVersion(t, store)
	seedSecret(t, store, "keep", "forever", time.Time{})
	seedSecret(t, store, "keep", "soon", t0.Add(5*time.Hour))
	clock := newStepClock(t0.Add(4 * time.Hour))
	const addr = "secretstore_cleanup.keep"

	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(clock.Now),
		Steps: []resource.TestStep{{
			// Zero retentions: everything that qualifies goes at once, and
			// nothing here qualifies, so the post-apply plan is empty.
			Config: ts.providerBlock("") + `
resource "secretstore_cleanup" "keep" {
  expired_secret_retention = "0s"
  deleted_secret_retention = "0s"
  revision_retention       = "0s"
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact("*")),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("purgeable_secrets"), knownvalue.Int64Exact(0)),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("purgeable_revisions"), knownvalue.Int64Exact(0)),
				statecheck.ExpectKnownValue(addr, tfjsonpath.New("purgeable_events"), knownvalue.Int64Exact(0)),
			},
			Check: checkAll(
				func() error { return checkReadable(store, "keep", "forever") },
				func() error { return checkReadable(store, "keep", "soon") },
			),
		}},
	})
}

func TestCleanupResource_auditEvents(t *testing.T) {
	ts := newTestStore(t)
	store := ts.open(t)
	ctx := context.Background()
	t0 := time.Now().UTC().Truncate(time.Second)
	seedKeyVersion(t, store)
	seedSecret(t, store, "app", "a", time.Time{})
	seedSecret(t, store, "app", "b", time.Time{})
	before, err := store.ListEvents(ctx, backend.EventFilter{Limit: backend.MaxEventLimit})
	if err != nil {
		t.Fatal(err)
	}
	n := len(before.Events)
	if n < 3 {
		t.Fatalf("seeding wrote %d audit events, want at least 3", n)
	}
	clock := newStepClock(t0.Add(48 * time.Hour))
	const addr = "secretstore_cleanup.audit"
	cfg := ts.providerBlock("") + `
resource "secretstore_cleanup" "audit" {
  audit_event_retention = "24h"
}
`
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(clock.Now),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("purgeable_events"), knownvalue.Int64Exact(int64(n))),
				},
				ExpectNonEmptyPlan: true,
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("purgeable_events"), knownvalue.Int64Exact(0)),
				}},
				Check: func(*terraform.State) error {
					page, err := store.ListEvents(ctx, backend.EventFilter{Limit: backend.MaxEventLimit})
					if err != nil {
						return err
					}
					if len(page.Events) != 1 {
						return errors.New("after the audit purge the log holds " + strconv.Itoa(len(page.Events)) + " events, want exactly the purge event")
					}
					e := page.Events[0]
					if e.Operation != backend.OpPurged || e.Reason != backend.ReasonAuditCleanup || e.Metadata["count"] != strconv.Itoa(n) {
						return errors.New("purge event: operation " + e.Operation + ", reason " + e.Reason + ", count " +
							e.Metadata["count"] + "; want " + backend.OpPurged + ", " + backend.ReasonAuditCleanup + ", " + strconv.Itoa(n))
					}
					return checkReadable(store, "app", "a")
				},
			},
			{Config: cfg, PlanOnly: true},
		},
	})
}

func TestCleanupResource_settingsChangeMeasuresFirst(t *testing.T) {
	slowTest(t, "four terraform steps")
	ts := newTestStore(t)
	store := ts.open(t)
	t0 := time.Now().UTC().Truncate(time.Second)
	seedKeyVersion(t, store)
	seedSecret(t, store, "app", "expired", t0.Add(time.Hour))
	clock := newStepClock(t0.Add(3 * time.Hour))
	const addr = "secretstore_cleanup.app"
	cfg := func(retention string) string {
		return ts.providerBlock("") + `
resource "secretstore_cleanup" "app" {
  expired_secret_retention = "` + retention + `"
}
`
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(clock.Now),
		Steps: []resource.TestStep{
			{
				Config: cfg("48h"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("purgeable_secrets"), knownvalue.Int64Exact(0)),
				},
			},
			{
				// Tightening the retention counts under the new setting but
				// purges nothing in the same apply.
				Config: cfg("1h"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(addr, tfjsonpath.New("purgeable_secrets")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("purgeable_secrets"), knownvalue.Int64Exact(1)),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("last_purged_at"), knownvalue.Null()),
				},
				Check:              checkAll(func() error { return checkKept(store, "app", "expired") }),
				ExpectNonEmptyPlan: true,
			},
			{
				Config: cfg("1h"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("purgeable_secrets"), knownvalue.Int64Exact(0)),
				}},
				Check: checkAll(func() error { return checkGone(store, "app", "expired") }),
			},
			{
				// Destroying the resource purges nothing.
				PreConfig: func() { seedSecret(t, store, "app", "late", t0.Add(time.Hour)) },
				Config:    ts.providerBlock(""),
				Check:     checkAll(func() error { return checkKept(store, "app", "late") }),
			},
		},
	})
}

func TestCleanupResource_validation(t *testing.T) {
	ts := newTestStore(t)
	step := func(body string, want string) resource.TestStep {
		return resource.TestStep{
			Config:      ts.providerBlock("") + "resource \"secretstore_cleanup\" \"c\" {\n" + body + "\n}\n",
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(want),
		}
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			step(`expired_secret_retention = "30d"`, `(?s)Invalid retention.*"30d" is not a valid retention: it is not a\s+duration.*720h`),
			step(`revision_retention = "-1h"`, `(?s)Invalid retention.*"-1h" is not a valid retention: it is negative`),
			step(`audit_event_retention = "soon"`, `(?s)Invalid retention.*audit_event_retention = "soon".*it is not a duration`),
			step(`namespace = "app"`, `(?s)No retention configured.*expired_secret_retention`),
		},
	})
}

func TestCleanupResource_namespaceNotAllowed(t *testing.T) {
	ts := newTestStore(t)
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{{
			Config: ts.providerBlock(`  allowed_namespaces = ["*:production"]`) + `
resource "secretstore_cleanup" "c" {
  namespace                = "app:staging"
  expired_secret_retention = "24h"
}
`,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Namespace not allowed.*app:staging`),
		}},
	})
}
