// The Telemetry and Logs APIs end to end (PROTOCOL.md §2.2–2.3, §9.4): the sample telemetry-subscriber
// extension subscribes during init, lemu delivers every platform event, function and extension line over
// HTTP to it, and the extension writes each event it received as one JSON line. What it wrote is compared
// with what Lambda would send and with lemu's own REPORT lines.
#include "cli_fixture.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace lemu::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// A port nothing listens on now (the kernel's choice for a socket bound to port 0).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

struct telemetry_run {
  scratch_dir dir;
  fs::path out = dir.path() + "/telemetry.jsonl";

  command_result run(const std::string& runtime, std::vector<std::string> args, std::vector<std::string> env = {}) {
    // The subscriber writes what it hears to a file of the test's: the host's filesystem, not a sandbox.
    args.insert(args.end(), {"--no-sandbox", "--extension", telemetry_subscriber, "--env", "LEMU_TELEMETRY_OUT=" + out.string(), "--env",
                             "LEMU_TELEMETRY_PORT=" + std::to_string(free_port())});
    for (auto& e : env) args.insert(args.end(), {"--env", e});
    return lemu_run(runtime, std::move(args));
  }

  std::vector<json> events() const {
    std::vector<json> v;
    std::ifstream in(out);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) v.push_back(json::parse(line));
    }
    return v;
  }
};

std::vector<std::string> platform_types(const std::vector<json>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    const std::string t = e["type"];
    if (t.rfind("platform.", 0) == 0) out.push_back(t);
  }
  return out;
}

