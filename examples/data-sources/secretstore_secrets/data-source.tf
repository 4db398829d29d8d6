# Every secret of a namespace whose name starts with "db-", without values.
data "secretstore_secrets" "db" {
  namespace   = "payments:production"
  name_prefix = "db-"
}

output "expired_db_secrets" {
  value = [for s in data.secretstore_secrets.db.secrets : s.name if s.state == "expired"]
}
