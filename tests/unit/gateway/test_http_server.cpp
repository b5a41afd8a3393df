// The HTTP/1.1 server of `lemu serve` on a real loopback socket: the response head as written (status reason,
// headers in order, Content-Length), keep-alive and Connection: close, answers that come later, pipelining,
// chunked bodies with trailers, the body and header limits, malformed requests, HEAD, the peer address,
// repeated header names, stop() (idle connections close, a pending answer is still delivered), and binding
// errors. The server runs on an io_context on its own thread; every wait has a deadline.
#include <lemu/gateway/http_server.hpp>
#include <lemu/util/text.hpp>

#include "support/http_raw.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace lemu::gateway {
namespace {

namespace net = boost::asio;
namespace raw = lemu::test::http_raw;
using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

class HttpServerTest : public ::testing::Test {
protected:
  using make_response = std::function<http_response(const received_request&)>;

  // Starts a server whose handler records each request and answers at once with make(request).
  void serve_answering(make_response make, const http_server_options& o = {}) {
    serve(
        [this, make = std::move(make)](received_request in, http_server::responder respond) {
          http_response r = make(in);
          record(std::move(in));
          respond(std::move(r));
        },
        o);
  }

  // Starts a server whose handler records each request and keeps its responder: answer it with answer(i, ...).
  void serve_holding(const http_server_options& o = {}) {
    serve(
        [this](received_request in, http_server::responder respond) {
          m_held.push_back(std::move(respond)); // io thread only
          record(std::move(in));
        },
        o);
  }

  void serve(http_server::handler h, const http_server_options& o = {}) {
    m_server = http_server::create(m_ioc.get_executor(), std::move(h), o);
    m_server->start();
    m_thread = std::thread([this] {
      m_ioc.run();
      std::lock_guard lock(m_mutex);
      m_ran_out = true;
      m_cv.notify_all();
    });
  }

  std::uint16_t port() const { return m_server->port(); }

  // Runs f on the io_context's thread and waits for it.
  void on_io(std::function<void()> f) {
    auto done = std::make_shared<std::promise<void>>();
    auto fut = done->get_future();
    net::post(m_ioc, [done, f = std::move(f)] {
      f();
      done->set_value();
    });
    ASSERT_EQ(fut.wait_for(5s), std::future_status::ready) << "the io_context did not run a posted job";
  }

  // Answers the i-th held request (from the io_context's thread, as the server requires).
  void answer(std::size_t i, http_response r) {
    on_io([this, i, r = std::move(r)]() mutable {
      ASSERT_LT(i, m_held.size());
      ASSERT_TRUE(m_held[i]) << "request " << i << " was answered already";
      auto respond = std::exchange(m_held[i], nullptr);
      respond(std::move(r));
    });
  }

  void record(received_request in) {
    std::lock_guard lock(m_mutex);
    m_requests.push_back(std::move(in));
    m_cv.notify_all();
  }

  // Waits until the handler has been called n times.
  bool wait_requests(std::size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(m_mutex);
    return m_cv.wait_for(lock, timeout, [&] { return m_requests.size() >= n; });
  }

  std::vector<received_request> requests() {
    std::lock_guard lock(m_mutex);
    return m_requests;
  }

  std::size_t request_count() {
    std::lock_guard lock(m_mutex);
    return m_requests.size();
  }

  // Stops the server from its thread; true once ioc.run() has returned (nothing was left running).
  bool stop_and_wait(std::chrono::milliseconds timeout = 5s) {
    net::post(m_ioc, [srv = m_server] { srv->stop(); });
    std::unique_lock lock(m_mutex);
    return m_cv.wait_for(lock, timeout, [&] { return m_ran_out; });
  }

  void TearDown() override {
    if (m_thread.joinable()) {
      net::post(m_ioc, [this] {
        for (auto& respond : m_held) {
          if (respond) std::exchange(respond, nullptr)(http_response{500, {}, "unanswered at teardown"});
        }
        m_server->stop();
      });
      std::unique_lock lock(m_mutex);
      if (!m_cv.wait_for(lock, 5s, [&] { return m_ran_out; })) {
        ADD_FAILURE() << "the io_context still had work 5 s after stop(): a connection or the listener was left open";
        m_ioc.stop();
      }
      lock.unlock();
      m_thread.join();
    }
    m_held.clear();
    m_server.reset();
  }

