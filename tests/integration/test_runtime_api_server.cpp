// The Runtime API server over real sockets (PROTOCOL.md §1, §8): exact status codes and bodies, the /next
// long-poll and its headers, what the listener hears, and the transport quirks of real clients (chunked
// bodies with trailers, lowercase names, huge header lines, several keep-alive connections, garbage).
//
// The server and its broker run on one io_context thread; the test thread only talks to them through
// sockets and posted tasks, and waits on conditions with deadlines (poll, futures, condition variables).
#include "support/http_raw.hpp"

#include <lemu/core/errors.hpp>
#include <lemu/core/invocation.hpp>
#include <lemu/runtime_api/broker.hpp>
#include <lemu/runtime_api/server.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace lemu::runtime_api {
namespace {

using namespace std::chrono_literals;
namespace raw = lemu::test::http_raw;

// Exact bodies (Go's json.Encoder adds the trailing newline; PROTOCOL.md §1.3, broker.cpp).
const std::string accepted_body = "{\"status\":\"OK\"}\n";
const std::string invalid_id_body = "{\"errorMessage\":\"Invalid request ID\",\"errorType\":\"InvalidRequestID\"}\n";
const std::string too_large_body =
    "{\"errorMessage\":\"Exceeded maximum allowed payload size (6291556 bytes).\",\"errorType\":\"RequestEntityTooLarge\"}\n";
const std::string not_found_body = "{\"errorMessage\":\"Not Found\",\"errorType\":\"NotFound\"}\n";
const std::string method_not_allowed_body = "{\"errorMessage\":\"Method Not Allowed\",\"errorType\":\"MethodNotAllowed\"}\n";

std::string invalid_state_body(const std::string& from, const std::string& to) {
  return "{\"errorType\":\"InvalidStateTransition\",\"errorMessage\":\"State transition from " + from + " to " + to +
         " failed for runtime. Error: State transition is not allowed\"}\n";
}

constexpr const char* next_path = "/2018-06-01/runtime/invocation/next";
constexpr const char* init_error_path = "/2018-06-01/runtime/init/error";
constexpr const char* arn = "arn:aws:lambda:us-east-1:123456789012:function:my-function";
constexpr const char* trace = "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1";

std::string response_path(const std::string& id) { return "/2018-06-01/runtime/invocation/" + id + "/response"; }
std::string error_path(const std::string& id) { return "/2018-06-01/runtime/invocation/" + id + "/error"; }

std::int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

core::invocation make_invocation(const std::string& id, std::string payload = "{\"key\":\"value\"}",
                                 std::chrono::nanoseconds timeout = 3s) {
  core::invocation inv;
  inv.request_id = id;
  inv.payload = std::move(payload);
  inv.function_arn = arn;
  inv.trace_id = trace;
  inv.timeout = timeout;
  return inv;
}

std::string next_request() { return raw::request("GET", next_path); }

std::string post(const std::string& path, const std::string& body, raw::header_list headers = {}) {
  return raw::request("POST", path, headers, body);
}

// Everything the broker's listener reports (from the io thread), for the test thread to wait on.
class recorder {
public:
  broker::callbacks listener() {
    broker::callbacks l;
    l.init_done = [this](clock::time_point) { record("init_done", [&] { ++m_init_done; }); };
    l.delivered = [this](std::string_view, clock::time_point) { record("delivered", [&] { ++m_delivered; }); };
    l.completed = [this](std::string_view, core::outcome o, clock::time_point) {
      record("completed", [&] { m_completed.push_back(std::move(o)); });
    };
    l.init_error = [this](core::outcome o) { record("init_error", [&] { m_init_errors.push_back(std::move(o)); }); };
    return l;
  }

  // Waits up to `timeout` for `pred` (called under the lock) to hold.
  bool wait(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(m_mutex);
    return m_cv.wait_for(lock, timeout, pred);
  }
  bool wait_completed(std::size_t n) { return wait([&] { return m_completed.size() >= n; }); }
  bool wait_init_done(int n) { return wait([&] { return m_init_done >= n; }); }

  int init_done() { return locked([&] { return m_init_done; }); }
  int delivered() { return locked([&] { return m_delivered; }); }
  std::vector<core::outcome> completed() { return locked([&] { return m_completed; }); }
  std::vector<core::outcome> init_errors() { return locked([&] { return m_init_errors; }); }
  std::vector<std::string> events() { return locked([&] { return m_events; }); }

private:
  template <class F> void record(const char* name, F f) {
    {
      std::lock_guard lock(m_mutex);
      m_events.emplace_back(name);
      f();
    }
    m_cv.notify_all();
  }
  template <class F> std::invoke_result_t<F> locked(F f) {
    std::lock_guard lock(m_mutex);
    return f();
  }

  std::mutex m_mutex;
  std::condition_variable m_cv;
  int m_init_done = 0;
  int m_delivered = 0;
  std::vector<core::outcome> m_completed;
  std::vector<core::outcome> m_init_errors;
  std::vector<std::string> m_events;
};

class RuntimeApiServer : public ::testing::Test {
protected:
  void SetUp() override {
    m_server = server::create(m_ioc.get_executor(), m_rec.listener(), {});
    ASSERT_NE(m_server->port(), 0);
    m_server->start();
    m_io = std::thread([this] {
      // An exception escaping a handler would end the io thread (and the whole test binary): record it as
      // a failure and go on running, as Asio allows.
      for (;;) {
        try {
          m_ioc.run();
          break;
        } catch (const std::exception& e) {
          std::lock_guard lock(m_errors_mutex);
          m_io_errors.emplace_back(e.what());
        }
      }
      m_io_done.set_value();
    });
  }

  void TearDown() override {
    if (!m_stopped) stop_server();
    m_work.reset();
    // Once stopped, every session and the accept loop must end by themselves: run() returns.
    if (m_io_finished.wait_for(10s) != std::future_status::ready) {
      ADD_FAILURE() << "the io_context still had work 10 s after server::stop(): a session did not end";
      m_ioc.stop();
    }
    m_io.join();
    for (const auto& e : io_errors()) ADD_FAILURE() << "an exception escaped io_context::run(): " << e;
  }

  // Exceptions that escaped io_context::run() so far.
  std::vector<std::string> io_errors() {
    std::lock_guard lock(m_errors_mutex);
    return m_io_errors;
  }

  std::uint16_t port() const { return m_server->port(); }
  raw::connection connect() { return raw::connection(port()); }

  // Runs `f` on the io thread and returns its result.
  template <class F> std::invoke_result_t<F> on_io(F f) {
    using R = std::invoke_result_t<F>;
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(f));
    auto result = task->get_future();
    boost::asio::post(m_ioc, [task] { (*task)(); });
    if (result.wait_for(10s) != std::future_status::ready) {
      throw std::runtime_error("the io thread did not run a posted task within 10 s");
    }
    return result.get();
  }

  void submit(core::invocation inv) {
    on_io([this, inv = std::move(inv)]() mutable { m_server->broker().submit(std::move(inv)); });
  }

  void stop_server() {
    m_stopped = true;
    on_io([this] { m_server->stop(); });
  }

  bool parked() {
    return on_io([this] { return m_server->broker().has_parked_next(); });
  }

