// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
)

// auditHistory is a store history written at known times, one hour apart,
// by actor "seeder".
type auditHistory struct {
	t0 time.Time
	// dbRevisionAt maps the hour offsets of app:production/db's writes to
	// the revision written.
	dbRevisionAt map[int]int64
}

func (h auditHistory) at(hours int) time.Time { return h.t0.Add(time.Duration(hours) * time.Hour) }

// seedAuditHistory writes, at t0 + N hours:
//
//	0 key_version_created 1
//	1 created app:production/db (revision 1)
//	2 created app:production/api
//	3 created other:production/db
//	4 updated app:production/db (2)
//	5 read    app:production/db (2)
//	6 updated app:production/db (3)
//	7 deleted app:production/api
//	8 updated app:production/db (4)
func seedAuditHistory(t *testing.T, ts testStore) auditHistory {
	t.Helper()
	h := auditHistory{t0: time.Date(2025, 1, 31, 22, 0, 0, 0, time.UTC), dbRevisionAt: map[int]int64{}}
	clock := newStepClock(h.t0)
	s := openSeedStore(t, ts, clock.Now) // key version 1 at hour 0
	ctx := context.Background()
	put := func(ns, name string, hour int) backend.Secret {
		clock.Advance(h.at(hour).Sub(clock.Now()))
		sec := mustPut(t, s, backend.PutInput{Namespace: ns, Name: name, Value: []byte(fmt.Sprintf("v%d", hour))})
		if ns == "app:production" && name == "db" {
			h.dbRevisionAt[hour] = sec.Revision
		}
		return sec
	}
	put("app:production", "db", 1)
	put("app:production", "api", 2)
	put("other:production", "db", 3)
	read := put("app:production", "db", 4)
	clock.Advance(time.Hour)
	if err := s.RecordRead(ctx, read); err != nil {
		t.Fatalf("recording a read: %v", err)
	}
	put("app:production", "db", 6)
	clock.Advance(time.Hour)
	if err := s.Delete(ctx, backend.DeleteInput{Namespace: "app:production", Name: "api"}); err != nil {
		t.Fatalf("deleting app:production/api: %v", err)
	}
	put("app:production", "db", 8)
	return h
}

func auditConfig(ts testStore, body string) string {
	return ts.providerBlock("") + fmt.Sprintf(`
data "secretstore_audit_events" "e" {
%s
}
`, body)
}

// wantEvent is one expected event; a zero revision or namespace expects null.
type wantEvent struct {
	op        string
	time      time.Time
	namespace string
	name      string
	revision  int64
}

var nonEmpty = regexp.MustCompile(`.`)

// expectEvents expects exactly these events, in this order, each by actor
// "seeder".
func expectEvents(want ...wantEvent) statecheck.StateCheck {
	elems := make([]knownvalue.Check, len(want))
	for i, w := range want {
		var rev knownvalue.Check = knownvalue.Null()
		if w.revision > 0 {
			rev = knownvalue.Int64Exact(w.revision)
		}
		var ns, name knownvalue.Check = knownvalue.Null(), knownvalue.Null()
		if w.namespace != "" {
			ns, name = knownvalue.StringExact(w.namespace), knownvalue.StringExact(w.name)
		}
		elems[i] = knownvalue.ObjectPartial(map[string]knownvalue.Check{
			"id":        knownvalue.StringRegexp(nonEmpty),
			"operation": knownvalue.StringExact(w.op),
			"time":      knownvalue.StringExact(rfc3339(w.time)),
			"namespace": ns,
			"name":      name,
			"revision":  rev,
			"actor":     knownvalue.StringExact("seeder"),
		})
	}
	return statecheck.ExpectKnownValue("data.secretstore_audit_events.e", tfjsonpath.New("events"), knownvalue.ListExact(elems))
}

