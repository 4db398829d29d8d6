# Who changed the production OpenAI key in January, oldest first?
data "secretstore_audit_events" "openai_key_changes" {
  namespace  = "openai:production"
  name       = "api-key"
  operations = ["created", "updated", "rotated", "deleted"]
  since      = "2025-01-01T00:00:00Z"
  until      = "2025-02-01T00:00:00Z"
  order      = "asc"
}

output "openai_key_changes" {
  value = [
    for e in data.secretstore_audit_events.openai_key_changes.events :
    "${e.time} ${e.actor} ${e.operation} revision ${e.revision}"
  ]
}

# The 20 most recent events of the whole store (order defaults to "desc").
data "secretstore_audit_events" "latest" {
  limit = 20
}
