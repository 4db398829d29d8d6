// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

func TestAccKeyVersionsDataSource(t *testing.T) {
	ts := newTestStore(t)
	s := openSeedStore(t, ts, nil) // version 1
	ctx := context.Background()
	mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "a", Value: []byte("a")})
	mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "b", Value: []byte("b")})
	if _, err := s.CreateKeyVersion(ctx, 2, nil); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "c", Value: []byte("c")})
	kvs, err := s.KeyVersions(ctx)
	if err != nil || len(kvs) != 2 {
		t.Fatalf("KeyVersions = %v, %v; want 2 versions", kvs, err)
	}
	byVersion := map[int]backend.KeyVersion{}
	for _, kv := range kvs {
		if kv.CheckValue == "" {
			t.Fatalf("key version %d has no check value", kv.Version)
		}
		byVersion[kv.Version] = kv
	}
	entry := func(version int, primary bool, secrets int64) knownvalue.Check {
		kv := byVersion[version]
		return knownvalue.ObjectExact(map[string]knownvalue.Check{
			"version":     knownvalue.Int64Exact(int64(version)),
			"primary":     knownvalue.Bool(primary),
			"check_value": knownvalue.StringExact(kv.CheckValue),
			"created_at":  knownvalue.StringExact(rfc3339(kv.CreatedAt)),
			"secrets":     knownvalue.Int64Exact(secrets),
		})
	}

	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{{
			Config: ts.providerBlock("") + `data "secretstore_key_versions" "all" {}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.secretstore_key_versions.all", tfjsonpath.New("key_versions"),
					knownvalue.ListExact([]knownvalue.Check{entry(1, false, 2), entry(2, true, 1)})),
			},
		}},
	})
}
