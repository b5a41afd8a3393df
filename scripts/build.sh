#!/usr/bin/env bash
# Configures and builds lemu with CMake; optionally installs it. `make build` and docker/Dockerfile use it.
#   scripts/build.sh [--build-dir DIR] [--release] [--no-tests] [--install PREFIX]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build_dir="$here/build"
build_type=RelWithDebInfo
extra=(-DLEMU_WARNINGS_AS_ERRORS=ON)
prefix=""
while (($#)); do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --release) build_type=Release; shift ;;
    --no-tests) extra+=(-DBUILD_TESTING=OFF -DLEMU_BUILD_SAMPLES=OFF); shift ;;
    --install) prefix=$2; shift 2 ;;
    *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
cmake -S "$here" -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" "${extra[@]}"
cmake --build "$build_dir" -j "$(nproc)"
if [ -n "$prefix" ]; then
  cmake --install "$build_dir" --prefix "$prefix"
fi
