// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

func TestAccSecretsDataSource(t *testing.T) {
	slowTest(t, "three terraform steps of listings")
	ts := newTestStore(t)
	start := time.Now().UTC().Truncate(time.Second)
	clock := newStepClock(start)
	s := openSeedStore(t, ts, nil)
	ctx := context.Background()
	mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "db-a", Value: []byte("a"),
		SetMetadata: true, Metadata: map[string]string{"owner": "payments"}})
	dbA := mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "db-a", Value: []byte("a2")})
	dbB := mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "db-b", Value: []byte("b"),
		Expiry: backend.Expiry{Set: true, At: start.Add(time.Hour)}})
	api := mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "api", Value: []byte("c")})
	mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "db-deleted", Value: []byte("d")})
	if err := s.Delete(ctx, backend.DeleteInput{Namespace: "app:production", Name: "db-deleted"}); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, backend.PutInput{Namespace: "other:production", Name: "db-c", Value: []byte("e")})

	entry := func(sec backend.Secret, state string, metadata map[string]knownvalue.Check) knownvalue.Check {
		var expires knownvalue.Check = knownvalue.Null()
		if !sec.ExpiresAt.IsZero() {
			expires = knownvalue.StringExact(rfc3339(sec.ExpiresAt))
		}
		return knownvalue.ObjectExact(map[string]knownvalue.Check{
			"name":        knownvalue.StringExact(sec.Name),
			"revision":    knownvalue.Int64Exact(sec.Revision),
			"key_version": knownvalue.Int64Exact(int64(sec.KeyVersion)),
			"metadata":    knownvalue.MapExact(metadata),
			"created_at":  knownvalue.StringExact(rfc3339(sec.CreatedAt)),
			"updated_at":  knownvalue.StringExact(rfc3339(sec.UpdatedAt)),
			"expires_at":  expires,
			"state":       knownvalue.StringExact(state),
		})
	}
	none := map[string]knownvalue.Check{}
	owner := map[string]knownvalue.Check{"owner": knownvalue.StringExact("payments")} // kept by the second write
	secrets := tfjsonpath.New("secrets")

	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(clock.Now),
		Steps: []resource.TestStep{
			{
				Config: ts.providerBlock("") + `data "secretstore_secrets" "l" { namespace = "app:production" }`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.secretstore_secrets.l", secrets, knownvalue.ListExact([]knownvalue.Check{
						entry(api, backend.StateActive, none),
						entry(dbA, backend.StateActive, owner),
						entry(dbB, backend.StateActive, none),
					})),
				},
			},
			{
				PreConfig: func() { clock.Advance(2 * time.Hour) },
				Config: ts.providerBlock("") + `
data "secretstore_secrets" "l" {
  namespace   = "app:production"
  name_prefix = "db-"
}`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.secretstore_secrets.l", secrets, knownvalue.ListExact([]knownvalue.Check{
						entry(dbA, backend.StateActive, owner),
						entry(dbB, backend.StateExpired, none),
					})),
				},
			},
			{
				Config: ts.providerBlock("") + `data "secretstore_secrets" "l" { namespace = "empty:production" }`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.secretstore_secrets.l", secrets, knownvalue.ListExact([]knownvalue.Check{})),
				},
			},
		},
	})
}
