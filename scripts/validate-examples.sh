#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0

# Runs `terraform validate` on every example directory against a fresh build
# of the provider, so that an example naming an attribute the schema does not
# have fails the build (tfplugindocs copies examples without checking them).
# dev_overrides make `terraform init` unnecessary; nothing is downloaded.
# Examples without a required_providers block resolve the provider as
# hashicorp/secretstore, so both addresses point at the build. Only
# directories holding .tf files are examples of Terraform configuration:
# the Go example application examples/app has none, and its own test
# (go test ./examples/app) builds and runs it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/secretstore-examples.XXXXXX")"
trap 'rm -rf "$work"' EXIT

(cd "$root" && go build -o "$work/plugins/terraform-provider-secretstore" .)
cat >"$work/cli.tfrc" <<EOF2
provider_installation {
  dev_overrides {
    "registry.terraform.io/secretstore/secretstore" = "$work/plugins"
    "registry.terraform.io/hashicorp/secretstore"   = "$work/plugins"
  }
  direct {}
}
EOF2
export TF_CLI_CONFIG_FILE="$work/cli.tfrc"
export TF_IN_AUTOMATION=1

# Examples of features newer than the terraform on PATH are validated
# without them: the directories of actions (Terraform 1.14) are skipped,
# and import-by-identity.tf (Terraform 1.12) is left out of a copy of its
# directory. Each skip is named in the output.
tf_version="$(terraform version -json | sed -n 's/.*"terraform_version": *"\([0-9.]*\).*/\1/p')"
version_at_least() { printf '%s\n%s\n' "$1" "$tf_version" | sort -V -C; }

checked=0
failed=0
while IFS= read -r dir; do
	rel="${dir#"$root"/}"
	case "$rel" in
	examples/actions/*)
		if ! version_at_least 1.14.0; then
			echo "skipped $rel (actions need terraform 1.14, this is $tf_version)"
			continue
		fi
		;;
	esac
	if [ -f "$dir/import-by-identity.tf" ] && ! version_at_least 1.12.0; then
		copy="$work/copies/$rel"
		mkdir -p "$copy"
		cp "$dir"/*.tf "$copy"/
		rm "$copy/import-by-identity.tf"
		echo "        $rel: import-by-identity.tf left out (needs terraform 1.12, this is $tf_version)"
		dir="$copy"
	fi
	if out="$(terraform -chdir="$dir" validate -no-color 2>&1)"; then
		echo "ok      $rel"
	else
		echo "FAILED  $rel"
		echo "$out" | sed 's/^/        /'
		failed=$((failed + 1))
	fi
	checked=$((checked + 1))
done < <(find "$root/examples" -name '*.tf' -not -path '*/.terraform/*' -exec dirname {} \; | sort -u)

if [ "$checked" -eq 0 ]; then
	echo "no example directories found under examples/" >&2
	exit 1
fi
if [ "$failed" -gt 0 ]; then
	echo "$failed of $checked example directories are invalid" >&2
	exit 1
fi
echo "all $checked example directories are valid"
