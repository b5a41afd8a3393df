// telemetry: the hub delivering events to subscribers over real loopback sockets: a tiny Beast HTTP
// server and a TCP server run inside the test on the hub's io_context (one thread); every wait runs the
// io_context until a condition holds or a deadline passes, nothing sleeps.
//
// Covered: batches by timeoutMs, maxItems and maxBytes; order; keep-alive reuse; category filtering; the
// Logs API form of events (and events without one); a subscriber that listens only later; a slow
// subscriber (drops, the logsDropped event and its counts, the memory bound); flush() with an answering
// and a silent subscriber; close(); a replacing subscription; TCP NDJSON.
#include <lemu/net/listener.hpp>
#include <lemu/telemetry/hub.hpp>

// GCC 12 reports coroutine frames, allocated and freed by Asio's awaitable_frame_base operator new/delete
// pair, as "mismatched" (a false positive of -Wmismatched-new-delete on coroutines, fixed in later GCC).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <istream>
#include <list>
#include <memory>
#include <string>
#include <vector>

namespace lemu::telemetry {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// A subscriber's HTTP server: records every request; answers 200 after `delay`, or never when `silent`.
struct http_sink : std::enable_shared_from_this<http_sink> {
  struct request {
    std::string method, target, host, content_type, body;
  };

  explicit http_sink(asio::io_context& ioc, std::uint16_t port = 0)
      : acceptor(net::listen_on(ioc.get_executor(), "127.0.0.1", port)), hold(ioc, clock::time_point::max()) {}

  std::uint16_t port() const { return acceptor.local_endpoint().port(); }

  void start() {
    asio::co_spawn(acceptor.get_executor(), accept_loop(shared_from_this()), asio::detached);
  }

  void stop() {
    stopped = true;
    boost::system::error_code ignored;
    acceptor.close(ignored);
    for (auto* s : sockets) s->close(ignored);
    hold.cancel();
  }

  // Every event delivered, in order, over all requests.
  std::vector<json> events() const {
    std::vector<json> out;
    for (const auto& r : requests) {
      for (auto& e : json::parse(r.body)) out.push_back(e);
    }
    return out;
  }

  asio::awaitable<void> accept_loop(std::shared_ptr<http_sink> self) {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec || stopped) co_return;
      ++connections;
      asio::co_spawn(acceptor.get_executor(), session(self, std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> session([[maybe_unused]] std::shared_ptr<http_sink> self, tcp::socket socket) {
    sockets.push_back(&socket);
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(socket, buffer, req, use_tuple);
      if (ec || stopped) break;
      requests.push_back({std::string(req.method_string()), std::string(req.target()), std::string(req[http::field::host]),
                          std::string(req[http::field::content_type]), req.body()});
      if (silent) {
        co_await hold.async_wait(use_tuple); // until stop()
        break;
      }
      if (delay.count() > 0) {
        asio::steady_timer t(socket.get_executor(), delay);
        co_await t.async_wait(use_tuple);
      }
      if (stopped) break;
      static const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
      auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(answer), use_tuple);
      if (wec) break;
    }
    sockets.remove(&socket);
  }

  tcp::acceptor acceptor;
  asio::steady_timer hold;
  std::list<tcp::socket*> sockets;
  std::vector<request> requests;
  std::size_t connections = 0;
  std::chrono::milliseconds delay{0};
  bool silent = false;
  bool stopped = false;
};

// A TCP subscriber: collects the lines it receives.
struct tcp_sink : std::enable_shared_from_this<tcp_sink> {
  explicit tcp_sink(asio::io_context& ioc) : acceptor(net::listen_on(ioc.get_executor(), "127.0.0.1", 0)) {}
  std::uint16_t port() const { return acceptor.local_endpoint().port(); }

  void start() { asio::co_spawn(acceptor.get_executor(), accept_loop(shared_from_this()), asio::detached); }
  void stop() {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    for (auto* s : sockets) s->close(ignored);
  }

