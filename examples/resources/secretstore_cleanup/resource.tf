# Purge everything past its retention, in every namespace. A scheduled
# `terraform plan` shows purgeable_secrets, purgeable_revisions and
# purgeable_events going to 0 when there is something to purge; apply purges.
resource "secretstore_cleanup" "all" {
  expired_secret_retention = "720h"  # keep expired secrets 30 days (renewable until then)
  deleted_secret_retention = "2160h" # deleted secrets are recoverable for 90 days
  revision_retention       = "720h"  # superseded revisions: 30 days of history
  audit_event_retention    = "8760h" # one year of audit log
}

# A tighter policy for one namespace only.
resource "secretstore_cleanup" "ci" {
  namespace                = "ci:staging"
  expired_secret_retention = "24h"
  revision_retention       = "0s"
}