  net::io_context m_ioc;
  std::shared_ptr<http_server> m_server;
  std::vector<http_server::responder> m_held; // io thread only (and after the thread ended)
  std::thread m_thread;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::vector<received_request> m_requests; // under m_mutex
  bool m_ran_out = false;                   // under m_mutex
};

http_response text(unsigned status, std::string body) {
  return http_response{status, {{"Content-Type", "text/plain"}}, std::move(body)};
}

// ---------------------------------------------------------------------------------------------------------
// Requests and responses

TEST_F(HttpServerTest, SimpleRequestAndResponse) {
  serve_answering([](const received_request&) {
    return http_response{201,
                         {{"Content-Type", "text/plain"}, {"X-B", "2"}, {"Set-Cookie", "a=1"}, {"X-A", "1"}, {"Set-Cookie", "b=2"}},
                         "created"};
  });
  raw::connection c(port());
  const auto r = c.roundtrip(raw::request("POST", "/things?x=1&x=2", {{"X-Custom", "yes"}}, R"({"n":1})"), 5s);
  ASSERT_TRUE(r.ok()) << raw::to_string(r.status) << ": " << r.error;
  EXPECT_EQ(r.res.raw, "HTTP/1.1 201 Created\r\n"
                       "Content-Type: text/plain\r\n"
                       "X-B: 2\r\n"
                       "Set-Cookie: a=1\r\n"
                       "X-A: 1\r\n"
                       "Set-Cookie: b=2\r\n"
                       "Content-Length: 7\r\n"
                       "\r\n"
                       "created");
  EXPECT_EQ(r.res.status, 201);
  EXPECT_EQ(r.res.reason, "Created");
  EXPECT_EQ(r.res.body, "created");

  const auto seen = requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].request.method, "POST");
  EXPECT_EQ(seen[0].request.target, "/things?x=1&x=2");
  EXPECT_THAT(seen[0].request.headers,
              ElementsAre(Pair("Host", "127.0.0.1"), Pair("X-Custom", "yes"), Pair("Content-Length", "7")));
  EXPECT_EQ(seen[0].request.body, R"({"n":1})");
  EXPECT_EQ(seen[0].body_bytes, 7u);
  EXPECT_EQ(seen[0].request.source_ip, "127.0.0.1");
}

TEST_F(HttpServerTest, StatusLineReasons) {
  serve_answering([](const received_request& in) {
    return text(static_cast<unsigned>(std::stoul(in.request.target.substr(1))), "x");
  });
  raw::connection c(port());
  struct row {
    int status;
    const char* reason;
  };
  for (const row& want : {row{200, "OK"}, row{202, "Accepted"}, row{400, "Bad Request"}, row{404, "Not Found"},
                          row{413, "Payload Too Large"}, row{429, "Too Many Requests"}, row{500, "Internal Server Error"},
                          row{502, "Bad Gateway"}}) {
    SCOPED_TRACE(want.status);
    const auto r = c.roundtrip(raw::request("GET", "/" + std::to_string(want.status)), 5s);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.res.status, want.status);
    EXPECT_EQ(r.res.reason, want.reason);
    EXPECT_EQ(r.res.raw.substr(0, r.res.raw.find("\r\n")),
              "HTTP/1.1 " + std::to_string(want.status) + " " + want.reason);
  }
}

TEST_F(HttpServerTest, EmptyBodyGetsContentLengthZero) {
  serve_answering([](const received_request&) { return http_response{204, {{"X-Empty", "1"}}, ""}; });
  raw::connection c(port());
  const auto r = c.roundtrip(raw::request("DELETE", "/x"), 5s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.raw, "HTTP/1.1 204 No Content\r\nX-Empty: 1\r\nContent-Length: 0\r\n\r\n");
  const auto seen = requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].request.body, "");
  EXPECT_EQ(seen[0].body_bytes, 0u);
}

