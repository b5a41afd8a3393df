#!/usr/bin/env bash
# `make test` (and so CI): every test of a built tree.
#   scripts/test.sh BUILD_DIR JOBS
# The docker tests (ctest -L docker) are mostly one `docker build` of docker/Dockerfile, which waits on apt
# and compiles lemu in the image: they run in the background, beside the other tests and the sanitizer stage
# (scripts/sanitize.sh --quick: unit tests and integration tests under ASan+UBSan, each fuzz target 5 s).
# Their output is printed when they end; the exit status is non-zero if any stage failed.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: scripts/test.sh BUILD_DIR JOBS}
jobs=${2:-2}
docker_log="$build/docker-tests.log"

(cd "$build" && exec ctest --output-on-failure -j "$jobs" -L docker) >"$docker_log" 2>&1 &
docker_pid=$!
trap 'kill "$docker_pid" 2>/dev/null' INT TERM

failed=()
(cd "$build" && ctest --output-on-failure -j "$jobs" -LE docker) || failed+=("ctest -LE docker")
"$here/scripts/sanitize.sh" --tests --quick --fuzz 5 --normal-build "$build" || failed+=("scripts/sanitize.sh")
wait "$docker_pid" || failed+=("ctest -L docker")
echo "--- the docker tests (ctest -L docker, run in the background) ---"
cat "$docker_log"
if ((${#failed[@]})); then
  echo "test: failed: ${failed[*]}" >&2
  exit 1
fi
echo "test: every stage passed"
