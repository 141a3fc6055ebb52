#!/bin/sh
# README's "Run the installed server" commands, run against an installed tessera-server and the
# schemas installed with it (on a free port instead of 8080, with the in-memory store).
# Usage: installed_server.sh PREFIX PLAN_JSON WORK_DIR
set -eu
prefix=$1
plan=$2
work=$3
rm -rf "$work"
mkdir -p "$work"

"$prefix/bin/tessera" --version
TOKEN=$("$prefix/bin/tessera" token create --out "$work/tokens" --scopes write)
"$prefix/bin/tessera-server" --listen 127.0.0.1:0 --store memory: --schemas "$prefix/share/tessera/schemas" \
    --tokens-file "$work/tokens" --ready-file "$work/address" >"$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
tries=0
until [ -s "$work/address" ]; do
    tries=$((tries + 1))
    if [ "$tries" -gt 100 ] || ! kill -0 "$server" 2>/dev/null; then
        echo "tessera-server did not start:" >&2
        cat "$work/server.log" >&2
        exit 1
    fi
    sleep 0.1
done
base="http://$(cat "$work/address")"

# The plans profile (seed 000): a plan, split into its entities, read back conditionally.
curl -fsS "$base/healthz"
echo
auth="Authorization: Bearer $TOKEN"
status=$(curl -sS -o /dev/null -w '%{http_code}' "$base/api/plans/")
echo "GET without a token: $status"
[ "$status" = 401 ]
curl -fsS -i -X POST -H "$auth" -H 'Content-Type: application/json' --data-binary @"$plan" "$base/api/plans/" | tee "$work/created"
echo
etag=$(sed -n 's/^[Ee][Tt]ag: *\([^[:space:]]*\).*/\1/p' "$work/created")
status=$(curl -sS -o /dev/null -w '%{http_code}' -H "$auth" -H "If-None-Match: $etag" "$base/api/plans/12xvxc345ssdsds-508")
echo "GET with If-None-Match: $status"
[ "$status" = 304 ]
curl -fsS -H "$auth" "$base/api/services/1234520xvc30asdf-502"
echo

# The GUID profile (seed 002): the server generates the id and the expiry.
curl -fsS -X POST -H "$auth" -H 'Content-Type: application/json' --data '{"user": "Cylon"}' "$base/guid"
echo
