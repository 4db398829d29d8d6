# Bring a secret that is already in the store under this configuration, by
# "<namespace>/<name>". The plan shows the import and an update (the state
# has no value or value_wo_version yet); the apply compares the configured
# value_wo with the stored value and writes nothing when value, metadata and
# expiry already match.
import {
  to = secretstore_secret.openai_api_key
  id = "acme:production/openai-api-key"
}
