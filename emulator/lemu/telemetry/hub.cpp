#include <lemu/telemetry/hub.hpp>

// GCC 12 reports coroutine frames, allocated and freed by Asio's awaitable_frame_base operator new/delete
// pair, as "mismatched" (a false positive of -Wmismatched-new-delete on coroutines, fixed in later GCC).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <lemu/util/time.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <deque>
#include <exception>

namespace lemu::telemetry {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// The most of a subscriber's HTTP answer lemu reads (the answer is not used; a larger one fails the batch).
constexpr std::uint64_t answer_body_limit = 1024 * 1024;

// Calls f, logging (at debug level) anything it throws: no exception leaves a completion handler.
template <class F>
void guarded(std::string_view what, F&& f) noexcept {
  try {
    f();
  } catch (const std::exception& e) {
    spdlog::debug("telemetry: {} failed: {}", what, e.what());
  } catch (...) {
    spdlog::debug("telemetry: {} failed", what);
  }
}

} // namespace

// One extension's subscription and its delivery loop (a coroutine on the hub's executor).
class subscriber : public std::enable_shared_from_this<subscriber> {
public:
  subscriber(hub& h, std::string name, subscription s)
      : m_hub(&h), m_name(std::move(name)), m_sub(std::move(s)), m_wake(h.m_ex, clock::time_point::max()),
        m_retry(h.m_ex), m_stream(h.m_ex) {}

  api which() const { return m_sub.which; }
  bool idle() const { return m_pending.empty() && !m_in_flight; }
  std::size_t held_bytes() const { return m_pending_bytes + m_flight_bytes; }

  void start() {
    asio::co_spawn(m_wake.get_executor(), run(shared_from_this()), [name = m_name](std::exception_ptr e) {
      if (!e) return;
      guarded("subscriber", [&] { std::rethrow_exception(e); });
      spdlog::debug("telemetry: delivery to {} ended by an exception", name);
    });
  }

  // A new subscription of the same extension to the same API: it applies from the next batch on (a batch
  // taken already goes where, and as, it was meant to).
  void reconfigure(subscription s) {
    m_sub = std::move(s);
    poke();
  }

  void offer(const event& e) {
    if (m_stopped || !m_sub.wants_category(e.cat)) return;
    const std::string* text = &e.json;
    if (m_sub.which == api::logs) {
      if (e.logs_json.empty()) return;
      if (m_sub.schema_version == "2020-08-15" && e.type == "platform.runtimeDone") return;
      text = &e.logs_json;
    } else if (e.json.empty()) {
      return; // an event only the Logs API has (platform.end, platform.fault)
    }
    const std::size_t cap_items = m_hub->m_options.pending_batches * m_sub.buffer.max_items;
    const std::size_t cap_bytes = m_hub->m_options.pending_batches * m_sub.buffer.max_bytes;
    if (m_pending.size() >= cap_items || m_pending_bytes + text->size() > cap_bytes) {
      count_dropped(text->size(), 1);
      return;
    }
    const bool was_empty = m_pending.empty();
    m_pending.push_back(pending_event{*text, clock::now()});
    m_pending_bytes += text->size();
    if (was_empty || full()) poke();
  }

  // Wakes the delivery loop to look again at what is due (a no-op while it sends).
  void poke() { m_wake.cancel(); }

  void stop() {
    if (m_stopped) return;
    m_stopped = true;
    m_hub = nullptr;
    m_wake.cancel();
    m_retry.cancel();
    close_connection();
    m_pending.clear();
    m_pending_bytes = 0;
  }

private:
  struct pending_event {
    std::string json;
    clock::time_point at;
  };
  enum class attempt_result { done, retry, retry_now, failed };

  struct batch {
    std::string body;            // what goes on the wire after the HTTP head
    std::size_t records = 0;     // events of the caller in it
    std::size_t event_bytes = 0; // bytes of their JSON
    std::size_t carried_bytes = 0, carried_records = 0; // the drops its logsDropped event reports
    destination dest;            // where it goes (the subscription's when it was taken)
  };

  bool full() const {
    return m_pending.size() >= m_sub.buffer.max_items || m_pending_bytes >= m_sub.buffer.max_bytes;
  }
  clock::time_point batch_due() const {
    return m_pending.front().at + std::chrono::milliseconds(m_sub.buffer.timeout_ms);
  }
  bool due() const {
    return !m_pending.empty() && (m_hub->m_flushing || full() || clock::now() >= batch_due());
  }

  void count_dropped(std::size_t bytes, std::size_t records) {
    m_dropped_bytes += bytes;
    m_dropped_records += records;
    if (m_hub) m_hub->m_dropped_records += records;
  }

  void close_connection() {
    m_stream.close();
    m_connected = false;
  }

  bool same_place(const destination& a, const destination& b) { return a.proto == b.proto && a.port == b.port; }

