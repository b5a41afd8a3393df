#pragma once
// Lambda's event source mapping for SQS (PROTOCOL.md §5.1–5.3) in front of a function: pollers long-poll
// a queue (sqs::queue_client: one of lemu's local queues, or a queue of an endpoint the user named), gather
// a batch, invoke the function with an SQS event, and then delete what succeeded:
//
//   - a batch is at most `batch_size` messages (1–10,000; FIFO 10), and more than 10 need a batching
//     window of at least 1 s; with a window the pollers keep receiving until the batch is full, the window
//     (from the first message) has passed, or the next message would take the event past 6 MB; without
//     one, each batch is what one receive gives (at most 10);
//   - success: every message of the batch is deleted; a failed invocation (a function error, a timeout, a
//     crash, …): none is, and they come back after the queue's visibility timeout with their receive count
//     up by one; with report-failures (ReportBatchItemFailures) the response's batchItemFailures decide,
//     by §5.2's rules (events::evaluate_sqs_batch): only the failed ones come back;
//   - the queue's redrive policy moves a message that was received maxReceiveCount times to its DLQ (the
//     queue does that: sqs::store);
//   - FIFO queues: the queue gives one group's messages to one batch at a time, in order, so a failed
//     group waits for its visibility timeout while the other groups go on;
//   - concurrency: `max_concurrency` batches in flight at most (MaximumConcurrency, 2–1000), else the
//     function's --concurrency; each poller is one batch at a time.
//
// The same code runs in real time (lemu serve --sqs-trigger) and on a virtual clock (lemu run
// --sqs-simulate): every wait goes through the sqs::clock.

#include <lemu/app/invoke_result.hpp>
#include <lemu/app/output.hpp>
#include <lemu/core/function_config.hpp>
#include <lemu/core/ids.hpp>
#include <lemu/sqs/queue_client.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lemu::app {

// --sqs-trigger QUEUE[=FUNCTION][:batch=N,window=S,report-failures,max-concurrency=N]
struct sqs_trigger {
  std::string queue;    // a local queue's name, or (with --sqs-endpoint) a queue URL
  std::string function; // "": the only (or first) function
  std::size_t batch_size = 10;
  int window_s = 0;
  bool report_failures = false;
  std::size_t max_concurrency = 0; // 0: the function's concurrency
  std::string spec;                // as given, for messages
};
// Throws core::usage_error naming the option and what is wrong.
sqs_trigger parse_sqs_trigger(std::string_view spec);
// A queue given by its URL (http:// or https://): another endpoint's, not a local queue's name.
bool is_queue_url(std::string_view queue);

// One batch as it ended (for --sqs-simulate's history and the log).
struct sqs_batch_report {
  std::uint64_t batch = 0;    // 1, 2, … in the order they were invoked
  std::int64_t at_ms = 0;     // the clock when it was invoked
  std::string request_id;
  struct item {
    std::string message_id;
    std::uint32_t receive_count = 0;
    bool failed = false;
  };
  std::vector<item> messages;
  std::string outcome; // "success", "partial" (some failed), or why all failed (an error type, a §5.2 reason)
};

struct sqs_mapping_stats {
  std::uint64_t received = 0;       // messages received (each delivery counts)
  std::uint64_t batches = 0;        // invocations
  std::uint64_t failed_batches = 0; // invocations whose every message failed
  std::uint64_t deleted = 0;
  std::uint64_t dead_lettered = 0;  // moved to the DLQ (local queues: counted by the store's observer)
  std::uint64_t throttled = 0;      // batches the function's queue refused (they come back later)
  std::map<std::uint32_t, std::uint64_t> deleted_after; // receive count at deletion -> messages
  std::size_t in_flight = 0;        // messages in batches not finished
};

class sqs_mapping {
public:
  // Runs an invocation through the function's scheduler; false when it was refused (queue full).
  using submit_fn = std::function<bool(core::invocation, std::function<void(invoke_result)>)>;

  sqs_mapping(boost::asio::any_io_executor ex, sqs::clock& clock, std::unique_ptr<sqs::queue_client> queue,
              sqs_trigger trigger, const core::function_config& fn, std::size_t function_concurrency,
              submit_fn submit, output& out);
  ~sqs_mapping();
  sqs_mapping(const sqs_mapping&) = delete;
  sqs_mapping& operator=(const sqs_mapping&) = delete;

  void start();
  // No new receives; batches in flight finish and their deletes go out. `done` runs (posted) once nothing
  // is outstanding.
  void stop(std::function<void()> done = nullptr);
  // Nothing is outstanding but waits: no invocation, no delete, no receive answered but not handled.
  bool idle() const;

  const sqs_trigger& trigger() const { return m_trigger; }
  const sqs::queue_info& queue() const { return m_queue->info(); }
  const sqs_mapping_stats& stats() const { return m_stats; }
  void count_dead_letter() { ++m_stats.dead_lettered; }
  void on_batch(std::function<void(const sqs_batch_report&)> f) { m_on_batch = std::move(f); }
  // "queue main -> function fn: 100 messages in 12 batches, …" (the summary's line).
  std::string summary_line() const;

private:
  struct poller_slot;
  void poll(const std::shared_ptr<poller_slot>& slot);
  void gather(const std::shared_ptr<poller_slot>& slot);
  void received(const std::shared_ptr<poller_slot>& slot, sqs::result<std::vector<sqs::received_message>> r);
  void invoke(const std::shared_ptr<poller_slot>& slot);
  void finished(const std::shared_ptr<poller_slot>& slot, std::vector<sqs::received_message> batch,
                std::uint64_t number, std::int64_t at_ms, const invoke_result& r);
  void settle();

  boost::asio::any_io_executor m_ex;
  sqs::clock& m_clock;
  std::unique_ptr<sqs::queue_client> m_queue;
  sqs_trigger m_trigger;
  const core::function_config& m_fn;
  std::size_t m_slots;
  submit_fn m_submit;
  output& m_out;
  core::id_generator m_ids;
  sqs_mapping_stats m_stats;
  std::function<void(const sqs_batch_report&)> m_on_batch;
  std::vector<std::shared_ptr<poller_slot>> m_pollers;
  std::size_t m_outstanding = 0; // invocations + deletes + receive answers not handled yet
  bool m_stopped = false;
  std::function<void()> m_stop_done;
  std::int64_t m_last_error_log = 0;
};

} // namespace lemu::app
