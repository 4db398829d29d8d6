#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0

# bench: the store's Go benchmarks against the blob driver's floor.
#
# Runs BenchmarkBackend in internal/backend once (-benchtime 1x: every
# iteration populates 10,000 secrets, so repetitions only cost time). Each
# benchmark measures its floor in the same iteration, on the same driver:
# create-only writes (IfNotExist) of the same number of small objects (Put
# and Get interleave floor and operation in ten alternating slices; Rotate
# averages a floor taken before and after it), and for reads, reads of the
# same number of small objects by key. The table shows the ratios side by
# side; absolute times are in the raw output above it.
#
# Environment:
#   SECRETSTORE_BENCH_N  secrets per benchmark (default 10000)
#   BENCH                benchmark regexp (default: all of BenchmarkBackend)
#   BENCH_COUNT          repetitions of the whole run (default 1)
#   BENCH_OUT            keep the raw output in this file
set -euo pipefail

cd "$(dirname "$0")/.."
pattern=${BENCH:-Backend}
count=${BENCH_COUNT:-1}
out=${BENCH_OUT:-$(mktemp "${TMPDIR:-/tmp}/bench.XXXXXX")}

echo "go test -run '^\$' -bench '$pattern' -benchtime 1x -count $count -benchmem -timeout 60m ./internal/backend"
go test -run '^$' -bench "$pattern" -benchtime 1x -count "$count" -benchmem -timeout 60m ./internal/backend | tee "$out"

echo
awk '
/^Benchmark/ {
	name = $1
	sub(/^BenchmarkBackend\//, "", name)
	sub(/-[0-9]+$/, "", name)
	delete m
	for (i = 3; i < NF; i += 2) m[$(i + 1)] = $i
	per = ("ns/secret" in m) ? sprintf("%.0f ns/secret", m["ns/secret"]) : \
	      ("ns/query" in m) ? sprintf("%.0f ns/query", m["ns/query"]) : \
	      ("floor-ns/obj" in m) ? sprintf("%.0f ns/obj", m["floor-ns/obj"]) : "-"
	floor = ("floor-ns/obj" in m) ? sprintf("%.0f", m["floor-ns/obj"]) : \
	        ("read-floor-ns/obj" in m) ? sprintf("%.0f (read)", m["read-floor-ns/obj"]) : "-"
	xf = ("x-floor" in m) ? sprintf("%.2f", m["x-floor"]) : "-"
	xr = ("x-read-floor" in m) ? sprintf("%.2f", m["x-read-floor"]) : "-"
	heap = ("peak-heap-MB" in m) ? sprintf("%.1f", m["peak-heap-MB"]) : "-"
	ev = ("events/query" in m) ? sprintf("%d", m["events/query"]) : "-"
	lf = ("list-floor-ns" in m) ? sprintf("%.0f", m["list-floor-ns"]) : "-"
	rows[++n] = sprintf("%-44s %18s %14s %8s %12s %13s %10s %8s", name, per, floor, xf, xr, lf, heap, ev)
}
END {
	if (n == 0) { print "no benchmark results"; exit 1 }
	printf "%-44s %18s %14s %8s %12s %13s %10s %8s\n", "benchmark", "cost", "floor ns/obj", "x-floor", "x-read-floor", "list floor ns", "peak MB", "events"
	for (i = 1; i <= n; i++) print rows[i]
}' "$out"
if [[ -z "${BENCH_OUT:-}" ]]; then rm -f "$out"; fi
