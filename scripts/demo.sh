#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0

# Builds the provider, points terraform at it with a temporary CLI
# configuration (dev_overrides, so no `terraform init` and no download),
# applies examples/quickstart against the local .secretstore directory, and
# prints what was stored and the audit trail. Safe to run again: a second
# run applies no changes and prints the same store.
#
# SECRETSTORE_ROOT_KEY is used when set; otherwise a demo root key is
# generated once into examples/quickstart/.demo-root-key (git-ignored).
# `make demo-clean` removes the quickstart's store, state and demo key.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quickstart="$root/examples/quickstart"
plugin_dir="$root/bin/demo"
key_file="$quickstart/.demo-root-key"
store_dir="$quickstart/.secretstore"
state_file="$quickstart/terraform.tfstate"

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

command -v terraform >/dev/null || die "terraform is not on PATH; install Terraform >= 1.11"
command -v go >/dev/null || die "go is not on PATH; install Go 1.26"

step "Building the provider and the secretstore CLI into ${plugin_dir#"$root"/}"
mkdir -p "$plugin_dir"
(cd "$root" && go build -o "$plugin_dir/terraform-provider-secretstore" . && go build -o "$plugin_dir/secretstore" ./cmd/secretstore)

cli_config="$(mktemp "${TMPDIR:-/tmp}/secretstore-demo-cli.XXXXXX")"
trap 'rm -f "$cli_config"' EXIT
cat >"$cli_config" <<EOF
provider_installation {
  dev_overrides {
    "registry.terraform.io/secretstore/secretstore" = "$plugin_dir"
  }
  direct {}
}
EOF
export TF_CLI_CONFIG_FILE="$cli_config"
export TF_IN_AUTOMATION=1

# The demo always uses the local store next to the quickstart, whatever
# store the caller's environment points at.
unset SECRETSTORE_URL SECRETSTORE_PREVIOUS_ROOT_KEYS SECRETSTORE_ALLOWED_NAMESPACES \
	SECRETSTORE_DEFAULT_TTL SECRETSTORE_AUDIT_READS

# The quickstart's input variables. Demo values: in real use they come from
# a secret source, never from a script under version control.
payments_api_key="demo-payments-key-0f6c2d8e"
database_password="demo-database-password-91b7"
staging_token="demo-staging-token-4a03"
export TF_VAR_payments_api_key="$payments_api_key"
export TF_VAR_database_password="$database_password"
export TF_VAR_staging_token="$staging_token"

if [ -n "${SECRETSTORE_ROOT_KEY:-}" ]; then
	step "Using the root key from SECRETSTORE_ROOT_KEY"
