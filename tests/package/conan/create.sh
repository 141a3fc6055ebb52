#!/bin/sh
# `conan create` of this source tree where ConanCenter cannot be reached (ctest's package.conan, CI):
# the wrapper recipes beside this script stand for the Debian libraries Tessera's recipe requires.
# conan create builds the package and then its test package (tests/package), which must link and run.
#
#   tests/package/conan/create.sh [-w WORK_DIR] [CONAN [conan create arguments...]]
#
# CONAN is a Conan 2 executable; without it $TESSERA_CONAN, and with neither the script exits 77
# (ctest: skipped). WORK_DIR (default: build/conan in the source tree) holds a CONAN_HOME of its
# own, never the user's ~/.conan2, and the test package's build. It is kept between runs, so an
# unchanged source tree is not built again; delete it to start over. Further arguments go to
# conan create, e.g. -o "tessera/*:with_redis=False".
set -eu
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../../.." && pwd)
work=$source_dir/build/conan
if [ "${1:-}" = "-w" ] && [ $# -ge 2 ]; then
    work=$2
    shift 2
fi
# An option, not a position, because CMake drops an empty argument (TESSERA_CONAN unset) from a test's
# command line.
conan=${1:-${TESSERA_CONAN:-}}
[ $# -eq 0 ] || shift

if [ -z "$conan" ]; then
    echo "package.conan: skipped: no Conan 2 (set TESSERA_CONAN to its executable)" >&2
    exit 77
fi
if ! command -v "$conan" >/dev/null 2>&1; then
    echo "package.conan: TESSERA_CONAN is '$conan', which is not an executable" >&2
    exit 1
fi

mkdir -p "$work"
work=$(cd "$work" && pwd)
CONAN_HOME="$work/home"
export CONAN_HOME
mkdir -p "$CONAN_HOME"
# No remotes: everything comes from the wrappers, and a fresh home's conancenter would only time out.
printf '{"remotes": []}\n' >"$CONAN_HOME/remotes.json"
"$conan" profile detect --force

# The shared base first: every wrapper python_requires it.
"$conan" export "$here/debian"
for recipe in "$here"/*/conanfile.py; do
    folder=$(dirname "$recipe")
    [ "$folder" = "$here/debian" ] || "$conan" export "$folder"
done

# The detected profile says C++17 (GCC 12's default); Tessera's recipe requires 20. Ninja, when
# there, as Tessera's presets use it. The test package builds in WORK_DIR, not in tests/package/.
generator=""
command -v ninja >/dev/null 2>&1 && generator="-c tools.cmake.cmaketoolchain:generator=Ninja"
start=$(date +%s)
# shellcheck disable=SC2086
"$conan" create "$source_dir" --build=missing --no-remote -s compiler.cppstd=20 $generator \
    -c "tools.cmake.cmake_layout:test_folder=$work/test_package" "$@"
echo "package.conan: conan create passed in $(($(date +%s) - start)) s"

# Each changed source tree is a new recipe revision, built anew: keep only the latest one, and drop
# the cache's build folders (the binary package is what a next unchanged run reuses).
"$conan" remove "tessera/*#!latest" --confirm
"$conan" cache clean "*" --build --source --temp
