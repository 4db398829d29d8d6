// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

// expectChange is a plan check that the planned change of a resource takes
// attribute attr from before to after (values compared as printed).
type expectChange struct {
	addr, attr    string
	before, after string
}

func (e expectChange) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Address != e.addr {
			continue
		}
		b, _ := rc.Change.Before.(map[string]any)
		a, _ := rc.Change.After.(map[string]any)
		gotBefore, gotAfter := fmt.Sprint(b[e.attr]), fmt.Sprint(a[e.attr])
		if gotBefore != e.before || gotAfter != e.after {
			resp.Error = fmt.Errorf("%s.%s: planned %s -> %s, want %s -> %s", e.addr, e.attr, gotBefore, gotAfter, e.before, e.after)
		}
		return
	}
	resp.Error = fmt.Errorf("%s: not in the plan", e.addr)
}

// expectRefreshChange is a plan check that refresh found attr of addr
// changed outside Terraform to want (a refresh change, listed in the
// plan's resource_drift rather than as a planned action).
type expectRefreshChange struct {
	addr, attr, want string
}

func (e expectRefreshChange) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	for _, rc := range req.Plan.ResourceDrift {
		if rc.Address != e.addr {
			continue
		}
		a, _ := rc.Change.After.(map[string]any)
		if got := fmt.Sprint(a[e.attr]); got != e.want {
			resp.Error = fmt.Errorf("%s.%s after refresh: %s, want %s", e.addr, e.attr, got, e.want)
		}
		return
	}
	resp.Error = fmt.Errorf("%s: no refresh change found", e.addr)
}

// rotationSecrets are four secrets in two namespaces, written with value
// and value_wo, depending on the key versions in deps (an HCL list), so
// that a destroy tombstones them before it retires a version.
func rotationSecrets(deps string) string {
	return fmt.Sprintf(`
resource "secretstore_secret" "a1" {
  namespace  = "rot:a"
  name       = "one"
  value      = "alpha-one"
  depends_on = %[1]s
}
resource "secretstore_secret" "a2" {
  namespace  = "rot:a"
  name       = "two"
  value      = "alpha-two"
  depends_on = %[1]s
}
resource "secretstore_secret" "b1" {
  namespace        = "rot:b"
  name             = "one"
  value_wo         = "beta-one"
  value_wo_version = 1
  depends_on       = %[1]s
}
resource "secretstore_secret" "b2" {
  namespace        = "rot:b"
  name             = "two"
  value_wo         = "beta-two"
  value_wo_version = 1
  depends_on       = %[1]s
}
`, deps)
}

const (
	depsV1   = "[secretstore_key_version.v1]"
	depsV1V2 = "[secretstore_key_version.v1, secretstore_key_version.v2]"
	depsV2   = "[secretstore_key_version.v2]"
)

var rotationSecretAddrs = []string{
	"secretstore_secret.a1", "secretstore_secret.a2", "secretstore_secret.b1", "secretstore_secret.b2",
}

// rotationValues are the values of rotationSecrets by namespace/name.
var rotationValues = map[[2]string]string{
	{"rot:a", "one"}: "alpha-one", {"rot:a", "two"}: "alpha-two",
	{"rot:b", "one"}: "beta-one", {"rot:b", "two"}: "beta-two",
}

// checkRotationSecrets fails unless every secret reads its value and its
// current revision is under key version kv.
func checkRotationSecrets(s backend.StoreAPI, kv int) error {
	for id, want := range rotationValues {
		sec, err := s.Get(context.Background(), id[0], id[1], backend.GetOptions{})
		if err != nil {
			return fmt.Errorf("%s/%s unreadable: %w", id[0], id[1], err)
		}
		if string(sec.Value) != want {
			return fmt.Errorf("%s/%s reads a different value after rotation", id[0], id[1])
		}
		if sec.KeyVersion != kv {
			return fmt.Errorf("%s/%s is under key version %d, want %d", id[0], id[1], sec.KeyVersion, kv)
		}
	}
	return nil
}

func noopSecrets() []plancheck.PlanCheck {
	var checks []plancheck.PlanCheck
	for _, a := range rotationSecretAddrs {
		checks = append(checks, plancheck.ExpectResourceAction(a, plancheck.ResourceActionNoop))
	}
	return checks
}

