// SPDX-License-Identifier: MPL-2.0

// Package setupacc holds the provider's acceptance tests of the messages
// for the usual setup mistakes (a bucket URL without a bucket, an Azure
// URL without a storage account, a root key whose key service fails, a
// bucket endpoint that cannot read what it lists), through the real
// terraform binary. They live in a test binary of their own because the
// cloud SDKs read their endpoints and credentials from the process
// environment, once per process: its TestMain sets up the environment of
// each mistake, and points every SDK at loopback only.
package setupacc
