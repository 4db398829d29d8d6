#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0

# Runs the release of .goreleaser.yml as a snapshot, for this machine's
# platform only, signed with a throwaway GPG key, into a temporary
# directory, and checks what the Terraform Registry and users receive:
#
#   - terraform-provider-secretstore_VERSION_SHA256SUMS names exactly the
#     provider's zips and its manifest (the Registry refuses a release whose
#     SHA256SUMS names any other file), and its signature verifies;
#   - the provider zip holds terraform-provider-secretstore_vVERSION;
#   - the CLI zip secretstore_VERSION_OS_ARCH.zip holds secretstore, which
#     prints VERSION, and its own signature verifies.
#
#   scripts/release-dry-run.sh GORELEASER
#
# Nothing is published and ./dist is not touched. Needs gpg.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
goreleaser="${1:?usage: release-dry-run.sh GORELEASER}"
command -v gpg >/dev/null || { echo "release-dry-run: gpg is not on PATH" >&2; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/secretstore-release.XXXXXX")"
trap 'gpgconf --homedir "$work/gnupg" --kill all >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

fail() { echo "release-dry-run: $*" >&2; exit 1; }

export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'secretstore release dry run <dry-run@example.invalid>' ed25519 sign never 2>/dev/null
gpg --batch --quiet --check-trustdb 2>/dev/null
GPG_FINGERPRINT="$(gpg --list-keys --with-colons | awk -F: '/^fpr/ { print $10; exit }')"
export GPG_FINGERPRINT

# The release configuration with the build matrix (the goos and goarch
# anchors both builds share) cut to this platform, and dist in $work.
goos="$(go env GOOS)"
goarch="$(go env GOARCH)"
awk -v goos="$goos" -v goarch="$goarch" '
	/^ *goos: &goos$/     { print; print "      - " goos; skip = 1; next }
	/^ *goarch: &goarch$/ { print; print "      - " goarch; skip = 1; next }
	skip && /^ *- /       { next }
	{ skip = 0; print }
' "$root/.goreleaser.yml" >"$work/goreleaser.yml"
echo "dist: $work/dist" >>"$work/goreleaser.yml"
grep -q "^      - $goos\$" "$work/goreleaser.yml" || fail "could not cut the build matrix of .goreleaser.yml (goos: &goos)"

(cd "$root" && "$goreleaser" release --snapshot --clean --skip=publish --config "$work/goreleaser.yml") >"$work/log" 2>&1 ||
	{ cat "$work/log" >&2; fail "goreleaser release --snapshot failed"; }

dist="$work/dist"
sums="$(find "$dist" -maxdepth 1 -name 'terraform-provider-secretstore_*_SHA256SUMS')"
[ -n "$sums" ] || fail "no SHA256SUMS in the release"
version="$(basename "$sums")"
version="${version#terraform-provider-secretstore_}"
version="${version%_SHA256SUMS}"
provider_zip="terraform-provider-secretstore_${version}_${goos}_${goarch}.zip"
cli_zip="secretstore_${version}_${goos}_${goarch}.zip"

want="$(printf '%s\n' "$provider_zip" "terraform-provider-secretstore_${version}_manifest.json" | sort)"
got="$(awk '{ print $2 }' "$sums" | sort)"
[ "$got" = "$want" ] || fail "$(basename "$sums") names:
$got
want exactly:
$want"
gpg --batch --quiet --verify "$sums.sig" "$sums" 2>/dev/null || fail "the signature of $(basename "$sums") does not verify"
(cd "$dist" && sha256sum --quiet --ignore-missing -c "$sums") || fail "$(basename "$sums") does not match the zips"

[ -f "$dist/$provider_zip" ] || fail "no $provider_zip"
provider_files="$(unzip -Z1 "$dist/$provider_zip")"
grep -qxF "terraform-provider-secretstore_v${version}" <<<"$provider_files" ||
	fail "$provider_zip does not hold terraform-provider-secretstore_v$version"

[ -f "$dist/$cli_zip" ] || fail "no $cli_zip"
gpg --batch --quiet --verify "$dist/$cli_zip.sig" "$dist/$cli_zip" 2>/dev/null || fail "the signature of $cli_zip does not verify"
mkdir "$work/cli"
(cd "$work/cli" && unzip -q "$dist/$cli_zip" secretstore) || fail "$cli_zip does not hold secretstore"
[ "$("$work/cli/secretstore" --version)" = "secretstore version $version" ] || fail "the CLI of $cli_zip does not print version $version"

echo "release dry run ($goos/$goarch, version $version):"
echo "  $(basename "$sums"): $provider_zip and the manifest only, signature verified"
echo "  $cli_zip: secretstore $version, outside SHA256SUMS, signature verified"