// TestRotation_workflow: add version 2 next to version 1, the plan shows
// the rewrap, apply rewraps, secrets read as version 2 on refresh, then
// version 1 can be removed.
func TestRotation_workflow(t *testing.T) {
	slowTest(t, "five terraform steps through a rotation")
	ts := newTestStore(t)
	store := ts.open(t)
	v1 := ts.providerBlock("") + kvBlocks(1) + rotationSecrets(depsV1)
	v1v2 := ts.providerBlock("") + kvBlocks(1, 2) + rotationSecrets(depsV1V2)
	v2only := ts.providerBlock("") + kvBlocks(2) + rotationSecrets(depsV2)
	const kv1, kv2 = "secretstore_key_version.v1", "secretstore_key_version.v2"

	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{
				Config: v1,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(kv1, tfjsonpath.New("pending_rewrap"), knownvalue.Int64Exact(0)),
					statecheck.ExpectKnownValue(kv1, tfjsonpath.New("rewrap"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(kv1, tfjsonpath.New("root_key_current"), knownvalue.Bool(true)),
				},
			},
			{
				// Adding version 2 makes it primary; it counts the four
				// secrets under version 1 and rewraps nothing yet.
				Config: v1v2,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: append(noopSecrets(),
					plancheck.ExpectResourceAction(kv2, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(kv2, tfjsonpath.New("root_key_current"), knownvalue.Bool(true)),
				)},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(kv2, tfjsonpath.New("primary"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(kv2, tfjsonpath.New("pending_rewrap"), knownvalue.Int64Exact(4)),
				},
				Check:              checkAll(func() error { return checkRotationSecrets(store, 1) }),
				ExpectNonEmptyPlan: true,
			},
			{
				// The plan shows pending_rewrap 4 -> 0 on version 2 and
				// nothing for the secrets; apply rewraps.
				Config: v1v2,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: append(noopSecrets(),
						plancheck.ExpectResourceAction(kv2, plancheck.ResourceActionUpdate),
						plancheck.ExpectResourceAction(kv1, plancheck.ResourceActionNoop),
						expectChange{addr: kv2, attr: "pending_rewrap", before: "4", after: "0"},
					),
					// After the apply, refresh sees each secret under version
					// 2: a refresh change, not a planned update.
					PostApplyPostRefresh: append(noopSecrets(),
						plancheck.ExpectEmptyPlan(),
						expectRefreshChange{addr: "secretstore_secret.a1", attr: "key_version", want: "2"},
						expectRefreshChange{addr: "secretstore_secret.b2", attr: "key_version", want: "2"},
					),
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(kv2, tfjsonpath.New("pending_rewrap"), knownvalue.Int64Exact(0)),
				},
				Check: checkAll(
					func() error { return checkRotationSecrets(store, 2) },
					func() error {
						page, err := store.ListEvents(context.Background(), backend.EventFilter{
							Operations: []string{backend.OpRotated}, Limit: backend.MaxEventLimit,
						})
						if err != nil {
							return err
						}
						if len(page.Events) != 4 {
							return fmt.Errorf("%d rotated audit events, want one per secret (4)", len(page.Events))
						}
						return nil
					},
				),
			},
			{
				// Refreshed state: every secret records key version 2, and
				// version 1 no longer wraps any.
				Config: v1v2,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("secretstore_secret.a1", tfjsonpath.New("key_version"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue("secretstore_secret.a2", tfjsonpath.New("key_version"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue("secretstore_secret.b1", tfjsonpath.New("key_version"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue("secretstore_secret.b2", tfjsonpath.New("key_version"), knownvalue.Int64Exact(2)),
					statecheck.ExpectKnownValue(kv1, tfjsonpath.New("secrets"), knownvalue.Int64Exact(0)),
					statecheck.ExpectKnownValue(kv2, tfjsonpath.New("secrets"), knownvalue.Int64Exact(4)),
				},
			},
			{
				// Version 1 wraps nothing any more: its destroy succeeds.
				Config: v2only,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: append(noopSecrets(),
					plancheck.ExpectResourceAction(kv1, plancheck.ResourceActionDestroy),
				)},
				Check: checkAll(
					func() error { return checkRotationSecrets(store, 2) },
					func() error {
						kvs, err := store.KeyVersions(context.Background())
						if err != nil {
							return err
						}
						for _, kv := range kvs {
							if kv.Version == 1 && !kv.Retired {
								return errors.New("key version 1 is not retired after its destroy")
							}
						}
						return nil
					},
				),
			},
		},
	})
}

// TestRotation_removeBeforeRotationRefused: removing version 1 while it
// still wraps secrets is refused, and nothing is lost.
func TestRotation_removeBeforeRotationRefused(t *testing.T) {
	slowTest(t, "four terraform steps through a rotation")
	ts := newTestStore(t)
	store := ts.open(t)
	v1 := ts.providerBlock("") + kvBlocks(1) + rotationSecrets(depsV1)
	// Version 2 replaces version 1 in the same change.
	v2only := ts.providerBlock("") + kvBlocks(2) + rotationSecrets(depsV2)

	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{Config: v1},
			{
				Config:      v2only,
				ExpectError: wrappedRe(`Key version in use.*Key version 1 still wraps the current revision of 4 secret\(s\)`),
			},
			{
				// Nothing was lost; rotating first makes the removal work.
				Config: ts.providerBlock("") + kvBlocks(1, 2) + rotationSecrets(depsV1V2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectChange{addr: "secretstore_key_version.v2", attr: "pending_rewrap", before: "4", after: "0"},
				}},
				Check: checkAll(func() error { return checkRotationSecrets(store, 2) }),
			},
			{Config: v2only},
		},
	})
}

