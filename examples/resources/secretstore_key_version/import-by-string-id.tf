# Bring a key version that is already in the store under this
# configuration, by its version number. Nothing is written.
import {
  to = secretstore_key_version.v1
  id = "1"
}
