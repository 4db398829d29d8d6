# Terraform 1.14 and later. Adding key version 2 rotates every secret to it
# in the same apply.
action "secretstore_rotate" "all" {}

resource "secretstore_key_version" "v2" {
  version = 2

  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.secretstore_rotate.all]
    }
  }
}

# On demand, one namespace:
#   terraform apply -invoke=action.secretstore_rotate.production
action "secretstore_rotate" "production" {
  config {
    namespace = "acme:production"
  }
}
