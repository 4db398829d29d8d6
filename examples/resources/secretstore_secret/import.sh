# Secrets are imported by "<namespace>/<name>".
terraform import secretstore_secret.openai_api_key acme:production/openai-api-key
