#!/bin/sh
# The echo function for arm64 (aarch64, static), built with Debian's cross compiler (g++-aarch64-linux-gnu):
#   build-arm64.sh CXX SOURCE_DIR INCLUDE_DIR OUTPUT
# INCLUDE_DIR holds only links to the host's header-only libraries (boost/, nlohmann/): the host's C library
# headers must not be seen by the cross compiler. glibc's note that a static getaddrinfo needs its shared
# libraries at run time is filtered out: the sample connects to a numeric address.
set -eu
cxx=$1 src=$2 inc=$3 out=$4
mkdir -p "$(dirname "$out")"
log=$("$cxx" -std=c++20 -O1 -static -pthread -DBOOST_ASIO_NO_DEPRECATED -isystem "$inc" \
  -I"$src/runtime_client/include" -I"$src/http_client/include" \
  "$src/echo/main.cpp" "$src/runtime_client/runtime.cpp" "$src/http_client/connection.cpp" -o "$out" 2>&1) || {
  echo "$log" >&2
  exit 1
}
echo "$log" | grep -v -e "getaddrinfo" -e "in function" -e '^$' >&2 || true
