# `tessera token` end to end: run with -DTESSERA=<binary> -DWORK_DIR=<scratch>.
cmake_minimum_required(VERSION 3.25)

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(tokens "${WORK_DIR}/tokens")

include("${CMAKE_CURRENT_LIST_DIR}/cli_helpers.cmake")

# create: the token once on stdout (its last line), only its hash in the file.
run(0 token create --out "${tokens}" --scopes read,plans:write --comment "billing job")
expect("${out}" "^tsr_[A-Za-z0-9_-]+\n$" "create prints one token")
string(STRIP "${out}" token)
file(READ "${tokens}" text)
if(text MATCHES "tsr_")
    message(FATAL_ERROR "the tokens file holds a token in clear:\n${text}")
endif()
expect("${text}" "^[0-9a-f]+ read plans:write # billing job\n$" "the file's line")
string(SHA256 expected_hash "${token}")
expect("${text}" "^${expected_hash} " "the file holds the token's SHA-256")

run(0 token list "${tokens}")
string(SUBSTRING "${expected_hash}" 0 12 prefix)
expect("${out}" "${prefix} +read plans:write +billing job" "list shows prefix, scopes, comment")

# jwt: three base64url parts; HS256 from a secret, a weak secret refused.
run(0 token jwt --secret "0123456789abcdef0123456789abcdef" --sub alice --scopes write --ttl 15m)
expect("${out}" "^eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\n$" "jwt prints a compact JWS")

# Usage errors: exit 2 with the reason.
run(2 token jwt --secret short --sub alice)
expect("${err}" "32 bytes" "weak secret")
run(2 token create --out "${tokens}" --scopes root)
expect("${err}" "not a scope" "bad scope")
run(2 token jwt --sub alice)
expect("${err}" "needs one of" "no key")
run(2 token frobnicate)
run(0 token --help)
expect("${out}" "tessera token create" "help")