func TestAccAuditEventsDataSource_filters(t *testing.T) {
	slowTest(t, "seven terraform steps")
	ts := newTestStore(t)
	h := seedAuditHistory(t, ts)
	db := func(op string, hour int) wantEvent {
		return wantEvent{op: op, time: h.at(hour), namespace: "app:production", name: "db", revision: h.dbRevisionAt[hour]}
	}
	read := db(backend.OpRead, 5)
	read.revision = h.dbRevisionAt[4]
	attr := func(name string) tfjsonpath.Path { return tfjsonpath.New(name) }

	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps: []resource.TestStep{
			{
				// Every filter at once; until is exclusive, so hour 8 is out.
				Config: auditConfig(ts, fmt.Sprintf(`
  namespace  = "app:production"
  name       = "db"
  operations = ["updated", "read"]
  since      = %q
  until      = %q`, rfc3339(h.at(4)), rfc3339(h.at(8)))),
				ConfigStateChecks: []statecheck.StateCheck{
					expectEvents(db(backend.OpUpdated, 6), read, db(backend.OpUpdated, 4)),
					statecheck.ExpectKnownValue("data.secretstore_audit_events.e", attr("order"), knownvalue.StringExact("desc")),
					statecheck.ExpectKnownValue("data.secretstore_audit_events.e", attr("limit"), knownvalue.Int64Exact(100)),
				},
			},
			{
				// The same, oldest first; since is inclusive.
				Config: auditConfig(ts, fmt.Sprintf(`
  namespace  = "app:production"
  name       = "db"
  operations = ["updated", "read"]
  since      = %q
  until      = %q
  order      = "asc"`, rfc3339(h.at(4)), rfc3339(h.at(8)))),
				ConfigStateChecks: []statecheck.StateCheck{
					expectEvents(db(backend.OpUpdated, 4), read, db(backend.OpUpdated, 6)),
				},
			},
			{
				// limit keeps the newest matching events in desc order...
				Config: auditConfig(ts, `
  namespace  = "app:production"
  name       = "db"
  operations = ["created", "updated"]
  limit      = 2`),
				ConfigStateChecks: []statecheck.StateCheck{
					expectEvents(db(backend.OpUpdated, 8), db(backend.OpUpdated, 6)),
				},
			},
			{
				// ... and the oldest in asc order.
				Config: auditConfig(ts, `
  namespace  = "app:production"
  name       = "db"
  operations = ["created", "updated"]
  order      = "asc"
  limit      = 2`),
				ConfigStateChecks: []statecheck.StateCheck{
					expectEvents(db(backend.OpCreated, 1), db(backend.OpUpdated, 4)),
				},
			},
			{
				// A namespace without name: other secrets of it, not other namespaces.
				Config: auditConfig(ts, fmt.Sprintf(`
  namespace  = "app:production"
  operations = ["created", "deleted"]
  until      = %q
  order      = "asc"`, rfc3339(h.at(8)))),
				ConfigStateChecks: []statecheck.StateCheck{
					expectEvents(
						db(backend.OpCreated, 1),
						wantEvent{op: backend.OpCreated, time: h.at(2), namespace: "app:production", name: "api", revision: 1},
						wantEvent{op: backend.OpDeleted, time: h.at(7), namespace: "app:production", name: "api", revision: 2},
					),
				},
			},
			{
				// Operations alone, across namespaces, in a time range.
				Config: auditConfig(ts, fmt.Sprintf(`
  operations = ["created", "key_version_created"]
  since      = %q
  until      = %q
  order      = "asc"`, rfc3339(h.at(0)), rfc3339(h.at(3).Add(time.Second)))),
				ConfigStateChecks: []statecheck.StateCheck{
					expectEvents(
						wantEvent{op: backend.OpKeyVersionCreated, time: h.at(0)},
						db(backend.OpCreated, 1),
						wantEvent{op: backend.OpCreated, time: h.at(2), namespace: "app:production", name: "api", revision: 1},
						wantEvent{op: backend.OpCreated, time: h.at(3), namespace: "other:production", name: "db", revision: 1},
					),
				},
			},
			{
				// No filter: the whole log, newest first.
				Config: auditConfig(ts, `  limit = 1`),
				ConfigStateChecks: []statecheck.StateCheck{
					expectEvents(db(backend.OpUpdated, 8)),
				},
			},
		},
	})
}

func TestAccAuditEventsDataSource_validation(t *testing.T) {
	ts := newTestStore(t)
	steps := []resource.TestStep{}
	for _, tc := range []struct {
		body string
		want []string
	}{
		{`since = "yesterday"`, []string{"Invalid time", `"yesterday" is not an RFC 3339 time`}},
		{`until = "2025-01-31 10:00"`, []string{"Invalid time", "not an RFC 3339 time"}},
		{`
  since = "2025-02-01T00:00:00Z"
  until = "2025-01-01T00:00:00Z"`, []string{"Empty time range", "must be after since"}},
		{`order = "newest"`, []string{"order", `value must be one of: ["asc" "desc"]`}},
		{`limit = 1001`, []string{"limit", "must be between 1 and 1000"}},
		{`limit = 0`, []string{"limit", "must be between 1 and 1000"}},
		{`operations = ["written"]`, []string{"operations", "value must be one of"}},
		{`name = "db"`, []string{`Attribute "namespace" must be specified when "name" is specified`}},
	} {
		steps = append(steps, resource.TestStep{
			Config:      auditConfig(ts, "  "+tc.body),
			PlanOnly:    true,
			ExpectError: diagRegexp(tc.want...),
		})
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps:                    steps,
	})
}

// An altered audit event fails every query that reaches it with an error
// that names it; it is never returned as a row. The test rewrites the
// actor of a read event in each object that stores it (the per-secret
// object and the namespace and operation indexes), as a bucket writer
// without the keys would to hide who read a secret.
func TestAccAuditEventsDataSource_tampered(t *testing.T) {
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
	for _, f := range created {
		rewriteBucketFile(t, ts.dir(), f, func(b []byte) []byte {
			forged := bytes.ReplaceAll(b, []byte(`"actor":"seeder"`), []byte(`"actor":"nobody"`))
			if bytes.Equal(forged, b) {
				t.Fatalf("bucket object %s of the read event does not hold its actor in the expected form", f)
			}
			return forged
		})
	}
	if len(created) < 3 {
		t.Fatalf("the read event is stored in %d object(s) %v; want the per-secret, namespace and operation entries", len(created), created)
	}

	want := diagRegexp("Audit event failed its integrity check", "audit event "+id, "forged or altered")
	steps := []resource.TestStep{}
	for _, filter := range []string{
		`  namespace = "app:production"` + "\n" + `  name = "db"`,
		`  namespace = "app:production"`,
		`  operations = ["read"]`,
		``,
	} {
		steps = append(steps, resource.TestStep{Config: auditConfig(ts, filter), ExpectError: want})
	}
	// A query that does not reach the event still works.
	steps = append(steps, resource.TestStep{
		Config: auditConfig(ts, `  operations = ["created"]`),
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue("data.secretstore_audit_events.e", tfjsonpath.New("events"),
				knownvalue.ListSizeExact(1)),
		},
	})
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps:                    steps,
	})
}
