// SPDX-License-Identifier: MPL-2.0

// Command terraform-provider-secretstore serves the secretstore Terraform
// provider over plugin protocol 6.
package main

import (
	"context"
	"flag"
	"log"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/secretstore/terraform-provider-secretstore/internal/provider"
)

// version is set by the release build (goreleaser ldflags).
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "set to true to run the provider with support for debuggers like delve")
	flag.Parse()
	quietLogsUnlessRequested()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/secretstore/secretstore",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}

// quietLogsUnlessRequested turns the plugin SDK's and the provider's log
// levels off when no TF_LOG* variable asks for logs. The SDK otherwise
// logs every step at TRACE; terraform parses each line only to discard it
// when TF_LOG is unset, which costs about a fifth of the CPU of a large
// plan or apply. Any TF_LOG* variable keeps the SDK defaults untouched.
func quietLogsUnlessRequested() {
	for _, kv := range os.Environ() {
		if len(kv) >= 6 && kv[:6] == "TF_LOG" {
			return
		}
	}
	for _, name := range []string{"TF_LOG_SDK", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_SDK_PROTO", "TF_LOG_PROVIDER"} {
		_ = os.Setenv(name, "OFF")
	}
}
