// SPDX-License-Identifier: MPL-2.0

package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// TestAccAuditEventsDataSource_timeRange: a since or until outside the
// times the store records (1970 to 2262) fails the plan on that attribute,
// naming the accepted range and how to leave the bound open; it is never
// ignored.
func TestAccAuditEventsDataSource_timeRange(t *testing.T) {
	ts := newTestStore(t)
	const rangeWords = `1970-01-01T00:00:00Z to 2262-04-11T23:47:16Z`
	var steps []resource.TestStep
	for _, tc := range []struct{ body, want string }{
		{`since = "9999-12-31T23:59:59Z"`, `Time out of range.*since = "9999-12-31T23:59:59Z" is outside ` + rangeWords + `.*leave since unset`},
		{`until = "9999-12-31T23:59:59Z"`, `Time out of range.*until = "9999-12-31T23:59:59Z" is outside ` + rangeWords + `.*leave until unset`},
		{`since = "1600-01-01T00:00:00Z"`, `Time out of range.*since = "1600-01-01T00:00:00Z" is outside ` + rangeWords},
		{`until = "1969-12-31T23:59:59Z"`, `Time out of range.*until = "1969-12-31T23:59:59Z" is outside ` + rangeWords},
		{"since = \"1970-01-01T00:00:00Z\"\n  until = \"1970-01-01T00:00:00Z\"", `Empty time range`},
	} {
		steps = append(steps, resource.TestStep{Config: auditConfig(ts, "  "+tc.body), PlanOnly: true, ExpectError: wrappedRe(tc.want)})
	}
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviderFactories(nil),
		Steps:                    steps,
	})
}
