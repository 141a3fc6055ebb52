#!/bin/sh
# Search benchmark of issue #13:
#
#   tests/bench/search.sh [arguments for tessera-search-bench, e.g. --entities 200000 --runs 300]
#
# Builds tessera-search-bench (release preset, -DTESSERA_BUILD_BENCHMARKS=ON) and runs it under
# `nice` on a throw-away directory: 1,000,000 generated plan entities (8 per plan, seed 000's shape)
# bulk-indexed into the embedded index (sqlite:<tmp>/search.db), index bytes per entity, then
# p50/p99/max of a term + range + sort + page query, a full-text match and a has_child query. Prints
# its table and JSON line, then the issue's targets. Everything it creates it removes.
set -eu
cd "$(dirname "$0")/../.."

cmake --preset release -DTESSERA_BUILD_BENCHMARKS=ON >/dev/null
nice cmake --build --preset release --target tessera-search-bench -j2 >/dev/null
bench=build/release/tests/bench/tessera-search-bench

work=$(mktemp -d)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT INT TERM

echo "== $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
nice "$bench" --dir "$work" "$@" | tee "$work/out.txt"
result=$(grep '^{"bench":"search"' "$work/out.txt")

# The cached query against nginx in the same run: tests/bench/http.sh's search rows (a query-string
# search answered from the response cache, and the same without the cache), each a ratio to nginx
# returning a body of the plan's size, wrk with 64 connections.
cached_query_vs_nginx() {
    HTTP_BENCH_ONLY=search tests/bench/http.sh "${HTTP_SECONDS:-10}" | tee "$work/http.txt"
    awk -F'|' '/search by query string, cached/ {gsub(/ /, "", $4); v = $4; sub(/%/, "", v);
        printf "cached query >= 50 %% of nginx: %s (%s)\n", $4, (v + 0 >= 50 ? "met" : "MISSED")}' "$work/http.txt"
}

echo "== targets (issue #13)"
echo "$result" | awk '
    function num(key,   m) { if (match($0, "\"" key "\":[0-9.]+")) { m = substr($0, RSTART, RLENGTH); sub(/.*:/, "", m); return m } return "" }
    {
        rate = num("index_entities_per_s")
        if (rate != "") printf "bulk index >= 50000 entities/s: %s (%s)\n", rate, (rate + 0 >= 50000 ? "met" : "MISSED")
        printf "bytes/entity: %s\n", num("bytes_per_entity")
        q = $0
        while (match(q, /"[a-z0-9]+":\{"p50_ms":[0-9.]+,"p99_ms":[0-9.]+/)) {
            s = substr(q, RSTART, RLENGTH); q = substr(q, RSTART + RLENGTH)
            name = s; sub(/":.*/, "", name); sub(/^"/, "", name)
            p99 = s; sub(/.*"p99_ms":/, "", p99)
            if (name == "common" || name == "tail") continue
            printf "query %-3s p99 <= 10 ms: %s ms (%s)\n", name, p99, (p99 + 0 <= 10 ? "met" : "MISSED")
        }
    }'
cached_query_vs_nginx
