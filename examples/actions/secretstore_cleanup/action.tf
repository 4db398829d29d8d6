# Terraform 1.14 and later. Purge now, for example from a nightly job:
#   terraform apply -invoke=action.secretstore_cleanup.nightly
action "secretstore_cleanup" "nightly" {
  config {
    expired_secret_retention = "720h"  # 30 days after expiry
    deleted_secret_retention = "720h"  # 30 days after destroy
    revision_retention       = "2160h" # 90 days after being superseded
    audit_event_retention    = "8760h" # one year
  }
}