  asio::awaitable<void> accept_loop(std::shared_ptr<tcp_sink> self) {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec) co_return;
      ++connections;
      asio::co_spawn(acceptor.get_executor(), session(self, std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> session([[maybe_unused]] std::shared_ptr<tcp_sink> self, tcp::socket socket) {
    sockets.push_back(&socket);
    asio::streambuf buffer;
    for (;;) {
      auto [ec, n] = co_await asio::async_read_until(socket, buffer, '\n', use_tuple);
      if (ec) break;
      std::istream in(&buffer);
      std::string line;
      std::getline(in, line);
      lines.push_back(line);
    }
    sockets.remove(&socket);
  }

  tcp::acceptor acceptor;
  std::list<tcp::socket*> sockets;
  std::vector<std::string> lines;
  std::size_t connections = 0;
};

// An event of category `c`: {"time":...,"type":...,"record":"<text> <i>"}, and its Logs API form unless
// `logs_form` is false.
event make_event(int i, category c = category::function, std::string type = "function", bool logs_form = true,
                 std::size_t pad = 0) {
  const std::string record = "line " + std::to_string(i) + std::string(pad, 'x');
  event e;
  e.cat = c;
  e.type = type;
  e.json = json{{"time", "2026-01-01T00:00:00.000Z"}, {"type", type}, {"record", record}}.dump();
  if (logs_form) e.logs_json = json{{"time", "2026-01-01T00:00:00.000Z"}, {"type", type}, {"record", "logs " + record}}.dump();
  return e;
}

std::string http_body(std::uint16_t port, const std::string& buffering, const std::string& types = R"(["platform","function","extension"])",
                      const std::string& version = "2022-12-13", const std::string& path = "/telemetry") {
  return R"({"schemaVersion":")" + version + R"(","types":)" + types + R"(,"buffering":)" + buffering +
         R"(,"destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:)" + std::to_string(port) + path + "\"}}";
}

class TelemetryHub : public ::testing::Test {
protected:
  TelemetryHub() : guard(asio::make_work_guard(ioc)) {}
  ~TelemetryHub() override {
    if (h) h->close();
    for (auto& s : http_sinks) s->stop();
    for (auto& s : tcp_sinks) s->stop();
    ioc.run_for(20ms);
  }

  std::shared_ptr<http_sink> start_http(std::uint16_t port = 0) {
    auto s = std::make_shared<http_sink>(ioc, port);
    s->start();
    http_sinks.push_back(s);
    return s;
  }

  void make_hub(hub_options o = {}) { h = hub::create(ioc.get_executor(), o); }

  void subscribe_ok(const std::string& name, api which, const std::string& body) {
    const subscribe_result r = h->subscribe(name, which, body, true);
    ASSERT_EQ(r.answer.status, 200u) << r.answer.body;
  }

  // Runs the io_context until `done()` or `limit`; true if done.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    const auto deadline = clock::now() + limit;
    while (!done()) {
      if (clock::now() >= deadline) return false;
      ioc.run_one_for(5ms);
    }
    return true;
  }

  // Runs the io_context for `d`, whatever happens.
  void run_for(std::chrono::milliseconds d) {
    const auto deadline = clock::now() + d;
    while (clock::now() < deadline) ioc.run_one_until(deadline);
  }

  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> guard;
  std::shared_ptr<hub> h;
  std::vector<std::shared_ptr<http_sink>> http_sinks;
  std::vector<std::shared_ptr<tcp_sink>> tcp_sinks;
};

TEST_F(TelemetryHub, a_batch_goes_out_timeout_ms_after_its_first_event) {
  auto sink = start_http();
  make_hub();
  subscribe_ok("ext", api::telemetry, http_body(sink->port(), R"({"timeoutMs":100})"));
  const auto start = clock::now();
  for (int i = 0; i < 3; ++i) h->publish(make_event(i));
  ASSERT_TRUE(run_until([&] { return !sink->requests.empty(); }));
  const auto waited = clock::now() - start;
  EXPECT_GE(waited, 100ms);
  EXPECT_LT(waited, 2s);
  const auto& r = sink->requests.front();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/telemetry");
  EXPECT_EQ(r.host, "sandbox.localdomain:" + std::to_string(sink->port()));
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, "[" + make_event(0).json + "," + make_event(1).json + "," + make_event(2).json + "]");
  run_for(150ms);
  EXPECT_EQ(sink->requests.size(), 1u) << "one batch only";
  EXPECT_EQ(h->buffered_bytes(), 0u);
}

