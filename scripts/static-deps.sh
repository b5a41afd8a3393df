#!/usr/bin/env bash
# The sources that a static lemu (scripts/build.sh --static) compiles in because Debian ships no static
# archive of them: simdjson (libsimdjson-dev has only libsimdjson.so). Fetches Debian's own source package
# of the installed version with `apt-get source` (verified by apt against the signed Sources index, like
# any package) into a cache folder, and prints the path of simdjson.cpp. libcrypto.a (libssl-dev) and
# libstdc++.a/libc.a (g++) are Debian's; spdlog and fmt are used header-only.
#   scripts/static-deps.sh            print the path of simdjson.cpp, fetching it when missing
set -euo pipefail
version=$(dpkg-query -W -f '${Version}' libsimdjson-dev)
upstream=${version%-*}
upstream=${upstream#*:}
cache=${LEMU_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lemu}/src
source="$cache/simdjson-$upstream/singleheader/simdjson.cpp"
if [ ! -f "$source" ]; then
  mirror=${LEMU_DEBIAN_MIRROR:-http://deb.debian.org/debian}
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$cache"
  echo "deb-src $mirror bookworm main" >"$work/sources.list"
  apt_options=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
  echo "static-deps: fetching Debian's simdjson $version source" >&2
  apt-get -qq "${apt_options[@]}" update >&2
  (cd "$work" && apt-get -qq "${apt_options[@]}" source --download-only "simdjson=$version" >&2)
  tar -C "$cache" -xzf "$work/simdjson_$upstream.orig.tar.gz" "simdjson-$upstream/singleheader" "simdjson-$upstream/LICENSE"
fi
echo "$source"
