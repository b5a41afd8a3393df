// Load on `lemu serve` (issue acceptance): 8 concurrent keep-alive clients for 10 s against
// --concurrency 2. Nothing may be lost: every request answered, every answer a 200 carrying its own
// payload back (no 5xx; a 429 only by design, and the default queue is deep enough that none comes),
// and lemu's resident memory stays flat once warm. Prints requests per second and latency percentiles
// (a measurement for the record, not an assertion: performance is the benchmarks' job).
// LEMU_LOAD_SECONDS changes the duration.

#include "integration/cli_fixture.hpp"
#include "support/http_raw.hpp"
#include "support/serve_process.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

using namespace lemu::test;

namespace {

struct client_totals {
  std::size_t sent = 0, ok = 0, throttled = 0, other = 0, wrong_body = 0, transport_errors = 0;
  std::vector<double> latencies_ms;
};

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::max<std::size_t>(rank, 1) - 1];
}

void run_load(const std::string& label, std::uint16_t port, const std::string& target, bool front_door,
              serve_process& s, std::chrono::seconds duration, std::size_t clients) {
  std::atomic<bool> stop{false};
  std::vector<client_totals> totals(clients);
  std::vector<std::thread> threads;
  const auto started = std::chrono::steady_clock::now();
  for (std::size_t c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      client_totals& t = totals[c];
      http_raw::connection conn(port);
      for (std::size_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        const std::string body = R"({"client":)" + std::to_string(c) + R"(,"n":)" + std::to_string(n) + "}";
        const auto t0 = std::chrono::steady_clock::now();
        ++t.sent;
        const auto r = conn.roundtrip(http_raw::request("POST", target, {{"Content-Type", "application/json"}}, body));
        if (!r.ok()) {
          ++t.transport_errors;
          conn = http_raw::connection(port);
          continue;
        }
        t.latencies_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        if (r.res.status == 200) {
          ++t.ok;
          // Invoke API: the echo is the body; front door: the event (with the body inside) is the body.
          const bool mine = front_door ? r.res.body.find(R"(\"n\":)" + std::to_string(n) + "}") != std::string::npos
                                       : r.res.body == body;
          if (!mine) ++t.wrong_body;
        } else if (r.res.status == 429) {
          ++t.throttled;
        } else {
          ++t.other;
        }
      }
    });
  }
  // lemu's RSS once warm (after 2 s) and at the end.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const long rss_warm = s.process().rss_kb();
  long rss_peak = rss_warm;
  while (std::chrono::steady_clock::now() - started < duration) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    rss_peak = std::max(rss_peak, s.process().rss_kb());
  }
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const long rss_end = s.process().rss_kb();

  client_totals all;
  for (auto& t : totals) {
    all.sent += t.sent;
    all.ok += t.ok;
    all.throttled += t.throttled;
    all.other += t.other;
    all.wrong_body += t.wrong_body;
    all.transport_errors += t.transport_errors;
    all.latencies_ms.insert(all.latencies_ms.end(), t.latencies_ms.begin(), t.latencies_ms.end());
  }
  std::printf("%s: %zu clients, %.1f s: %zu requests, %.0f req/s, latency p50 %.3f ms, p99 %.3f ms, max %.3f ms; "
              "429: %zu; lemu RSS warm %ld kB, peak %ld kB, end %ld kB\n",
              label.c_str(), clients, elapsed, all.sent, static_cast<double>(all.sent) / elapsed,
              percentile(all.latencies_ms, 50), percentile(all.latencies_ms, 99), percentile(all.latencies_ms, 100),
              all.throttled, rss_warm, rss_peak, rss_end);
  EXPECT_GT(all.sent, clients * 10);
  EXPECT_EQ(all.transport_errors, 0u);
  EXPECT_EQ(all.other, 0u);      // no 5xx, no 4xx other than 429
  EXPECT_EQ(all.throttled, 0u);  // 8 clients, 2 environments: the default queue (100) holds the rest
  EXPECT_EQ(all.wrong_body, 0u); // every answer carries its own request's payload
  EXPECT_EQ(all.ok + all.throttled, all.sent);
  // Flat: no growth with the number of requests once warm (a leak of even 100 bytes a request would
  // show as megabytes here).
  EXPECT_LT(rss_peak - rss_warm, 4096) << "kB";
}

std::chrono::seconds load_duration() {
  const char* s = std::getenv("LEMU_LOAD_SECONDS");
  return std::chrono::seconds(s ? std::max(3, std::atoi(s)) : 10);
}

} // namespace

TEST(ServeLoad, EightClientsAgainstTwoEnvironmentsLoseNothing) {
  serve_process s(std::vector<std::string>{echo_bootstrap, "--concurrency", "2", "--function-name", "echo", "--api",
                                           "http", "--timeout", "10"});
  run_load("invoke API", s.port(), "/2015-03-31/functions/echo/invocations", false, s, load_duration(), 8);
  // Every answered invocation is in lemu's summary; at most two environments ran them.
  EXPECT_EQ(s.stop(), 0);
  const std::string err = s.process().err();
  EXPECT_THAT(err, ::testing::HasSubstr(" · errors 0 · timeouts 0 · crashes 0"));
  EXPECT_EQ(count_prefix(split_lines(err), "START RequestId: "), count_prefix(split_lines(err), "REPORT RequestId: "));
  // Each environment starts with one cold init: the summary's "init (cold)" count is how many ran.
  const auto lines = split_lines(err);
  const auto init_row = std::find_if(lines.begin(), lines.end(), [](const std::string& l) { return l.rfind("init (cold)", 0) == 0; });
  ASSERT_NE(init_row, lines.end()) << err;
  const int environments = std::stoi(init_row->substr(std::string("init (cold)").size()));
  EXPECT_GE(environments, 1);
  EXPECT_LE(environments, 2) << *init_row;
}

TEST(ServeLoad, FrontDoorUnderLoad) {
  serve_process s(std::vector<std::string>{echo_bootstrap, "--concurrency", "2", "--api", "url", "--timeout", "10"});
  run_load("front door", s.api_port(), "/orders", true, s, std::chrono::seconds(std::max<long>(3, load_duration().count() / 2)), 8);
  EXPECT_EQ(s.stop(), 0);
}
