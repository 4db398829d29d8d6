# Terraform 1.14 and later, in a .tfquery.hcl file. Find the secrets of a
# namespace written outside this configuration, and write an import block
# and a resource block for each:
#   terraform query -generate-config-out=imported.tf
# Then add the value to each generated resource (value_wo and
# value_wo_version, or value) and apply.
list "secretstore_secret" "production" {
  provider         = secretstore
  include_resource = true

  config {
    namespace   = "acme:production"
    name_prefix = "openai-"
  }
}
