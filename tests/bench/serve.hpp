#pragma once
// `lemu serve` Invoke API, several concurrent clients (DESIGN.md §5): each client thread has its own
// keep-alive connection and sends one invoke at a time.
//   baseline  per client, one --serve server process and three sequential round trips per invoke: the
//             runtime's GET + POST pair (lemu <-> runtime) and one more GET answered with the event (the
//             client's request and answer, client <-> lemu). N such chains at once.
//   lemu      `lemu serve <echo> --port 0 --api none --concurrency C`, POST
//             /2015-03-31/functions/echo/invocations with the event; the 200 answer must be the event.
//             C = 2 (the acceptance setup) and C = clients (one environment per client; the target applies
//             to this one, see target_serve_ratio). A fresh lemu per round, stopped with SIGINT (exit 0
//             expected).
// Both: untimed warm-up invokes per client, then all clients start together and run for a fixed span
// (run_parallel); the aggregate rate counts every completed invoke over first start -> last end, and each
// invoke's latency is timed as its client sees it. Rounds interleaved with the baseline's, the best round
// (highest rate) kept. --only serve runs just this part.

#include "bench/options.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <iosfwd>
#include <string>
#include <vector>

namespace lemu::bench {

// The §5 target (>= 0.40 of the baseline rate) applies to lemu with one environment per client
// (--concurrency = clients, the last entry): the baseline is that many independent client -> runtime
// chains, so only then do both sides have the same shape (as many runtimes as clients, no invoke waiting
// in lemu's queue for an environment) and the ratio measures lemu's own cost: its Invoke API, scheduling
// and Runtime API hops, all on one event-loop thread. With --concurrency 2 (the acceptance setup) 8
// clients share 2 runtimes, so its rate also depends on the function's run time and on the core count (for
// this no-op echo on 2 cores, fewer processes even make it a little faster); it is printed for information.
constexpr double target_serve_ratio = 0.40;
constexpr int serve_acceptance_concurrency = 2;

struct invoke_round {
  double invokes_per_s = 0; // aggregate over all clients
  double p50_us = 0;        // per invoke, as one client sees it
  double p99_us = 0;
  double mean_us = 0; // per invoke per client
  std::size_t invokes = 0;
  double span_s = 0;
};

struct serve_lemu_result {
  int concurrency = 0;
  std::vector<invoke_round> rounds;
  invoke_round best;
  double ratio_rate = 0; // best lemu rate / best baseline rate
  double ratio_p50 = 0;  // lemu p50 / baseline p50, of the best rounds
  double ratio_p99 = 0;
};

struct serve_result {
  int clients = 0;
  std::vector<invoke_round> base_rounds;
  invoke_round base;                   // the best round (highest rate)
  std::vector<serve_lemu_result> lemu; // [0]: the acceptance setup (--concurrency 2); [1]: one environment per client
  bool ok = false;
};

serve_result measure_serve(const options& o, const std::string& self, const std::string& event);

nlohmann::json serve_json(const options& o, const serve_result& s);

void print_serve_rows(std::ostream& out, const serve_result& s);

// Streaming time to first byte added by lemu (issue 15): fake-bootstrap's stream mode writes one chunk
// holding its CLOCK_MONOTONIC time (shared by every process of the machine); the client takes the time
// when that chunk has arrived through `lemu serve`. The difference is what lemu adds between the function's
// first write and the client: the Runtime API read, the backpressure hop, the front door's (or the event
// stream's) framing and the write to the client. Sequential invokes on one keep-alive connection, after 20
// untimed ones; nearest-rank percentiles. Target: p50 <= 1 ms on both routes (p99 printed).
constexpr double target_stream_ttfb_ms = 1.0;

struct stream_route {
  int n = 0;
  double p50_ms = 0, p99_ms = 0;
};
struct stream_result {
  bool measured = false; // needs --fake
  stream_route front_door, invoke_api;
  bool ok = true;
};
stream_result measure_stream(const options& o);
nlohmann::json stream_json(const stream_result& s);
void print_stream_rows(std::ostream& out, const stream_result& s);

// SQS (issue 18): 10,000 messages sent to a local queue (`--sqs-port`, 1,000 SendMessageBatch of 10 on one
// keep-alive connection) and delivered by the event source mapping (`--sqs-trigger batch=10,
// max-concurrency=4`, the echo function, --concurrency 4) until the queue is empty, with the state in memory
// and with the journal (`--sqs-state DIR`, fsync interval); baseline: the same 10,000 messages as 1,000
// ten-record SQS events through `lemu run --concurrency 4` (the invocations without the queue). The ratio
// says what the queue and the mapping cost on top of invoking. No target: reported.
constexpr int sqs_messages = 10000;
constexpr int sqs_concurrency = 4;
struct sqs_result {
  bool measured = false;
  double send_per_s = 0, journal_send_per_s = 0;       // SendMessageBatch alone
  double mapping_per_s = 0, journal_mapping_per_s = 0; // first send -> queue empty
  double run_messages_per_s = 0;                       // baseline
};
sqs_result measure_sqs(const options& o);
nlohmann::json sqs_json(const sqs_result& r);
void print_sqs_rows(std::ostream& out, const sqs_result& r);

} // namespace lemu::bench