TEST(CliTelemetry, ASubscriberGetsExactlyThePlatformEventsOfThreeInvocationsInOrder) {
  telemetry_run t;
  const auto r = t.run(echo_bootstrap, {"--event", sqs_event(), "--repeat", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 3u) << r.err;
  const auto events = t.events();
  EXPECT_EQ(platform_types(events),
            (std::vector<std::string>{"platform.initStart", "platform.telemetrySubscription", "platform.extension",
                                      "platform.initRuntimeDone", "platform.initReport", "platform.start",
                                      "platform.runtimeDone", "platform.report", "platform.start", "platform.runtimeDone",
                                      "platform.report", "platform.start", "platform.runtimeDone", "platform.report"}))
      << r.err;
  std::size_t invocation = 0;
  for (const auto& e : events) {
    ASSERT_TRUE(e.contains("time") && e["time"].is_string()) << e.dump();
    const std::string type = e["type"];
    const json& rec = e["record"];
    if (type == "platform.telemetrySubscription") {
      EXPECT_EQ(rec, json::parse(R"({"name":"lemu-telemetry-subscriber","state":"Subscribed","types":["platform","function","extension"]})"));
    } else if (type == "platform.extension") {
      EXPECT_EQ(rec, json::parse(R"({"name":"lemu-telemetry-subscriber","state":"Ready","events":["INVOKE","SHUTDOWN"]})"));
    } else if (type == "platform.initReport") {
      EXPECT_EQ(rec["metrics"]["durationMs"].get<double>(), report_field(reports[0], "Init Duration")) << rec.dump();
    } else if (type == "platform.start" || type == "platform.runtimeDone") {
      ASSERT_LT(invocation, 3u);
      EXPECT_EQ(rec["requestId"], request_id_of(reports[invocation])) << rec.dump();
    } else if (type == "platform.report") {
      ASSERT_LT(invocation, 3u);
      const std::string& rep = reports[invocation];
      EXPECT_EQ(rec["requestId"], request_id_of(rep));
      EXPECT_EQ(rec["status"], "success");
      EXPECT_EQ(rec["metrics"]["durationMs"].get<double>(), report_field(rep, "Duration")) << rep;
      EXPECT_EQ(rec["metrics"]["billedDurationMs"].get<double>(), report_field(rep, "Billed Duration")) << rep;
      EXPECT_EQ(rec["metrics"]["memorySizeMB"].get<double>(), report_field(rep, "Memory Size")) << rep;
      EXPECT_EQ(rec["metrics"]["maxMemoryUsedMB"].get<double>(), report_field(rep, "Max Memory Used")) << rep;
      if (invocation == 0) {
        EXPECT_EQ(rec["metrics"]["initDurationMs"].get<double>(), report_field(rep, "Init Duration")) << rep;
      } else {
        EXPECT_FALSE(rec["metrics"].contains("initDurationMs")) << rec.dump();
      }
      ++invocation;
    }
  }
  EXPECT_EQ(invocation, 3u);
  EXPECT_EQ(r.out_lines().size(), 3u) << "stdout carries only the outcomes";
}

TEST(CliTelemetry, FunctionAndExtensionLinesArriveAsTheirOwnTypes) {
  telemetry_run t;
  const auto r = t.run(fake_bootstrap, {"--handler", "echo", "--event", sqs_event()}, {"FAKE_LOG_EVENTS=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 1u);
  bool function_line = false, extension_line = false;
  for (const auto& e : t.events()) {
    if (e["type"] == "function" && e["record"] == "fake-bootstrap: event " + request_id_of(reports[0])) function_line = true;
    if (e["type"] == "extension" && e["record"].get<std::string>().find("lemu-telemetry-subscriber") != std::string::npos)
      extension_line = true;
  }
  EXPECT_TRUE(function_line) << r.err;
  EXPECT_TRUE(extension_line) << r.err;
}

TEST(CliTelemetry, TheLogsApiGetsItsOwnRecords) {
  telemetry_run t;
  const auto r = t.run(echo_bootstrap, {"--event", sqs_event()}, {"LEMU_TELEMETRY_API=logs"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(platform_types(t.events()),
            (std::vector<std::string>{"platform.logsSubscription", "platform.extension", "platform.start",
                                      "platform.runtimeDone", "platform.end", "platform.report"}))
      << r.err;
  for (const auto& e : t.events()) {
    if (e["type"] == "platform.end") {
      EXPECT_EQ(e["record"], json({{"requestId", request_id_of(reports[0])}}));
    }
  }
}

TEST(CliTelemetry, ASlowSubscriberLosesLinesWithALogsDroppedReportAndLemuStaysSmall) {
  telemetry_run t;
  // 20 invocations of 2,000 lines each against a subscriber that takes 200 ms per batch.
  const auto r = t.run(fake_bootstrap, {"--handler", "noisy", "--event", sqs_event(), "--repeat", "20"},
                       {"LEMU_TELEMETRY_SLOW_MS=200", "LEMU_TELEMETRY_MAX_ITEMS=1000", "LEMU_TELEMETRY_TIMEOUT_MS=25"});
  ASSERT_EQ(r.exit_code, 0) << r.err.substr(0, 2000);
  long dropped = 0;
  for (const auto& e : t.events()) {
    if (e["type"] == "platform.logsDropped") {
      EXPECT_GT(e["record"]["droppedRecords"].get<long>(), 0);
      EXPECT_GT(e["record"]["droppedBytes"].get<long>(), 0);
      EXPECT_TRUE(e["record"]["reason"].is_string());
      dropped += e["record"]["droppedRecords"].get<long>();
    }
  }
  EXPECT_GT(dropped, 0) << "a subscriber this slow cannot take 40,000 lines";
  EXPECT_EQ(report_lines(r).size(), 20u) << "every invocation still has its outcome";
  // Under AddressSanitizer the quarantine keeps what the dropped events freed (up to 256 MB): the bound is
  // checked in the normal build.
  if (!lemu_is_sanitized()) {
    EXPECT_LT(r.max_rss_kb, 48 * 1024) << "lemu's memory stays bounded";
  }
}

TEST(CliTelemetry, AnInvalidSubscriptionIsRefusedWithLambdasBodyAndTheExtensionRunsOn) {
  telemetry_run t;
  const auto r = t.run(echo_bootstrap, {"--event", sqs_event()},
                       {"LEMU_TELEMETRY_SCHEMA=1999-01-01", "LEMU_TELEMETRY_MAX_ITEMS=5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The subscriber prints the status and body it got.
  EXPECT_NE(r.err.find("subscribe failed: HTTP 400 {\"errorType\":\"ValidationError\",\"errorMessage\":"), std::string::npos)
      << r.err;
  EXPECT_TRUE(t.events().empty()) << "nothing is delivered without a subscription";
}

} // namespace
} // namespace lemu::test
