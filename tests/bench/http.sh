#!/bin/sh
# HTTP benchmark: wrk against tessera-server and, in the same run, against nginx returning a body of
# the same size; every figure is printed as a ratio to nginx. Not a test: run it by hand.
#
#   tests/bench/http.sh [seconds per workload, default 10]
#   HTTP_BENCH_ONLY=search tests/bench/http.sh 10    # nginx and the search rows only (tests/bench/search.sh)
#
# Workloads: GET by id (warm; also with a static token and an RS256 JWT, as ratios to auth off in
# the same run: medians of five interleaved rounds), a search by query string (term + sort + page)
# answered from the response cache and, with --cache off, from the embedded index, POST create (validated: a plan, which is a graph of 8 objects, and a
# flat GUID document) on the memory and SQLite stores, PATCH with If-Match. Both servers get 2 worker
# threads; wrk runs 2 threads, 64 connections.
set -eu
cd "$(dirname "$0")/../.."
duration=${1:-10}
only=${HTTP_BENCH_ONLY:-all}
connections=64

for tool in wrk nginx; do
    command -v $tool >/dev/null 2>&1 || { [ -x /usr/sbin/$tool ] || { echo "http.sh: $tool is not installed (apt-get install $tool)" >&2; exit 2; }; }
done
PATH=$PATH:/usr/sbin

[ -f build/release/CMakeCache.txt ] || cmake --preset release >/dev/null
cmake --build --preset release --target tessera-server tessera-cli >/dev/null

work=$(mktemp -d)
server_pid=""
nginx_pid=""
cleanup() {
    [ -n "${off_pid:-}" ] && kill "$off_pid" 2>/dev/null
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

plan=$(cat examples/data/plan.json | tr -d '\n')
plan_id=$(printf '%s' "$plan" | python3 -c 'import json,sys; print(json.load(sys.stdin)["objectId"])')
body_size=$(printf '%s' "$plan" | python3 -c 'import json,sys; print(len(json.dumps(json.load(sys.stdin),separators=(",",":"))))')

# --- nginx: `return 200` with a body of the same size as the plan --------------------------------
nginx_port=$(free_port)
mkdir -p "$work/nginx"
python3 - "$work/nginx/nginx.conf" "$nginx_port" "$body_size" <<'PY'
import sys
path, port, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
body = "x" * size
open(path, "w").write(f"""
worker_processes 2;
daemon off;
error_log /dev/null crit;
pid {path}.pid;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  server {{
    listen 127.0.0.1:{port};
    location / {{ default_type application/json; return 200 '{body}'; }}
  }}
}}
""")
PY
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
nginx_pid=$!

# --- wrk scripts -------------------------------------------------------------------------------------
cat > "$work/post.lua" <<LUA
-- Every request creates a new plan: each objectId in the document gets a per-thread, per-request
-- suffix. The template is cut once around its ids, so a request costs one table.concat in wrk, not a
-- pattern substitution (which would make wrk, not the server, the bottleneck).
local template = [[$plan]]
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", tostring(threads))
end
local parts, n = {}, 0
init = function()
  local last = 1
  while true do
    local _, id_end = template:find('"objectId":%s*"[^"]*', last)
    if not id_end then break end
    parts[#parts + 1] = template:sub(last, id_end)
    last = id_end + 1
  end
  parts[#parts + 1] = template:sub(last)
end
request = function()
  n = n + 1
  local suffix = "-" .. tid .. "-" .. n
  return wrk.format("POST", "/api/plans/", {["Content-Type"] = "application/json"}, table.concat(parts, suffix))
end
LUA
cat > "$work/guid.lua" <<'LUA'
-- A flat validated document (seed 002's GUID): the server generates the id and the expiry, so every
-- request creates a new document with one stored object and one event.
wrk.method = "POST"
wrk.path = "/guid"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"user":"bench"}'
LUA
cat > "$work/patch.lua" <<'LUA'
-- Each wrk thread patches its own 500 of the 1000 counters, with the ETag it last saw for the counter
-- (If-Match: * before the first answer, and again after a 412 from two in-flight requests on one counter).
local etags = {}
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("base", (threads - 1) * 500)
end
request = function()
  local id = "c" .. (base + math.random(0, 499))
  local tag = etags[id] or "*"
  return wrk.format("PATCH", "/api/counters/" .. id,
    {["Content-Type"] = "application/merge-patch+json", ["If-Match"] = tag},
    '{"label":"' .. math.random(1, 1e6) .. '"}')
end
response = function(status, headers, body)
  local id = body:match('"id":"([^"]*)"')
  if id then etags[id] = headers["ETag"] end
end
LUA

# Runs wrk; prints "requests/s p99_ms non2xx".
measure() {
    url=$1; shift
    out=$(wrk -t 2 -c $connections -d "${duration}s" --latency "$@" "$url")
    rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
    p99=$(printf '%s\n' "$out" | awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub("us","",v); v=v/1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v=v*1000}; print v}')
    bad=$(printf '%s\n' "$out" | awk '/Non-2xx/ {print $5}')
    echo "$rps ${p99:-?} ${bad:-0}"
}

start_server() { # store-url schemas-dir [more flags; default --auth off] (sh has no locals: these names are the function's own)
    server_store=$1
    server_schemas=$2
    shift 2
    [ $# -gt 0 ] || set -- --auth off
    port=$(free_port)
    build/release/apps/tessera-server/tessera-server --listen 127.0.0.1:$port --store "$server_store" --schemas "$server_schemas" \
        --search "sqlite:$work/search-$port.db" --threads 2 --access-log off --log-level warn "$@" &
    server_pid=$!
    for _ in $(seq 100); do curl -s "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
    base="http://127.0.0.1:$port"
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

sleep 0.5
nginx_result=$(measure "http://127.0.0.1:$nginx_port/")
nginx_rps=${nginx_result%% *}

ratio() { python3 -c "print(f'{float($1)/float($2)*100:.0f}%')"; }
row() { # name result
    set -- "$1" $2
    printf '| %-34s | %10.0f | %6s | %8s | %5s |\n' "$1" "$2" "$(ratio "$2" "$nginx_rps")" "$3" "$4"
}

echo "| workload                           |      req/s | vs nginx | p99 (ms) | non-2xx |"
echo "|------------------------------------|-----------:|---------:|---------:|--------:|"
row "nginx return 200 (${body_size} B)" "$nginx_result"
for store in memory sqlite; do
    [ "$only" = all ] || break
    case $store in
        memory) url="memory:" ;;
        sqlite) url="sqlite:$work/bench.db" ;;
    esac
    start_server "$url" schemas
    curl -s -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary "$plan" "$base/api/plans/"
    row "GET plan by id, warm ($store)" "$(measure "$base/api/plans/$plan_id")"
    row "POST plan, validated ($store)" "$(measure "$base/" -s "$work/post.lua")"
    row "POST guid, validated ($store)" "$(measure "$base/" -s "$work/guid.lua")"
    stop_server
done
# Search (issue #13): the same query-string search with the response cache (every request after the
# first is a hit) and without it (each one runs on the embedded index), over 200 plans.
for cache in lru:10000 off; do
    start_server "sqlite:$work/search-store-$cache.db" schemas --auth off --cache "$cache"
    i=0
    while [ $i -lt 200 ]; do
        printf '%s' "$plan" | sed "s/\"objectId\": *\"\([^\"]*\)\"/\"objectId\":\"\1-$i\"/g" |
            curl -s -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary @- "$base/api/plans/"
        i=$((i + 1))
    done
    curl -s -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary "$plan" "$base/api/plans/?refresh=wait_for"
    search_url="$base/api/plans?planType=inNetwork&sort=-objectId&limit=1"
    [ "$(curl -s "$search_url" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["hits"]))')" = 1 ] ||
        { echo "http.sh: the search found nothing" >&2; exit 1; }
    case $cache in
        off) row "search by query string, uncached" "$(measure "$search_url")" ;;
        *) row "search by query string, cached" "$(measure "$search_url")" ;;
    esac
    stop_server
