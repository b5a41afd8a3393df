#pragma once
// One execution environment's subscribers of the Telemetry API and the Logs API (PROTOCOL.md §2.2, §2.3):
// it validates subscriptions (subscription.hpp) and delivers published events to each subscriber, batched
// as the subscriber asked. It does not build the events (the caller serializes them) and does not own the
// HTTP server the PUT arrives on (the Runtime API server calls subscribe()).
//
// Delivery, per subscriber, in publish order:
//   HTTP  POST of a JSON array of the events to http://127.0.0.1:PORT/path (sandbox.localdomain is the
//         sandbox itself, and lemu cannot edit /etc/hosts), Content-Type application/json, Host as in the
//         URI; one request in flight, the next batch waits for its answer; the connection is kept alive
//         when the subscriber allows it. Both APIs are delivered with POST (Lambda may use PUT or POST
//         for the Logs API).
//   TCP   each event's JSON and "\n" on one connection to 127.0.0.1:port (NDJSON), batched the same way.
// A batch goes out when it holds maxItems events, or maxBytes bytes of events, or timeoutMs after its first
// event arrived (at once while a flush() runs). A batch holds at most maxItems events and, but for a single
// event larger than that, at most maxBytes bytes of events (plus brackets, commas and a leading
// platform.logsDropped event).
//
// Failures (lemu's choices, where Lambda documents nothing):
//   - Until the first byte of a batch is sent (connection refused: the extension subscribed before it
//     listens, as extensions often do; connect timeout; a kept-alive connection the subscriber had
//     closed) the batch is retried, after 10 ms, doubling up to timeoutMs between attempts: nothing is
//     lost while the buffer below has room.
//   - Once bytes of a batch were sent, a failure (reset, no answer within answer_timeout, a malformed
//     answer) drops the batch: its events are counted as dropped, the connection is closed. Any HTTP
//     answer, whatever its status, completes the batch (a status >= 300 is logged at debug level).
//   - Memory: pending events (not yet in a batch in flight) are held up to pending_batches x maxBytes
//     bytes and pending_batches x maxItems events per subscriber; beyond that a new event is dropped and
//     counted (an event larger than the bound always is). So a subscriber holds at most
//     (pending_batches + 1) x maxBytes bytes of events (3 MiB at the largest maxBytes and the default 2;
//     a single event larger than maxBytes goes alone in its batch, so at worst 2 x pending_batches x
//     maxBytes), plus a per-event overhead (a std::string and a time point, about 40 bytes).
//   - The next batch after drops starts with {"time":...,"type":"platform.logsDropped","record":
//     {"droppedBytes":B,"droppedRecords":R,"reason":"Some logs were dropped because the downstream
//     consumer is slower than the logs production rate"}} (B: bytes of the events' JSON), sent whatever
//     the subscriber's types, and the counts start again.
//   - Connect within connect_timeout (1 s), write and answer within answer_timeout (5 s by default).
//   - TCP has no answer: a batch is delivered once written into the connection (a subscriber that closed
//     its end may lose the batch written before lemu sees the close; the next one reconnects).
//
// Logs API subscribers get an event's logs_json, and nothing of an event without one; with schemaVersion
// 2020-08-15 they do not get platform.runtimeDone (added by 2021-03-18).
//
// Threading: every member is called on the thread running the io_context the hub was created on, and
// the hub holds no lock. No exception leaves a completion handler; failures are logged with spdlog at
// debug level ("telemetry: ...").

#include <lemu/telemetry/subscription.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lemu::telemetry {

// One event, already serialized by the caller as the Telemetry API's object {"time":"…","type":"…",
// "record":…}. `logs_json`: the same event in the Logs API's form, or empty when the Logs API has no such
// event (Logs API subscribers then do not get it). `cat` decides which subscribers want it (their "types");
// `type` is the event's "type" ("platform.start", "function", ...).
// `json` empty: an event only the Logs API has (Telemetry API subscribers do not get it).
struct event {
  category cat = category::platform;
  std::string type;
  std::string json;
  std::string logs_json;
};

