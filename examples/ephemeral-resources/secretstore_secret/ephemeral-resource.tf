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
