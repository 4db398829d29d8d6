# For Terraform older than 1.10 only: this data source stores the decrypted
# value in state. With Terraform 1.10 and later use the ephemeral resource
# `secretstore_secret` instead.
data "secretstore_secret" "api_key" {
  namespace = "openai:production"
  name      = "api-key"
}

output "api_key_revision" {
  value = data.secretstore_secret.api_key.revision
}

# A specific, possibly superseded, revision (until cleanup purges it).
data "secretstore_secret" "api_key_revision_3" {
  namespace = "openai:production"
  name      = "api-key"
  revision  = 3
}
