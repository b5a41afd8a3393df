// lemu_bench: the DESIGN.md §5 benchmarks, lemu against baselines measured in the same run. One file per
// scenario, each with its method described at the top of its header:
//   warm.hpp    warm invokes at concurrency 1 and N (`lemu run --repeat`) vs raw keep-alive round trips
//   cold.hpp    cold start Init Duration (`lemu run --cold`) vs posix_spawn -> first GET /next
//   replay.hpp  replaying 100,000 and 1,000,000 JSONL events: events/s and peak RSS
//   serve.hpp   `lemu serve`'s Invoke API with concurrent clients vs chains of raw round trips; streaming
//               time to first byte; SQS: 10,000 messages through a local queue and the mapping
// and a small shared core: core.hpp (sockets, processes, percentiles, the table), http_reader.hpp,
// baseline.hpp (the --serve server, its client, the parallel runner), lemu_runs.hpp, options.hpp (CLI11).
//
// The table goes to stdout, progress to stderr; --json OUT writes the figures. Exit status: 0 when the
// benchmark ran (whatever the ratios, unless --check), 1 when a target is missed under --check, 2 on error.
#include "bench/baseline.hpp"
#include "bench/cold.hpp"
#include "bench/core.hpp"
#include "bench/options.hpp"
#include "bench/replay.hpp"
#include "bench/serve.hpp"
#include "bench/warm.hpp"

#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <iostream>
#include <optional>

