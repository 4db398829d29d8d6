#!/usr/bin/env bash
# bench-e2e: end-to-end cost of the provider against Terraform's own floor.
#
# For each N (default "100 1000"), in one run with the same terraform binary:
#   floor:    apply N terraform_data, refresh them, update all N in place
#   provider: apply N secretstore_secret (plus key version 1), refresh them,
#             add key version 2 (apply), then the rotation apply that rewraps
#             the N secrets (the plan shows pending_rewrap N -> 0)
# and prints each time and its ratio to the floor. The floor for the rotation
# is the in-place update of N terraform_data: Terraform's cost of an apply
# that changes N resources.
#
# Environment: BENCH_N ("100 1000"), TERRAFORM (terraform), BENCH_KEEP=1
# keeps the work directory, BENCH_PARALLELISM (terraform's default, 10).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
tf=${TERRAFORM:-terraform}
sizes=${BENCH_N:-100 1000}
par=()
if [[ -n "${BENCH_PARALLELISM:-}" ]]; then par=(-parallelism="$BENCH_PARALLELISM"); fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-e2e.XXXXXX")
cleanup() {
	if [[ "${BENCH_KEEP:-}" == 1 ]]; then
		echo "work directory kept: $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

echo "building the provider..." >&2
mkdir -p "$work/bin"
go build -o "$work/bin/terraform-provider-secretstore" .

cat >"$work/terraformrc" <<EOF
provider_installation {
  dev_overrides {
    "registry.terraform.io/secretstore/secretstore" = "$work/bin"
  }
  direct {}
}
EOF
export TF_CLI_CONFIG_FILE="$work/terraformrc"
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
unset TF_LOG TF_LOG_PATH TF_LOG_PROVIDER
export SECRETSTORE_ROOT_KEY
SECRETSTORE_ROOT_KEY=$(head -c 32 /dev/urandom | base64)
export SECRETSTORE_ACTOR=bench-e2e

# seconds runs a terraform command in a directory, discards its output
# (kept in the directory's last.log) and prints the wall time in seconds.
seconds() {
	local dir=$1
	shift
	local start end
	start=$(date +%s.%N)
	if ! (cd "$dir" && "$tf" "$@" -input=false -no-color "${par[@]}" >last.log 2>&1); then
		echo "terraform $* failed in $dir:" >&2
		tail -n 40 "$dir/last.log" >&2
		exit 1
	fi
	end=$(date +%s.%N)
	awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }

# pending_rewrap reads a key version's recorded pending_rewrap from state.
pending_rewrap() {
	(cd "$1" && "$tf" state show -no-color "$2" 2>/dev/null | awk '$1 == "pending_rewrap" { print $3 }')
}

printf '%-6s %-9s %10s %10s %8s\n' N phase floor_s provider_s ratio
for n in $sizes; do
	floor="$work/floor-$n"
	prov="$work/provider-$n"
	mkdir -p "$floor" "$prov"

	cat >"$floor/main.tf" <<'EOF'
variable "n" { type = number }
variable "prefix" {
  type    = string
  default = "v"
}
resource "terraform_data" "d" {
  count = var.n
  input = "${var.prefix}${count.index}"
}
EOF
	cat >"$prov/main.tf" <<'EOF'
terraform {
  required_providers {
    secretstore = { source = "secretstore/secretstore" }
  }
}
variable "n" { type = number }
variable "rotated" {
  type    = bool
  default = false
}
resource "secretstore_key_version" "v1" {
  version = 1
}
resource "secretstore_key_version" "v2" {
  count   = var.rotated ? 1 : 0
  version = 2
}
resource "secretstore_secret" "s" {
  count      = var.n
  namespace  = "bench"
  name       = "s${count.index}"
  value      = "value-${count.index}"
  depends_on = [secretstore_key_version.v1]
}
EOF
	export SECRETSTORE_URL="file://$prov/store"
	mkdir -p "$prov/store"

	(cd "$floor" && "$tf" init -input=false -no-color >init.log 2>&1)
	f_apply=$(seconds "$floor" apply -auto-approve -var "n=$n")
	p_apply=$(seconds "$prov" apply -auto-approve -var "n=$n")
	f_refresh=$(seconds "$floor" apply -refresh-only -auto-approve -var "n=$n")
	p_refresh=$(seconds "$prov" apply -refresh-only -auto-approve -var "n=$n")
	f_update=$(seconds "$floor" apply -auto-approve -var "n=$n" -var prefix=w)
	p_addkv=$(seconds "$prov" apply -auto-approve -var "n=$n" -var rotated=true)
	pending=$(pending_rewrap "$prov" 'secretstore_key_version.v2[0]')
	p_rotate=$(seconds "$prov" apply -auto-approve -var "n=$n" -var rotated=true)
	left=$(pending_rewrap "$prov" 'secretstore_key_version.v2[0]')
	printf '%-6s %-9s %10s %10s %8s\n' "$n" apply "$f_apply" "$p_apply" "$(ratio "$p_apply" "$f_apply")"
	printf '%-6s %-9s %10s %10s %8s\n' "$n" refresh "$f_refresh" "$p_refresh" "$(ratio "$p_refresh" "$f_refresh")"
	printf '%-6s %-9s %10s %10s %8s\n' "$n" add-kv2 "$f_update" "$p_addkv" "$(ratio "$p_addkv" "$f_update")"
	printf '%-6s %-9s %10s %10s %8s\n' "$n" rotate "$f_update" "$p_rotate" "$(ratio "$p_rotate" "$f_update")"
	if [[ "$pending" != "$n" || "$left" != 0 ]]; then
		echo "rotation check failed for N=$n: pending_rewrap before=$pending after=$left (want $n and 0)" >&2
		exit 1
	fi
done
