resource "secretstore_key_version" "v1" {
  version = 1
}

# Preferred (Terraform >= 1.11): a write-only value never reaches state or
# plan files. Bump value_wo_version to store a new value.
variable "openai_api_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "secretstore_secret" "openai_api_key" {
  namespace        = "acme:production"
  name             = "openai-api-key"
  value_wo         = var.openai_api_key
  value_wo_version = 1

  # Metadata is stored in clear: never put secret material here.
  metadata = {
    owner = "platform-team"
    usage = "chat-completions"
  }

  ttl = "720h"

  min_key_version = secretstore_key_version.v1.version
}

# For Terraform older than 1.11: value is sensitive (hidden in plan output)
# but is stored in state, so protect the state backend accordingly.
variable "database_password" {
  type      = string
  sensitive = true
}

resource "secretstore_secret" "database_password" {
  namespace  = "acme:staging"
  name       = "database-password"
  value      = var.database_password
  expires_at = "2030-01-01T00:00:00Z"

  min_key_version = secretstore_key_version.v1.version
}
