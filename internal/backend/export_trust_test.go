// SPDX-License-Identifier: MPL-2.0

package backend

// SetAuditWriteFormat makes every store of the package write audit events
// in format v (1 or the current one) until the returned function restores
// it. Tests that call it must not run in parallel with other tests.
func SetAuditWriteFormat(v int) (restore func()) {
	old := auditWriteFormat
	auditWriteFormat = v
	return func() { auditWriteFormat = old }
}

// EventFormat is the audit event format this build writes.
const EventFormat = eventFormat

// Layout names the trust tests select faulted requests by.
const (
	PrefixProbe = prefixProbe
	PrefixWraps = prefixWraps
)
