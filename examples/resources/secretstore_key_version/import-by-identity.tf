# Terraform 1.12 and later: import by identity in an import block.
import {
  to = secretstore_key_version.v1
  identity = {
    version = 1
  }
}