  // Waits until a GET /next is parked in the broker, or no longer parked (each check is a round trip
  // through the io thread).
  bool wait_parked(std::chrono::milliseconds timeout = 10s, bool want = true) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (parked() != want) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }

  broker::state state() {
    return on_io([this] { return m_server->broker().current_state(); });
  }

  // GET /next on `c`, checks that it parks, submits `inv`, and returns the delivery.
  raw::response next_with(raw::connection& c, core::invocation inv) {
    EXPECT_TRUE(c.send(next_request()));
    EXPECT_TRUE(wait_parked()) << "GET /next was not parked";
    submit(std::move(inv));
    auto r = c.read_response();
    EXPECT_TRUE(r.ok()) << raw::to_string(r.status) << ": " << r.error;
    EXPECT_EQ(r.res.status, 200) << r.res.raw;
    return r.res;
  }

  // The body and status of a request that must be answered.
  raw::response call(raw::connection& c, const std::string& request) {
    auto r = c.roundtrip(request);
    EXPECT_TRUE(r.ok()) << raw::to_string(r.status) << ": " << r.error;
    return r.res;
  }

  recorder m_rec;
  boost::asio::io_context m_ioc;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> m_work{
      boost::asio::make_work_guard(m_ioc)};
  std::shared_ptr<server> m_server;
  std::promise<void> m_io_done;
  std::future<void> m_io_finished = m_io_done.get_future();
  std::thread m_io;
  bool m_stopped = false;
  std::mutex m_errors_mutex;
  std::vector<std::string> m_io_errors;
};

void expect_json_reply(const raw::response& r, int status, const std::string& body) {
  EXPECT_EQ(r.status, status) << r.raw;
  EXPECT_EQ(r.body, body);
  EXPECT_EQ(r.header("Content-Type").value_or("<none>"), "application/json");
  EXPECT_EQ(r.header("Content-Length").value_or("<none>"), std::to_string(body.size()));
}

// --- GET /next ----------------------------------------------------------------------------------------------

