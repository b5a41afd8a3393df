#!/usr/bin/env bash
# Builds lemu and its tests with AddressSanitizer + UndefinedBehaviorSanitizer (clang 14, with libFuzzer
# instrumentation; -O0, which halves the build time of -O1) into build-sanitize/, then runs what is asked:
#   scripts/sanitize.sh --tests            the unit tests built with the sanitizers, and the integration tests
#                                          (of the normal build: build/, or --normal-build DIR) run against the
#                                          sanitized lemu
#   scripts/sanitize.sh --fuzz SECONDS     every libFuzzer target for SECONDS each, from its seed corpus
#   scripts/sanitize.sh --quick ...        with --tests: also leave out the volume tests (see below), as
#                                          `make test` does
# Both may be given (with neither, it only builds). `make test-sanitize`, `make fuzz` and `make test` call it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build_dir="$here/build-sanitize"
normal_build="$here/build"
run_tests=0
quick=0
fuzz_seconds=0
while (($#)); do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --normal-build) normal_build=$(realpath -m "$2"); shift 2 ;;
    --tests) run_tests=1; shift ;;
    --quick) quick=1; shift ;;
    --fuzz) fuzz_seconds=$2; shift 2 ;;
    *) echo "sanitize.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

cmake -S "$here" -B "$build_dir" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" -DLEMU_SANITIZE=ON -DLEMU_FUZZ=ON >/dev/null
# The unit tests are in-process: built instrumented. The integration tests drive the lemu binary: the normal
# build's test executable (and its sample functions, never instrumented anyway) runs against this build's
# lemu, so they are not compiled a second time.
targets=(lemu fuzz_targets)
for t in $(cd "$build_dir" && cmake --build . --target help | sed -n 's/^\.\.\. \(lemu_unit_[a-z_]*\).*/\1/p'); do
  targets+=("$t")
done
cmake --build "$build_dir" -j "$(nproc)" --target "${targets[@]}"

# A sanitizer finding stops the process with a report; a leak is a finding. The runtimes lemu starts are
# not instrumented (sample-functions/CMakeLists.txt).
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

if ((run_tests)); then
  "$here/scripts/build.sh" --build-dir "$normal_build" --target lemu_integration_tests >/dev/null
  (cd "$build_dir" && ctest --output-on-failure -j "$(nproc)" -L unit)
  # The load tests measure throughput and memory growth, which the sanitizers change: they run unsanitized
  # (`ctest` in the normal build). --quick leaves out the volume tests too: the same paths as smaller tests
  # of their files, run with hundreds or thousands of events, which take 10-50 s each under ASan.
  exclude='^ServeLoad\.'
  if ((quick)); then
    exclude+='|^Shard\.FourShardsRunEveryEventOnce|^CliFailures\.MixedRunOf200|^SqsMapping\.TenThousandMessages'
  fi
  (cd "$normal_build" && LEMU_TEST_LEMU="$build_dir/emulator/lemu" LEMU_TEST_SANITIZED=1 \
     ctest --output-on-failure -j "$(nproc)" -L integration -E "$exclude")
fi

if ((fuzz_seconds > 0)); then
  corpus_root="$here/tests/fuzz/corpus"
  # One target per core at a time (each is single-threaded); each prints its lines when it ends.
  fuzz_one() {
    local target=$1 name work status out
    name=$(basename "$target")
    work="$build_dir/fuzz-corpus/$name"
    mkdir -p "$work"
    # New inputs go to the build's corpus; the seeds in the repository are only read. A crash leaves
    # crash-* in $work and fails the run.
    out=$("$target" -max_total_time="$fuzz_seconds" -print_final_stats=1 -artifact_prefix="$work/" -max_len=65536 \
      "$work" "$corpus_root/$name" 2>&1) && status=0 || status=$?
    echo "fuzz: $name for ${fuzz_seconds}s"
    grep -E '^(#[0-9]+ +DONE|stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|==[0-9]+==|SUMMARY|.*(cov|ft):)' \
      <<<"$out" | tail -6 || true
    if [ "$status" -ne 0 ]; then
      echo "fuzz: $name failed (exit $status): see the crash input in $work" >&2
      return 1
    fi
  }
  pids=()
  failed=0
  for target in "$build_dir"/tests/fuzz/fuzz_*; do
    [ -x "$target" ] || continue
    if ((${#pids[@]} >= $(nproc))); then
      wait "${pids[0]}" || failed=1
      pids=("${pids[@]:1}")
    fi
    fuzz_one "$target" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  ((failed == 0)) || exit 1
fi
