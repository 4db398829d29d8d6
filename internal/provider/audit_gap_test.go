// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// TestAccAuditEventsDataSource_gap: a read event deleted from the bucket
// (every object holding it, as a bucket writer without the keys would to
// hide a read) is reported as a gap in the audit log, naming the secret
// and the missing event, by every query that reads the events after it.
func TestAccAuditEventsDataSource_gap(t *testing.T) {
	ts := newTestStore(t)
	s := openSeedStore(t, ts, nil)
	ctx := context.Background()
	sec := mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "db", Value: []byte("v")})
	before := bucketFiles(t, ts.dir())
	if err := s.RecordRead(ctx, sec); err != nil {
		t.Fatal(err)
	}
	page, err := s.ListEvents(ctx, backend.EventFilter{Namespace: "app:production", Name: "db", Operations: []string{backend.OpRead}})
	if err != nil || len(page.Events) != 1 {
		t.Fatalf("listing the read event: %v %v", page.Events, err)
	}
	id := page.Events[0].ID
	created := createdFiles(before, bucketFiles(t, ts.dir()))
	if len(created) < 3 {
		t.Fatalf("the read event is stored in %d object(s) %v; want the per-secret, namespace and operation entries", len(created), created)
	}
	mustPut(t, s, backend.PutInput{Namespace: "app:production", Name: "db", Value: []byte("w")})
	for _, f := range created {
		if err := os.Remove(filepath.Join(ts.dir(), filepath.FromSlash(f))); err != nil {
			t.Fatal(err)
		}
	}

	want := diagRegexp("Audit log has a gap", `the events of secret "app:production/db"`, "audit event "+id+" (read,")
	var steps []resource.TestStep
	for _, filter := range []string{
		`  namespace = "app:production"` + "\n" + `  name = "db"`,
		`  namespace = "app:production"` + "\n" + `  name = "db"` + "\n" + `  operations = ["updated"]`,
		`  namespace = "app:production"`,
		``,
	} {
		steps = append(steps, resource.TestStep{Config: auditConfig(ts, filter), ExpectError: want})
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps:                    steps,
	})
}