struct hub_options {
  std::size_t max_subscribers = 10;   // extensions with a subscription at once (Lambda: 10 extensions)
  std::size_t pending_batches = 2;    // pending events held per subscriber: this many x maxBytes / maxItems (>= 1)
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds answer_timeout{5000}; // writing a batch and reading the HTTP answer
  std::chrono::milliseconds first_retry{10};      // doubled on each failed attempt, up to timeoutMs (>= 1 ms)
};

// The outcome of a subscription PUT.
struct subscribe_result {
  reply answer;                   // what to answer the PUT with
  std::vector<std::string> types; // when subscribed (answer.status 200): the types as sent, for the caller's
                                  // platform.telemetrySubscription / platform.logsSubscription event
  bool subscribed() const { return answer.status == 200; }
};

class subscriber;

class hub : public std::enable_shared_from_this<hub> {
public:
  static std::shared_ptr<hub> create(boost::asio::any_io_executor ex, hub_options o = {});
  hub(boost::asio::any_io_executor ex, hub_options o);
  ~hub();
  hub(const hub&) = delete;
  hub& operator=(const hub&) = delete;

  // A PUT /2022-07-01/telemetry (api::telemetry) or PUT /2020-08-15/logs (api::logs) from the extension
  // `extension_name`, with `body`. `accepting`: false once init is over (Lambda accepts subscriptions
  // during init only; then 403 SubscriptionClosed). In order: closed, body validation (400), the extension
  // subscribed to the other API (400, replies::both_apis), the subscriber limit (403). A second
  // subscription of the same extension to the same API replaces the first: its types apply to events
  // published from then on, its buffering and destination from the next batch on, to events already
  // pending too (a batch in flight finishes at the old destination, and the connection to it is closed
  // then; a batch being retried goes to the new one, unless the protocol changed). After close(), every subscription is refused as closed.
  subscribe_result subscribe(std::string_view extension_name, api which, std::string_view body, bool accepting);

  // Queues `e` for every subscriber whose types include e.cat (and whose API has a form of it). Never
  // blocks; an event over a subscriber's bound is dropped and counted (see above).
  void publish(const event& e);

  bool has_subscribers() const { return !m_closed && !m_subscribers.empty(); }

  // Shutdown: delivers everything pending now without waiting for timeoutMs (events published meanwhile
  // too), then calls `done` once, from the io_context (never from within flush): when every subscriber has
  // nothing pending or in flight, when `deadline` passes first, or at once (posted) when there is nothing
  // to send. A flush() while one runs replaces its deadline and calls both callbacks at the end. close()
  // calls a pending `done` too.
  void flush(std::chrono::steady_clock::time_point deadline, std::function<void()> done);

  // Nothing is delivered afterwards: connections are closed, timers cancelled, pending events released.
  void close();

  // Bytes of events held for all subscribers: pending plus in flight (lemu's accounting and tests).
  std::size_t buffered_bytes() const;
  // Events dropped for a subscriber's bound or a failed batch, over the hub's life (tests, accounting).
  std::size_t dropped_records() const { return m_dropped_records; }

private:
  friend class subscriber;
  void subscriber_idle(); // a subscriber has nothing pending or in flight: maybe the flush is over
  void finish_flush();

  boost::asio::any_io_executor m_ex;
  hub_options m_options;
  // By extension name: at most one subscription per extension (both-API rule).
  std::map<std::string, std::shared_ptr<subscriber>, std::less<>> m_subscribers;
  bool m_closed = false;
  bool m_flushing = false;
  std::vector<std::function<void()>> m_flush_done;
  boost::asio::steady_timer m_flush_deadline;
  std::size_t m_dropped_records = 0;
};

} // namespace lemu::telemetry