TEST_F(TelemetryHub, max_items_sends_at_once_in_order_over_one_kept_alive_connection) {
  auto sink = start_http();
  make_hub();
  subscribe_ok("ext", api::telemetry, http_body(sink->port(), R"({"maxItems":1000,"timeoutMs":30000})"));
  for (int i = 0; i < 2000; ++i) h->publish(make_event(i)); // two batches: what the bound holds at once
  ASSERT_TRUE(run_until([&] { return sink->requests.size() == 2; }, 5s));
  for (int i = 2000; i < 2500; ++i) h->publish(make_event(i));
  run_for(100ms);
  ASSERT_EQ(sink->requests.size(), 2u) << "the last 500 wait for timeoutMs (30 s)";
  EXPECT_EQ(json::parse(sink->requests[0].body).size(), 1000u);
  EXPECT_EQ(json::parse(sink->requests[1].body).size(), 1000u);
  std::size_t pending = 0;
  for (int i = 2000; i < 2500; ++i) pending += make_event(i).json.size();
  EXPECT_EQ(h->buffered_bytes(), pending);
  bool flushed = false;
  h->flush(clock::now() + 5s, [&] { flushed = true; });
  ASSERT_TRUE(run_until([&] { return flushed; }));
  ASSERT_EQ(sink->requests.size(), 3u);
  const auto events = sink->events();
  ASSERT_EQ(events.size(), 2500u);
  for (int i = 0; i < 2500; ++i) ASSERT_EQ(events[static_cast<std::size_t>(i)].dump(), make_event(i).json) << i;
  EXPECT_EQ(sink->connections, 1u) << "keep-alive: one connection for every batch";
}

TEST_F(TelemetryHub, max_bytes_sends_at_once_and_no_batch_exceeds_it) {
  auto sink = start_http();
  make_hub();
  subscribe_ok("ext", api::telemetry, http_body(sink->port(), R"({"maxBytes":262144,"timeoutMs":30000})"));
  const std::size_t size = make_event(0, category::function, "function", true, 10000).json.size();
  for (int i = 0; i < 30; ++i) h->publish(make_event(i, category::function, "function", true, 10000));
  ASSERT_TRUE(run_until([&] { return !sink->requests.empty(); }, 5s));
  run_for(100ms);
  ASSERT_EQ(sink->requests.size(), 1u);
  const std::size_t per_batch = 262144 / size; // events whose bytes fit in maxBytes
  const auto first = json::parse(sink->requests[0].body);
  EXPECT_EQ(first.size(), per_batch);
  EXPECT_LE(sink->requests[0].body.size(), 262144u + per_batch + 1) << "events, commas and brackets";
  std::size_t rest = 0;
  for (int i = static_cast<int>(per_batch); i < 30; ++i) rest += make_event(i, category::function, "function", true, 10000).json.size();
  EXPECT_EQ(h->buffered_bytes(), rest) << "the rest waits for timeoutMs";
}

TEST_F(TelemetryHub, categories_and_the_logs_api_form) {
  auto platform_only = start_http();
  auto logs = start_http();
  auto old_logs = start_http();
  make_hub();
  subscribe_ok("telemetry-ext", api::telemetry, http_body(platform_only->port(), R"({"timeoutMs":25})", R"(["platform"])"));
  subscribe_ok("logs-ext", api::logs, http_body(logs->port(), R"({"timeoutMs":25})", R"(["platform","function"])", "2021-03-18", "/logs"));
  subscribe_ok("old-logs-ext", api::logs, http_body(old_logs->port(), R"({"timeoutMs":25})", R"(["platform"])", "2020-08-15"));
  const event start = make_event(1, category::platform, "platform.start");
  const event init_report = make_event(2, category::platform, "platform.initReport", false); // no Logs API form
  const event function = make_event(3, category::function);
  const event extension = make_event(4, category::extension, "extension");
  const event runtime_done = make_event(5, category::platform, "platform.runtimeDone");
  for (const auto* e : {&start, &init_report, &function, &extension, &runtime_done}) h->publish(*e);
  ASSERT_TRUE(run_until([&] {
    return !platform_only->requests.empty() && !logs->requests.empty() && !old_logs->requests.empty();
  }));
  EXPECT_EQ(platform_only->requests[0].body, "[" + start.json + "," + init_report.json + "," + runtime_done.json + "]");
  EXPECT_EQ(logs->requests[0].body, "[" + start.logs_json + "," + function.logs_json + "," + runtime_done.logs_json + "]");
  EXPECT_EQ(logs->requests[0].target, "/logs");
  EXPECT_EQ(old_logs->requests[0].body, "[" + start.logs_json + "]") << "2020-08-15 has no platform.runtimeDone";
}