TEST_F(RuntimeApiServer, NextLongPollsUntilAnInvocationIsSubmitted) {
  auto c = connect();
  ASSERT_TRUE(c.send(next_request()));
  ASSERT_TRUE(m_rec.wait_init_done(1));
  EXPECT_FALSE(c.readable_within(300ms)) << "GET /next answered with nothing submitted: " << c.buffered();
  EXPECT_TRUE(parked());
  EXPECT_EQ(m_rec.delivered(), 0);

  const auto before = epoch_ms();
  submit(make_invocation("8476a536-e9f4-11e8-9739-2dfe598c3fcd", "{\"key\":\"value\"}", 3s));
  const auto r = c.read_response(10s);
  const auto after = epoch_ms();
  ASSERT_TRUE(r.ok()) << raw::to_string(r.status) << ": " << r.error;

  EXPECT_EQ(r.res.status, 200);
  EXPECT_EQ(r.res.body, "{\"key\":\"value\"}");
  EXPECT_EQ(r.res.header("Lambda-Runtime-Aws-Request-Id").value_or(""), "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
  EXPECT_EQ(r.res.header("Lambda-Runtime-Invoked-Function-Arn").value_or(""), arn);
  EXPECT_EQ(r.res.header("Lambda-Runtime-Trace-Id").value_or(""), trace);
  EXPECT_EQ(r.res.header("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(r.res.header("Content-Length").value_or(""), "15");
  EXPECT_EQ(r.res.count("Lambda-Runtime-Client-Context"), 0u);
  EXPECT_EQ(r.res.count("Lambda-Runtime-Cognito-Identity"), 0u);
  for (const char* h : {"Lambda-Runtime-Aws-Request-Id", "Lambda-Runtime-Deadline-Ms",
                        "Lambda-Runtime-Invoked-Function-Arn", "Lambda-Runtime-Trace-Id", "Content-Type",
                        "Content-Length"}) {
    EXPECT_EQ(r.res.count(h), 1u) << h;
  }
  EXPECT_EQ(r.res.count("Transfer-Encoding"), 0u);

  const std::string deadline = r.res.header("Lambda-Runtime-Deadline-Ms").value_or("");
  ASSERT_FALSE(deadline.empty());
  ASSERT_EQ(deadline.find_first_not_of("0123456789"), std::string::npos) << deadline;
  const auto deadline_ms = std::stoll(deadline);
  EXPECT_GE(deadline_ms, before + 3000);
  EXPECT_LE(deadline_ms, after + 3000);

  EXPECT_TRUE(c.buffered().empty()) << "bytes after the /next response: " << c.buffered();
  EXPECT_EQ(m_rec.init_done(), 1);
  EXPECT_EQ(m_rec.delivered(), 1);
  EXPECT_EQ(state(), broker::state::invoking);
}

TEST_F(RuntimeApiServer, NextAnswersAtOnceWhenAnInvocationIsQueued) {
  submit(make_invocation("queued-1", "{}", 1500ms));
  auto c = connect();
  const auto before = epoch_ms();
  const auto r = call(c, next_request());
  const auto after = epoch_ms();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(r.header("Lambda-Runtime-Aws-Request-Id").value_or(""), "queued-1");
  const auto deadline_ms = std::stoll(r.header("Lambda-Runtime-Deadline-Ms").value_or("0"));
  EXPECT_GE(deadline_ms, before + 1500);
  EXPECT_LE(deadline_ms, after + 1500);
  EXPECT_EQ(m_rec.events(), (std::vector<std::string>{"init_done", "delivered"}));
}

TEST_F(RuntimeApiServer, NextCarriesClientContextAndCognitoIdentityWhenSet) {
  auto inv = make_invocation("cc-1");
  inv.client_context = R"({"client":{"installation_id":"i"},"custom":{"k":"v"},"env":{"platform":"Android"}})";
  inv.cognito_identity = R"({"cognitoIdentityId":"us-east-1:abc","cognitoIdentityPoolId":"us-east-1:pool"})";
  auto c = connect();
  const auto r = next_with(c, inv);
  EXPECT_EQ(r.header("Lambda-Runtime-Client-Context").value_or(""), inv.client_context);
  EXPECT_EQ(r.header("Lambda-Runtime-Cognito-Identity").value_or(""), inv.cognito_identity);
  EXPECT_EQ(r.count("Lambda-Runtime-Client-Context"), 1u);
  EXPECT_EQ(r.count("Lambda-Runtime-Cognito-Identity"), 1u);
}

TEST_F(RuntimeApiServer, NextOmitsTraceIdWhenEmpty) {
  auto inv = make_invocation("no-trace");
  inv.trace_id.clear();
  auto c = connect();
  const auto r = next_with(c, inv);
  EXPECT_EQ(r.count("Lambda-Runtime-Trace-Id"), 0u);
  EXPECT_EQ(r.header("Lambda-Runtime-Aws-Request-Id").value_or(""), "no-trace");
}

TEST_F(RuntimeApiServer, NextBodyIsTheUtf8PayloadByteForByte) {
  // "héllo wörld — ✓ 日本語 🎉" and an escaped quote, as raw UTF-8 bytes.
  const std::string payload = "{\"msg\":\"h\xc3\xa9llo w\xc3\xb6rld \xe2\x80\x94 \xe2\x9c\x93 "
                              "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x8e\x89\",\"q\":\"a\\\"b\"}";
  auto c = connect();
  const auto r = next_with(c, make_invocation("utf8", payload));
  EXPECT_EQ(r.body, payload);
  EXPECT_EQ(r.header("Content-Length").value_or(""), std::to_string(payload.size()));
}

TEST_F(RuntimeApiServer, NextBodyIsAOneMegabytePayloadByteForByte) {
  std::string payload = "{\"data\":\"";
  for (std::size_t i = 0; payload.size() < 1'000'000 - 2; ++i) payload += static_cast<char>('a' + i % 26);
  payload += "\"}";
  // Every byte value too, NUL included: the body is bytes, not a C string.
  std::string binary;
  for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
  payload += binary;
  auto c = connect();
  const auto r = next_with(c, make_invocation("big", payload));
  EXPECT_EQ(r.body.size(), payload.size());
  EXPECT_TRUE(r.body == payload) << "the 1 MB body differs";
  EXPECT_EQ(r.header("Content-Length").value_or(""), std::to_string(payload.size()));
}

TEST_F(RuntimeApiServer, NextResponseArrivesAsOneCompleteMessage) {
  auto c = connect();
  const std::string payload = R"({"Records":[{"messageId":"059f36b4-87a3-44ab-83d2-661975830a7d","body":"Test message."}]})";
  const auto r = next_with(c, make_invocation("one-write", payload));
  // One gathered write: head and body came in one segment, nothing before or after it.
  EXPECT_EQ(c.last_read_segments(), 1u);
  EXPECT_TRUE(c.buffered().empty());
  EXPECT_EQ(r.body, payload);
  const auto head_end = r.raw.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  EXPECT_EQ(r.raw.substr(0, 17), "HTTP/1.1 200 OK\r\n");
  EXPECT_EQ(r.raw.substr(head_end + 4), payload);
}

TEST_F(RuntimeApiServer, InitDoneFiresOnTheFirstNextOnly) {
  auto c = connect();
  // Nothing is reported before the runtime asks.
  EXPECT_EQ(call(c, raw::request("GET", "/ping")).status, 404);
  EXPECT_EQ(m_rec.init_done(), 0);
  EXPECT_EQ(state(), broker::state::initializing);

  ASSERT_TRUE(c.send(next_request()));
  ASSERT_TRUE(m_rec.wait_init_done(1));
  EXPECT_EQ(m_rec.delivered(), 0);
  submit(make_invocation("a"));
  ASSERT_TRUE(c.read_response().ok());
  EXPECT_EQ(call(c, post(response_path("a"), "ok")).status, 202);
  const auto second = next_with(c, make_invocation("b"));
  EXPECT_EQ(second.header("Lambda-Runtime-Aws-Request-Id").value_or(""), "b");
  EXPECT_EQ(m_rec.init_done(), 1);
  EXPECT_EQ(m_rec.delivered(), 2);
  EXPECT_EQ(m_rec.events(), (std::vector<std::string>{"init_done", "delivered", "completed", "delivered"}));
}

TEST_F(RuntimeApiServer, NextWhileAnInvocationIsInFlightIs403) {
  auto a = connect();
  next_with(a, make_invocation("busy"));
  auto b = connect();
  expect_json_reply(call(b, next_request()), 403, invalid_state_body("Running", "Ready"));
  // Same connection again: refusals keep the connection alive.
  expect_json_reply(call(a, next_request()), 403, invalid_state_body("Running", "Ready"));
  EXPECT_EQ(state(), broker::state::invoking);
  expect_json_reply(call(b, post(response_path("busy"), "done")), 202, accepted_body);
}

// --- POST /response ---------------------------------------------------------------------------------------

TEST_F(RuntimeApiServer, ResponseIsAcceptedAndReportedWithBodyAndContentType) {
  auto c = connect();
  next_with(c, make_invocation("r-1"));
  const std::string body = "{\"statusCode\":200,\"body\":\"h\xc3\xa9\"}";
  expect_json_reply(call(c, post(response_path("r-1"), body, {{"Content-Type", "text/plain; charset=utf-8"}})), 202,
                    accepted_body);
  ASSERT_TRUE(m_rec.wait_completed(1));
  const auto done = m_rec.completed();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].kind, core::outcome_kind::success);
  EXPECT_EQ(done[0].payload, body);
  EXPECT_EQ(done[0].content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(done[0].error_type, "");
  EXPECT_EQ(state(), broker::state::ready);
}

TEST_F(RuntimeApiServer, ResponseWithoutContentTypeReportsNone) {
  auto c = connect();
  next_with(c, make_invocation("r-2"));
  EXPECT_EQ(call(c, post(response_path("r-2"), "SUCCESS")).status, 202);
  ASSERT_TRUE(m_rec.wait_completed(1));
  EXPECT_EQ(m_rec.completed()[0].payload, "SUCCESS");
  EXPECT_EQ(m_rec.completed()[0].content_type, "");
}

TEST_F(RuntimeApiServer, EmptyResponseBodyIsAccepted) {
  auto c = connect();
  next_with(c, make_invocation("empty"));
  expect_json_reply(call(c, post(response_path("empty"), "")), 202, accepted_body);
  ASSERT_TRUE(m_rec.wait_completed(1));
  EXPECT_EQ(m_rec.completed()[0].kind, core::outcome_kind::success);
  EXPECT_EQ(m_rec.completed()[0].payload, "");
}

TEST_F(RuntimeApiServer, ResponseForUnknownIdIs400) {
  auto c = connect();
  next_with(c, make_invocation("real-id"));
  expect_json_reply(call(c, post(response_path("wrong-id"), "x")), 400, invalid_id_body);
  expect_json_reply(call(c, post(error_path("wrong-id"), "{}")), 400, invalid_id_body);
  EXPECT_TRUE(m_rec.completed().empty());
  EXPECT_EQ(state(), broker::state::invoking);
  // The invocation in flight is untouched.
  expect_json_reply(call(c, post(response_path("real-id"), "y")), 202, accepted_body);
}

TEST_F(RuntimeApiServer, SecondResponseForAnsweredIdIs400) {
  auto c = connect();
  next_with(c, make_invocation("once"));
  expect_json_reply(call(c, post(response_path("once"), "first")), 202, accepted_body);
  expect_json_reply(call(c, post(response_path("once"), "second")), 400, invalid_id_body);
  expect_json_reply(call(c, post(error_path("once"), "{}")), 400, invalid_id_body);
  ASSERT_TRUE(m_rec.wait_completed(1));
  const auto done = m_rec.completed();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].payload, "first");
}

TEST_F(RuntimeApiServer, ResponseDuringInitIs403) {
  submit(make_invocation("early")); // queued, but the runtime has not asked for it
  auto c = connect();
  expect_json_reply(call(c, post(response_path("early"), "x")), 403, invalid_state_body("Initializing", "ResponseSent"));
  expect_json_reply(call(c, post(error_path("early"), "{}")), 403, invalid_state_body("Initializing", "ResponseSent"));
  EXPECT_TRUE(m_rec.events().empty());
  EXPECT_EQ(state(), broker::state::initializing);
}