else
	if [ ! -s "$key_file" ]; then
		if [ -e "$store_dir" ]; then
			die "$store_dir exists but its demo root key $key_file is gone, so the store cannot be read; run 'make demo-clean' to start over"
		fi
		step "Generating a demo root key into ${key_file#"$root"/}"
		(umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n' >"$key_file")
	else
		step "Using the demo root key in ${key_file#"$root"/}"
	fi
	SECRETSTORE_ROOT_KEY="$(cat "$key_file")"
	export SECRETSTORE_ROOT_KEY
fi

step "terraform apply in examples/quickstart (store: ${store_dir#"$root"/})"
# The outputs are printed below, formatted; cut them from apply's report.
terraform -chdir="$quickstart" apply -auto-approve -input=false -no-color | sed '/^Outputs:$/,$d'

step "Secrets stored (values are never listed)"
terraform -chdir="$quickstart" output -raw secrets | sed 's/^/  /'
echo

step "Key versions"
terraform -chdir="$quickstart" output -raw key_versions | sed 's/^/  /'
echo

step "Audit trail (oldest first)"
terraform -chdir="$quickstart" output -raw audit_trail | sed 's/^/  /'
echo

# Where each demo plaintext ended up, checked byte for byte: a value_wo
# plaintext is in neither the state nor the store; a value plaintext is in
# the state (as a sensitive value) but not in the store.
[ -d "$store_dir" ] || die "the store directory $store_dir was not created"
objects="$(find "$store_dir" -type f | wc -l | tr -d ' ')"
[ "$objects" -gt 0 ] || die "no objects found in $store_dir"
[ -s "$state_file" ] || die "no state found at $state_file"
step "Where the plaintexts are (state and all $objects files of the store scanned)"
check() {
	local label="$1" plaintext="$2" state_allowed="$3" in_state="no" in_store="no"
	if grep -qF -- "$plaintext" "$state_file"; then in_state="yes"; fi
	if grep -rqF -- "$plaintext" "$store_dir"; then in_store="yes"; fi
	printf '  %-36s terraform.tfstate: %-3s  .secretstore: %s\n' "$label" "$in_state" "$in_store"
	if [ "$in_store" = yes ]; then die "plaintext of $label found in the store"; fi
	if [ "$in_state" = yes ] && [ "$state_allowed" = no ]; then die "plaintext of $label found in the state"; fi
}
check "payments-api-key (value_wo)" "$payments_api_key" no
check "database-password (value_wo)" "$database_password" no
check "feature-flags-token (value)" "$staging_token" yes

# The same store read outside Terraform, by the CLI. The value is not
# printed: it is compared with the one Terraform wrote.
step "Read outside Terraform: bin/demo/secretstore (SECRETSTORE_URL=${store_dir#"$root"/})"
export SECRETSTORE_URL="file://$store_dir"
cli="$plugin_dir/secretstore"
"$cli" list acme:production | sed 's/^/  /'
got="$("$cli" get acme:production/payments-api-key)"
[ "$got" = "$payments_api_key" ] || die "secretstore get returned another value than Terraform wrote"
printf '  secretstore get acme:production/payments-api-key: the value Terraform wrote (%d bytes)\n' "${#got}"
unset got
# shellcheck disable=SC2016 # expanded by the child shell, not here
PAYMENTS_API_KEY=secretstore:acme:production/payments-api-key \
	"$cli" exec -- sh -c 'printf "  secretstore exec: the command saw PAYMENTS_API_KEY of %d bytes\n" "${#PAYMENTS_API_KEY}"'

# What the outputs above mean and what to try next: the demo is a starting
# point, so it ends with the paths and the commands for the next steps.
cat <<NEXT

==> What you are looking at
  check    the key check value of a key version: a keyed MAC of a fixed label
           under that key, so two stores (or a store and a backup) can be seen
           to hold the same key version without revealing the key. It is
           never a hash of the key itself.
  by ...   the actor recorded in each audit event: the provider's actor
           argument, else the Terraform Cloud run (TFC_RUN_ID), else
           user@host of whoever ran terraform, as here.

==> Where things are
  state       ${state_file#"$root"/}
  store       ${store_dir#"$root"/}/ (ciphertext only; any gocloud.dev bucket in real use)
  root key    ${key_file#"$root"/} (demo only: use a KMS keeper URL in real use)

==> Next steps
  Rotate to a new key version: add to examples/quickstart/main.tf

      resource "secretstore_key_version" "v2" {
        version = 2
      }

  then run 'make demo' twice: the first apply creates version 2 (now the
  primary), the second plan shows pending_rewrap going to 0 and its apply
  rewraps the three secrets (see docs/guides/rotation.md).

  Read a secret from a shell or a script, as an application would:

      export SECRETSTORE_URL=file://$store_dir
      export SECRETSTORE_ROOT_KEY="\$(cat ${key_file#"$root"/})"
      bin/demo/secretstore get acme:production/payments-api-key
      DB_PASSWORD=secretstore:acme:production/database-password bin/demo/secretstore exec -- ./your-server

  (see docs/guides/cli.md).

  Run 'make demo' again without changes: the plan shows no changes.
  'make demo-clean' removes the state, the store and the demo root key.
NEXT