TEST_F(TelemetryHub, a_subscriber_that_listens_later_gets_everything) {
  std::uint16_t port = 0;
  {
    auto probe = net::listen_on(ioc.get_executor(), "127.0.0.1", 0);
    port = probe.local_endpoint().port();
  } // closed: connections to the port are refused until the sink listens
  make_hub();
  subscribe_ok("ext", api::telemetry, http_body(port, R"({"timeoutMs":50})"));
  for (int i = 0; i < 5; ++i) h->publish(make_event(i));
  run_for(300ms); // a few refused attempts
  for (int i = 5; i < 8; ++i) h->publish(make_event(i));
  EXPECT_GT(h->buffered_bytes(), 0u);
  auto sink = start_http(port);
  ASSERT_TRUE(run_until([&] { return sink->events().size() == 8; }));
  const auto events = sink->events();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(events[static_cast<std::size_t>(i)].dump(), make_event(i).json);
  EXPECT_EQ(h->dropped_records(), 0u);
}

TEST_F(TelemetryHub, a_slow_subscriber_causes_counted_drops_within_the_bound) {
  auto sink = start_http();
  sink->delay = 300ms;
  make_hub(); // pending_batches 2: 2000 events pending at most with maxItems 1000
  subscribe_ok("ext", api::telemetry, http_body(sink->port(), R"({"maxItems":1000,"timeoutMs":25})"));
  const std::size_t size = make_event(1000).json.size(); // every event of 1000..4999 has this size
  for (int i = 1000; i < 3000; ++i) h->publish(make_event(i));
  ASSERT_TRUE(run_until([&] { return sink->requests.size() == 1; })); // the first batch in flight, unanswered
  for (int i = 3000; i < 5000; ++i) h->publish(make_event(i)); // 1000 fit, 1000 are dropped
  EXPECT_EQ(h->dropped_records(), 1000u);
  EXPECT_LE(h->buffered_bytes(), 3000 * (size + 1) + 2) << "one batch in flight and two batches pending";
  EXPECT_GE(h->buffered_bytes(), 3000 * size);
  ASSERT_TRUE(run_until([&] { return sink->requests.size() == 3; }));
  const auto events = sink->events();
  ASSERT_EQ(events.size(), 3001u);
  // The second batch starts with logsDropped, and the first 1000 after the drops follow it.
  const json& dropped = events[1000];
  EXPECT_EQ(dropped["type"], "platform.logsDropped");
  EXPECT_EQ(dropped["record"]["droppedRecords"], 1000);
  EXPECT_EQ(dropped["record"]["droppedBytes"], 1000 * size);
  EXPECT_EQ(dropped["record"]["reason"], std::string(logs_dropped_reason));
  EXPECT_EQ(json::parse(sink->requests[1].body).size(), 1001u) << "logsDropped plus maxItems events";
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(events[static_cast<std::size_t>(i)].dump(), make_event(1000 + i).json);
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(events[static_cast<std::size_t>(1001 + i)].dump(), make_event(2000 + i).json);
  run_for(400ms);
  EXPECT_EQ(sink->requests.size(), 3u) << "no further logsDropped once the counts were reported";
  EXPECT_EQ(h->buffered_bytes(), 0u);
}

TEST_F(TelemetryHub, flush_delivers_before_its_deadline) {
  auto sink = start_http();
  make_hub();
  subscribe_ok("ext", api::telemetry, http_body(sink->port(), R"({"timeoutMs":30000})"));
  for (int i = 0; i < 10; ++i) h->publish(make_event(i));
  bool done = false;
  const auto start = clock::now();
  h->flush(start + 5s, [&] { done = true; });
  EXPECT_FALSE(done) << "done is called from the io_context, not from flush";
  ASSERT_TRUE(run_until([&] { return done; }));
  EXPECT_LT(clock::now() - start, 2s);
  EXPECT_EQ(sink->events().size(), 10u);
  // Nothing to send: done at once (posted).
  bool again = false;
  h->flush(clock::now() + 5s, [&] { again = true; });
  ASSERT_TRUE(run_until([&] { return again; }, 1s));
}

