# SPDX-License-Identifier: MPL-2.0

# What the store holds, read back through the data sources after the
# secrets are written (depends_on defers the reads until then). Values are
# never listed.

data "secretstore_secrets" "production" {
  namespace  = "acme:production"
  depends_on = [secretstore_secret.payments_api_key, secretstore_secret.database_password]
}

data "secretstore_secrets" "staging" {
  namespace  = "acme:staging"
  depends_on = [secretstore_secret.staging_token]
}

data "secretstore_key_versions" "all" {
  depends_on = [
    secretstore_secret.payments_api_key,
    secretstore_secret.database_password,
    secretstore_secret.staging_token,
  ]
}

data "secretstore_audit_events" "trail" {
  order = "asc"
  limit = 50

  depends_on = [
    secretstore_key_version.v1,
    secretstore_secret.payments_api_key,
    secretstore_secret.database_password,
    secretstore_secret.staging_token,
  ]
}

locals {
  listings = {
    (data.secretstore_secrets.production.namespace) = data.secretstore_secrets.production.secrets
    (data.secretstore_secrets.staging.namespace)    = data.secretstore_secrets.staging.secrets
  }
}

output "secrets" {
  description = "Secrets in the store: namespace/name, revision, key version, state and metadata."
  value = join("\n", flatten([
    for ns, secrets in local.listings : [
      for s in secrets : format("%-38s revision %d  key version %d  %-7s %s",
      "${ns}/${s.name}", s.revision, s.key_version, s.state, jsonencode(s.metadata))
    ]
  ]))
}

output "key_versions" {
  description = "Key versions: primary flag, key check value and how many secrets each wraps."
  value = join("\n", [
    for k in data.secretstore_key_versions.all.key_versions :
    format("version %d  primary %-3s  check %s  secrets %d", k.version, k.primary ? "yes" : "no", k.check_value, k.secrets)
  ])
}

output "audit_trail" {
  description = "Audit events, oldest first."
  value = join("\n", [
    for e in data.secretstore_audit_events.trail.events :
    format("%s UTC  %-20s %-38s revision %s  key version %s  by %s",
      formatdate("YYYY-MM-DD hh:mm:ss", e.time), e.operation,
      e.name == null || e.name == "" ? "-" : "${e.namespace}/${e.name}",
      e.revision == null ? "-" : tostring(e.revision),
      e.key_version == null ? "-" : tostring(e.key_version),
    e.actor)
  ])
}
