#pragma once
// The baseline every warm figure is measured against: raw HTTP/1.1 keep-alive round trips between two
// processes on loopback. The server is this program re-executed with --serve (a minimal Runtime API
// stand-in that answers GET with the event and POST with 202); it reports its port on a pipe, so nothing
// waits by sleeping. Also the parallel runner both the baseline and the lemu serve rounds use.

#include "bench/core.hpp"
#include "bench/http_reader.hpp"

#include <atomic>
#include <exception>
#include <latch>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace lemu::bench {

// --serve: serves one connection until it closes; returns the exit status.
int serve(const std::string& event_path, int port_fd);

struct baseline_server {
  pid_t pid = -1;
  fd_guard conn; // the client's connection to it
};

// Starts `self --serve EVENT` and connects to it. Call before other threads run (the child must inherit only
// its own pipe).
baseline_server start_baseline_server(const std::string& self, const std::string& event_path);
// Closes the connection (the server exits) and reaps it; throws unless it exited 0.
void stop_baseline_server(baseline_server& server);

// The client side of the baseline: one GET + POST pair at a time over a keep-alive connection.
class baseline_client {
public:
  explicit baseline_client(int fd) : m_fd(fd), m_reader(fd) {}

  // GET the event, POST it back (as the echo function does), each answer read whole.
  void pair();
  const std::string& last_event() const { return m_body; }

  // One more round trip of an invoke's size: a GET that the --serve server answers with the event (what
  // an Invoke API client's request and answer add to the runtime's pair). Returns the event received.
  const std::string& fetch();

private:
  void get(std::string& body);

  int m_fd;
  http_reader m_reader;
  message_head m_head;
  std::string m_body;
  std::string m_post;
  std::string m_ack;
  std::string m_fetched;
};

struct baseline_round {
  double pairs_per_s = 0; // aggregate over all connections
  double p50_us = 0;      // per pair, as one connection sees it
  double p99_us = 0;
  double mean_us = 0;     // per pair per connection
};

// One round on this thread: `warmup` untimed pairs, then `pairs` timed GET + POST pairs.
baseline_round run_baseline_round(int fd, const std::string& event, int warmup, int pairs);

// One round of N client/server pairs at once (run_parallel with a quota of `pairs`): the first client to
// finish its quota stops the others, so the aggregate rate covers only the span in which all N ran.
baseline_round run_baseline_parallel(const std::vector<int>& fds, const std::string& event, int warmup, int pairs);

// What one client thread of a parallel round measured: each operation's latency, when it started timing
// and when its last timed operation ended, or the error that stopped it.
struct client_timing {
  std::vector<double> lat_us;
  clock_type::time_point start{};
  clock_type::time_point end{};
  std::exception_ptr error;
};

// A parallel round's aggregate over its clients: operations per second over first start -> last end, the
// mean per operation per client, and latency percentiles.
struct parallel_timing {
  double per_s = 0, mean_us = 0, p50_us = 0, p99_us = 0, span_s = 0;
  std::size_t count = 0;
};

// Rethrows a client's error; throws when nothing was timed.
parallel_timing aggregate(const std::vector<client_timing>& results, const char* what);

// Runs `op(i)` on one thread per client i < n: `warmup` untimed calls each, then `ready(i)` (which may
// throw), then all start timing together (a latch) and repeat op(i), each call timed, until the round stops:
// when one client has timed `quota` calls (0: no quota), when `seconds` (> 0) have passed since the start,
// or when a client fails. Each finishes the call it is in.
template <class Op, class Ready>
parallel_timing run_parallel(std::size_t n, int warmup, Op op, Ready ready, int quota, double seconds,
                             const char* what) {
  std::vector<client_timing> results(n);
  std::latch started(static_cast<std::ptrdiff_t>(n) + 1); // the clients and this thread
  std::atomic<bool> stop{false};
  {
    std::vector<std::jthread> threads;
    threads.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        client_timing& res = results[i];
        bool arrived = false;
        try {
          for (int k = 0; k < warmup; ++k) op(i);
          ready(i);
          res.lat_us.reserve(quota > 0 ? static_cast<std::size_t>(quota) : 64 * 1024);
          arrived = true;
          started.arrive_and_wait();
          res.start = clock_type::now();
          auto prev = res.start;
          for (int k = 0; (quota == 0 || k < quota) && !stop.load(std::memory_order_relaxed); ++k) {
            op(i);
            const auto now = clock_type::now();
            res.lat_us.push_back(std::chrono::duration<double, std::micro>(now - prev).count());
            prev = now;
          }
          res.end = prev;
        } catch (...) {
          res.error = std::current_exception();
          if (!arrived) started.count_down();
        }
        stop.store(true, std::memory_order_relaxed);
      });
    }
    started.arrive_and_wait();
    if (seconds > 0) {
      const auto deadline = clock_type::now() + std::chrono::duration<double>(seconds);
      while (!stop.load(std::memory_order_relaxed) && clock_type::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      stop.store(true, std::memory_order_relaxed);
    }
  } // joined
  return aggregate(results, what);
}

} // namespace lemu::bench
