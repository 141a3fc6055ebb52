#!/bin/sh
# Tessera's two quick-start commands (README), for a fresh Debian 12 machine:
#
#   cmake/quickstart.sh serve   install what is missing, build (release), start tessera-server on
#                               127.0.0.1:8080 with the embedded defaults and ./schemas
#   cmake/quickstart.sh test    install what is missing (plus redis-server and rabbitmq-server for the
#                               integration tests), build (ci preset: warnings are errors), run ctest
#
# Extra arguments after `serve` go to tessera-server (e.g. `--listen 127.0.0.1:9090`); after `test`
# they go to ctest (e.g. `-L unit`).
set -eu
cd "$(dirname "$0")/.."

usage() {
    sed -n '2,11s/^# \{0,1\}//p' "$0"
    exit 2
}
[ $# -ge 1 ] || usage
mode=$1
shift

build_packages="g++ cmake ninja-build pkg-config
    libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libvalijson-dev libhiredis-dev
    libcurl4-openssl-dev librabbitmq-dev libfmt-dev doctest-dev libsqlite3-dev libssl-dev libjemalloc-dev"
test_packages="redis-server rabbitmq-server curl openssl clang libclang-rt-14-dev"  # clang: the fuzz targets (tests/fuzz)
# ctest's package.conan runs the Conan 2 that TESSERA_CONAN names (.ci/run sets it), from its Python
# sources: Debian's python3 and these modules.
if [ -n "${TESSERA_CONAN:-}" ]; then
    test_packages="$test_packages python3 python3-requests python3-urllib3 python3-colorama python3-yaml
        python3-distro python3-jinja2 python3-dateutil"
fi

# Installs the Debian packages among "$@" that are not installed yet (apt-get only if needed).
install_missing() {
    missing=""
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing="$missing $package"
    done
    [ -n "$missing" ] || return 0
    echo "quickstart: installing$missing" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
    # shellcheck disable=SC2086
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
}

# Configures (once) and builds one CMake preset; further arguments go to the build (--target ...).
build() {
    preset=$1
    shift
    [ -f "build/$preset/CMakeCache.txt" ] || cmake --preset "$preset"
    cmake --build --preset "$preset" "$@"
}

case "$mode" in
    serve)
        # shellcheck disable=SC2086
        install_missing $build_packages
        build release --target tessera-server  # the server alone: tests and examples are test's
        mkdir -p var
        exec build/release/apps/tessera-server/tessera-server --listen 127.0.0.1:8080 --schemas schemas "$@"
        ;;
    test)
        # shellcheck disable=SC2086
        install_missing $build_packages $test_packages
        build ci
        exec ctest --preset ci --parallel "$(nproc)" "$@"
        ;;
    -h | --help | help) usage ;;
    *) echo "quickstart: unknown mode '$mode' (expected serve or test)" >&2; usage ;;
esac