TEST_F(HttpServerTest, RepeatedRequestHeaderNamesAreKeptInOrder) {
  serve_answering([](const received_request&) { return text(200, "ok"); });
  raw::connection c(port());
  const auto r = c.roundtrip(raw::request("GET", "/h",
                                          {{"Host", "localhost:3001"},
                                           {"X-Tag", "one"},
                                           {"Accept", "*/*"},
                                           {"x-tag", "two"},
                                           {"Cookie", "a=1"},
                                           {"X-TAG", "three"},
                                           {"cookie", "b=2"}}),
                             5s);
  ASSERT_TRUE(r.ok()) << r.error;
  const auto seen = requests();
  ASSERT_EQ(seen.size(), 1u);
  // Every field, names as sent. (Beast keeps fields of one name together: a repeated name moves up next to its
  // first occurrence, so the list is in order per name, not across names.)
  EXPECT_THAT(seen[0].request.headers,
              UnorderedElementsAre(Pair("Host", "localhost:3001"), Pair("X-Tag", "one"), Pair("Accept", "*/*"),
                                   Pair("x-tag", "two"), Pair("Cookie", "a=1"), Pair("X-TAG", "three"),
                                   Pair("cookie", "b=2")));
  const auto named = [&](std::string_view name) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& h : seen[0].request.headers) {
      if (util::iequals(h.first, name)) out.push_back(h);
    }
    return out;
  };
  EXPECT_THAT(named("X-Tag"), ElementsAre(Pair("X-Tag", "one"), Pair("x-tag", "two"), Pair("X-TAG", "three")));
  EXPECT_THAT(named("cookie"), ElementsAre(Pair("Cookie", "a=1"), Pair("cookie", "b=2")));
  EXPECT_EQ(seen[0].request.header("x-tag"), std::optional<std::string_view>("one"));
  EXPECT_EQ(seen[0].request.header("COOKIE"), std::optional<std::string_view>("a=1"));
}

// ---------------------------------------------------------------------------------------------------------
// Connections

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  serve_answering([](const received_request& in) { return text(200, "for " + in.request.target); });
  raw::connection c(port());
  const auto first = c.roundtrip(raw::request("GET", "/one"), 5s);
  ASSERT_TRUE(first.ok()) << first.error;
  EXPECT_EQ(first.res.body, "for /one");
  EXPECT_EQ(first.res.header("Connection"), std::nullopt);

  const auto second = c.roundtrip(raw::request("POST", "/two", {}, "{}"), 5s);
  ASSERT_TRUE(second.ok()) << second.error;
  EXPECT_EQ(second.res.body, "for /two");
  EXPECT_EQ(second.res.header("Connection"), std::nullopt);

  // The connection stays open.
  EXPECT_FALSE(c.wait_closed(100ms));
  const auto seen = requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].request.target, "/one");
  EXPECT_EQ(seen[1].request.target, "/two");
  EXPECT_EQ(seen[1].request.body, "{}");
}

TEST_F(HttpServerTest, ConnectionCloseClosesAfterTheResponse) {
  serve_answering([](const received_request&) { return text(200, "bye"); });
  raw::connection c(port());
  const auto r = c.roundtrip(raw::request("GET", "/", {{"Connection", "close"}}), 5s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.raw, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbye");
  EXPECT_TRUE(c.wait_closed(5s));
  EXPECT_EQ(c.buffered(), "");
}

TEST_F(HttpServerTest, Http10WithoutKeepAliveClosesAfterTheResponse) {
  serve_answering([](const received_request&) { return text(200, "old"); });
  raw::connection c(port());
  const auto r = c.roundtrip("GET /old HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", 5s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.header("Connection"), std::optional<std::string>("close"));
  EXPECT_EQ(r.res.body, "old");
  EXPECT_TRUE(c.wait_closed(5s));
}

TEST_F(HttpServerTest, AnswerThatComesLater) {
  serve([this](received_request in, http_server::responder respond) {
    record(std::move(in));
    auto timer = std::make_shared<net::steady_timer>(m_ioc, 50ms);
    timer->async_wait([timer, respond = std::move(respond)](boost::system::error_code) {
      respond(text(200, "later"));
    });
  });
  raw::connection c(port());
  const auto sent = std::chrono::steady_clock::now();
  const auto r = c.roundtrip(raw::request("POST", "/slow", {}, "{}"), 5s);
  const auto waited = std::chrono::steady_clock::now() - sent;
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 200);
  EXPECT_EQ(r.res.body, "later");
  EXPECT_GE(waited, 50ms);

  // The connection is still good for the next request.
  const auto again = c.roundtrip(raw::request("GET", "/slow2"), 5s);
  ASSERT_TRUE(again.ok()) << again.error;
  EXPECT_EQ(again.res.body, "later");
  EXPECT_EQ(request_count(), 2u);
}