TEST_F(RuntimeApiServer, ResponseOneByteOverTheLimitIs413AndTheConnectionStaysUsable) {
  auto c = connect();
  next_with(c, make_invocation("too-big"));
  const std::string body(core::max_response_bytes + 1, 'x');
  ASSERT_EQ(body.size(), 6291557u);
  const auto r = call(c, post(response_path("too-big"), body, {{"Content-Type", "application/json"}}));
  expect_json_reply(r, 413, too_large_body);
  EXPECT_NE(r.header("Connection").value_or(""), "close");

  ASSERT_TRUE(m_rec.wait_completed(1));
  const auto done = m_rec.completed();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].kind, core::outcome_kind::too_large);
  EXPECT_EQ(done[0].error_type, "Function.ResponseSizeTooLarge");
  EXPECT_EQ(done[0].payload,
            "{\"errorMessage\":\"Response payload size exceeded maximum allowed payload size (6291556 bytes).\","
            "\"errorType\":\"Function.ResponseSizeTooLarge\"}");
  EXPECT_EQ(done[0].content_type, "application/json");

  // Keep-alive: the whole oversized body was read, so the next request on this connection is understood.
  const auto again = next_with(c, make_invocation("after-413"));
  EXPECT_EQ(again.header("Lambda-Runtime-Aws-Request-Id").value_or(""), "after-413");
  expect_json_reply(call(c, post(response_path("after-413"), "small")), 202, accepted_body);
}

TEST_F(RuntimeApiServer, ResponseExactlyAtTheLimitIsAccepted) {
  auto c = connect();
  next_with(c, make_invocation("at-limit"));
  std::string body(core::max_response_bytes, 'y');
  body.front() = '"';
  body.back() = '"';
  ASSERT_EQ(body.size(), 6291556u);
  expect_json_reply(call(c, post(response_path("at-limit"), body, {{"Content-Type", "application/json"}})), 202,
                    accepted_body);
  ASSERT_TRUE(m_rec.wait_completed(1));
  const auto done = m_rec.completed();
  EXPECT_EQ(done[0].kind, core::outcome_kind::success);
  EXPECT_EQ(done[0].payload.size(), 6291556u);
  EXPECT_TRUE(done[0].payload == body);
}

TEST_F(RuntimeApiServer, ChunkedResponseOverTheLimitIs413) {
  auto c = connect();
  next_with(c, make_invocation("chunked-big"));
  std::vector<std::string> chunks(7, std::string(1024 * 1024, 'z')); // 7 MiB, as Go would stream it
  const auto r = call(c, raw::chunked_request("POST", response_path("chunked-big"),
                                              {{"Transfer-Encoding", "chunked"}}, chunks));
  expect_json_reply(r, 413, too_large_body);
  ASSERT_TRUE(m_rec.wait_completed(1));
  EXPECT_EQ(m_rec.completed()[0].kind, core::outcome_kind::too_large);
  EXPECT_EQ(call(c, raw::request("GET", "/ping")).status, 404); // still in sync
}

TEST_F(RuntimeApiServer, ResponseAnnouncedBeyondOneGibibyteEndsTheInvocationAsTooLarge) {
  auto c = connect();
  next_with(c, make_invocation("huge-announced"));
  // Only the head is sent: lemu does not read 2 GB to refuse them.
  ASSERT_TRUE(c.send("POST " + response_path("huge-announced") + " HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000000\r\n\r\nxyz"));
  const auto r = c.read_response();
  ASSERT_TRUE(r.ok()) << r.error;
  expect_json_reply(r.res, 413, too_large_body);
  EXPECT_EQ(r.res.header("Connection").value_or(""), "close");
  ASSERT_TRUE(m_rec.wait_completed(1));
  EXPECT_EQ(m_rec.completed()[0].kind, core::outcome_kind::too_large);
  // The invocation is over: a later answer for it is refused, as for any finished invocation.
  auto d = connect();
  expect_json_reply(call(d, post(response_path("huge-announced"), "{}")), 400, invalid_id_body);
}

TEST_F(RuntimeApiServer, ChunkSizeBeyondOneGibibyteEndsTheInvocationAsTooLarge) {
  auto c = connect();
  next_with(c, make_invocation("huge-chunk"));
  ASSERT_TRUE(c.send("POST " + response_path("huge-chunk") +
                     " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n80000000\r\nabc"));
  const auto r = c.read_response();
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 413);
  ASSERT_TRUE(m_rec.wait_completed(1));
  EXPECT_EQ(m_rec.completed()[0].kind, core::outcome_kind::too_large);
}

TEST_F(RuntimeApiServer, TransferCodingsOtherThanChunkedAre501AsGoAnswers) {
  auto c = connect();
  next_with(c, make_invocation("gzip"));
  ASSERT_TRUE(c.send("POST " + response_path("gzip") +
                     " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
  const auto r = c.read_response();
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.raw, "HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
                       "Unsupported transfer encoding");
  EXPECT_EQ(m_rec.completed().size(), 0u); // nothing was taken as the response
}

// --- POST /error and /init/error ----------------------------------------------------------------------------

TEST_F(RuntimeApiServer, ErrorBodyIsVerbatimAndTypeComesFromTheBody) {
  auto c = connect();
  next_with(c, make_invocation("err-1"));
  // Go's shape, with odd spacing and UTF-8 that must survive untouched.
  const std::string body = "{\"errorMessage\": \"b\xc3\xb6om\",  \"errorType\":\"errorString\",\"stackTrace\":[]}";
  expect_json_reply(call(c, post(error_path("err-1"), body, {{"Content-Type", "application/json"}})), 202,
                    accepted_body);
  ASSERT_TRUE(m_rec.wait_completed(1));
  const auto done = m_rec.completed();
  EXPECT_EQ(done[0].kind, core::outcome_kind::function_error);
  EXPECT_EQ(done[0].payload, body);
  EXPECT_EQ(done[0].error_type, "errorString");
  EXPECT_EQ(state(), broker::state::ready);
}

TEST_F(RuntimeApiServer, ErrorTypeComesFromTheHeaderWhenTheBodyHasNone) {
  auto c = connect();
  next_with(c, make_invocation("err-2"));
  EXPECT_EQ(call(c, post(error_path("err-2"), "{\"errorMessage\":\"x\"}",
                         {{"Lambda-Runtime-Function-Error-Type", "Runtime.HandlerFailed"}}))
                .status,
            202);
  ASSERT_TRUE(m_rec.wait_completed(1));
  EXPECT_EQ(m_rec.completed()[0].error_type, "Runtime.HandlerFailed");
  EXPECT_EQ(m_rec.completed()[0].payload, "{\"errorMessage\":\"x\"}");

  next_with(c, make_invocation("err-3"));
  EXPECT_EQ(call(c, post(error_path("err-3"), "")).status, 202);
  ASSERT_TRUE(m_rec.wait_completed(2));
  EXPECT_EQ(m_rec.completed()[1].error_type, "Unhandled");
  EXPECT_EQ(m_rec.completed()[1].payload, "");
}

TEST_F(RuntimeApiServer, InitErrorDuringInitIs202AndReported) {
  auto c = connect();
  // node-ric's postInitError: the type in a header, and in the body.
  const std::string body =
      "{\"errorType\":\"Runtime.ImportModuleError\",\"errorMessage\":\"Cannot find module 'x'\",\"trace\":[\"a\"]}";
  expect_json_reply(call(c, post(init_error_path, body,
                                 {{"Connection", "keep-alive"},
                                  {"Lambda-Runtime-Function-Error-Type", "Runtime.ImportModuleError"}})),
                    202, accepted_body);
  const auto errs = m_rec.init_errors();
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].kind, core::outcome_kind::init_error);
  EXPECT_EQ(errs[0].payload, body);
  EXPECT_EQ(errs[0].error_type, "Runtime.ImportModuleError");
  EXPECT_EQ(m_rec.init_done(), 0);
  EXPECT_EQ(m_rec.events(), (std::vector<std::string>{"init_error"}));
}

