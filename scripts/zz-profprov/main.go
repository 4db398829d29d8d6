package main

import (
	"context"
	"log"
	"os"
	"runtime/pprof"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/secretstore/terraform-provider-secretstore/internal/provider"
)

func main() {
	f, err := os.CreateTemp(os.Getenv("PROF_DIR"), "cpu-*.prof")
	if err != nil {
		log.Fatal(err)
	}
	pprof.StartCPUProfile(f)
	err = providerserver.Serve(context.Background(), provider.New("dev"), providerserver.ServeOpts{
		Address: "registry.terraform.io/secretstore/secretstore",
	})
	pprof.StopCPUProfile()
	f.Close()
	if err != nil {
		log.Fatal(err.Error())
	}
}
