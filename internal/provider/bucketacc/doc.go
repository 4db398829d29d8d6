// SPDX-License-Identifier: MPL-2.0

// Package bucketacc holds the provider's acceptance tests on the bucket and
// key services of the buckets guide (S3, GCS, Azure Blob, AWS KMS), each on
// an emulator on loopback, through the real terraform binary. They live in
// a test binary of their own because the cloud SDKs read their endpoints
// and credentials from the process environment, which its TestMain points
// at the emulators for every test in it.
package bucketacc
