#pragma once
// Replay (DESIGN.md §5): `lemu run <echo> --event big.jsonl --quiet` on generated JSONL files of 100,000 and
// 1,000,000 one-line SQS events (deleted afterwards): events/s and lemu's peak RSS (wait4), which must stay
// under a bound and flat in the event count.

#include "bench/options.hpp"

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <vector>

namespace lemu::bench {

constexpr double target_replay_rss_mb = 64.0; // lemu's peak RSS replaying 1,000,000 events
// "Flat in the event count": what lemu's peak RSS grows by per extra event between the two replays. lemu
// keeps a bounded summary (duration_samples); keeping the events or the records would cost hundreds.
constexpr double target_replay_growth_bytes = 16.0;

struct replay_result {
  int events = 0;
  double seconds = 0;
  double events_per_s = 0;
  double max_rss_mb = 0;
};

// The small and the big replay; empty with --skip-replay or --only serve.
struct replay_results {
  std::vector<replay_result> runs;
  bool rss_ok = true, flat_ok = true;
  double flat_ratio = 0;   // big's peak RSS / small's
  double growth_bytes = 0; // per extra event

  bool ok() const { return rss_ok && flat_ok; }
};

replay_results measure_replay(const options& o);

nlohmann::json replay_json(const replay_results& r); // null when skipped

void print_replay_rows(std::ostream& out, const replay_results& r);

} // namespace lemu::bench
