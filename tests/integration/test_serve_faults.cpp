// `lemu serve` under hostile clients and Ctrl-C: header, body and idle timeouts, a connection cap, bodies
// refused before they are buffered (with the Invoke API's own error shape), records that hold exactly
// the invocations that ran and are on disk as soon as each ends.

#include "integration/cli_fixture.hpp"
#include "support/http_raw.hpp"
#include "support/serve_process.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <list>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

namespace {

const std::string invoke_path = "/2015-03-31/functions/fake/invocations";

serve_process fake_serve(std::vector<std::string> extra = {}, const std::map<std::string, std::string>& env = {}) {
  std::vector<std::string> args{fake_bootstrap, "--function-name", "fake", "--handler", "by-event"};
  args.insert(args.end(), extra.begin(), extra.end());
  return serve_process(args, env);
}

std::size_t line_count(const std::string& path) { return split_lines(read_file(path)).size(); }

} // namespace

// ---- 9. records -----------------------------------------------------------------------------------------

TEST(ServeRecords, JsonAndCaptureLinesAreOnDiskAsEachInvocationEnds) {
  scratch_dir dir;
  const std::string report = dir.path() + "/report.jsonl", capture = dir.path() + "/cap.jsonl";
  serve_process s = fake_serve({"--json", report, "--record", capture});
  http_raw::connection c(s.port());
  for (int i = 0; i < 3; ++i) {
    const auto r = c.roundtrip(http_raw::request("POST", invoke_path, {}, "{\"n\":" + std::to_string(i) + "}"));
    ASSERT_TRUE(r.ok()) << r.error;
  }
  // lemu is still serving: nothing may be waiting in a buffer.
  EXPECT_TRUE(wait_until([&] { return line_count(report) == 3 && line_count(capture) == 3; }, 2s))
      << read_file(report);
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServeRecords, ASecondCtrlCRecordsOnlyWhatRanAndAnswersTheRest) {
  scratch_dir dir;
  const std::string capture = dir.path() + "/cap.jsonl";
  serve_process s = fake_serve({"--record", capture, "--timeout", "60"}, {{"SPDLOG_LEVEL", "debug"}});
  // One quick invocation that ends, one that hangs, and three queued behind it.
  http_raw::connection quick(s.port());
  ASSERT_TRUE(quick.roundtrip(http_raw::request("POST", invoke_path, {}, "{}")).ok());
  std::list<http_raw::connection> waiting;
  waiting.emplace_back(s.port());
  ASSERT_TRUE(waiting.back().send(http_raw::request("POST", invoke_path, {}, R"({"fake":"hang"})")));
  ASSERT_TRUE(s.process().wait_for_stderr("START RequestId: ", 10s));
  for (int i = 0; i < 3; ++i) {
    waiting.emplace_back(s.port());
    ASSERT_TRUE(waiting.back().send(http_raw::request("POST", invoke_path, {}, "{}")));
  }
  ASSERT_TRUE(s.process().wait_for_stderr("(3 waiting)", 10s)); // lemu has read and queued all three
  s.process().signal(SIGINT);
  ASSERT_TRUE(s.process().wait_for_stderr("lemu: stopping: 1 invocations in flight, 3 queued"));
  s.process().signal(SIGINT);
  for (auto& c : waiting) {
    const auto r = c.read_response(10s);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.res.status, 503);
    EXPECT_EQ(r.res.header("x-amzn-ErrorType"), "ServiceException");
  }
  EXPECT_EQ(s.process().wait(10s), 130);
  EXPECT_EQ(line_count(capture), 1u) << "only the invocation that ran is recorded";
  EXPECT_THAT(s.process().err(), HasSubstr("invocations 1 · succeeded 1 · errors 0 · timeouts 0 · crashes 0 · cancelled 4"));
}

// ---- 11. the listeners ----------------------------------------------------------------------------------