  // Takes the next batch off the pending events: a logsDropped event first when events were dropped, then
  // up to maxItems events and maxBytes bytes (at least one event).
  batch take_batch() {
    batch b;
    b.dest = m_sub.dest;
    const bool http = m_sub.dest.proto == destination::protocol::http;
    const auto add = [&](const std::string& json) {
      if (http) b.body += b.body.empty() ? '[' : ',';
      b.body += json;
      if (!http) b.body += '\n';
    };
    if (m_dropped_records > 0) {
      add(logs_dropped_event(util::epoch_ms(), m_dropped_bytes, m_dropped_records));
      b.carried_bytes = m_dropped_bytes;
      b.carried_records = m_dropped_records;
      m_dropped_bytes = 0;
      m_dropped_records = 0;
    }
    while (!m_pending.empty() && b.records < m_sub.buffer.max_items &&
           (b.records == 0 || b.event_bytes + m_pending.front().json.size() <= m_sub.buffer.max_bytes)) {
      const std::string json = std::move(m_pending.front().json);
      m_pending.pop_front();
      m_pending_bytes -= json.size();
      add(json);
      b.event_bytes += json.size();
      ++b.records;
    }
    if (http) b.body += ']';
    return b;
  }

  // `self` keeps the subscriber alive as long as the loop runs.
  asio::awaitable<void> run([[maybe_unused]] std::shared_ptr<subscriber> self) {
    for (;;) {
      if (m_stopped) co_return;
      if (!due()) {
        if (idle()) m_hub->subscriber_idle();
        if (m_stopped) co_return;
        m_wake.expires_at(m_pending.empty() ? clock::time_point::max() : batch_due());
        co_await m_wake.async_wait(use_tuple);
        continue;
      }
      batch b = take_batch();
      m_in_flight = true;
      m_flight_bytes = b.body.size();
      co_await deliver(b);
      m_in_flight = false;
      m_flight_bytes = 0;
    }
  }

  // Sends a batch until it is delivered, or fails after bytes of it were sent (then counted as dropped),
  // or the subscriber stops.
  asio::awaitable<void> deliver(batch& b) {
    auto backoff = m_hub->m_options.first_retry;
    for (;;) {
      // A subscription replaced meanwhile: a batch being retried goes to the new destination when it is
      // formatted for it (the same protocol).
      if (b.dest.proto == m_sub.dest.proto) b.dest = m_sub.dest;
      const attempt_result r = co_await attempt(b);
      if (m_stopped || r == attempt_result::done) co_return;
      if (r == attempt_result::failed) {
        count_dropped(b.event_bytes + b.carried_bytes, b.records + b.carried_records);
        co_return;
      }
      if (r == attempt_result::retry_now) continue;
      m_retry.expires_after(backoff);
      co_await m_retry.async_wait(use_tuple);
      if (m_stopped) co_return;
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::milliseconds(m_sub.buffer.timeout_ms));
    }
  }

  asio::awaitable<attempt_result> attempt(const batch& b) {
    const destination& dest = b.dest;
    if (m_connected && !same_place(m_connected_to, dest)) close_connection(); // a replaced subscription
    const bool reused = m_connected;
    if (!m_connected) {
      const tcp::endpoint endpoint(asio::ip::address_v4::loopback(), dest.port);
      m_stream.expires_after(m_hub->m_options.connect_timeout);
      auto [ec] = co_await m_stream.async_connect(endpoint, use_tuple);
      if (m_stopped) co_return attempt_result::failed;
      if (ec) {
        spdlog::debug("telemetry: {}: cannot connect to 127.0.0.1:{}: {}", m_name, dest.port, ec.message());
        close_connection();
        co_return attempt_result::retry;
      }
      m_connected = true;
      m_connected_to = dest;
      boost::system::error_code ignored;
      m_stream.socket().set_option(tcp::no_delay(true), ignored);
    }
    m_stream.expires_after(m_hub->m_options.answer_timeout);

    if (dest.proto == destination::protocol::tcp) {
      auto [ec, n] = co_await asio::async_write(m_stream, asio::buffer(b.body), use_tuple);
      if (m_stopped) co_return attempt_result::failed;
      if (ec) {
        spdlog::debug("telemetry: {}: TCP write to port {} failed: {}", m_name, dest.port, ec.message());
        close_connection();
        co_return n == 0 ? attempt_result::retry : attempt_result::failed;
      }
      m_stream.expires_never();
      co_return attempt_result::done;
    }

    std::string head = "POST " + dest.target + " HTTP/1.1\r\nHost: " + dest.host_header +
                       "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(b.body.size()) +
                       "\r\n\r\n";
    const std::array<asio::const_buffer, 2> request{asio::buffer(head), asio::buffer(b.body)};
    auto [wec, written] = co_await asio::async_write(m_stream, request, use_tuple);
    if (m_stopped) co_return attempt_result::failed;
    if (wec) {
      spdlog::debug("telemetry: {}: POST to port {} failed: {}", m_name, dest.port, wec.message());
      close_connection();
      co_return written == 0 ? attempt_result::retry : attempt_result::failed;
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(answer_body_limit);
    auto [rec, read] = co_await http::async_read(m_stream, buffer, parser, use_tuple);
    if (m_stopped) co_return attempt_result::failed;
    if (rec) {
      close_connection();
      // A kept-alive connection the subscriber closed meanwhile: nothing was read, send again on a new one.
      if (reused && read == 0 && buffer.size() == 0 &&
          (rec == http::error::end_of_stream || rec == asio::error::eof || rec == asio::error::connection_reset)) {
        co_return attempt_result::retry_now;
      }
      spdlog::debug("telemetry: {}: no answer from port {}: {}", m_name, dest.port, rec.message());
      co_return attempt_result::failed;
    }
    const unsigned status = parser.get().result_int();
    if (status >= 300) spdlog::debug("telemetry: {}: port {} answered {}", m_name, dest.port, status);
    if (!parser.get().keep_alive()) {
      close_connection();
    } else {
      m_stream.expires_never();
    }
    co_return attempt_result::done;
  }

  hub* m_hub; // null once stopped
  std::string m_name;
  subscription m_sub;
  std::deque<pending_event> m_pending;
  std::size_t m_pending_bytes = 0;
  std::size_t m_flight_bytes = 0;
  std::size_t m_dropped_bytes = 0, m_dropped_records = 0; // since the last logsDropped event
  bool m_in_flight = false;
  bool m_stopped = false;
  bool m_connected = false;
  destination m_connected_to; // where the open connection goes
  asio::steady_timer m_wake;  // the loop waits on it for the next batch to be due
  asio::steady_timer m_retry; // the backoff between attempts
  beast::tcp_stream m_stream;
};

