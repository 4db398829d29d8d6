# Read a secret without storing its value in state or plan files
# (Terraform 1.10 and later).
ephemeral "secretstore_secret" "db_password" {
  namespace = "payments:production"
  name      = "db-password"
}

# Feed it into a write-only argument (Terraform 1.11 and later): here a copy
# in another namespace, written without the value ever reaching state.
resource "secretstore_secret" "replica" {
  namespace        = "payments:dr"
  name             = "db-password"
  value_wo         = ephemeral.secretstore_secret.db_password.value
  value_wo_version = 1 # bump to copy the value again
}

# Or configure another provider with it.
ephemeral "secretstore_secret" "dr_root_key" {
  namespace = "platform:production"
  name      = "dr-store-root-key"
}

provider "secretstore" {
  alias    = "dr"
  url      = "s3://acme-secrets-dr?region=eu-west-1"
  root_key = ephemeral.secretstore_secret.dr_root_key.value
}

# Read back a secret this configuration writes: referencing its revision
# makes Terraform open the ephemeral resource only after the write (the
# revision is unknown until then), on the first apply too, and pins the read
# to the revision written. With namespace and name alone, the first plan
# would read a secret that does not exist yet and fail with not_found.
variable "api_token" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "secretstore_secret" "api_token" {
  namespace        = "payments:production"
  name             = "api-token"
  value_wo         = var.api_token
  value_wo_version = 1
}

ephemeral "secretstore_secret" "api_token" {
  namespace = secretstore_secret.api_token.namespace
  name      = secretstore_secret.api_token.name
  revision  = secretstore_secret.api_token.revision
}

resource "secretstore_secret" "api_token_dr" {
  namespace        = "payments:dr"
  name             = "api-token"
  value_wo         = ephemeral.secretstore_secret.api_token.value
  value_wo_version = secretstore_secret.api_token.value_wo_version
}
