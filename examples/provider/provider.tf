terraform {
  required_providers {
    secretstore = {
      source = "secretstore/secretstore"
    }
  }
}

# The root key comes from the environment: export SECRETSTORE_ROOT_KEY with
# a bare base64 32-byte key (`openssl rand -base64 32`) or a KMS keeper URL
# such as awskms://alias/secretstore?region=eu-west-1. Keep it out of the
# configuration, variables files and version control.
provider "secretstore" {
  # Any gocloud.dev bucket URL; without one, a .secretstore directory in the
  # working directory is used.
  url = "s3://acme-secretstore?region=eu-west-1"

  # Reads and writes outside these namespaces fail during plan.
  allowed_namespaces = ["acme:*"]

  # Secrets that set neither expires_at nor ttl expire after 90 days.
  default_ttl = "2160h"
}
