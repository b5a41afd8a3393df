// Lambda Managed Instances (PROTOCOL.md §9.1) through the real binary: --per-environment-concurrency N
// hands up to N events to one execution environment at once. The runtime is fake-bootstrap with
// AWS_LAMBDA_MAX_CONCURRENCY worker threads, each polling /next on its own connection; its overlap:MS mode
// counts, from the runtime's side, how many invocations the process had in flight at once.

#include "integration/cli_fixture.hpp"
#include "support/http_raw.hpp"
#include "support/serve_process.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

std::string events_file(const scratch_dir& dir, const std::vector<std::string>& modes) {
  std::string text;
  for (const auto& m : modes) text += R"({"fake":")" + m + "\"}\n";
  return dir.write("events.jsonl", text);
}

TEST(CliManagedInstances, NInvocationsOverlapInOneProcess) {
  scratch_dir dir;
  const std::string report = dir.path() + "/r.jsonl";
  const auto r = fake_run("by-event", {"--event", events_file(dir, std::vector<std::string>(8, "overlap:300")),
                                       "--per-environment-concurrency", "4", "--json", report});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = r.out_lines();
  ASSERT_EQ(lines.size(), 8u);
  std::set<int> pids, threads;
  for (const auto& line : lines) {
    const json j = json::parse(line);
    pids.insert(j["pid"].get<int>());
    threads.insert(j["thread"].get<int>());
    EXPECT_EQ(j["peak"], 4) << "four invocations in flight at once, seen by the runtime: " << line;
  }
  EXPECT_EQ(pids.size(), 1u) << "one execution environment";
  EXPECT_EQ(threads.size(), 4u) << "every worker took invocations";
  const auto recs = json_lines(report);
  std::size_t cold = 0;
  for (const auto& rec : recs) {
    EXPECT_EQ(rec["environment_id"], 1);
    cold += rec["cold"].get<bool>() ? 1 : 0;
  }
  EXPECT_EQ(cold, 1u);
  // The JSON log format is forced, and init is Managed Instances'.
  const auto init = platform_events(r.err, "platform.initStart");
  ASSERT_EQ(init.size(), 1u) << r.err;
  EXPECT_EQ(init[0]["record"]["initializationType"], "lambda-managed-instances");
  EXPECT_EQ(platform_events(r.err, "platform.report").size(), 8u);
}