done
[ "$only" = all ] || exit 0
# Auth: the same GET with a static token and with an RS256 JWT (its signature checked once, then
# cached for its lifetime), as ratios to auth off. Two servers run side by side (one with auth off,
# one with both token kinds) and the workloads are interleaved over five rounds, medians reported,
# so that drift on a shared machine does not favour whichever ran first.
cli=build/release/apps/tessera/tessera
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/rsa.pem" 2>/dev/null
openssl pkey -in "$work/rsa.pem" -pubout -out "$work/rsa.pub"
token=$("$cli" token create --out "$work/tokens" --scopes write 2>/dev/null)
jwt=$("$cli" token jwt --key "$work/rsa.pem" --sub bench --scopes read --ttl 1h)
start_server memory: schemas
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary "$plan" "$base/api/plans/"
off_base=$base
off_pid=$server_pid
start_server memory: schemas --tokens-file "$work/tokens" --jwt-key "$work/rsa.pub"
curl -s -o /dev/null -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data-binary "$plan" "$base/api/plans/"
: > "$work/auth_rounds"
# Each token is also sent to the server with auth off, which ignores it: the baseline is the same
# request, so the ratio is the server's auth work alone, not wrk's cost of sending a longer header.
auth_seconds=$(( duration / 2 > 0 ? duration / 2 : 1 ))
for round in 1 2 3 4 5; do
    echo "off_token $(duration=$auth_seconds measure "$off_base/api/plans/$plan_id" -H "Authorization: Bearer $token")" >> "$work/auth_rounds"
    echo "token $(duration=$auth_seconds measure "$base/api/plans/$plan_id" -H "Authorization: Bearer $token")" >> "$work/auth_rounds"
    echo "off_jwt $(duration=$auth_seconds measure "$off_base/api/plans/$plan_id" -H "Authorization: Bearer $jwt")" >> "$work/auth_rounds"
    echo "jwt $(duration=$auth_seconds measure "$base/api/plans/$plan_id" -H "Authorization: Bearer $jwt")" >> "$work/auth_rounds"
done
stop_server
server_pid=$off_pid
off_pid=""
stop_server
median_of() { python3 - "$work/auth_rounds" "$1" <<'PY'
import sys
rows = [line.split() for line in open(sys.argv[1]) if line.split()[0] == sys.argv[2]]
pick = sorted(rows, key=lambda r: float(r[1]))[len(rows) // 2]
print(" ".join(pick[1:]))
PY
}
off_token=$(median_of off_token)
with_token=$(median_of token)
off_jwt=$(median_of off_jwt)
with_jwt=$(median_of jwt)
row "GET plan, auth off (static header)" "$off_token"
row "GET plan, static token (memory)" "$with_token"
row "GET plan, auth off (JWT header)" "$off_jwt"
row "GET plan, RS256 JWT (memory)" "$with_jwt"

start_server "sqlite:$work/counters.db" tests/data/schemas
for i in $(seq 0 999); do printf '{"value":%d}' "$i" | curl -s -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary @- "$base/api/counters/c$i"; done
row "PATCH with If-Match (sqlite)" "$(measure "$base/" -s "$work/patch.lua")"
stop_server
echo
echo "GET with a static token: $(ratio "${with_token%% *}" "${off_token%% *}") of auth off; with an RS256 JWT: $(ratio "${with_jwt%% *}" "${off_jwt%% *}") (medians of 5 interleaved rounds of $auth_seconds s)"