TEST_F(HttpServerTest, PipelinedRequestsWaitForTheEarlierAnswer) {
  serve_holding();
  raw::connection c(port());
  ASSERT_TRUE(c.send(raw::request("GET", "/first") + raw::request("GET", "/second")));
  ASSERT_TRUE(wait_requests(1));
  // The second request is not read (nor handed over) before the first is answered.
  EXPECT_FALSE(wait_requests(2, 100ms));
  EXPECT_FALSE(c.readable_within(0ms));

  answer(0, text(200, "one"));
  ASSERT_TRUE(wait_requests(2));
  EXPECT_EQ(requests()[1].request.target, "/second");
  answer(1, text(200, "two"));

  const auto first = c.read_response(5s);
  ASSERT_TRUE(first.ok()) << first.error;
  EXPECT_EQ(first.res.body, "one");
  const auto second = c.read_response(5s);
  ASSERT_TRUE(second.ok()) << second.error;
  EXPECT_EQ(second.res.body, "two");
}

TEST_F(HttpServerTest, SourceIpIsTheLoopbackPeer) {
  serve_answering([](const received_request& in) { return text(200, in.request.source_ip); });
  raw::connection c(port());
  const auto r = c.roundtrip(raw::request("GET", "/ip"), 5s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.body, "127.0.0.1");
  EXPECT_EQ(requests().at(0).request.source_ip, "127.0.0.1");
}

// ---------------------------------------------------------------------------------------------------------
// Bodies

TEST_F(HttpServerTest, ChunkedBodyWithTrailersReachesTheHandlerWhole) {
  serve_answering([](const received_request& in) { return text(200, std::to_string(in.body_bytes)); });
  raw::connection c(port());
  const auto r = c.roundtrip(raw::chunked_request("POST", "/chunked",
                                                  {{"Transfer-Encoding", "chunked"}, {"Trailer", "X-Checksum"}},
                                                  {R"({"a":)", R"(1,"b":)", std::string(300, ' '), "2}"},
                                                  {{"X-Checksum", "abc123"}}),
                             5s);
  ASSERT_TRUE(r.ok()) << r.error;
  const std::string body = R"({"a":1,"b":)" + std::string(300, ' ') + "2}";
  EXPECT_EQ(r.res.body, std::to_string(body.size()));

  const auto seen = requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].request.body, body);
  EXPECT_EQ(seen[0].body_bytes, body.size());
  // The trailer field comes after the header fields.
  EXPECT_THAT(seen[0].request.headers, ElementsAre(Pair("Host", "127.0.0.1"), Pair("Transfer-Encoding", "chunked"),
                                                   Pair("Trailer", "X-Checksum"), Pair("X-Checksum", "abc123")));

  // The connection goes on after a chunked request.
  const auto next = c.roundtrip(raw::request("POST", "/next", {}, "12345"), 5s);
  ASSERT_TRUE(next.ok()) << next.error;
  EXPECT_EQ(next.res.body, "5");
}

TEST_F(HttpServerTest, BodyOverTheLimitIsCutButCounted) {
  http_server_options o;
  o.body_limit = 16;
  serve_answering([](const received_request& in) { return text(200, std::to_string(in.body_bytes)); }, o);
  raw::connection c(port());
  std::string body;
  for (int i = 0; body.size() < 100; ++i) body += static_cast<char>('a' + i % 26);
  ASSERT_EQ(body.size(), 100u);

  // A body announced over the limit is refused before any of it is stored: 413, and the connection closes.
  const auto r = c.roundtrip(raw::request("POST", "/big", {}, body), 5s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 413);
  EXPECT_EQ(r.res.body, R"({"message":"Payload Too Large"})");
  EXPECT_EQ(r.res.header("Connection"), "close");

  // Chunked (the size is not known before): cut at the limit but counted, for the handler to answer.
  raw::connection c2(port());
  const auto chunked = c2.roundtrip(raw::chunked_request("POST", "/big-chunked", {{"Transfer-Encoding", "chunked"}},
                                                        {body.substr(0, 10), body.substr(10, 10), body.substr(20, 10)}),
                                   5s);
  ASSERT_TRUE(chunked.ok()) << chunked.error;
  EXPECT_EQ(chunked.res.body, "30");

  // Exactly at the limit: whole.
  const auto at = c2.roundtrip(raw::request("POST", "/at", {}, body.substr(0, 16)), 5s);
  ASSERT_TRUE(at.ok()) << at.error;

  const auto seen = requests();
  ASSERT_EQ(seen.size(), 2u); // the refused one never reached the handler
  EXPECT_EQ(seen[0].request.body, "abcdefghijklmnop");
  EXPECT_EQ(seen[0].body_bytes, 30u);
  EXPECT_EQ(seen[1].request.body, "abcdefghijklmnop");
  EXPECT_EQ(seen[1].body_bytes, 16u);
}