TEST_F(RuntimeApiServer, InitErrorOverTheLimitIs413AndEndsInitAsTooLarge) {
  auto c = connect();
  const std::string body = "{\"errorMessage\":\"" + std::string(7u << 20, 'e') + "\"}"; // 7 MB
  expect_json_reply(call(c, post(init_error_path, body)), 413, too_large_body);
  const auto errs = m_rec.init_errors();
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs[0].kind, core::outcome_kind::too_large);
  EXPECT_EQ(errs[0].error_type, "Function.ResponseSizeTooLarge");
}

TEST_F(RuntimeApiServer, InitErrorAfterInitIs403) {
  auto a = connect();
  ASSERT_TRUE(a.send(next_request()));
  ASSERT_TRUE(m_rec.wait_init_done(1));
  auto b = connect();
  expect_json_reply(call(b, post(init_error_path, "{\"errorType\":\"Late\"}")), 403,
                    invalid_state_body("Ready", "InitError"));
  EXPECT_TRUE(m_rec.init_errors().empty());
  // The parked /next is not disturbed.
  submit(make_invocation("still"));
  const auto r = a.read_response();
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.header("Lambda-Runtime-Aws-Request-Id").value_or(""), "still");
}

// --- routing ----------------------------------------------------------------------------------------------

TEST_F(RuntimeApiServer, UnknownPathsAre404) {
  auto c = connect();
  for (const char* path : {"/", "/ping", "/2018-06-01/runtime/invocation/next/", "/2020-01-01/extension/registers",
                           "/2018-06-01/runtime/invocation/abc/unknown", "/2022-07-01/telemetry/x"}) {
    SCOPED_TRACE(path);
    expect_json_reply(call(c, raw::request("GET", path)), 404, not_found_body);
    expect_json_reply(call(c, raw::request("POST", path, {}, "{}")), 404, not_found_body);
  }
  EXPECT_TRUE(m_rec.events().empty());
}

TEST_F(RuntimeApiServer, WrongMethodIs405) {
  auto c = connect();
  expect_json_reply(call(c, raw::request("POST", next_path, {}, "")), 405, method_not_allowed_body);
  expect_json_reply(call(c, raw::request("GET", response_path("id"))), 405, method_not_allowed_body);
  expect_json_reply(call(c, raw::request("PUT", error_path("id"), {}, "{}")), 405, method_not_allowed_body);
  expect_json_reply(call(c, raw::request("GET", init_error_path)), 405, method_not_allowed_body);
  expect_json_reply(call(c, raw::request("DELETE", next_path)), 405, method_not_allowed_body);
  EXPECT_TRUE(m_rec.events().empty());
  EXPECT_EQ(state(), broker::state::initializing);
}

TEST_F(RuntimeApiServer, QueryStringsAreIgnored) {
  auto c = connect();
  ASSERT_TRUE(c.send(raw::request("GET", std::string(next_path) + "?wait=1")));
  ASSERT_TRUE(wait_parked());
  submit(make_invocation("q"));
  ASSERT_TRUE(c.read_response().ok());
  expect_json_reply(call(c, post(response_path("q") + "?a=b", "ok")), 202, accepted_body);
}

// --- transport --------------------------------------------------------------------------------------------

TEST_F(RuntimeApiServer, ChunkedResponseExactlyAsAwsLambdaGoSendsIt) {
  auto c = connect();
  next_with(c, make_invocation("go-1"));
  const std::string host = "127.0.0.1:" + std::to_string(port());
  // Go's net/http: no Content-Length, Transfer-Encoding: chunked, a Trailer header, hex sizes, and the
  // trailer section after the last chunk (empty when nothing failed).
  const std::string request = "POST /2018-06-01/runtime/invocation/go-1/response HTTP/1.1\r\n"
                              "Host: " + host + "\r\n"
                              "User-Agent: aws-lambda-go/go1.19.8\r\n"
                              "Transfer-Encoding: chunked\r\n"
                              "Content-Type: application/json\r\n"
                              "Trailer: Lambda-Runtime-Function-Error-Body,Lambda-Runtime-Function-Error-Type\r\n"
                              "Accept-Encoding: gzip\r\n"
                              "\r\n"
                              "b\r\n{\"a\":\"b\xc3\xa9\"}\r\n"
                              "1a\r\n,\"list\":[1,2,3],\"x\":\"yyyy\"\r\n"
                              "0\r\n"
                              "\r\n";
  expect_json_reply(call(c, request), 202, accepted_body);
  ASSERT_TRUE(m_rec.wait_completed(1));
  EXPECT_EQ(m_rec.completed()[0].kind, core::outcome_kind::success);
  EXPECT_EQ(m_rec.completed()[0].payload, "{\"a\":\"b\xc3\xa9\"},\"list\":[1,2,3],\"x\":\"yyyy\"");
  EXPECT_EQ(m_rec.completed()[0].content_type, "application/json");
  // Keep-alive after a chunked body: the next /next on the same connection works.
  const auto again = next_with(c, make_invocation("go-2"));
  EXPECT_EQ(again.header("Lambda-Runtime-Aws-Request-Id").value_or(""), "go-2");
}

TEST_F(RuntimeApiServer, ChunkedBodyWithTrailerLinesIsDecoded) {
  auto c = connect();
  next_with(c, make_invocation("trailers"));
  // What aws-lambda-go sends when reading the handler's response fails midway: the trailer lines are filled.
  const std::string request = raw::chunked_request(
      "POST", response_path("trailers"),
      {{"Host", "127.0.0.1:" + std::to_string(port())},
       {"User-Agent", "aws-lambda-go/go1.19.8"},
       {"Transfer-Encoding", "chunked"},
       {"Content-Type", "application/octet-stream"},
       {"Trailer", "Lambda-Runtime-Function-Error-Body,Lambda-Runtime-Function-Error-Type"},
       {"Accept-Encoding", "gzip"}},
      {"partial ", "response ", std::string(70000, 'p')},
      {{"Lambda-Runtime-Function-Error-Body",
        "eyJlcnJvck1lc3NhZ2UiOiJyZWFkIGZhaWxlZCIsImVycm9yVHlwZSI6IlJlYWRFcnJvciJ9"},
       {"Lambda-Runtime-Function-Error-Type", "ReadError"}});
  expect_json_reply(call(c, request), 202, accepted_body);
  ASSERT_TRUE(m_rec.wait_completed(1));
  EXPECT_EQ(m_rec.completed()[0].payload, "partial response " + std::string(70000, 'p'));
  // The trailer section was consumed: the connection is still in step.
  EXPECT_EQ(call(c, raw::request("GET", "/ping")).status, 404);
}

TEST_F(RuntimeApiServer, ChunkedErrorWithTrailersIsDecoded) {
  auto c = connect();
  next_with(c, make_invocation("chunked-err"));
  const std::string body = "{\"errorMessage\":\"boom\",\"errorType\":\"Runtime.Chunked\"}";
  const std::string request =
      raw::chunked_request("POST", error_path("chunked-err"),
                           {{"Transfer-Encoding", "chunked"},
                            {"Trailer", "Lambda-Runtime-Function-Error-Type"},
                            {"Content-Type", "application/json"}},
                           {body.substr(0, 10), body.substr(10)}, {{"Lambda-Runtime-Function-Error-Type", "X"}});
  expect_json_reply(call(c, request), 202, accepted_body);
  ASSERT_TRUE(m_rec.wait_completed(1));
  EXPECT_EQ(m_rec.completed()[0].kind, core::outcome_kind::function_error);
  EXPECT_EQ(m_rec.completed()[0].payload, body);
  EXPECT_EQ(m_rec.completed()[0].error_type, "Runtime.Chunked");
}

