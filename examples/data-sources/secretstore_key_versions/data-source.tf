data "secretstore_key_versions" "all" {}

output "primary_key_version" {
  value = one([for kv in data.secretstore_key_versions.all.key_versions : kv.version if kv.primary])
}

# Key versions that no current secret uses any more (safe to remove after rotation).
output "unused_key_versions" {
  value = [for kv in data.secretstore_key_versions.all.key_versions : kv.version if kv.secrets == 0 && !kv.primary]
}
