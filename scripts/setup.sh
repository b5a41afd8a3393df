#!/usr/bin/env bash
# Installs everything lemu needs to build and test on Debian 12 (bookworm):
# Debian packages through apt, and the npm packages of the conformance tests.
# Idempotent and quiet when everything is already there; needs root (or sudo) only to install.
#   scripts/setup.sh               everything: build, tests, conformance clients
#   scripts/setup.sh --build-only  only what building lemu needs (docker/Dockerfile, `make demo`); GoogleTest
#                                  too, as configuring a build with tests (make demo's) looks for it
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build_only=0
[ "${1:-}" = "--build-only" ] && build_only=1

apt_packages=(
  g++ cmake make
  libboost1.81-dev libboost-url1.81-dev
  nlohmann-json3-dev libsimdjson-dev libssl-dev libspdlog-dev libfmt-dev libcli11-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev
)
test_packages=(
  curl ca-certificates procps
  # aws-lambda-ric builds its native part (bundled curl + aws-lambda-cpp) at npm install time
  python3 autoconf automake libtool
  libxml2-utils
  # the browser test renders the HTML report headless
  chromium
  # lemu serve's conformance tests: the AWS CLI v2 (/usr/bin/aws) calls the Invoke API
  awscli
  # make test-sanitize and make fuzz: clang 14 with its ASan, UBSan and libFuzzer runtimes
  clang-14 libclang-rt-14-dev
  # the CI examples' YAML is parsed with Debian's python3 (/usr/bin/python3 -c 'import yaml')
  python3-yaml
  # arm64 functions: the echo sample built for aarch64 (static), run through qemu-aarch64-static
  g++-aarch64-linux-gnu qemu-user-static
)
((build_only)) || apt_packages+=("${test_packages[@]}")

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js and npm: any install that provides the commands will do (a nodesource nodejs bundles npm and
# conflicts with Debian's npm package); on a machine without them take Debian's.
if ((!build_only)); then
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
fi
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

((build_only)) && exit 0

# The docker tests: a Docker engine and debootstrap (only when their commands are missing, so that an
# engine installed otherwise, Docker's own packages say, is kept).
"$here/scripts/docker-engine.sh" install

# npm packages for the conformance tests (real runtime clients nobody on the team wrote).
node_dir="$here/tests/conformance/node"
stamp="$node_dir/node_modules/.lemu-installed"
if [ ! -f "$stamp" ] || [ "$node_dir/package.json" -nt "$stamp" ] || [ "$node_dir/package-lock.json" -nt "$stamp" ]; then
  echo "setup: installing npm packages in tests/conformance/node (aws-lambda-ric builds native code, ~1 min)"
  # node-gyp must find Node's headers offline: Debian's nodejs ships them under /usr/include/node.
  (cd "$node_dir" && npm_config_nodedir=/usr npm ci --no-audit --no-fund --loglevel=error)
  touch "$stamp"
fi
