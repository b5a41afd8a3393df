#!/usr/bin/env bash
# Configures and builds lemu with CMake; optionally installs it. `make build` and docker/Dockerfile use it.
#   scripts/build.sh [--build-dir DIR] [--release] [--static] [--no-tests] [--target NAME]... [--install PREFIX]
#     --release      CMake's Release configuration (-O3) instead of RelWithDebInfo
#     --static       a fully static lemu that loads no shared library, to copy into any Linux x86_64 image
#                    (scripts/static-deps.sh fetches the one source Debian has no static archive of)
#     --no-tests     neither the tests nor the sample functions
#     --target NAME  build only NAME (repeatable), e.g. lemu and lemu_sample_echo for `make demo`
# Warnings are errors in every configuration.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build_dir="$here/build"
build_type=RelWithDebInfo
extra=(-DLEMU_WARNINGS_AS_ERRORS=ON)
tests=(-DBUILD_TESTING=ON -DLEMU_BUILD_SAMPLES=ON)
static=(-DLEMU_STATIC=OFF)
targets=()
prefix=""
while (($#)); do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --release) build_type=Release; shift ;;
    --static) static=(-DLEMU_STATIC=ON "-DLEMU_SIMDJSON_SOURCE=$("$here/scripts/static-deps.sh")"); shift ;;
    --no-tests) tests=(-DBUILD_TESTING=OFF -DLEMU_BUILD_SAMPLES=OFF); shift ;;
    --target) targets+=(--target "$2"); shift 2 ;;
    --install) prefix=$2; shift 2 ;;
    *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
# The default build keeps line tables only (-g1): backtraces name files and lines, and the build is a
# quarter faster than with full debug information.
cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
  "${extra[@]}" "${tests[@]}" "${static[@]}"
cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
if [ -n "$prefix" ]; then
  strip=()
  [ "$build_type" = Release ] && strip=(--strip) # a release install without symbols (the image's lemu)
  cmake --install "$build_dir" --prefix "$prefix" "${strip[@]}"
fi