TEST_F(RuntimeApiServer, LowercaseHeaderNamesAsAwsLambdaCppSendsThem) {
  auto c = connect();
  ASSERT_TRUE(c.send("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n"
                     "host: 127.0.0.1:" + std::to_string(port()) + "\r\n"
                     "user-agent: AWS_Lambda_Cpp/0.2.6\r\n"
                     "accept: */*\r\n"
                     "\r\n"));
  ASSERT_TRUE(wait_parked());
  submit(make_invocation("cpp-1"));
  const auto n = c.read_response();
  ASSERT_TRUE(n.ok()) << n.error;
  EXPECT_EQ(n.res.header("lambda-runtime-aws-request-id").value_or(""), "cpp-1");

  const std::string body = "{\"ok\":1}";
  expect_json_reply(call(c, "POST /2018-06-01/runtime/invocation/cpp-1/response HTTP/1.1\r\n"
                            "host: 127.0.0.1\r\n"
                            "user-agent: AWS_Lambda_Cpp/0.2.6\r\n"
                            "accept: */*\r\n"
                            "content-type: text/html\r\n"
                            "content-length: " + std::to_string(body.size()) + "\r\n"
                            "\r\n" + body),
                    202, accepted_body);
  ASSERT_TRUE(m_rec.wait_completed(1));
  EXPECT_EQ(m_rec.completed()[0].payload, body);
  EXPECT_EQ(m_rec.completed()[0].content_type, "text/html");

  // Rust's lowercase error-type header on /error.
  next_with(c, make_invocation("rust-1"));
  const std::string err = "{\"errorMessage\":\"m\"}";
  expect_json_reply(call(c, "POST /2018-06-01/runtime/invocation/rust-1/error HTTP/1.1\r\n"
                            "host: 127.0.0.1\r\n"
                            "content-type: application/json\r\n"
                            "lambda-runtime-function-error-type: unhandled\r\n"
                            "content-length: " + std::to_string(err.size()) + "\r\n"
                            "\r\n" + err),
                    202, accepted_body);
  ASSERT_TRUE(m_rec.wait_completed(2));
  EXPECT_EQ(m_rec.completed()[1].error_type, "unhandled");
}

TEST_F(RuntimeApiServer, OneMebibyteXrayErrorCauseHeaderIsAccepted) {
  auto c = connect();
  next_with(c, make_invocation("xray"));
  std::string cause = "{\"working_directory\":\"/var/task\",\"exceptions\":[{\"message\":\"";
  const std::string tail = "\",\"type\":\"E\"}],\"paths\":[]}";
  cause += std::string(1024 * 1024 - cause.size() - tail.size(), 'm');
  cause += tail;
  ASSERT_EQ(cause.size(), 1024u * 1024u);
  const std::string body = "{\"errorMessage\":\"m\",\"errorType\":\"E\"}";
  const auto r = call(c, post(error_path("xray"), body,
                              {{"Content-Type", "application/json"}, {"Lambda-Runtime-Function-Xray-Error-Cause", cause}}));
  EXPECT_TRUE(io_errors().empty()) << "the server threw out of io_context::run() on a 1 MiB header: "
                                   << (io_errors().empty() ? "" : io_errors().front());
  ASSERT_EQ(r.status, 202) << r.raw;
  expect_json_reply(r, 202, accepted_body);
  ASSERT_TRUE(m_rec.wait_completed(1));
  EXPECT_EQ(m_rec.completed()[0].payload, body);
  EXPECT_EQ(m_rec.completed()[0].error_type, "E");
  EXPECT_EQ(call(c, raw::request("GET", "/ping")).status, 404); // still in step
}

TEST_F(RuntimeApiServer, NextAndPostsOnSeparateKeepAliveConnections) {
  // node-ric's curl pool: /next on several connections in turn, every POST on one other connection.
  auto next_a = connect();
  auto next_b = connect();
  auto posts = connect();
  for (int i = 0; i < 6; ++i) {
    SCOPED_TRACE(i);
    const std::string id = "pool-" + std::to_string(i);
    auto& n = i % 2 == 0 ? next_a : next_b;
    const auto r = next_with(n, make_invocation(id, "{\"i\":" + std::to_string(i) + "}"));
    EXPECT_EQ(r.header("Lambda-Runtime-Aws-Request-Id").value_or(""), id);
    EXPECT_EQ(r.body, "{\"i\":" + std::to_string(i) + "}");
    expect_json_reply(call(posts, post(response_path(id), "r" + std::to_string(i))), 202, accepted_body);
  }
  ASSERT_TRUE(m_rec.wait_completed(6));
  const auto done = m_rec.completed();
  for (std::size_t i = 0; i < done.size(); ++i) EXPECT_EQ(done[i].payload, "r" + std::to_string(i));
  EXPECT_EQ(m_rec.init_done(), 1);
  EXPECT_EQ(m_rec.delivered(), 6);
}

TEST_F(RuntimeApiServer, SeveralRoundTripsOnOneConnection) {
  // aws-lambda-go and aws-lambda-cpp: one persistent connection for everything.
  auto c = connect();
  for (int i = 0; i < 20; ++i) {
    const std::string id = "loop-" + std::to_string(i);
    const auto r = next_with(c, make_invocation(id));
    ASSERT_EQ(r.header("Lambda-Runtime-Aws-Request-Id").value_or(""), id);
    if (i % 3 == 2) {
      expect_json_reply(call(c, post(error_path(id), "{\"errorType\":\"T\"}")), 202, accepted_body);
    } else {
      expect_json_reply(call(c, post(response_path(id), id)), 202, accepted_body);
    }
  }
  ASSERT_TRUE(m_rec.wait_completed(20));
  EXPECT_EQ(m_rec.completed()[19].payload, "loop-19");
  EXPECT_EQ(m_rec.completed()[2].kind, core::outcome_kind::function_error);
}

TEST_F(RuntimeApiServer, ConnectionCloseIsHonoured) {
  auto c = connect();
  const auto r = call(c, raw::request("GET", "/ping", {{"Connection", "close"}}));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.header("Connection").value_or(""), "close");
  EXPECT_TRUE(c.wait_closed(5s)) << "the server kept a Connection: close connection open";
}

TEST_F(RuntimeApiServer, MalformedRequestIs400AndClosesOnlyThatConnection) {
  auto runtime = connect();
  ASSERT_TRUE(runtime.send(next_request()));
  ASSERT_TRUE(wait_parked());

  auto bad = connect();
  const auto r = call(bad, "this is not http\r\n\r\n");
  EXPECT_EQ(r.status, 400) << r.raw;
  EXPECT_EQ(r.header("Content-Type").value_or(""), "application/json");
  EXPECT_NE(r.body.find("\"errorType\":\"InvalidRequest\"}\n"), std::string::npos) << r.body;
  EXPECT_EQ(r.header("Connection").value_or(""), "close");
  EXPECT_TRUE(bad.wait_closed(5s)) << "the server kept a malformed connection open";

  auto worse = connect();
  const auto w = call(worse, std::string("\x01\x02\x03 \xff\xfe\r\n\r\n", 10));
  EXPECT_EQ(w.status, 400) << w.raw;
  EXPECT_TRUE(worse.wait_closed(5s));

  // New connections are still served, and the parked /next still delivers.
  auto fresh = connect();
  expect_json_reply(call(fresh, raw::request("GET", "/ping")), 404, not_found_body);
  submit(make_invocation("survivor"));
  const auto n = runtime.read_response();
  ASSERT_TRUE(n.ok()) << n.error;
  EXPECT_EQ(n.res.header("Lambda-Runtime-Aws-Request-Id").value_or(""), "survivor");
  expect_json_reply(call(fresh, post(response_path("survivor"), "ok")), 202, accepted_body);
}

