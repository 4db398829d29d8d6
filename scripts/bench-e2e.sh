#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0

# bench-e2e: end-to-end cost of the provider against Terraform's own floor.
#
# For each N (default "100 1000"), in one run with the same terraform binary,
# three configurations of N resources each:
#   tfdata:  N built-in terraform_data: Terraform core's own per-resource cost
#            (the floor the targets are stated against)
#   shape:   N benchnoop_secret from scripts/benchnoop: a do-nothing resource
#            with secretstore_secret's attributes, on the same plugin
#            framework: what a resource of this shape costs in Terraform core,
#            the plugin protocol and the framework, with no store behind it
#   secrets: N secretstore_secret plus key version 1 on a local file:// store
# Phases, each timed as one terraform command (default -parallelism):
#   apply    create the N resources
#   refresh  terraform apply -refresh-only
#   update   tfdata/shape: change the value of all N (Terraform's cost of an
#            apply that changes N resources); secrets: add key version 2
#   rotate   secrets only: the apply whose plan shows pending_rewrap N -> 0
#            and that rewraps the N secrets; compared with update of the floors
# Ratios are secrets / tfdata and secrets / shape.
#
# Environment: BENCH_N ("100 1000"), TERRAFORM (terraform), BENCH_KEEP=1
# keeps the work directory, BENCH_PARALLELISM (terraform's default, 10).
set -euo pipefail

cd "$(dirname "$0")/.."
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

echo "building the providers..." >&2
mkdir -p "$work/bin"
go build -o "$work/bin/terraform-provider-secretstore" .
go build -o "$work/bin/terraform-provider-benchnoop" ./scripts/benchnoop

cat >"$work/terraformrc" <<EOF
provider_installation {
  dev_overrides {
    "registry.terraform.io/secretstore/secretstore" = "$work/bin"
    "registry.terraform.io/secretstore/benchnoop"   = "$work/bin"
  }
  direct {}
}
EOF
export TF_CLI_CONFIG_FILE="$work/terraformrc"
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
unset TF_LOG TF_LOG_PATH TF_LOG_PROVIDER TF_LOG_CORE
export SECRETSTORE_ROOT_KEY SECRETSTORE_ACTOR=bench-e2e
SECRETSTORE_ROOT_KEY=$(head -c 32 /dev/urandom | base64)

# seconds runs a terraform command in a directory, keeps its output in the
# directory's last.log and prints the wall time in seconds.
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

row() { # N phase tfdata shape secrets
	printf '%-6s %-8s %9s %9s %9s %10s %9s\n' "$1" "$2" "$3" "$4" "$5" "$(ratio "$5" "$3")" "$(ratio "$5" "$4")"
}

# pending_rewrap prints a key version's recorded pending_rewrap from state.
pending_rewrap() {
	(cd "$1" && "$tf" state show -no-color "$2" 2>/dev/null | awk '$1 == "pending_rewrap" { print $3 }')
}

printf '%-6s %-8s %9s %9s %9s %10s %9s\n' N phase tfdata_s shape_s secrets_s vs_tfdata vs_shape
for n in $sizes; do
	floor="$work/tfdata-$n"
	shape="$work/shape-$n"
	prov="$work/secrets-$n"
	mkdir -p "$floor" "$shape" "$prov/store"

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
	cat >"$shape/main.tf" <<'EOF'
terraform {
  required_providers {
    benchnoop = { source = "secretstore/benchnoop" }
  }
}
variable "n" { type = number }
variable "prefix" {
  type    = string
  default = "value"
}
resource "benchnoop_secret" "s" {
  count     = var.n
  namespace = "bench"
  name      = "s${count.index}"
  value     = "${var.prefix}-${count.index}"
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

	(cd "$floor" && "$tf" init -input=false -no-color >init.log 2>&1)
	f_apply=$(seconds "$floor" apply -auto-approve -var "n=$n")
	o_apply=$(seconds "$shape" apply -auto-approve -var "n=$n")
	p_apply=$(seconds "$prov" apply -auto-approve -var "n=$n")
	row "$n" apply "$f_apply" "$o_apply" "$p_apply"

	f_refresh=$(seconds "$floor" apply -refresh-only -auto-approve -var "n=$n")
	o_refresh=$(seconds "$shape" apply -refresh-only -auto-approve -var "n=$n")
	p_refresh=$(seconds "$prov" apply -refresh-only -auto-approve -var "n=$n")
	row "$n" refresh "$f_refresh" "$o_refresh" "$p_refresh"

	f_update=$(seconds "$floor" apply -auto-approve -var "n=$n" -var prefix=w)
	o_update=$(seconds "$shape" apply -auto-approve -var "n=$n" -var prefix=w)
	p_addkv=$(seconds "$prov" apply -auto-approve -var "n=$n" -var rotated=true)
	row "$n" update "$f_update" "$o_update" "$p_addkv"

	pending=$(pending_rewrap "$prov" 'secretstore_key_version.v2[0]')
	p_rotate=$(seconds "$prov" apply -auto-approve -var "n=$n" -var rotated=true)
	row "$n" rotate "$f_update" "$o_update" "$p_rotate"
	# A refresh after the rotation measures what is left (and shows every
	# secret's key_version changing to 2 as a refresh change).
	seconds "$prov" apply -refresh-only -auto-approve -var "n=$n" -var rotated=true >/dev/null
	left=$(pending_rewrap "$prov" 'secretstore_key_version.v2[0]')
	if [[ "$pending" != "$n" || "$left" != 0 ]]; then
		echo "rotation check failed for N=$n: pending_rewrap was '$pending' before and '$left' after the rotation apply (want $n and 0)" >&2
		exit 1
	fi
done
