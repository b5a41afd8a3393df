#pragma once
// `lemu run BOOTSTRAP --sqs-simulate MESSAGES`: what happens to each message over its life, answered in
// one command. The messages are sent to a local queue (--sqs-queue: its visibility timeout, redrive policy,
// FIFO …), and Lambda's event source mapping (app/sqs_mapping, the one lemu serve --sqs-trigger runs)
// delivers them to the real function, on a virtual clock: whenever nothing runs, time jumps to the next
// moment something happens (a visibility timeout ends, a delay, a batching window), so a 30 s visibility
// timeout and five receives take milliseconds. Durations in REPORT lines are real; every time in the
// history is virtual, in milliseconds from the start.
//
// stdout: one JSON line per message, in the order they were sent:
//   {"messageId":…,"body":…,"queue":"main","sentAt":0,"deliveries":[{"at":0,"batch":1,"receiveCount":1,
//    "outcome":"failed"},…],"final":"deleted"|"dead-letter"|"in-queue"|"expired","finalQueue":"main-dlq",
//    "finalAt":…}
// stderr: START/END/REPORT of each delivery, a table (one row per message), the mapping's summary line
// and the invocation summary. Ends when every message is deleted, dead-lettered or expired, or when the
// virtual clock reaches the horizon (--sqs-horizon, default 900 s: a message that never leaves the queue
// stays "in-queue"). Exit code 0 when every message was deleted, 1 when one was not, 2 for bad input.

#include <lemu/core/function_config.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lemu::app {

struct sqs_simulate_options {
  core::function_config function;
  std::string messages_file;       // JSON array, JSON Lines, or an SQS event ({"Records":[…]})
  std::vector<std::string> queues; // --sqs-queue specs; none: one standard queue named "queue"
  std::string trigger;             // --sqs-trigger spec; "": the first queue, Lambda's defaults
  std::size_t concurrency = 1;     // the function's --concurrency
  std::string json_report;         // --json FILE: one JSON record per invocation (as lemu serve writes them)
  std::string record_file;         // --record FILE: a capture line (event, outcome) per invocation
  std::int64_t horizon_s = 900;    // --sqs-horizon
  std::string env_file;            // an input no output may overwrite
};

// Maximum size of the messages file.
inline constexpr std::size_t max_simulate_input_bytes = 64 * 1024 * 1024;

int simulate_sqs(const sqs_simulate_options& options);

} // namespace lemu::app
