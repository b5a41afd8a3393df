#include "bench/warm.hpp"

#include <algorithm>
#include <iostream>
#include <stdexcept>

namespace lemu::bench {

warm_result measure_warm(const options& o, const std::string& self, const std::string& event, int concurrency) {
  warm_result w;
  w.concurrency = concurrency;
  std::vector<baseline_server> servers;
  for (int i = 0; i < concurrency; ++i) servers.push_back(start_baseline_server(self, o.event));
  std::vector<int> fds;
  for (const auto& s : servers) fds.push_back(s.conn.get());

  for (int r = 0; r < o.rounds; ++r) {
    w.base_rounds.push_back(concurrency == 1 ? run_baseline_round(fds.front(), event, o.warmup, o.pairs)
                                             : run_baseline_parallel(fds, event, o.warmup, o.pairs));
    w.t_small.push_back(run_lemu(o.lemu, o.echo, repeat_args(o.event, o.n_small, concurrency)).seconds);
    w.t_big.push_back(run_lemu(o.lemu, o.echo, repeat_args(o.event, o.n_big, concurrency)).seconds);
    const auto& b = w.base_rounds.back();
    std::cerr << "  round " << r + 1 << (concurrency == 1 ? "" : " (concurrency " + std::to_string(concurrency) + ")")
              << ": baseline " << fmt("%.0f", b.pairs_per_s) << " pairs/s (p50 " << fmt("%.1f", b.p50_us)
              << " µs, p99 " << fmt("%.1f", b.p99_us) << " µs); lemu --repeat " << o.n_small << " "
              << fmt("%.3f", w.t_small.back()) << " s, --repeat " << o.n_big << " " << fmt("%.3f", w.t_big.back())
              << " s\n";
  }
  for (auto& s : servers) stop_baseline_server(s);

  w.durations = lemu_json_run(o.lemu, o.echo, o.event, o.n_json, concurrency, false);
  if (w.durations.environments != static_cast<std::size_t>(concurrency)) {
    std::cerr << "  note: lemu --concurrency " << concurrency << " used " << w.durations.environments
              << " environment(s)\n";
  }

  // Figures: the best baseline round (highest rate; its percentiles), the least lemu times.
  w.base = *std::max_element(w.base_rounds.begin(), w.base_rounds.end(),
                             [](const auto& a, const auto& b) { return a.pairs_per_s < b.pairs_per_s; });
  const double best_small = *std::min_element(w.t_small.begin(), w.t_small.end());
  const double best_big = *std::min_element(w.t_big.begin(), w.t_big.end());
  const double dt = best_big - best_small;
  if (dt <= 0) throw std::runtime_error("lemu's long run was not slower than its short run; raise --big");
  w.lemu_rate = (o.n_big - o.n_small) / dt;
  w.lemu_added_us = concurrency * 1e6 / w.lemu_rate;
  w.ratio_rate = w.lemu_rate / w.base.pairs_per_s;
  w.ratio_latency = w.lemu_added_us / w.base.p50_us;
  w.ratio_inner_p50 = w.durations.p50_us / w.base.p50_us;
  w.ratio_inner_p99 = w.durations.p99_us / w.base.p99_us;
  w.rate_ok = w.ratio_rate >= target_throughput_ratio;
  w.latency_ok = w.ratio_latency <= target_p50_ratio;
  return w;
}

nlohmann::json warm_json(const warm_result& w) {
  nlohmann::json rounds = nlohmann::json::array();
  for (const auto& r : w.base_rounds) {
    rounds.push_back({{"pairs_per_s", r.pairs_per_s}, {"p50_us", r.p50_us}, {"p99_us", r.p99_us}, {"mean_us", r.mean_us}});
  }
  return {{"concurrency", w.concurrency},
          {"baseline",
           {{"pairs_per_s", w.base.pairs_per_s},
            {"pair_p50_us", w.base.p50_us},
            {"pair_p99_us", w.base.p99_us},
            {"pair_mean_us", w.base.mean_us},
            {"rounds", rounds}}},
          {"lemu",
           {{"warm_invokes_per_s", w.lemu_rate},
            {"added_latency_us", w.lemu_added_us},
            {"t_small_s", w.t_small},
            {"t_big_s", w.t_big},
            {"warm_records", w.durations.warm},
            {"environments", w.durations.environments},
            {"duration_p50_us", w.durations.p50_us},
            {"duration_p99_us", w.durations.p99_us}}},
          {"ratios",
           {{"throughput", w.ratio_rate},
            {"latency_p50", w.ratio_latency},
            {"duration_p50_vs_pair_p50", w.ratio_inner_p50},
            {"duration_p99_vs_pair_p99", w.ratio_inner_p99}}},
          {"targets", {{"throughput_ok", w.rate_ok}, {"latency_p50_ok", w.latency_ok}}}};
}

void print_warm_rows(std::ostream& out, const warm_result& w1, const warm_result& wn) {
  const std::string cn = std::to_string(wn.concurrency);
  out << row("warm invokes/s (C++ echo, --repeat)", fmt("%.0f/s", w1.lemu_rate), fmt("%.0f/s", w1.base.pairs_per_s),
             fmt("%.2f", w1.ratio_rate), fmt("(target >= %.2f) ", target_throughput_ratio) + verdict(w1.rate_ok))
      << '\n'
      << row("warm invoke added latency p50 (µs)", fmt("%.1f", w1.lemu_added_us), fmt("%.1f", w1.base.p50_us),
             fmt("%.2f", w1.ratio_latency),
             fmt("(target <= %.2f) ", target_p50_ratio) + verdict(w1.latency_ok) + "  lemu: 1e6 / rate; baseline: pair p50")
      << '\n'
      << row("  baseline pair p50 / p99 (µs)", "", fmt("%.1f", w1.base.p50_us) + fmt(" / %.1f", w1.base.p99_us), "", "")
      << '\n'
      << row("  duration inside lemu p50 (µs)", fmt("%.1f", w1.durations.p50_us), fmt("%.1f", w1.base.p50_us),
             fmt("%.2f", w1.ratio_inner_p50), "info: event delivered → response received")
      << '\n'
      << row("  duration inside lemu p99 (µs)", fmt("%.1f", w1.durations.p99_us), fmt("%.1f", w1.base.p99_us),
             fmt("%.2f", w1.ratio_inner_p99), fmt("info: vs baseline pair p99 (§5 p99 target <= %.2f)", target_p99_ratio))
      << '\n'
      << row("warm invokes/s, --concurrency " + cn, fmt("%.0f/s", wn.lemu_rate), fmt("%.0f/s", wn.base.pairs_per_s),
             fmt("%.2f", wn.ratio_rate),
             fmt("(target >= %.2f) ", target_throughput_ratio) + verdict(wn.rate_ok) + "  baseline: " + cn +
                 " pairs at once, aggregate")
      << '\n'
      << row("warm added latency p50, -c " + cn + " (µs)", fmt("%.1f", wn.lemu_added_us), fmt("%.1f", wn.base.p50_us),
             fmt("%.2f", wn.ratio_latency),
             fmt("(target <= %.2f) ", target_p50_ratio) + verdict(wn.latency_ok) + "  lemu: " + cn +
                 "e6 / rate; baseline: pair p50, " + cn + " at once")
      << '\n'
      << row("  baseline pair p50 / p99, -c " + cn + " (µs)", "",
             fmt("%.1f", wn.base.p50_us) + fmt(" / %.1f", wn.base.p99_us), "", "")
      << '\n'
      << row("  duration inside lemu p50, -c " + cn + " (µs)", fmt("%.1f", wn.durations.p50_us),
             fmt("%.1f", wn.base.p50_us), fmt("%.2f", wn.ratio_inner_p50), "info: event delivered → response received")
      << '\n'
      << row("  duration inside lemu p99, -c " + cn + " (µs)", fmt("%.1f", wn.durations.p99_us),
             fmt("%.1f", wn.base.p99_us), fmt("%.2f", wn.ratio_inner_p99),
             fmt("info: vs baseline pair p99 (§5 p99 target <= %.2f)", target_p99_ratio))
      << '\n';
}

} // namespace lemu::bench