std::shared_ptr<hub> hub::create(asio::any_io_executor ex, hub_options o) {
  return std::make_shared<hub>(std::move(ex), o);
}

hub::hub(asio::any_io_executor ex, hub_options o) : m_ex(ex), m_options(o), m_flush_deadline(ex) {
  m_options.pending_batches = std::max<std::size_t>(m_options.pending_batches, 1);
  m_options.first_retry = std::max(m_options.first_retry, std::chrono::milliseconds(1));
}

hub::~hub() {
  // As close(), but a pending flush callback is dropped rather than called from a hub that is gone.
  m_flush_done.clear();
  close();
}

subscribe_result hub::subscribe(std::string_view extension_name, api which, std::string_view body, bool accepting) {
  if (m_closed || !accepting) return {replies::subscription_closed(which), {}};
  auto parsed = parse_subscription(which, body);
  if (auto* refused = std::get_if<reply>(&parsed)) return {std::move(*refused), {}};
  auto& s = std::get<subscription>(parsed);
  std::vector<std::string> types = s.types;
  if (const auto it = m_subscribers.find(extension_name); it != m_subscribers.end()) {
    if (it->second->which() != which) return {replies::both_apis(which, extension_name), {}};
    it->second->reconfigure(std::move(s));
    spdlog::debug("telemetry: {} subscribed again to the {} API", extension_name, to_string(which));
    return {replies::ok(), std::move(types)};
  }
  if (m_subscribers.size() >= m_options.max_subscribers) {
    return {replies::too_many_subscribers(which, m_options.max_subscribers), {}};
  }
  auto sub = std::make_shared<subscriber>(*this, std::string(extension_name), std::move(s));
  m_subscribers.emplace(std::string(extension_name), sub);
  sub->start();
  spdlog::debug("telemetry: {} subscribed to the {} API", extension_name, to_string(which));
  return {replies::ok(), std::move(types)};
}

void hub::publish(const event& e) {
  if (m_closed) return;
  for (auto& [name, sub] : m_subscribers) sub->offer(e);
}

void hub::flush(clock::time_point deadline, std::function<void()> done) {
  if (done) m_flush_done.push_back(std::move(done));
  if (m_closed) {
    finish_flush();
    return;
  }
  m_flushing = true;
  for (auto& [name, sub] : m_subscribers) sub->poke();
  m_flush_deadline.expires_at(deadline);
  m_flush_deadline.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) guarded("flush deadline", [&] { self->finish_flush(); });
  });
  subscriber_idle();
}

void hub::subscriber_idle() {
  if (!m_flushing) return;
  for (const auto& [name, sub] : m_subscribers) {
    if (!sub->idle()) return;
  }
  finish_flush();
}

void hub::finish_flush() {
  m_flushing = false;
  m_flush_deadline.cancel();
  auto callbacks = std::move(m_flush_done);
  m_flush_done.clear();
  for (auto& done : callbacks) {
    asio::post(m_ex, [done = std::move(done)] { guarded("flush callback", done); });
  }
}

void hub::close() {
  if (m_closed) return;
  m_closed = true;
  for (auto& [name, sub] : m_subscribers) sub->stop();
  m_subscribers.clear();
  finish_flush();
}

std::size_t hub::buffered_bytes() const {
  std::size_t n = 0;
  for (const auto& [name, sub] : m_subscribers) n += sub->held_bytes();
  return n;
}

} // namespace lemu::telemetry