// TestRotation_interrupted: a rotation stopped part-way leaves every secret
// readable, and the next plan shows only the remainder. The store rotates in
// committed chunks of 64 secrets, so the test adds enough secrets outside
// Terraform for the interruption to fall between chunks.
func TestRotation_interrupted(t *testing.T) {
	slowTest(t, "five terraform steps over 134 secrets, one rotation interrupted")
	ts := newTestStore(t)
	store := ts.open(t)
	const extra = 130 // written directly, under version 1
	const total = extra + 4
	base := ts.providerBlock("") + kvBlocks(1) + rotationSecrets(depsV1)
	const kv2 = "secretstore_key_version.v2"
	withV2 := func(rewrap bool) string {
		return ts.providerBlock("") + kvBlocks(1) + rotationSecrets(depsV1V2) + fmt.Sprintf(`
resource "secretstore_key_version" "v2" {
  version = 2
  rewrap  = %t
}
`, rewrap)
	}
	var remaining int

	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{Config: base},
			{
				// rewrap = false: the work is counted but no plan schedules it.
				PreConfig: func() {
					for i := range extra {
						seedSecret(t, store, "rot:extra", fmt.Sprintf("s%03d", i), time.Time{})
					}
				},
				Config: withV2(false),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(kv2, tfjsonpath.New("pending_rewrap"), knownvalue.Int64Exact(total)),
				},
			},
			{
				Config:   withV2(false),
				PlanOnly: true,
			},
			{
				// Interrupt a rotation after its first rewrap, as a killed
				// process would: cancel its context from the progress hook.
				PreConfig: func() {
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					serial, err := backend.Open(ctx, backend.Options{BucketURL: ts.URL, RootKey: ts.RootKey, Actor: "test", Concurrency: 1})
					if err != nil {
						t.Fatal(err)
					}
					defer serial.Close()
					res, err := serial.Rotate(ctx, backend.RotateInput{Progress: func(p backend.RotateResult) {
						if p.Rotated >= 1 {
							cancel()
						}
					}})
					if err == nil || res.Rotated >= total {
						t.Fatalf("the interrupted rotation finished (%+v, error %v); it must stop part-way", res, err)
					}
					p, err := store.PlanRotate(context.Background(), backend.RotateInput{})
					if err != nil {
						t.Fatal(err)
					}
					remaining = p.Pending
					if remaining < 1 || remaining >= total || remaining != total-res.Rotated {
						t.Fatalf("after the interruption %d secrets remain under version 1 (%d rotated), want between 1 and %d and the two to add up",
							remaining, res.Rotated, total-1)
					}
					if err := checkSecretsReadable(store); err != nil {
						t.Fatal(err)
					}
				},
				Config: withV2(true),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: append(noopSecrets(),
					plancheck.ExpectResourceAction(kv2, plancheck.ResourceActionUpdate),
					planCheckFunc(func(req plancheck.CheckPlanRequest) error {
						return expectChange{addr: kv2, attr: "pending_rewrap", before: fmt.Sprint(remaining), after: "0"}.check(req)
					}),
				)},
				Check: checkAll(
					func() error { return checkRotationSecrets(store, 2) },
					func() error {
						p, err := store.PlanRotate(context.Background(), backend.RotateInput{})
						if err != nil {
							return err
						}
						if p.Pending != 0 || p.ByVersion[2] != total {
							return fmt.Errorf("after the resumed rotation: %d pending, %d under version 2; want 0 and %d", p.Pending, p.ByVersion[2], total)
						}
						return nil
					},
				),
			},
			{
				// Delete the secrets Terraform does not manage, so that the
				// final destroy can retire the key versions.
				PreConfig: func() {
					for i := range extra {
						if err := store.Delete(context.Background(), backend.DeleteInput{Namespace: "rot:extra", Name: fmt.Sprintf("s%03d", i)}); err != nil {
							t.Fatal(err)
						}
					}
				},
				Config: withV2(true),
			},
		},
	})
}