namespace lemu::bench {
namespace {

void print_plan(const options& o, std::size_t event_bytes) {
  std::cerr << "lemu_bench: event " << o.event << " (" << event_bytes << " bytes); ";
  if (!o.only_serve) {
    std::cerr << o.rounds << " rounds: baseline " << o.warmup << " + " << o.pairs << " pairs, lemu --repeat " << o.n_small
              << " and " << o.n_big << "; then lemu --repeat " << o.n_json << " --json; the same at --concurrency "
              << o.concurrency << "; cold starts " << o.cold_n << " per round; replay "
              << (o.skip_replay ? std::string("skipped") : std::to_string(o.replay_small) + " and " + std::to_string(o.replay_big))
              << "; ";
  }
  std::cerr << "lemu serve: " << o.serve_rounds << " rounds, " << o.serve_clients << " Invoke API clients, "
            << o.serve_warmup << " warm-up invokes each + " << fmt("%.1f s", o.serve_seconds) << " timed a round, --concurrency "
            << serve_acceptance_concurrency << " and " << o.serve_clients << (o.only_serve ? " (--only serve)" : "")
            << "\n";
}

nlohmann::json parameters_json(const options& o) {
  return {{"rounds", o.rounds},
          {"baseline_pairs", o.pairs},
          {"baseline_warmup", o.warmup},
          {"n_small", o.n_small},
          {"n_big", o.n_big},
          {"n_json", o.n_json},
          {"concurrency", o.concurrency},
          {"cold_n", o.cold_n},
          {"cold_small", o.cold_small},
          {"replay_small", o.replay_small},
          {"replay_big", o.replay_big},
          {"skip_replay", o.skip_replay},
          {"only_serve", o.only_serve},
          {"serve_clients", o.serve_clients},
          {"serve_warmup", o.serve_warmup},
          {"serve_seconds", o.serve_seconds},
          {"serve_rounds", o.serve_rounds}};
}

int run_bench(const options& o) {
  const std::string event = read_file(o.event);
  const std::string self = self_path();
  print_plan(o, event.size());
  const auto bench_start = clock_type::now();

  std::optional<warm_result> w1;
  std::optional<warm_result> wn;
  std::optional<cold_result> cold;
  if (!o.only_serve) {
    w1 = measure_warm(o, self, event, 1);
    wn = measure_warm(o, self, event, o.concurrency);
    cold = measure_cold(o, event);
  }
  const serve_result serve = measure_serve(o, self, event);
  const stream_result stream = measure_stream(o);
  const sqs_result sqs = o.only_serve ? sqs_result{} : measure_sqs(o);
  const replay_results replays = measure_replay(o);

  // The table.
  std::cout << row("benchmark", "lemu", "baseline", "ratio", "") << '\n';
  bool all_ok = serve.ok && stream.ok;
  if (!o.only_serve) {
    print_warm_rows(std::cout, *w1, *wn);
    print_cold_rows(std::cout, o, *cold);
    print_replay_rows(std::cout, replays);
    all_ok = all_ok && w1->ok() && wn->ok() && cold->ok && replays.ok();
  }
  print_serve_rows(std::cout, serve);
  print_stream_rows(std::cout, stream);
  print_sqs_rows(std::cout, sqs);
  std::cout.flush();

  std::cerr << "lemu_bench: " << fmt("%.0f", std::chrono::duration<double>(clock_type::now() - bench_start).count())
            << " s; " << (all_ok ? "every target met" : "a target was MISSED") << "\n";

  if (!o.json_out.empty()) {
    nlohmann::json j;
    j["event"] = o.event;
    j["event_bytes"] = event.size();
    j["parameters"] = parameters_json(o);
    j["serve"] = serve_json(o, serve);
    j["stream_ttfb"] = stream_json(stream);
    j["sqs"] = sqs_json(sqs);
    if (o.only_serve) {
      j["targets"] = {
          {"serve_throughput_min", target_serve_ratio}, {"serve_throughput_ok", serve.ok}, {"all_ok", all_ok}};
    } else {
      // Concurrency 1, under the keys the benchmark has always written.
      const nlohmann::json c1 = warm_json(*w1);
      j["baseline"] = c1["baseline"];
      j["lemu"] = c1["lemu"];
      j["ratios"] = c1["ratios"];
      j["concurrency_n"] = warm_json(*wn);
      j["cold_start"] = cold_json(*cold);
      j["replay"] = replay_json(replays);
      const bool replayed = !replays.runs.empty();
      j["targets"] = {{"throughput_min", target_throughput_ratio},
                      {"latency_p50_max", target_p50_ratio},
                      {"latency_p99_max", target_p99_ratio},
                      {"cold_init_p50_max", target_cold_ratio},
                      {"replay_rss_max_mb", target_replay_rss_mb},
                      {"replay_growth_bytes_per_event_max", target_replay_growth_bytes},
                      {"throughput_ok", w1->rate_ok},
                      {"latency_p50_ok", w1->latency_ok},
                      {"concurrency_n_throughput_ok", wn->rate_ok},
                      {"concurrency_n_latency_p50_ok", wn->latency_ok},
                      {"cold_init_p50_ok", cold->ok},
                      {"replay_rss_ok", replayed ? nlohmann::json(replays.rss_ok) : nlohmann::json(nullptr)},
                      {"replay_flat_ok", replayed ? nlohmann::json(replays.flat_ok) : nlohmann::json(nullptr)},
                      {"serve_throughput_min", target_serve_ratio},
                      {"serve_throughput_ok", serve.ok},
                      {"all_ok", all_ok}};
    }
    std::ofstream out(o.json_out);
    out << j.dump(2) << '\n';
    if (!out) throw std::runtime_error("cannot write " + o.json_out);
  }

  return o.check && !all_ok ? 1 : 0;
}

} // namespace
} // namespace lemu::bench

int main(int argc, char** argv) {
  using namespace lemu::bench;
  try {
    const parsed_options parsed = parse_options(argc, argv);
    if (parsed.exit_code >= 0) return parsed.exit_code;
    const options& o = parsed.o;
    if (o.serve) return serve(o.event, o.port_fd);
    std::signal(SIGPIPE, SIG_IGN);
    return run_bench(o);
  } catch (const std::exception& e) {
    std::cerr << "lemu_bench: " << e.what() << '\n';
    return 2;
  }
}