TEST_F(RuntimeApiServer, StopReleasesAParkedNextAndClosesItsConnection) {
  auto c = connect();
  ASSERT_TRUE(c.send(next_request()));
  ASSERT_TRUE(wait_parked());
  auto idle = connect();
  EXPECT_EQ(call(idle, raw::request("GET", "/ping")).status, 404);

  stop_server();
  EXPECT_TRUE(c.wait_closed(5s)) << "the parked /next stayed open after stop()";
  EXPECT_TRUE(c.buffered().empty()) << "the parked /next got an answer: " << c.buffered();
  EXPECT_TRUE(idle.wait_closed(5s)) << "an idle keep-alive connection stayed open after stop()";
  EXPECT_EQ(state(), broker::state::closed);
  EXPECT_THROW(raw::connection(port(), 2s), std::runtime_error) << "still accepting after stop()";
  // TearDown checks that every session ended (the io_context runs out of work).
}

TEST_F(RuntimeApiServer, NothingIsReportedAfterStop) {
  auto c = connect();
  next_with(c, make_invocation("in-flight"));
  const auto heard = m_rec.events();
  stop_server();
  EXPECT_TRUE(c.wait_closed(5s));
  // A late answer reaching the broker anyway is refused and not reported.
  const reply late = on_io([this] { return m_server->broker().response("in-flight", "late", "", 4); });
  EXPECT_EQ(late.status, 400u);
  EXPECT_EQ(late.body, invalid_id_body);
  const reply late_init = on_io([this] { return m_server->broker().init_error("{}", "", 2); });
  EXPECT_EQ(late_init.status, 403u);
  on_io([this] { m_server->broker().submit(make_invocation("after-stop")); });
  EXPECT_EQ(m_rec.events(), heard);
  EXPECT_TRUE(m_rec.completed().empty());
}

TEST_F(RuntimeApiServer, AnswerWhileTheEventIsStillBeingWrittenLeavesTheEventIntact) {
  // The /next body goes out from the broker's copy of the invocation. A runtime that answers as soon as
  // it has the headers (the request id) completes the invocation while that write is still pending on a
  // slow connection; the bytes still to go out must stay the event's bytes.
  std::string event(core::max_event_bytes, '\0');
  for (std::size_t i = 0; i < event.size(); ++i) event[i] = static_cast<char>('a' + i % 26);
  auto slow = raw::connection(port(), 5s, 4096); // reads nothing for now: the write stays pending
  ASSERT_TRUE(slow.send(next_request()));
  ASSERT_TRUE(wait_parked());
  submit(make_invocation("slow", event));
  ASSERT_TRUE(slow.readable_within(5s)); // the head and the first bytes are here; the rest is pending

  auto posts = connect();
  expect_json_reply(call(posts, post(response_path("slow"), "early answer")), 202, accepted_body);
  // The environment moves on: the next event is queued (reusing the memory freed by the completion).
  submit(make_invocation("next-one", std::string(core::max_event_bytes, 'Z')));

  const auto r = slow.read_response(30s);
  ASSERT_TRUE(r.ok()) << raw::to_string(r.status) << ": " << r.error;
  EXPECT_EQ(r.res.header("Lambda-Runtime-Aws-Request-Id").value_or(""), "slow");
  EXPECT_EQ(r.res.body.size(), event.size());
  const auto mismatch = std::mismatch(r.res.body.begin(), r.res.body.end(), event.begin(), event.end());
  EXPECT_TRUE(r.res.body == event) << "the event body differs from byte "
                                   << (mismatch.first - r.res.body.begin()) << " on";
}

TEST_F(RuntimeApiServer, AbandonedNextDoesNotSwallowTheNextInvocation) {
  // A client gives up on its parked /next (closes the connection) and asks again on a new connection, as
  // a restarted client or a curl pool would. The server must notice the dead connection instead of
  // keeping its waiter: otherwise the new /next is refused and the invocation goes to the dead socket.
  {
    auto gone = connect();
    ASSERT_TRUE(gone.send(next_request()));
    ASSERT_TRUE(wait_parked());
  } // closed here
  EXPECT_TRUE(wait_parked(2s, false)) << "the /next of a closed connection stays parked in the broker";
  auto c = connect();
  ASSERT_TRUE(c.send(next_request()));
  EXPECT_FALSE(c.readable_within(300ms)) << "the new /next was answered at once: " << c.buffered();
  submit(make_invocation("not-lost"));
  const auto r = c.read_response(5s);
  ASSERT_TRUE(r.ok()) << raw::to_string(r.status) << ": " << r.error;
  EXPECT_EQ(r.res.status, 200) << r.res.raw;
  EXPECT_EQ(r.res.header("Lambda-Runtime-Aws-Request-Id").value_or(""), "not-lost");
}


// The Extensions API 2020-01-01 on the same endpoint (PROTOCOL.md §2.1): bodies as RIE renders them.
constexpr const char* register_path = "/2020-01-01/extension/register";
constexpr const char* event_next_path = "/2020-01-01/extension/event/next";
constexpr const char* ext_init_error_path = "/2020-01-01/extension/init/error";
constexpr const char* ext_exit_error_path = "/2020-01-01/extension/exit/error";

std::string forbidden_body(const std::string& type, const std::string& message) {
  return "{\"errorMessage\":\"" + message + "\",\"errorType\":\"" + type + "\"}\n";
}

TEST_F(RuntimeApiServer, ExtensionRegisterAnswersWithTheFunctionAndAnIdentifier) {
  on_io([this] { m_server->extensions().expect_external("my-ext"); });
  auto c = connect();
  const auto r = call(c, post(register_path, R"({"events":["INVOKE","SHUTDOWN"]})",
                               {{"Lambda-Extension-Name", "my-ext"}, {"Lambda-Extension-Accept-Feature", "accountId"}}));
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "{\"functionName\":\"\",\"functionVersion\":\"\",\"handler\":\"\",\"accountId\":\"\"}\n");
  const auto id = r.header("Lambda-Extension-Identifier");
  ASSERT_TRUE(id.has_value()) << r.raw;
  EXPECT_EQ(id->size(), 36u);
  // The same external name again: its state forbids it.
  expect_json_reply(call(c, post(register_path, R"({"events":["INVOKE"]})", {{"Lambda-Extension-Name", "my-ext"}})), 403,
                    forbidden_body("Extension.InvalidExtensionState",
                                   "State transition from Registered to Registered failed for extension my-ext. Error: "
                                   "State transition is not allowed"));
}

