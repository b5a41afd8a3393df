#pragma once
// Warm invokes at one concurrency (DESIGN.md §5):
//   baseline  two raw HTTP/1.1 keep-alive round trips between two processes on loopback (GET the event,
//             POST it back): the floor of one warm invoke (baseline.hpp). For concurrency N, N such
//             client/server pairs run at the same time (N client threads, N server processes); the aggregate
//             pairs/s counts the span in which all N run (the first to finish its quota stops the others).
//   lemu      `lemu run <echo> --event <event> --repeat N [--concurrency N]`, stdout and stderr to
//             /dev/null, wall-clock timed for a small and a big N; (N_big - N_small) / (t_big - t_small)
//             cancels process start, init and shutdown. Best (least time) of several rounds, interleaved
//             with the baseline rounds. One more run with --json gives lemu's own warm duration_ms
//             percentiles.

#include "bench/baseline.hpp"
#include "bench/lemu_runs.hpp"
#include "bench/options.hpp"

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace lemu::bench {

// DESIGN.md §5 targets.
constexpr double target_throughput_ratio = 0.50; // lemu rate >= 0.5 x baseline pair rate
constexpr double target_p50_ratio = 2.0;         // lemu added latency p50 <= 2 x baseline pair p50
constexpr double target_p99_ratio = 4.0;         // lemu added latency p99 <= 4 x baseline pair p99

struct warm_result {
  int concurrency = 1;
  std::vector<baseline_round> base_rounds;
  baseline_round base; // the best round (highest rate)
  std::vector<double> t_small;
  std::vector<double> t_big;
  double lemu_rate = 0;
  double lemu_added_us = 0; // per environment: concurrency x 1e6 / rate
  lemu_records durations;
  double ratio_rate = 0;
  double ratio_latency = 0;
  double ratio_inner_p50 = 0;
  double ratio_inner_p99 = 0;
  bool rate_ok = false;
  bool latency_ok = false;

  bool ok() const { return rate_ok && latency_ok; }
};

// Baseline rounds interleaved with lemu's small and big runs, then lemu's --json run.
warm_result measure_warm(const options& o, const std::string& self, const std::string& event, int concurrency);

nlohmann::json warm_json(const warm_result& w);

// The table's rows for concurrency 1 (w1) and N (wn).
void print_warm_rows(std::ostream& out, const warm_result& w1, const warm_result& wn);

} // namespace lemu::bench