// kvBlocks returns secretstore_key_version blocks v<N> for the versions.
func kvBlocks(versions ...int) string {
	var b strings.Builder
	for _, v := range versions {
		fmt.Fprintf(&b, "\nresource \"secretstore_key_version\" \"v%d\" {\n  version = %d\n}\n", v, v)
	}
	return b.String()
}

// checkSecretsReadable fails unless every rotation secret reads its value.
func checkSecretsReadable(s backend.StoreAPI) error {
	for id, want := range rotationValues {
		sec, err := s.Get(context.Background(), id[0], id[1], backend.GetOptions{})
		if err != nil {
			return fmt.Errorf("%s/%s unreadable: %w", id[0], id[1], err)
		}
		if string(sec.Value) != want {
			return fmt.Errorf("%s/%s reads a different value", id[0], id[1])
		}
	}
	return nil
}

// planCheckFunc adapts a function to plancheck.PlanCheck, for checks whose
// expectation is only known once earlier steps ran.
type planCheckFunc func(plancheck.CheckPlanRequest) error

func (f planCheckFunc) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	resp.Error = f(req)
}

func (e expectChange) check(req plancheck.CheckPlanRequest) error {
	var resp plancheck.CheckPlanResponse
	e.CheckPlan(context.Background(), req, &resp)
	return resp.Error
}

// TestRotation_rootKey: after a root-key change with the old key in
// previous_root_keys, the plan shows root_key_current false -> true, apply
// rewraps the key version's material, and the old key can then be dropped.
func TestRotation_rootKey(t *testing.T) {
	slowTest(t, "four terraform steps through a root-key rotation")
	ts := newTestStore(t)
	oldKey := ts.RootKey
	rotated := ts
	rotated.RootKey = randomKey(t)
	resources := kvBlocks(1) + rotationSecrets(depsV1)
	const kv1 = "secretstore_key_version.v1"

	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{Config: ts.providerBlock("") + resources},
			{
				// The new root key alone cannot open the store.
				Config:      rotated.providerBlock("") + resources,
				PlanOnly:    true,
				ExpectError: wrappedRe(`Root key does not match the store`),
			},
			{
				Config: rotated.providerBlock(fmt.Sprintf("  previous_root_keys = [%q]", oldKey)) + resources,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: append(noopSecrets(),
					plancheck.ExpectResourceAction(kv1, plancheck.ResourceActionUpdate),
					expectChange{addr: kv1, attr: "root_key_current", before: "false", after: "true"},
					expectChange{addr: kv1, attr: "pending_rewrap", before: "0", after: "0"},
				)},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(kv1, tfjsonpath.New("root_key_current"), knownvalue.Bool(true)),
				},
			},
			{
				// The previous root key is no longer needed.
				Config: rotated.providerBlock("") + resources,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				Check: func(*terraform.State) error {
					return checkRotationSecrets(rotated.open(t), 1)
				},
			},
		},
	})
}