TEST_F(RuntimeApiServer, ExtensionRegisterRefusals) {
  auto c = connect();
  expect_json_reply(call(c, post(register_path, R"({"events":[]})")), 403,
                    forbidden_body("Extension.InvalidExtensionName", "Empty extension name"));
  expect_json_reply(call(c, post(register_path, "not json", {{"Lambda-Extension-Name", "x"}})), 403,
                    forbidden_body("InvalidRequestFormat", "invalid JSON body: expected {\\\"events\\\":[...]}"));
  expect_json_reply(call(c, post(register_path, R"({"configurationKeys":["a"]})", {{"Lambda-Extension-Name", "x"}})), 403,
                    forbidden_body("InvalidRequestFormat", "configurationKeys are deprecated; use environment variables instead"));
  // An internal extension (a name lemu did not start) may not take SHUTDOWN; nobody may take BOGUS.
  expect_json_reply(call(c, post(register_path, R"({"events":["SHUTDOWN"]})", {{"Lambda-Extension-Name", "internal"}})), 403,
                    forbidden_body("Extension.InvalidEventType", "SHUTDOWN: ErrorInvalidEventType"));
  expect_json_reply(call(c, post(register_path, R"({"events":["BOGUS"]})", {{"Lambda-Extension-Name", "internal"}})), 403,
                    forbidden_body("Extension.InvalidEventType", "BOGUS: ErrorInvalidEventType"));
  // aws-lambda-go registers with {"events":null}.
  EXPECT_EQ(call(c, post(register_path, R"({"events":null})", {{"Lambda-Extension-Name", "GoLangEnableSIGTERM"}})).status, 200);
  expect_json_reply(call(c, post(register_path, R"({"events":[]})", {{"Lambda-Extension-Name", "GoLangEnableSIGTERM"}})), 403,
                    forbidden_body("Extension.InvalidExtensionState", "Extension with this name already registered"));
  for (int i = 1; i < 10; ++i) {
    EXPECT_EQ(call(c, post(register_path, "{}", {{"Lambda-Extension-Name", "e" + std::to_string(i)}})).status, 200);
  }
  expect_json_reply(call(c, post(register_path, "{}", {{"Lambda-Extension-Name", "e10"}})), 403,
                    forbidden_body("Extension.TooManyExtensions", "Extension limit (10) reached"));
  on_io([this] { m_server->extensions().close_registration(); });
  expect_json_reply(call(c, post(register_path, "{}", {{"Lambda-Extension-Name", "late"}})), 403,
                    forbidden_body("Extension.RegistrationClosed", "Extension registration closed already"));
}

TEST_F(RuntimeApiServer, ExtensionNextDeliversInvokeAndShutdown) {
  on_io([this] { m_server->extensions().expect_external("ext"); });
  auto c = connect();
  const auto reg = call(c, post(register_path, R"({"events":["INVOKE","SHUTDOWN"]})", {{"Lambda-Extension-Name", "ext"}}));
  const std::string id = reg.header("Lambda-Extension-Identifier").value_or("");
  ASSERT_TRUE(c.send(raw::request("GET", event_next_path, {{"Lambda-Extension-Identifier", id}})));
  ASSERT_TRUE(m_rec.wait([] { return true; }));
  EXPECT_FALSE(c.readable_within(100ms)) << "next long-polls until an event comes";
  EXPECT_TRUE(on_io([this] { return m_server->extensions().all_ready(); }));
  on_io([this] {
    return m_server->extensions().send_invoke({"req-1", 1700000000123, arn, "Root=1-abc"});
  });
  auto r = c.read_response(5s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 200);
  EXPECT_EQ(r.res.body, "{\"eventType\":\"INVOKE\",\"deadlineMs\":1700000000123,\"requestId\":\"req-1\",\"invokedFunctionArn\":\"" +
                            std::string(arn) + "\",\"tracing\":{\"type\":\"X-Amzn-Trace-Id\",\"value\":\"Root=1-abc\"}}");
  EXPECT_EQ(r.res.header("Lambda-Extension-Event-Identifier").value_or("").size(), 36u) << r.res.raw;
  EXPECT_FALSE(on_io([this] { return m_server->extensions().all_ready(); })) << "Running until it calls next again";
  // SHUTDOWN queued while it is Running: delivered by its next call at once.
  on_io([this] { m_server->extensions().send_shutdown({"TIMEOUT", 1700000002000}); });
  const auto s = call(c, raw::request("GET", event_next_path, {{"Lambda-Extension-Identifier", id}}));
  EXPECT_EQ(s.body, "{\"eventType\":\"SHUTDOWN\",\"shutdownReason\":\"TIMEOUT\",\"deadlineMs\":1700000002000}");
}

TEST_F(RuntimeApiServer, ExtensionCallsWithoutAValidIdentifierAreRefused) {
  auto c = connect();
  for (const char* path : {event_next_path}) {
    SCOPED_TRACE(path);
    expect_json_reply(call(c, raw::request("GET", path)), 403,
                      forbidden_body("Extension.MissingExtensionIdentifier", "Missing Lambda-Extension-Identifier header"));
    expect_json_reply(call(c, raw::request("GET", path, {{"Lambda-Extension-Identifier", "nope"}})), 403,
                      forbidden_body("Extension.InvalidExtensionIdentifier", "Invalid Lambda-Extension-Identifier"));
    expect_json_reply(call(c, raw::request("GET", path, {{"Lambda-Extension-Identifier", "8476a536-e9f4-41e8-9739-2dfe598c3fcd"}})),
                      403, forbidden_body("Extension.UnknownExtensionIdentifier", "Unknown extension 8476a536-e9f4-41e8-9739-2dfe598c3fcd"));
  }
  for (const char* path : {ext_init_error_path, ext_exit_error_path}) {
    SCOPED_TRACE(path);
    expect_json_reply(call(c, post(path, "{}", {{"Lambda-Extension-Identifier", "8476a536-e9f4-41e8-9739-2dfe598c3fcd"}})), 403,
                      forbidden_body("Extension.MissingHeader", "Lambda-Extension-Function-Error-Type not found"));
    expect_json_reply(call(c, post(path, "{}", {{"Lambda-Extension-Identifier", "8476a536-e9f4-41e8-9739-2dfe598c3fcd"},
                                                {"Lambda-Extension-Function-Error-Type", "Extension.X"}})),
                      403, forbidden_body("Extension.UnknownExtensionIdentifier", "Unknown Lambda-Extension-Identifier"));
  }
  // Subscriptions need a registered extension too.
  expect_json_reply(call(c, raw::request("PUT", "/2022-07-01/telemetry", {}, "{}")), 403,
                    forbidden_body("Extension.MissingExtensionIdentifier", "Missing Lambda-Extension-Identifier header"));
}

TEST_F(RuntimeApiServer, ExtensionInitErrorIsAcceptedOnceAndEndsItsCalls) {
  auto c = connect();
  const auto reg = call(c, post(register_path, R"({"events":["INVOKE"]})", {{"Lambda-Extension-Name", "internal"}}));
  const std::string id = reg.header("Lambda-Extension-Identifier").value_or("");
  const raw::header_list h{{"Lambda-Extension-Identifier", id}, {"Lambda-Extension-Function-Error-Type", "Extension.ConfigInvalid"}};
  expect_json_reply(call(c, post(ext_init_error_path, "{}", h)), 202, accepted_body);
  const auto failure = on_io([this] { return m_server->extensions().failure(); });
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->error_type, "Extension.ConfigInvalid");
  expect_json_reply(call(c, raw::request("GET", event_next_path, {{"Lambda-Extension-Identifier", id}})), 403,
                    forbidden_body("Extension.InvalidExtensionState", "State transition from InitError to Ready failed for extension " +
                                                                           id + ". Error: State transition is not allowed"));
}

} // namespace
} // namespace lemu::runtime_api
