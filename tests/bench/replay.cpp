#include "bench/replay.hpp"

#include "bench/core.hpp"
#include "bench/lemu_runs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>

namespace lemu::bench {

namespace {

// n one-line SQS-like events (about 300 bytes each, every messageId and orderId distinct).
void write_jsonl(const std::string& path, int n) {
  static constexpr std::string_view line =
      R"({"Records":[{"messageId":"059f36b4-87a3-44ab-83d2-000000000000","receiptHandle":"AQEBwJnKyrHi",)"
      R"("body":"{\"orderId\":\"0000000\",\"status\":\"paid\"}","attributes":{"SentTimestamp":"1732606401000"},)"
      R"("eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:123456789012:orders","awsRegion":"us-east-1"}]})"
      "\n";
  const std::size_t id_at = line.find("000000000000");
  const std::size_t order_at = line.find("0000000\\\"");
  std::string chunk;
  chunk.reserve(4 * 1024 * 1024 + line.size());
  fd_guard out(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (out.get() < 0) fail_errno("open " + path);
  auto flush = [&] {
    std::string_view data = chunk;
    while (!data.empty()) {
      const ssize_t w = ::write(out.get(), data.data(), data.size());
      if (w < 0) {
        if (errno == EINTR) continue;
        fail_errno("write " + path);
      }
      data.remove_prefix(static_cast<std::size_t>(w));
    }
    chunk.clear();
  };
  char digits[16];
  for (int i = 0; i < n; ++i) {
    const std::size_t at = chunk.size();
    chunk += line;
    std::snprintf(digits, sizeof digits, "%012d", i);
    chunk.replace(at + id_at, 12, digits, 12);
    chunk.replace(at + order_at, 7, digits + 5, 7);
    if (chunk.size() >= 4 * 1024 * 1024) flush();
  }
  flush();
}

replay_result replay(const std::string& lemu, const std::string& echo, const temp_dir& dir, int n) {
  const std::string path = dir.file("replay-" + std::to_string(n) + ".jsonl");
  write_jsonl(path, n);
  std::cerr << "  replay " << n << " events (" << std::filesystem::file_size(path) / (1024 * 1024) << " MiB)...\n";
  replay_result r;
  try {
    const lemu_run run = run_lemu(lemu, echo, {"--event", path, "--quiet"});
    r.events = n;
    r.seconds = run.seconds;
    r.events_per_s = n / run.seconds;
    r.max_rss_mb = run.max_rss_mb;
  } catch (...) {
    std::filesystem::remove(path);
    throw;
  }
  std::filesystem::remove(path);
  return r;
}

} // namespace

replay_results measure_replay(const options& o) {
  replay_results out;
  if (o.skip_replay || o.only_serve) return out;
  {
    temp_dir dir("lemu_bench_replay_");
    out.runs.push_back(replay(o.lemu, o.echo, dir, o.replay_small));
    out.runs.push_back(replay(o.lemu, o.echo, dir, o.replay_big));
  }
  const replay_result& small = out.runs.front();
  const replay_result& big = out.runs.back();
  for (const auto& r : out.runs) out.rss_ok = out.rss_ok && r.max_rss_mb <= target_replay_rss_mb;
  out.flat_ratio = big.max_rss_mb / small.max_rss_mb;
  out.growth_bytes = (big.max_rss_mb - small.max_rss_mb) * 1024 * 1024 / (big.events - small.events);
  out.flat_ok = out.growth_bytes <= target_replay_growth_bytes;
  return out;
}

nlohmann::json replay_json(const replay_results& r) {
  if (r.runs.empty()) return nullptr;
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& x : r.runs) {
    runs.push_back({{"events", x.events}, {"seconds", x.seconds}, {"events_per_s", x.events_per_s}, {"max_rss_mb", x.max_rss_mb}});
  }
  return {{"runs", runs},
          {"rss_ratio_big_vs_small", r.flat_ratio},
          {"rss_growth_bytes_per_event", r.growth_bytes},
          {"max_rss_note", "wait4 ru_maxrss of the lemu process (Linux folds in its largest reaped "
                           "child's peak when larger; the echo runtime's is about 3 MB)"}};
}

void print_replay_rows(std::ostream& out, const replay_results& r) {
  if (r.runs.empty()) {
    out << row("replay from JSONL", "skipped", "", "", "(--skip-replay)") << '\n';
    return;
  }
  for (std::size_t i = r.runs.size(); i-- > 0;) {
    const auto& x = r.runs[i];
    const std::string grouped = thousands(x.events);
    const bool ok = x.max_rss_mb <= target_replay_rss_mb;
    out << row("replay " + grouped + " events: events/s", fmt("%.0f/s", x.events_per_s), "—", "",
               fmt("info: %.1f s wall", x.seconds))
        << '\n'
        << row("replay " + grouped + " events: peak RSS", fmt("%.1f MB", x.max_rss_mb), "—",
               fmt("%.2f", x.max_rss_mb / target_replay_rss_mb),
               fmt("(target <= %.0f MB) ", target_replay_rss_mb) + verdict(ok) + "  ratio: RSS / target")
        << '\n';
  }
  out << row("  peak RSS " + thousands(r.runs.back().events) + " vs " + thousands(r.runs.front().events),
             fmt("%.1f MB", r.runs.back().max_rss_mb), fmt("%.1f MB", r.runs.front().max_rss_mb),
             fmt("%.2f", r.flat_ratio), "info")
      << '\n'
      << row("  peak RSS growth per extra event", fmt("%.1f B", r.growth_bytes), "—",
             fmt("%.2f", r.growth_bytes / target_replay_growth_bytes),
             fmt("(flat: <= %.0f B/event) ", target_replay_growth_bytes) + verdict(r.flat_ok) + "  ratio: growth / target")
      << '\n';
}

} // namespace lemu::bench
