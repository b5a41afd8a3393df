#!/usr/bin/env bash
# The Debian packages an installed lemu needs at run time (its shared libraries), for slim images.
#   scripts/runtime-deps.sh --list          print them
#   scripts/runtime-deps.sh --install       apt-get install them (docker/Dockerfile's runtime stage)
#   scripts/runtime-deps.sh --check BINARY  verify that every shared library BINARY loads comes from one of
#                                           them or from libc/libstdc++ (which every Debian image has)
set -euo pipefail
packages=(libspdlog1.10 libfmt9 libsimdjson14 libssl3 libboost-url1.81.0 libyaml-cpp0.7)
case "${1:-}" in
  --list) printf '%s\n' "${packages[@]}" ;;
  --install)
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${packages[@]}"
    rm -rf /var/lib/apt/lists/*
    ;;
  --check)
    binary=${2:?usage: runtime-deps.sh --check BINARY}
    base=(libc6 libstdc++6 libgcc-s1)
    status=0
    while read -r lib; do
      # dpkg knows the files under /usr (merged /usr): ask for the resolved path, then the one given.
      owner=$( { dpkg -S "$(realpath "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null || true; } | head -n1 | cut -d: -f1)
      case " ${packages[*]} ${base[*]} " in
        *" $owner "*) ;;
        *) echo "runtime-deps.sh: $binary needs $lib from '${owner:-unknown}', which is not listed" >&2; status=1 ;;
      esac
    done < <(ldd "$binary" | awk '/=> \// { print $3 }')
    exit $status
    ;;
  *) echo "usage: runtime-deps.sh --list | --install | --check BINARY" >&2; exit 2 ;;
esac
