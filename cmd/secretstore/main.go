// SPDX-License-Identifier: MPL-2.0

// Command secretstore reads and manages a secretstore store outside
// Terraform: see internal/cli, or run secretstore --help.
package main

import (
	"context"
	"os"

	"github.com/secretstore/terraform-provider-secretstore/internal/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args[1:], cli.IO{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Env: os.Environ(),
	}))
}
