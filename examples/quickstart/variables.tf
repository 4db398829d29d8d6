# SPDX-License-Identifier: MPL-2.0

# The demo values come from `make demo` (TF_VAR_* environment variables).
# In real use, pass them the same way or with -var, never from files under
# version control.

variable "payments_api_key" {
  description = "Written through value_wo: never stored in state or plans."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "database_password" {
  description = "Written through value_wo: never stored in state or plans."
  type        = string
  sensitive   = true
  ephemeral   = true
}

variable "staging_token" {
  description = "Written through value: stored in state as a sensitive value."
  type        = string
  sensitive   = true
}
