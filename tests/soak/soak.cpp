// lemu_soak: `lemu serve` with a function that echoes, fails, crashes, times out and answers 6 MB, driven by
// several keep-alive clients for a set time (make soak: 10 minutes). Every request must get exactly one
// answer of the kind its event asks for; lemu's resident memory and open descriptors, sampled every few
// seconds after a warm-up, must stay flat. Prints the figures; exits 1 when a check fails.
//
//   build/tests/soak/lemu_soak --minutes 10      (the lemu and fake-bootstrap of the same build)

#include "support/http_raw.hpp"
#include "support/serve_process.hpp"

#include <lemu_test_paths.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <dirent.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace raw = lemu::test::http_raw;
using clock_type = std::chrono::steady_clock;

namespace {

struct tally {
  std::atomic<std::uint64_t> sent{0}, ok{0}, function_errors{0}, timeouts{0}, crashes{0}, too_large{0}, wrong{0}, transport{0};
  std::atomic<std::uint64_t> slow_big{0}; // a 6 MB echo that ran past the timeout: one answer still, counted apart
};

std::size_t open_descriptors(int pid) {
  std::size_t n = 0;
  if (DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str())) {
    while (const dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
    ::closedir(d);
  }
  return n;
}

// One client: a fixed cycle of event kinds, each checked against what Lambda answers for it.
void client(std::uint16_t port, clock_type::time_point end, tally& t, int seed) {
  const std::string path = "/2015-03-31/functions/soak/invocations";
  const std::string big(6000000, 'b'); // a 6 MB event: under the 6291456-byte limit once quoted
  std::unique_ptr<raw::connection> c;
  for (int i = seed; clock_type::now() < end; ++i) {
    if (!c) c = std::make_unique<raw::connection>(port);
    std::string body;
    const int kind = i % 20;
    if (kind < 12) body = R"({"fake":"echo","i":)" + std::to_string(i) + "}";
    else if (kind < 15) body = R"({"fake":"error"})";
    else if (kind < 17) body = R"({"fake":"crash"})";
    else if (kind < 18) body = R"({"fake":"sleep:3500"})"; // over --timeout 3
    else if (kind < 19) body = R"({"fake":"huge-response"})";
    else body = "\"" + big + "\"";
    ++t.sent;
    const auto r = c->roundtrip(raw::request("POST", path, {}, body), std::chrono::seconds(30));
    if (!r.ok()) {
      ++t.transport;
      c.reset();
      continue;
    }
    const auto error = r.res.header("X-Amz-Function-Error");
    const std::string& out = r.res.body;
    bool right = r.res.status == 200;
    if (kind < 12) right = right && !error && out == body, ++t.ok;
    else if (kind < 15) right = right && error && out.find("\"FakeError\"") != std::string::npos, ++t.function_errors;
    else if (kind < 17) right = right && error && out.find("Runtime.ExitError") != std::string::npos, ++t.crashes;
    else if (kind < 18) right = right && error && out.find("Sandbox.Timedout") != std::string::npos, ++t.timeouts;
    else if (kind < 19) right = right && error && out.find("Function.ResponseSizeTooLarge") != std::string::npos, ++t.too_large;
    else if (error && out.find("Sandbox.Timedout") != std::string::npos) ++t.slow_big; // a loaded machine: 6 MB took 3 s
    else right = right && !error && out.size() == body.size(), ++t.ok;
    if (!right) {
      ++t.wrong;
      std::fprintf(stderr, "soak: unexpected answer to kind %d: %d %.200s\n", kind, r.res.status, out.c_str());
    }
  }
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"lemu serve under mixed load; memory and descriptors must stay flat", "lemu_soak"};
  double minutes = 10;
  int clients = 8;
  app.add_option("--minutes", minutes, "How long")->capture_default_str();
  app.add_option("--clients", clients, "Keep-alive clients at once")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  lemu::test::serve_process s({lemu::test::fake_bootstrap, "--function-name", "soak", "--handler", "by-event", "--concurrency", "4", "--timeout", "3",
                               "--max-queue", "1000", "--api", "none"});
  const int pid = s.process().pid();
  const auto start = clock_type::now();
  const auto end = start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double, std::ratio<60>>(minutes));
  tally t;
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) threads.emplace_back(client, s.port(), end, std::ref(t), i * 7);

  // Samples every 5 s; the first minute (or the first fifth of a short run) is the warm-up.
  const auto warmup = std::min<clock_type::duration>(std::chrono::minutes(1), (end - start) / 5);
  long rss_warm = 0, rss_max = 0, rss_last = 0;
  std::size_t fds_warm = 0, fds_max = 0;
  while (clock_type::now() < end) {
    std::this_thread::sleep_for(std::chrono::seconds(5)); // the sampling period
    const long rss = s.process().rss_kb();
    const std::size_t fds = open_descriptors(pid);
    if (clock_type::now() - start < warmup) continue;
    if (rss_warm == 0) {
      rss_warm = rss;
      fds_warm = fds;
    }
    rss_max = std::max(rss_max, rss);
    fds_max = std::max(fds_max, fds);
    rss_last = rss;
    std::printf("soak: %6.0f s  sent %llu  lemu RSS %ld kB  fds %zu\n", std::chrono::duration<double>(clock_type::now() - start).count(),
                static_cast<unsigned long long>(t.sent.load()), rss, fds);
    std::fflush(stdout);
  }
  for (auto& th : threads) th.join();
  const int code = s.stop();

  const std::uint64_t answered = t.ok + t.function_errors + t.timeouts + t.crashes + t.too_large + t.slow_big;
  std::printf("soak: %.1f min, %d clients: %llu requests, %llu answered (%llu ok, %llu function errors, %llu crashes, %llu "
              "timeouts, %llu too large, %llu 6 MB echoes timed out), %llu wrong, %llu transport errors\n",
              minutes, clients, static_cast<unsigned long long>(t.sent.load()), static_cast<unsigned long long>(answered),
              static_cast<unsigned long long>(t.ok.load()), static_cast<unsigned long long>(t.function_errors.load()),
              static_cast<unsigned long long>(t.crashes.load()), static_cast<unsigned long long>(t.timeouts.load()),
              static_cast<unsigned long long>(t.too_large.load()), static_cast<unsigned long long>(t.slow_big.load()),
              static_cast<unsigned long long>(t.wrong.load()),
              static_cast<unsigned long long>(t.transport.load()));
  std::printf("soak: lemu RSS after warm-up %ld kB, max %ld kB, last %ld kB; descriptors %zu, max %zu; exit %d\n", rss_warm,
              rss_max, rss_last, fds_warm, fds_max, code);
  const bool flat = rss_max - rss_warm < 16 * 1024 && fds_max <= fds_warm + 16;
  const bool every_one = t.wrong == 0 && t.transport == 0 && answered == t.sent;
  if (!flat) std::printf("soak: FAILED: memory or descriptors grew\n");
  if (!every_one) std::printf("soak: FAILED: not every request got its one right answer\n");
  return flat && every_one && code == 0 ? 0 : 1;
}
