#!/bin/sh
# Store micro-benchmark, reported against Redis's own ceiling:
#
#   tests/bench/store.sh [extra arguments for tessera-store-bench, e.g. --benchmark_min_time=2]
#
# Builds tessera-store-bench (release preset, -DTESSERA_BUILD_BENCHMARKS=ON), starts a throw-away
# redis-server on a free loopback port, runs `redis-benchmark -t get,set -P 1 -d 1000 -q` against
# it (its default 50 clients, and 1 and 2 clients to match the store's threads), then the store
# benchmark (memory, sqlite, redis; get and commit; 1 and 2 threads, and 8 for redis; ~1 KB
# documents; each the median of 3 runs), and prints one table with ops/s and the Redis ratios.
# Everything it starts it stops.
set -eu
cd "$(dirname "$0")/../.."

cmake --preset release -DTESSERA_BUILD_BENCHMARKS=ON >/dev/null
cmake --build --preset release --target tessera-store-bench -j2 >/dev/null
bench=build/release/tests/bench/tessera-store-bench

work=$(mktemp -d)
redis_pid=""
cleanup() {
    if [ -n "$redis_pid" ]; then
        kill "$redis_pid" 2>/dev/null || true
        wait "$redis_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

# A free port: start redis-server on a candidate; if it dies (port taken) try the next one. A
# server answering PING while our process is alive is ours.
port=$((20000 + $$ % 20000))
for attempt in 1 2 3 4 5 6 7 8 9 10; do
    redis-server --port "$port" --bind 127.0.0.1 --dir "$work" --save "" --appendonly no \
        --logfile "$work/redis.log" --daemonize no &
    redis_pid=$!
    ready=""
    for wait in $(seq 1 100); do
        kill -0 "$redis_pid" 2>/dev/null || break
        if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then ready=yes; break; fi
        sleep 0.05
    done
    [ -n "$ready" ] && break
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
    redis_pid=""
    port=$((port + 1))
done
[ -n "$redis_pid" ] || { echo "store.sh: could not start redis-server" >&2; exit 1; }

# redis-benchmark -q prints progress with carriage returns; keep the final "X: N requests per second" lines.
ceiling() {
    redis-benchmark -h 127.0.0.1 -p "$port" -t get,set -P 1 -d 1000 -q -n 200000 "$@" |
        tr '\r' '\n' | awk -F'[: ]+' '/requests per second/ { printf "%s %s\n", $1, $2 }'
}
echo "== redis-benchmark -t get,set -P 1 -d 1000 -q (redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), 127.0.0.1:$port)"
ceiling > "$work/rb50"
ceiling -c 1 > "$work/rb1"
ceiling -c 2 > "$work/rb2"
sed 's/^/  50 clients: /' "$work/rb50"
sed 's/^/   1 client:  /' "$work/rb1"
sed 's/^/   2 clients: /' "$work/rb2"

echo "== tessera-store-bench"
TESSERA_BENCH_REDIS_URL="redis://127.0.0.1:$port/0?prefix=bench" TESSERA_BENCH_SQLITE_PATH="$work/bench.db" \
    "$bench" --benchmark_format=csv --benchmark_repetitions=3 --benchmark_report_aggregates_only=true "$@" \
    2>/dev/null > "$work/bench.csv"

rb_get50=$(awk '$1 == "GET" { print $2 }' "$work/rb50")
rb_get1=$(awk '$1 == "GET" { print $2 }' "$work/rb1")
rb_get2=$(awk '$1 == "GET" { print $2 }' "$work/rb2")
rb_set50=$(awk '$1 == "SET" { print $2 }' "$work/rb50")
rb_set1=$(awk '$1 == "SET" { print $2 }' "$work/rb1")
rb_set2=$(awk '$1 == "SET" { print $2 }' "$work/rb2")

echo
printf '%-8s %-7s %-8s %12s %20s %22s\n' backend op threads "ops/s" "/ redis-bench (c=50)" "/ redis-bench (c=threads)"
awk -F, -v g50="$rb_get50" -v g1="$rb_get1" -v g2="$rb_get2" -v s50="$rb_set50" -v s1="$rb_set1" -v s2="$rb_set2" '
    NR == 1 { for (i = 1; i <= NF; i++) column[$i] = i; next }
    {
        name = $1; gsub(/"/, "", name)
        # The median of three runs: a shared machine preempts a run now and then.
        if (name !~ /_median$/) next
        sub(/_median$/, "", name)
        split(name, part, "/")          # op/backend/real_time/threads:N
        threads = part[4]; sub(/threads:/, "", threads)
        ops = $(column["items_per_second"])
        ratio50 = ""; ratio = ""
        if (part[2] == "redis") {
            base50 = part[1] == "get" ? g50 : s50
            ratio50 = sprintf("%.0f%%", 100 * ops / base50)
            if (threads <= 2) {
                base = part[1] == "get" ? (threads == 1 ? g1 : g2) : (threads == 1 ? s1 : s2)
                ratio = sprintf("%.0f%%", 100 * ops / base)
            }
        }
        printf "%-8s %-7s %-8s %12.0f %20s %22s\n", part[2], part[1], threads, ops, ratio50, ratio
    }' "$work/bench.csv"
echo
echo "(redis commit is compared with redis-benchmark SET: one EVALSHA of the commit script vs one SET)"
