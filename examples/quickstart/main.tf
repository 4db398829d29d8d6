# SPDX-License-Identifier: MPL-2.0

# Quickstart: one key version and three secrets in a local store.
#
# `make demo` builds the provider, points terraform at it with dev_overrides
# (no `terraform init` needed), sets SECRETSTORE_ROOT_KEY to a demo key kept
# in .demo-root-key, and applies this directory. The store is the default
# local directory, .secretstore, next to this file.

terraform {
  required_version = ">= 1.11"

  required_providers {
    secretstore = {
      source = "secretstore/secretstore"
    }
  }
}

provider "secretstore" {
  # url is unset: the store is ./.secretstore. The root key comes from
  # SECRETSTORE_ROOT_KEY.
  allowed_namespaces = ["acme:*"]
}

# Key version 1 wraps the data key of every value written below.
resource "secretstore_key_version" "v1" {
  version = 1
}

# Write-only values: the plaintext is encrypted by the provider and never
# stored in terraform.tfstate or in a plan file.
resource "secretstore_secret" "payments_api_key" {
  namespace        = "acme:production"
  name             = "payments-api-key"
  value_wo         = var.payments_api_key
  value_wo_version = 1

  metadata = {
    owner = "payments-team"
    url   = "https://api.payments.example"
  }

  min_key_version = secretstore_key_version.v1.version
}

resource "secretstore_secret" "database_password" {
  namespace        = "acme:production"
  name             = "database-password"
  value_wo         = var.database_password
  value_wo_version = 1
  ttl              = "720h"

  metadata = {
    owner = "platform-team"
  }

  min_key_version = secretstore_key_version.v1.version
}

# A plain (sensitive) value, as Terraform < 1.11 requires: encrypted in the
# store, but kept in terraform.tfstate.
resource "secretstore_secret" "staging_token" {
  namespace = "acme:staging"
  name      = "feature-flags-token"
  value     = var.staging_token

  metadata = {
    owner = "growth-team"
  }

  min_key_version = secretstore_key_version.v1.version
}
