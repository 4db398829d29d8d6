# Terraform 1.12 and later: import by identity in an import block.
import {
  to = secretstore_secret.openai_api_key
  identity = {
    namespace = "acme:production"
    name      = "openai-api-key"
  }
}
