#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0

# Prints the path of an OpenTofu binary at OPENTOFU_VERSION (default
# v1.12.6), building it from the Go module proxy into the git-ignored
# .cache/opentofu/VERSION/ when it is not there yet. Only the build output
# goes to stderr; stdout is the path alone, so callers can write
#
#   TF_ACC_TERRAFORM_PATH="$(bash scripts/opentofu.sh)"
#
# OpenTofu cannot be installed with `go install module@version` (its go.mod
# has replace directives), so the module is downloaded into the module cache
# and built in place with the flags of its release builds (version.dev=no,
# so `tofu version` says 1.12.6, not 1.12.6-dev). The module cache is
# read-only, hence -o to the cache directory. A cold build takes minutes;
# every later call returns at once.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

version="${OPENTOFU_VERSION:-v1.12.6}"
go="${GO:-go}"
out_dir="$PWD/.cache/opentofu/$version"
out="$out_dir/tofu"

if [ -x "$out" ]; then
	echo "$out"
	exit 0
fi

module=github.com/opentofu/opentofu
echo "building OpenTofu $version from the Go module proxy into $out_dir (takes minutes the first time)" >&2
dir="$("$go" mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
	echo "go mod download $module@$version did not give a module directory" >&2
	exit 1
fi

mkdir -p "$out_dir"
start=$SECONDS
# Build into a temporary name and rename, so an interrupted build never
# leaves a partial binary that the check above would take as complete.
(
	cd "$dir"
	CGO_ENABLED=0 GOFLAGS=-mod=readonly "$go" build -trimpath \
		-ldflags "-s -w -X $module/version.dev=no" \
		-o "$out.tmp" ./cmd/tofu
)
mv "$out.tmp" "$out"
echo "built $(TF_CLI_CONFIG_FILE=/dev/null "$out" version | grep -m 1 '^OpenTofu') in $((SECONDS - start))s" >&2
echo "$out"
