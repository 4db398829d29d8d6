package backend_test

import (
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// conformance is the conformance suite: every StoreAPI contract, one topic
// per test, each test on stores in buckets of its own. The topics live in
// the files named after them.
var conformance = []backendtest.ConformanceTest{
	{Name: "Open", Run: testOpen},
	{Name: "KeyVersions", Run: testKeyVersions},
	{Name: "RootKeyRotation", Run: testRootKeyRotation},
	{Name: "PutGet", Run: testPutGet},
	{Name: "Metadata", Run: testMetadata},
	{Name: "Expiry", Run: testExpiry},
	{Name: "Validation", Run: testValidation},
	{Name: "IfRevision", Run: testIfRevision},
	{Name: "ConcurrentPuts", Run: testConcurrentPuts},
	{Name: "Delete", Run: testDelete},
	{Name: "List", Run: testList},
	{Name: "ListingSiblings", Run: testListingSiblings},
	{Name: "Audit", Run: testAudit},
	{Name: "Rotate", Run: testRotate},
	{Name: "RotateConcurrentWriter", Run: testRotateConcurrentWriter},
	{Name: "Cleanup", Run: testCleanup},
	{Name: "CleanupScope", Run: testCleanupScope},
	{Name: "Tamper", Run: testTamper},
	{Name: "TamperEvents", Run: testTamperEvents},
	{Name: "KeyVersionUnavailable", Run: testKeyVersionUnavailable},
	{Name: "NoPlaintextInBucket", Run: testNoPlaintext},
}

// TestConformance runs the suite on mem://, file://, S3 (gofakes3) and, when
// SECRETSTORE_TEST_BUCKET_URL is set, on that bucket.
func TestConformance(t *testing.T) {
	t.Parallel()
	backendtest.RunConformanceTests(t, backendtest.TargetKinds(), conformance)
}
