#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0

# Checks that every Go source file, shell script and Terraform file of the
# project carries the SPDX licence identifier in its header: the first line,
# or the second after a shebang. Files are those git tracks plus new files
# it does not ignore, so a file not yet committed is checked too.
#
# Examples that tfplugindocs renders into docs/ (everything under examples/
# except examples/quickstart and the Go example application examples/app)
# are exempt: a header there would be printed in every page of the Registry
# documentation.
#
#   scripts/check-headers.sh         list the files without the header, fail
#   scripts/check-headers.sh --fix   add the header to those files
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

spdx='SPDX-License-Identifier: MPL-2.0'
fix=false
if [ "${1:-}" = "--fix" ]; then
	fix=true
fi

# has_header FILE: the SPDX line is the first line, or the second after a
# shebang.
has_header() {
	local first second
	{ IFS= read -r first || true; IFS= read -r second || true; } <"$1"
	case "$first" in
	"#!"*) [[ "$second" == *"$spdx" ]] ;;
	*) [[ "$first" == *"$spdx" ]] ;;
	esac
}

# add_header FILE: insert the comment and a blank line at the top, after a
# shebang if there is one.
add_header() {
	local file="$1" comment='#' tmp
	case "$file" in
	*.go) comment='//' ;;
	esac
	tmp="$(mktemp)"
	if head -n 1 "$file" | grep -q '^#!'; then
		{ head -n 1 "$file"; printf '%s %s\n\n' "$comment" "$spdx"; tail -n +2 "$file"; } >"$tmp"
	else
		{ printf '%s %s\n\n' "$comment" "$spdx"; cat "$file"; } >"$tmp"
	fi
	cat "$tmp" >"$file"
	rm -f "$tmp"
}

files="$(git ls-files --cached --others --exclude-standard)" || {
	echo "check-headers.sh lists files with git: run it in a git work tree" >&2
	exit 1
}

missing=()
while IFS= read -r file; do
	[ -f "$file" ] || continue
	case "$file" in
	examples/quickstart/* | examples/app/*) ;;
	examples/*) continue ;;
	esac
	case "$file" in
	*.go | *.sh | *.tf | .ci/run) ;;
	*) continue ;;
	esac
	if ! has_header "$file"; then
		missing+=("$file")
	fi
done <<<"$files"

if [ "${#missing[@]}" -eq 0 ]; then
	echo "every source file carries '$spdx'"
	exit 0
fi
if $fix; then
	for file in "${missing[@]}"; do
		add_header "$file"
		echo "added the licence header to $file"
	done
	exit 0
fi
echo "these files lack the '$spdx' header (run 'make headers'):" >&2
printf '  %s\n' "${missing[@]}" >&2
exit 1