TEST(CliManagedInstances, TheFunctionSeesManagedInstancesVariables) {
  scratch_dir dir;
  const auto r = fake_run("env", {"--event", dir.write("e.json", "{}"), "--per-environment-concurrency", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json env = json::parse(r.out)["env"];
  EXPECT_EQ(env["AWS_LAMBDA_MAX_CONCURRENCY"], "3");
  EXPECT_EQ(env["AWS_LAMBDA_INITIALIZATION_TYPE"], "lambda-managed-instances");
  EXPECT_EQ(env["AWS_LAMBDA_LOG_FORMAT"], "JSON");

  const auto classic = fake_run("env", {"--event", dir.write("e.json", "{}")});
  ASSERT_EQ(classic.exit_code, 0) << classic.err;
  const json plain = json::parse(classic.out)["env"];
  EXPECT_FALSE(plain.contains("AWS_LAMBDA_MAX_CONCURRENCY")) << "never set without the option";
  EXPECT_EQ(plain["AWS_LAMBDA_INITIALIZATION_TYPE"], "on-demand");
}

TEST(CliManagedInstances, ATimeoutFailsOnlyItsInvocation) {
  // Two workers: the first event sleeps past the timeout; the others go on in the same process meanwhile.
  scratch_dir dir;
  const std::string report = dir.path() + "/r.jsonl";
  const auto r = fake_run("by-event", {"--event",
                                       events_file(dir, {"sleep:1500", "overlap:100", "overlap:100", "overlap:100"}),
                                       "--per-environment-concurrency", "2", "--timeout", "0.5", "--json", report});
  EXPECT_EQ(r.exit_code, 1);
  const auto lines = r.out_lines();
  ASSERT_EQ(lines.size(), 4u) << r.err;
  const auto recs = json_lines(report);
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(lines[0], platform_error("Sandbox.Timedout", recs[0]["request_id"], "Task timed out after 0.50 seconds"));
  std::set<int> pids;
  for (std::size_t i = 1; i < 4; ++i) {
    const json j = json::parse(lines[i]);
    pids.insert(j["pid"].get<int>());
    EXPECT_EQ(recs[i]["status"], "success");
    EXPECT_EQ(recs[i]["environment_id"], 1) << "the environment lived on";
  }
  EXPECT_EQ(pids.size(), 1u);
  EXPECT_EQ(recs[0]["status"], "timeout");
  EXPECT_EQ(recs[0]["environment_id"], 1);
}

TEST(CliManagedInstances, ACrashFailsEveryInvocationInFlightOnce) {
  scratch_dir dir;
  const std::string report = dir.path() + "/r.jsonl";
  const auto r = fake_run("by-event", {"--event", events_file(dir, {"overlap:2000", "overlap:2000", "crash"}),
                                       "--per-environment-concurrency", "3", "--json", report});
  EXPECT_EQ(r.exit_code, 1);
  const auto lines = r.out_lines();
  const auto recs = json_lines(report);
  ASSERT_EQ(lines.size(), 3u) << r.err;
  ASSERT_EQ(recs.size(), 3u);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string id = recs[i]["request_id"];
    ids.insert(id);
    EXPECT_EQ(lines[i], platform_error("Runtime.ExitError", id, "Runtime exited with error: signal: aborted"));
    EXPECT_EQ(recs[i]["status"], "crash");
    EXPECT_LT(recs[i]["duration_ms"].get<double>(), 1500.0) << "ended by the crash, not by its own work";
  }
  EXPECT_EQ(ids.size(), 3u) << "one outcome each";
}

TEST(CliManagedInstances, OnlyTheJsonLogFormat) {
  scratch_dir dir;
  const auto r = fake_run("echo", {"--event", dir.write("e.json", "{}"), "--per-environment-concurrency", "2",
                                   "--log-format", "text"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("Lambda Managed Instances log only in JSON"));
}

TEST(CliManagedInstances, ServeCountsCapacityAsEnvironmentsTimesN) {
  // One environment of two workers: two invocations at once run together in it.
  serve_process s({fake_bootstrap, "--handler", "by-event", "--function-name", "fake", "--api", "none",
                   "--per-environment-concurrency", "2", "--concurrency", "1", "--max-queue", "0"});
  const std::string target = "/2015-03-31/functions/fake/invocations";
  const std::string body = R"({"fake":"overlap:500"})";
  http_raw::connection a(s.port()), b(s.port()), c(s.port());
  ASSERT_TRUE(a.send(http_raw::request("POST", target, {}, body)));
  ASSERT_TRUE(b.send(http_raw::request("POST", target, {}, body)));
  ASSERT_TRUE(s.process().wait_for_stderr("\"type\":\"platform.start\"", std::chrono::seconds(20), 2)) << s.process().err();
  // Both are in flight: a third is refused (no queue), as Lambda refuses work beyond the workers.
  const auto refused = c.roundtrip(http_raw::request("POST", target, {}, body), std::chrono::seconds(10));
  ASSERT_TRUE(refused.ok()) << refused.error;
  EXPECT_EQ(refused.res.status, 429);
  const auto ra = a.read_response(std::chrono::seconds(10));
  const auto rb = b.read_response(std::chrono::seconds(10));
  ASSERT_TRUE(ra.ok() && rb.ok());
  const json ja = json::parse(ra.res.body), jb = json::parse(rb.res.body);
  EXPECT_EQ(ja["pid"], jb["pid"]);
  EXPECT_EQ(ja["peak"], 2);
  EXPECT_EQ(jb["peak"], 2);
  EXPECT_EQ(s.stop(), 0);
}

} // namespace