TEST(ServeListeners, AHeaderTricklingInIsCutOffByTheHeaderTimeout) {
  serve_process s = fake_serve({"--header-timeout", "0.3"});
  http_raw::connection c(s.port());
  ASSERT_TRUE(c.send("POST " + invoke_path + " HTTP/1.1\r\nHost: x\r\n"));
  EXPECT_TRUE(c.wait_closed(5s)) << "the connection stayed open";
  // A client that is merely slow to start a request is not cut off by the header timeout.
  http_raw::connection idle(s.port());
  EXPECT_FALSE(idle.wait_closed(800ms));
  EXPECT_TRUE(idle.roundtrip(http_raw::request("POST", invoke_path, {}, "{}")).ok());
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServeListeners, AnIdleConnectionIsClosedByTheIdleTimeout) {
  serve_process s = fake_serve({"--idle-timeout", "0.3"});
  http_raw::connection c(s.port());
  ASSERT_TRUE(c.roundtrip(http_raw::request("POST", invoke_path, {}, "{}")).ok());
  EXPECT_TRUE(c.wait_closed(5s));
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServeListeners, ABodyThatStallsIsCutOffByTheBodyTimeout) {
  serve_process s = fake_serve({"--body-timeout", "0.3"});
  http_raw::connection c(s.port());
  ASSERT_TRUE(c.send("POST " + invoke_path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":"));
  EXPECT_TRUE(c.wait_closed(5s));
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServeListeners, ConnectionsBeyondTheCapWaitForOneToClose) {
  serve_process s = fake_serve({"--max-connections", "2"});
  std::list<http_raw::connection> held;
  for (int i = 0; i < 2; ++i) {
    held.emplace_back(s.port());
    ASSERT_TRUE(held.back().roundtrip(http_raw::request("POST", invoke_path, {}, "{}")).ok()); // accepted and served
  }
  http_raw::connection third(s.port()); // the kernel queues it; lemu does not accept it yet
  ASSERT_TRUE(third.send(http_raw::request("POST", invoke_path, {}, "{\"third\":1}")));
  EXPECT_FALSE(third.readable_within(500ms)) << "a third connection was served beyond --max-connections 2";
  held.front().close();
  const auto r = third.read_response(10s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.body, "{\"third\":1}");
  EXPECT_THAT(s.process().err(), HasSubstr("2 connections open, the most allowed"));
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServeListeners, SlowClientsAnnouncingBigBodiesCostLittle) {
  serve_process s = fake_serve({"--max-connections", "1000"});
  const long before = s.process().rss_kb();
  std::list<http_raw::connection> slow;
  for (int i = 0; i < 100; ++i) {
    slow.emplace_back(s.port());
    ASSERT_TRUE(slow.back().send("POST " + invoke_path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 6000000\r\n\r\n{"));
  }
  // Every one is being read (lemu answered none of them), and lemu holds almost nothing for them.
  http_raw::connection probe(s.port());
  ASSERT_TRUE(probe.roundtrip(http_raw::request("POST", invoke_path, {}, "{}")).ok());
  EXPECT_LT(s.process().rss_kb() - before, 16 * 1024) << "kB";
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServeListeners, TheInvokeApiRefusesOversizedRequestsInItsOwnShape) {
  serve_process s = fake_serve();
  // A body announced over 6 MB: refused at once, before it is sent.
  http_raw::connection c(s.port());
  ASSERT_TRUE(c.send("POST " + invoke_path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 7000000\r\n\r\n"));
  auto r = c.read_response(5s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 413);
  EXPECT_EQ(r.res.header("x-amzn-ErrorType"), "RequestTooLargeException");
  EXPECT_EQ(json::parse(r.res.body),
            (json{{"Type", "User"}, {"Message", "Request must be smaller than 6291456 bytes for the InvokeFunction operation"}}));
  // An Event invocation has its own limit in the message.
  http_raw::connection e(s.port());
  ASSERT_TRUE(e.send("POST " + invoke_path + " HTTP/1.1\r\nHost: x\r\nX-Amz-Invocation-Type: Event\r\nContent-Length: 7000000\r\n\r\n"));
  r = e.read_response(5s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(json::parse(r.res.body)["Message"], "Request must be smaller than 1048576 bytes for the InvokeFunction operation");
  // Headers over the limit: 431, in the same shape.
  http_raw::connection h(s.port());
  r = h.roundtrip(http_raw::request("POST", invoke_path, {{"X-Big", std::string(70000, 'h')}}, "{}"), 5s);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 431);
  EXPECT_EQ(r.res.header("x-amzn-ErrorType"), "RequestHeaderFieldsTooLarge");
  EXPECT_EQ(json::parse(r.res.body)["Type"], "User");
  EXPECT_EQ(s.stop(), 0);
}