// ---------------------------------------------------------------------------------------------------------
// Bad requests

TEST_F(HttpServerTest, MalformedRequestGets400AndClose) {
  serve_answering([](const received_request&) { return text(200, "never"); });
  raw::connection c(port());
  const auto r = c.roundtrip("this is not http\r\n\r\n", 5s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.raw, "HTTP/1.1 400 Bad Request\r\n"
                       "Content-Type: application/json\r\n"
                       "Content-Length: 25\r\n"
                       "Connection: close\r\n"
                       "\r\n"
                       R"({"message":"Bad Request"})");
  EXPECT_TRUE(c.wait_closed(5s));
  EXPECT_EQ(request_count(), 0u);
}

TEST_F(HttpServerTest, BadContentLengthGets400AndClose) {
  serve_answering([](const received_request&) { return text(200, "never"); });
  raw::connection c(port());
  const auto r = c.roundtrip("POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n", 5s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 400);
  EXPECT_EQ(r.res.body, R"({"message":"Bad Request"})");
  EXPECT_EQ(r.res.header("Connection"), std::optional<std::string>("close"));
  EXPECT_TRUE(c.wait_closed(5s));
  EXPECT_EQ(request_count(), 0u);
}

TEST_F(HttpServerTest, HeadersOverTheLimitGet431AndClose) {
  http_server_options o;
  o.header_limit = 1024;
  serve_answering([](const received_request&) { return text(200, "ok"); }, o);

  // Under the limit: served.
  raw::connection small(port());
  const auto ok = small.roundtrip(raw::request("GET", "/", {{"X-Big", std::string(800, 'h')}}), 5s);
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(ok.res.status, 200);

  raw::connection c(port());
  const auto r = c.roundtrip(raw::request("GET", "/", {{"X-Big", std::string(2000, 'h')}}), 5s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.raw, "HTTP/1.1 431 Request Header Fields Too Large\r\n"
                       "Content-Type: application/json\r\n"
                       "Content-Length: 45\r\n"
                       "Connection: close\r\n"
                       "\r\n"
                       R"({"message":"Request Header Fields Too Large"})");
  EXPECT_TRUE(c.wait_closed(5s));
  EXPECT_EQ(request_count(), 1u);
}

// ---------------------------------------------------------------------------------------------------------
// HEAD

TEST_F(HttpServerTest, HeadGetsHeadersWithContentLengthButNoBody) {
  serve_answering([](const received_request&) { return text(200, "hello"); });
  raw::connection c(port());
  // HEAD, then a GET on the same connection: what comes back shows exactly where the HEAD answer ends.
  ASSERT_TRUE(c.send(raw::request("HEAD", "/h") + raw::request("GET", "/g", {{"Connection", "close"}})));
  ASSERT_TRUE(c.wait_closed(5s));
  EXPECT_EQ(c.buffered(), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n"
                          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
  const auto seen = requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].request.method, "HEAD");
  EXPECT_EQ(seen[1].request.method, "GET");
}

// ---------------------------------------------------------------------------------------------------------
// stop()