TEST_F(TelemetryHub, flush_calls_done_at_the_deadline_when_the_subscriber_never_answers) {
  auto sink = start_http();
  sink->silent = true;
  make_hub();
  subscribe_ok("ext", api::telemetry, http_body(sink->port(), R"({"timeoutMs":30000})"));
  h->publish(make_event(1));
  bool done = false;
  const auto start = clock::now();
  h->flush(start + 300ms, [&] { done = true; });
  ASSERT_TRUE(run_until([&] { return done; }, 5s));
  EXPECT_GE(clock::now() - start, 290ms);
  EXPECT_EQ(sink->requests.size(), 1u) << "the batch was sent, its answer never came";
  h->close();
  EXPECT_EQ(h->buffered_bytes(), 0u);
  h->publish(make_event(2));
  run_for(100ms);
  EXPECT_EQ(sink->requests.size(), 1u) << "nothing is delivered after close()";
}

TEST_F(TelemetryHub, no_answer_within_the_answer_timeout_drops_the_batch_and_counts_it) {
  auto sink = start_http();
  sink->silent = true;
  hub_options o;
  o.answer_timeout = 200ms;
  make_hub(o);
  subscribe_ok("ext", api::telemetry, http_body(sink->port(), R"({"timeoutMs":25})"));
  h->publish(make_event(1));
  h->publish(make_event(2));
  ASSERT_TRUE(run_until([&] { return h->dropped_records() == 2; }, 5s));
  EXPECT_EQ(h->buffered_bytes(), 0u);
  sink->silent = false;
  h->publish(make_event(3));
  ASSERT_TRUE(run_until([&] { return sink->requests.size() == 2; }));
  const auto batch = json::parse(sink->requests[1].body);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0]["type"], "platform.logsDropped");
  EXPECT_EQ(batch[0]["record"]["droppedRecords"], 2);
  EXPECT_EQ(batch[1].dump(), make_event(3).json);
}

TEST_F(TelemetryHub, a_new_subscription_of_the_same_extension_replaces_the_old) {
  auto first = start_http();
  auto second = start_http();
  make_hub();
  subscribe_ok("ext", api::telemetry, http_body(first->port(), R"({"timeoutMs":25})"));
  h->publish(make_event(1));
  ASSERT_TRUE(run_until([&] { return first->requests.size() == 1; }));
  subscribe_ok("ext", api::telemetry, http_body(second->port(), R"({"timeoutMs":25})", R"(["platform"])"));
  h->publish(make_event(2));                                   // function: no longer wanted
  h->publish(make_event(3, category::platform, "platform.start"));
  ASSERT_TRUE(run_until([&] { return second->requests.size() == 1; }));
  EXPECT_EQ(second->requests[0].body, "[" + make_event(3, category::platform, "platform.start").json + "]");
  EXPECT_EQ(first->requests.size(), 1u);
}

TEST_F(TelemetryHub, a_batch_being_retried_goes_to_the_destination_of_a_replacing_subscription) {
  std::uint16_t dead = 0;
  {
    auto probe = net::listen_on(ioc.get_executor(), "127.0.0.1", 0);
    dead = probe.local_endpoint().port();
  }
  make_hub();
  subscribe_ok("ext", api::telemetry, http_body(dead, R"({"timeoutMs":25})"));
  h->publish(make_event(1));
  run_for(100ms); // refused, retried
  auto sink = start_http();
  subscribe_ok("ext", api::telemetry, http_body(sink->port(), R"({"timeoutMs":25})"));
  h->publish(make_event(2));
  ASSERT_TRUE(run_until([&] { return sink->events().size() == 2; }));
  EXPECT_EQ(sink->events()[0].dump(), make_event(1).json);
  EXPECT_EQ(sink->events()[1].dump(), make_event(2).json);
}

TEST_F(TelemetryHub, tcp_subscribers_get_ndjson_on_one_connection) {
  auto sink = std::make_shared<tcp_sink>(ioc);
  sink->start();
  tcp_sinks.push_back(sink);
  make_hub();
  subscribe_ok("ext", api::telemetry,
               R"({"schemaVersion":"2025-01-29","types":["function"],"buffering":{"timeoutMs":25},)"
               R"("destination":{"protocol":"TCP","port":)" + std::to_string(sink->port()) + "}}");
  for (int i = 0; i < 3; ++i) h->publish(make_event(i));
  ASSERT_TRUE(run_until([&] { return sink->lines.size() == 3; }));
  for (int i = 3; i < 5; ++i) h->publish(make_event(i));
  ASSERT_TRUE(run_until([&] { return sink->lines.size() == 5; }));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(sink->lines[static_cast<std::size_t>(i)], make_event(i).json);
  EXPECT_EQ(sink->connections, 1u);
}

} // namespace
} // namespace lemu::telemetry
