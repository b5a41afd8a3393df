#pragma once
// Cold start (DESIGN.md §5):
//   baseline  posix_spawn of the same echo bootstrap with AWS_LAMBDA_RUNTIME_API pointing at a minimal
//             Runtime API server in this process: posix_spawn -> its first GET /next arrives (the span
//             lemu calls Init Duration). The server answers with the event, takes the echoed response
//             (202), then SIGKILLs and reaps the child.
//   lemu      `lemu run <echo> --event <event> --repeat 300 --cold --json F`: p50/p90 of init_ms, and
//             the wall time per cold invocation (t(300) - t(20)) / 280.
// Baseline spawns are interleaved with lemu's --cold runs, init samples pooled over the rounds.

#include "bench/options.hpp"

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>
#include <optional>
#include <vector>

namespace lemu::bench {

constexpr double target_cold_ratio = 1.3; // lemu Init Duration p50 <= 1.3 x posix_spawn -> first request

struct cold_result {
  std::vector<double> base_init_ms;       // sorted, pooled
  std::vector<double> base_cycle_mean_ms; // per round
  std::vector<double> lemu_init_ms;       // sorted, pooled
  std::vector<double> t_big;
  std::vector<double> t_small;
  double base_p50 = 0, base_p90 = 0, lemu_p50 = 0, lemu_p90 = 0;
  double base_cycle_ms = 0; // least per-round mean of the baseline's whole cycle
  double lemu_wall_ms = 0;  // (t_big - t_small) / (n_big - n_small), least times
  double ratio_p50 = 0, ratio_p90 = 0, ratio_wall = 0;
  double runtime_max_memory_mb = 0;
  double no_sandbox_p50 = 0;        // lemu --cold --no-sandbox: what the sandbox costs
  std::optional<double> arm64_p50;  // the aarch64 echo through qemu-aarch64-static
  bool ok = false;
};

cold_result measure_cold(const options& o, const std::string& event);

nlohmann::json cold_json(const cold_result& c);

void print_cold_rows(std::ostream& out, const options& o, const cold_result& c);

} // namespace lemu::bench