TEST_F(HttpServerTest, StopClosesIdleConnectionsAndDeliversThePendingAnswer) {
  serve_holding();
  raw::connection idle(port());
  ASSERT_TRUE(idle.send(raw::request("GET", "/idle")));
  ASSERT_TRUE(wait_requests(1));
  answer(0, text(200, "done"));
  const auto r = idle.read_response(5s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.header("Connection"), std::nullopt);

  raw::connection busy(port());
  ASSERT_TRUE(busy.send(raw::request("POST", "/busy", {}, "{}")));
  ASSERT_TRUE(wait_requests(2));

  on_io([this] { m_server->stop(); });
  // The idle keep-alive connection is closed, with nothing sent.
  EXPECT_TRUE(idle.wait_closed(5s));
  EXPECT_EQ(idle.buffered(), "");
  // No new connections.
  EXPECT_THROW(raw::connection(port(), 1s), std::runtime_error);
  // The busy one still waits for its answer.
  EXPECT_FALSE(busy.readable_within(100ms));

  answer(1, text(200, "late answer"));
  const auto late = busy.read_response(5s);
  ASSERT_TRUE(late.ok()) << late.error;
  EXPECT_EQ(late.res.raw,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nlate answer");
  EXPECT_TRUE(busy.wait_closed(5s));
  EXPECT_EQ(busy.buffered(), "");

  // Nothing is left running: the io_context runs out of work.
  std::unique_lock lock(m_mutex);
  EXPECT_TRUE(m_cv.wait_for(lock, 5s, [&] { return m_ran_out; }));
}

TEST_F(HttpServerTest, StopWithNothingOpenEndsTheIoContext) {
  serve_answering([](const received_request&) { return text(200, "ok"); });
  {
    raw::connection c(port());
    const auto r = c.roundtrip(raw::request("GET", "/", {{"Connection", "close"}}), 5s);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_TRUE(c.wait_closed(5s));
  }
  EXPECT_TRUE(stop_and_wait());
}

TEST_F(HttpServerTest, StopClosesAConnectionInTheMiddleOfARequest) {
  serve_answering([](const received_request&) { return text(200, "never"); });
  raw::connection c(port());
  ASSERT_TRUE(c.send("POST /partial HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n12345"));
  EXPECT_FALSE(c.readable_within(50ms));
  EXPECT_TRUE(stop_and_wait());
  EXPECT_TRUE(c.wait_closed(5s));
  EXPECT_EQ(c.buffered(), "");
  EXPECT_EQ(request_count(), 0u);
}

TEST_F(HttpServerTest, StopWhileAnAnswerIsBeingWrittenLetsItFinish) {
  const std::string big(16 * 1024 * 1024, 'z');
  serve_answering([big](const received_request&) { return text(200, big); });
  raw::connection c(port(), 5s, 4096); // a slow reader: the server's write stays pending
  ASSERT_TRUE(c.send(raw::request("GET", "/big")));
  ASSERT_TRUE(wait_requests(1));
  on_io([] {}); // the session has gone on from the handler to writing the answer
  on_io([this] { m_server->stop(); });
  const auto r = c.read_response(20s);
  ASSERT_TRUE(r.ok()) << raw::to_string(r.status) << ": " << r.error;
  EXPECT_EQ(r.res.body.size(), big.size());
  EXPECT_TRUE(c.wait_closed(5s));
}

// ---------------------------------------------------------------------------------------------------------
// Streamed answers

class HttpServerStreamTest : public HttpServerTest {
protected:
  // Starts a server whose handler begins a streamed answer (200, text/plain) for every request and keeps
  // the writer: drive it with on_io().
  void serve_streaming() {
    serve([this](received_request in, http_server::responder respond) {
      m_writers.push_back(respond.stream(200, {{"Content-Type", "text/plain"}, {"Content-Length", "99"}}));
      record(std::move(in));
    });
  }
  // Writes `bytes` with the i-th writer; the returned flag is set (on the io thread) when its callback ran.
  std::shared_ptr<std::atomic<bool>> write(std::size_t i, std::string bytes) {
    auto done = std::make_shared<std::atomic<bool>>(false);
    on_io([this, i, done, bytes = std::move(bytes)]() mutable { m_writers.at(i)->write(std::move(bytes), [done] { *done = true; }); });
    return done;
  }
  void TearDown() override {
    if (m_thread.joinable()) net::post(m_ioc, [this] { m_writers.clear(); }); // the io_context may have run out
    HttpServerTest::TearDown();
    m_writers.clear();
  }
  static bool wait_flag(const std::atomic<bool>& flag, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!flag && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    return flag;
  }
  std::vector<std::shared_ptr<response_writer>> m_writers; // io thread only
};

TEST_F(HttpServerStreamTest, ChunkedHeadPiecesLastChunkThenKeepAlive) {
  serve_streaming();
  raw::connection c(port());
  ASSERT_TRUE(c.send(raw::request("GET", "/stream")));
  ASSERT_TRUE(wait_requests(1));
  const auto one = write(0, "one");
  ASSERT_TRUE(wait_flag(*one));
  const auto two = write(0, "second");
  ASSERT_TRUE(wait_flag(*two));
  on_io([this] { m_writers[0]->finish(); });
  const auto r = c.read_response(5s);
  ASSERT_TRUE(r.ok()) << raw::to_string(r.status) << ": " << r.error;
  EXPECT_EQ(r.res.raw, "HTTP/1.1 200 OK\r\n"
                       "Content-Type: text/plain\r\n"
                       "Transfer-Encoding: chunked\r\n"
                       "\r\n"
                       "3\r\none\r\n"
                       "6\r\nsecond\r\n"
                       "0\r\n\r\n");
  EXPECT_EQ(r.res.body, "onesecond");

  // The connection serves its next request after a finished stream.
  ASSERT_TRUE(c.send(raw::request("GET", "/again")));
  ASSERT_TRUE(wait_requests(2));
  on_io([this] { m_writers[1]->finish(); });
  const auto again = c.read_response(5s);
  ASSERT_TRUE(again.ok()) << again.error;
  EXPECT_EQ(again.res.body, "");
  EXPECT_EQ(again.res.header("Transfer-Encoding"), "chunked");
}

TEST_F(HttpServerStreamTest, EachPieceReachesTheClientBeforeTheStreamEnds) {
  serve_streaming();
  raw::connection c(port());
  ASSERT_TRUE(c.send(raw::request("GET", "/stream")));
  ASSERT_TRUE(wait_requests(1));
  const auto first = write(0, "first piece");
  ASSERT_TRUE(wait_flag(*first)) << "the callback runs once the bytes are written";
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (c.buffered().find("first piece\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    c.readable_within(100ms);
    c.wait_closed(std::chrono::milliseconds(1)); // reads what is there into buffered()
  }
  EXPECT_THAT(c.buffered(), HasSubstr("b\r\nfirst piece\r\n"));
  EXPECT_THAT(c.buffered(), ::testing::Not(HasSubstr("0\r\n\r\n")));
  on_io([this] { m_writers[0]->finish(); });
  const auto r = c.read_response(5s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.body, "first piece");
}

TEST_F(HttpServerStreamTest, CallbackWaitsForASlowReader) {
  serve_streaming();
  raw::connection c(port(), 5s, 4096); // a slow reader: the server's write stays pending
  ASSERT_TRUE(c.send(raw::request("GET", "/big")));
  ASSERT_TRUE(wait_requests(1));
  const std::string big(16 * 1024 * 1024, 'z');
  const auto done = write(0, big);
  ASSERT_TRUE(c.readable_within(5s));
  EXPECT_FALSE(*done) << "16 MiB cannot all be in the socket buffers of a reader that has not read";
  const auto overlap = std::make_shared<std::atomic<bool>>(false);
  on_io([this, overlap] { m_writers[0]->write("more", [overlap] { *overlap = true; }); }); // ignores backpressure
  ASSERT_TRUE(wait_flag(*overlap)) << "a second pending piece is dropped, its callback still runs";
  on_io([this] { m_writers[0]->finish(); });
  const auto r = c.read_response(30s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.body.size(), big.size());
  EXPECT_TRUE(wait_flag(*done));
}

TEST_F(HttpServerStreamTest, AbortClosesWithoutTheLastChunk) {
  serve_streaming();
  raw::connection c(port());
  ASSERT_TRUE(c.send(raw::request("GET", "/stream")));
  ASSERT_TRUE(wait_requests(1));
  ASSERT_TRUE(wait_flag(*write(0, "partial")));
  on_io([this] { m_writers[0]->abort(); });
  EXPECT_TRUE(c.wait_closed(5s));
  EXPECT_THAT(c.buffered(), ::testing::EndsWith("7\r\npartial\r\n"));
  const auto r = c.read_response(1s);
  EXPECT_EQ(r.status, raw::read_status::closed) << "the client sees an incomplete body";
  // Later writes complete at once.
  EXPECT_TRUE(wait_flag(*write(0, "after")));
}

TEST_F(HttpServerStreamTest, DroppingTheWriterAborts) {
  serve_streaming();
  raw::connection c(port());
  ASSERT_TRUE(c.send(raw::request("GET", "/stream")));
  ASSERT_TRUE(wait_requests(1));
  on_io([this] { m_writers[0].reset(); });
  EXPECT_TRUE(c.wait_closed(5s));
  EXPECT_THAT(c.buffered(), HasSubstr("Transfer-Encoding: chunked"));
  EXPECT_THAT(c.buffered(), ::testing::Not(HasSubstr("0\r\n\r\n")));
}

TEST_F(HttpServerStreamTest, ClientThatWentAwayMakesWritesCompleteAtOnce) {
  serve_streaming();
  auto gone = std::make_shared<std::atomic<bool>>(false);
  {
    raw::connection c(port());
    ASSERT_TRUE(c.send(raw::request("GET", "/stream")));
    ASSERT_TRUE(wait_requests(1));
    ASSERT_TRUE(c.readable_within(5s)); // the head came
  }
  on_io([this, gone] { m_writers[0]->on_client_gone([gone] { *gone = true; }); });
  // The kernel may take a write or two after the close; then writes fail, and complete at once.
  auto writes = std::make_shared<std::atomic<int>>(0);
  auto next = std::make_shared<std::function<void()>>();
  *next = [this, writes, next] {
    if (++*writes > 1000 || m_writers.empty() || m_writers[0]->client_gone()) return;
    m_writers[0]->write(std::string(64 * 1024, 'x'), *next);
  };
  on_io([next] { (*next)(); });
  ASSERT_TRUE(wait_flag(*gone)) << "the handler learns that the client went away";
  EXPECT_LT(*writes, 1000);
  EXPECT_TRUE(wait_flag(*write(0, "dropped")));
  on_io([next] { *next = nullptr; });
}

TEST_F(HttpServerStreamTest, StopLetsAStreamFinishThenCloses) {
  serve_streaming();
  raw::connection c(port());
  ASSERT_TRUE(c.send(raw::request("GET", "/stream")));
  ASSERT_TRUE(wait_requests(1));
  on_io([this] { m_server->stop(); });
  ASSERT_TRUE(wait_flag(*write(0, "still")));
  on_io([this] { m_writers[0]->finish(); });
  const auto r = c.read_response(5s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.body, "still");
  EXPECT_TRUE(c.wait_closed(5s));
}

// ---------------------------------------------------------------------------------------------------------
// Binding

TEST(HttpServerBind, PortInUseThrowsNamingTheAddress) {
  net::io_context ioc;
  auto first = http_server::create(ioc.get_executor(), [](received_request, http_server::responder) {}, {});
  const std::uint16_t taken = first->port();
  ASSERT_NE(taken, 0);
  http_server_options o;
  o.port = taken;
  try {
    http_server::create(ioc.get_executor(), [](received_request, http_server::responder) {}, o);
    ADD_FAILURE() << "a second server listened on port " << taken;
  } catch (const std::system_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(taken)));
    EXPECT_EQ(e.code(), std::errc::address_in_use) << e.code().message();
  }
}

TEST(HttpServerBind, InvalidHostThrows) {
  net::io_context ioc;
  http_server_options o;
  o.host = "not-an-address";
  try {
    http_server::create(ioc.get_executor(), [](received_request, http_server::responder) {}, o);
    ADD_FAILURE() << "a server listened on 'not-an-address'";
  } catch (const std::system_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("invalid listen address not-an-address"));
  }
}

TEST(HttpServerBind, PortZeroPicksAnEphemeralPort) {
  net::io_context ioc;
  auto a = http_server::create(ioc.get_executor(), [](received_request, http_server::responder) {}, {});
  auto b = http_server::create(ioc.get_executor(), [](received_request, http_server::responder) {}, {});
  EXPECT_NE(a->port(), 0);
  EXPECT_NE(b->port(), 0);
  EXPECT_NE(a->port(), b->port());
  EXPECT_EQ(a->host(), "127.0.0.1");
}

} // namespace
} // namespace lemu::gateway
