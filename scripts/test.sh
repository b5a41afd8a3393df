#!/usr/bin/env bash
# `make test` (and so CI): every test of a built tree.
#   scripts/test.sh BUILD_DIR JOBS
# The docker tests (ctest -L docker) are mostly one `docker build` of docker/Dockerfile, which waits on apt
# and compiles lemu in the image: they run in the background, beside everything else. The sanitizer build
# (clang, build-sanitize/) starts at once too, at the lowest CPU priority (nice 19): the tests of the
# normal build, which wait on timeouts and processes for half of their time, keep the CPU they ask for and
# the build takes the rest, back at the normal priority once they end. Then the sanitizer stage
# (scripts/sanitize.sh --quick: unit tests and integration tests under ASan+UBSan, each fuzz target 5 s).
# Background output is printed when it ends; the exit status is non-zero if any stage failed.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: scripts/test.sh BUILD_DIR JOBS}
jobs=${2:-2}
docker_log="$build/docker-tests.log"
sanitize_log="$build/sanitize-build.log"

(cd "$build" && exec ctest --output-on-failure -j "$jobs" -L docker) >"$docker_log" 2>&1 &
docker_pid=$!
nice -n 19 "$here/scripts/sanitize.sh" --normal-build "$build" >"$sanitize_log" 2>&1 &
sanitize_pid=$!
trap 'kill "$docker_pid" "$sanitize_pid" 2>/dev/null' INT TERM

# The whole tree of a process back to the normal priority, parents first (a child forked later inherits its
# parent's). Raising a priority needs root (CAP_SYS_NICE): elsewhere the build just stays at nice 19.
renice_tree() {
  renice -n 0 -p "$1" >/dev/null 2>&1 || return 0
  local child
  for child in $(pgrep -P "$1"); do renice_tree "$child"; done
}

failed=()
(cd "$build" && ctest --output-on-failure -j "$jobs" -LE docker) || failed+=("ctest -LE docker")
# The sanitizer build is now what the rest waits on: it shares the CPU with the docker build as an equal.
renice_tree "$sanitize_pid"
if wait "$sanitize_pid"; then
  "$here/scripts/sanitize.sh" --tests --quick --fuzz 5 --normal-build "$build" || failed+=("scripts/sanitize.sh")
else
  echo "--- the sanitizer build (scripts/sanitize.sh, run in the background) failed ---"
  tail -n 200 "$sanitize_log"
  failed+=("scripts/sanitize.sh (build)")
fi
wait "$docker_pid" || failed+=("ctest -L docker")
echo "--- the docker tests (ctest -L docker, run in the background) ---"
cat "$docker_log"
if ((${#failed[@]})); then
  echo "test: failed: ${failed[*]}" >&2
  exit 1
fi
echo "test: every stage passed"
