// External and internal extensions through the real lemu binary (PROTOCOL.md §2.1): the extension starts
// before the runtime, init waits for it, INVOKE reaches it with the runtime's request id, the invocation
// lasts until it calls next again (timeout included), failures reset the environment with SHUTDOWN FAILURE
// or TIMEOUT, and the shutdown phase gives SHUTDOWN, SIGTERM and SIGKILL within Lambda's limits.
//
// The extension is sample-functions/extension-logger (its LEMU_EXT_* knobs make it misbehave); the runtime
// is the echo sample or fake-bootstrap.
#include "cli_fixture.hpp"
#include "support/http_raw.hpp"
#include "support/serve_process.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace lemu::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// lemu run <runtime> --extension <logger> <args...>
command_result run_with_logger(const std::string& runtime, std::vector<std::string> args,
                               const command_options& options = {}) {
  args.insert(args.begin(), {"--extension", extension_logger});
  return lemu_run(runtime, std::move(args), options);
}

std::size_t count_lines_with(const command_result& r, const std::string& text) {
  std::size_t n = 0;
  for (const auto& l : r.err_lines()) n += l.find(text) != std::string::npos;
  return n;
}

std::vector<nlohmann::json> json_records(const fs::path& file) {
  std::vector<nlohmann::json> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}


TEST(CliExtensions, TheExtensionSeesEveryInvocationAndShutdown) {
  const auto r = run_with_logger(echo_bootstrap, {"--event", sqs_event(), "--repeat", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out_lines().size(), 3u) << "stdout carries only the outcomes";
  EXPECT_EQ(count_lines_with(r, "[lemu-extension-logger] registered"), 1u) << r.err;
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 3u) << r.err;
  for (const auto& rep : reports) {
    EXPECT_EQ(count_lines_with(r, "[lemu-extension-logger] INVOKE " + request_id_of(rep) + " deadline "), 1u) << r.err;
  }
  // One environment: SHUTDOWN once, at the end of the run, after the last REPORT.
  EXPECT_EQ(count_lines_with(r, "[lemu-extension-logger] SHUTDOWN SPINDOWN"), 1u) << r.err;
  const auto lines = r.err_lines();
  std::size_t last_report = 0, shutdown = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind("REPORT ", 0) == 0) last_report = i;
    if (lines[i].find("SHUTDOWN SPINDOWN") != std::string::npos) shutdown = i;
  }
  EXPECT_LT(last_report, shutdown) << r.err;
  // The INVOKE line of each invocation comes between its START and its END.
  for (const auto& rep : reports) {
    const std::string id = request_id_of(rep);
    std::size_t start = 0, invoke = 0, end = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (lines[i] == "START RequestId: " + id + " Version: $LATEST") start = i;
      if (lines[i].find("INVOKE " + id) != std::string::npos) invoke = i;
      if (lines[i] == "END RequestId: " + id) end = i;
    }
    EXPECT_LT(start, invoke) << r.err;
    EXPECT_LT(invoke, end) << r.err;
  }
}

TEST(CliExtensions, TheTaskRootsExtensionsFolderIsFoundWithoutAnOption) {
  const auto r = lemu_run(std::string(with_extensions_dir) + "/bootstrap", {"--event", sqs_event()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count_lines_with(r, "[lemu-extension-logger] INVOKE "), 1u) << r.err;
  EXPECT_EQ(count_lines_with(r, "[lemu-extension-logger] SHUTDOWN SPINDOWN"), 1u) << r.err;
}

TEST(CliExtensions, InitWaitsForTheExtensionAndInitDurationCoversIt) {
  const auto r = run_with_logger(echo_bootstrap, {"--event", sqs_event(), "--env", "LEMU_EXT_INIT_DELAY_MS=400"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 1u) << r.err;
  EXPECT_GE(report_field(reports[0], "Init Duration"), 400.0) << reports[0];
}

TEST(CliExtensions, ASlowExtensionLengthensTheInvocationAndIsReportedApart) {
  scratch_dir dir;
  const std::string json = dir.path() + "/records.jsonl";
  const auto r = run_with_logger(echo_bootstrap, {"--event", sqs_event(), "--repeat", "2", "--json", json,
                                                  "--env", "LEMU_EXT_POST_INVOKE_MS=300"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto records = json_records(json);
  ASSERT_EQ(records.size(), 2u);
  for (const auto& rec : records) {
    ASSERT_TRUE(rec.contains("post_runtime_extensions_ms")) << rec.dump();
    EXPECT_GE(rec["post_runtime_extensions_ms"].get<double>(), 290.0) << rec.dump();
    EXPECT_GE(rec["duration_ms"].get<double>(), rec["post_runtime_extensions_ms"].get<double>()) << rec.dump();
    EXPECT_EQ(rec["status"], "success");
  }
  for (const auto& rep : report_lines(r)) EXPECT_GE(report_field(rep, "Duration"), 290.0) << rep;
  // The summary table has a row for the extensions' part.
  EXPECT_EQ(count_lines_with(r, "extensions        2 "), 1u) << r.err;
}

TEST(CliExtensions, TheTimeoutCoversTheExtensionsAndResetsTheEnvironment) {
  const auto r = run_with_logger(echo_bootstrap, {"--event", sqs_event(), "--repeat", "2", "--timeout", "0.5",
                                                  "--env", "LEMU_EXT_POST_INVOKE_MS=3000"});
  // The runtime answered in time: the caller got the response; the REPORT says the invocation timed out.
  EXPECT_EQ(r.out_lines().size(), 2u) << r.err;
  for (const auto& line : r.out_lines()) EXPECT_NE(line.find("\"Records\""), std::string::npos) << line;
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 2u) << r.err;
  for (const auto& rep : reports) {
    EXPECT_NE(rep.find("\tStatus: timeout\t"), std::string::npos) << rep;
    EXPECT_NE(rep.find("Init Duration: "), std::string::npos) << "every invocation is a cold start after a reset: " << rep;
  }
  EXPECT_EQ(count_lines_with(r, "[lemu-extension-logger] registered"), 2u) << r.err;
}

TEST(CliExtensions, ACrashedExtensionFailsTheInvocationAndTheNextOneStartsCold) {
  // The runtime takes 500 ms: the extension crashes on INVOKE before it answers.
  const auto r = run_with_logger(fake_bootstrap, {"--handler", "sleep:500", "--event", sqs_event(), "--repeat", "2",
                                                  "--env", "LEMU_EXT_CRASH_ON=invoke"});
  EXPECT_EQ(r.exit_code, 1) << r.err; // some invocations failed
  const auto outs = r.out_lines();
  ASSERT_EQ(outs.size(), 2u) << r.err;
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 2u) << r.err;
  for (std::size_t i = 0; i < 2; ++i) {
    const auto body = nlohmann::json::parse(outs[i]);
    EXPECT_EQ(body["errorType"], "Extension.Crash") << outs[i];
    EXPECT_EQ(body["errorMessage"], "RequestId: " + request_id_of(reports[i]) +
                                        " Error: Extension lemu-extension-logger exited with error: exit status 1")
        << outs[i];
    EXPECT_NE(reports[i].find("Init Duration: "), std::string::npos) << reports[i];
    EXPECT_NE(reports[i].find("Status: error\tError Type: Extension.Crash"), std::string::npos) << reports[i];
  }
}

TEST(CliExtensions, AnExtensionCrashAfterTheAnswerKeepsTheAnswerAndResetsTheEnvironment) {
  // The echo runtime answers at once; the extension dies after that: the caller has the response, REPORT
  // counts the crash, and the next invocation starts a fresh environment.
  const auto r = run_with_logger(echo_bootstrap, {"--event", sqs_event(), "--repeat", "2", "--env", "LEMU_EXT_CRASH_ON=invoke",
                                                  "--env", "LEMU_EXT_POST_INVOKE_MS=0"});
  const auto outs = r.out_lines();
  ASSERT_EQ(outs.size(), 2u) << r.err;
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 2u) << r.err;
  for (std::size_t i = 0; i < 2; ++i) {
    const auto body = nlohmann::json::parse(outs[i]);
    if (body.contains("Records")) {
      EXPECT_NE(reports[i].find("Status: error\tError Type: Extension.Crash"), std::string::npos) << reports[i];
    } else {
      EXPECT_EQ(body["errorType"], "Extension.Crash") << outs[i]; // the extension was faster than the runtime
    }
    EXPECT_NE(reports[i].find("Init Duration: "), std::string::npos) << reports[i];
  }
}

TEST(CliExtensions, ARuntimeCrashSendsShutdownFailureToTheExtension) {
  const auto r = lemu_run(fake_bootstrap, {"--handler", "exit:3", "--extension", extension_logger, "--event", sqs_event()});
  ASSERT_EQ(r.out_lines().size(), 1u) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out_lines()[0])["errorType"], "Runtime.ExitError");
  EXPECT_EQ(count_lines_with(r, "[lemu-extension-logger] SHUTDOWN FAILURE"), 1u) << r.err;
}

TEST(CliExtensions, InitErrorAndExitErrorFailTheInvocation) {
  {
    const auto r = run_with_logger(echo_bootstrap, {"--event", sqs_event(), "--env", "LEMU_EXT_INIT_ERROR=Extension.ConfigInvalid"});
    ASSERT_EQ(r.out_lines().size(), 1u) << r.err;
    const auto body = nlohmann::json::parse(r.out_lines()[0]);
    EXPECT_EQ(body["errorType"], "Extension.InitError") << r.out;
    EXPECT_NE(body["errorMessage"].get<std::string>().find("Extension.ConfigInvalid"), std::string::npos) << r.out;
    EXPECT_EQ(count_lines_with(r, "INIT_REPORT Init Duration: "), 1u) << r.err;
  }
  {
    const auto r = run_with_logger(fake_bootstrap, {"--handler", "sleep:500", "--event", sqs_event(), "--env",
                                                    "LEMU_EXT_EXIT_ERROR=Extension.Broken"});
    ASSERT_EQ(r.out_lines().size(), 1u) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out_lines()[0])["errorType"], "Extension.ExitError") << r.out;
  }
}

TEST(CliExtensions, AnExtensionThatNeverCallsNextTimesInitOut) {
  const auto r = run_with_logger(echo_bootstrap, {"--event", sqs_event(), "--init-timeout", "0.3", "--timeout", "0.5",
                                                  "--env", "LEMU_EXT_NEVER_NEXT=1"});
  ASSERT_EQ(r.out_lines().size(), 1u) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out_lines()[0])["errorType"], "Sandbox.Timedout") << r.out;
  EXPECT_EQ(count_lines_with(r, "INIT_REPORT Init Duration: "), 1u) << r.err;
  EXPECT_EQ(count_lines_with(r, "\tPhase: init\tStatus: timeout"), 1u) << r.err;
}

TEST(CliExtensions, ShutdownKillsAnExtensionThatOverstaysTwoSeconds) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = run_with_logger(echo_bootstrap, {"--event", sqs_event(), "--env", "LEMU_EXT_SHUTDOWN_MS=20000"});
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count_lines_with(r, "[lemu-extension-logger] SHUTDOWN SPINDOWN"), 1u) << r.err;
  // 2,000 ms of shutdown, then SIGKILL; lemu's start and the run itself take well under 2 s more.
  EXPECT_GE(elapsed, 1900ms);
  EXPECT_LT(elapsed, 6s);
}

TEST(CliExtensions, AnInternalExtensionGetsItsRuntimeSigtermBeforeTheKill) {
  // aws-lambda-go's WithEnableSIGTERM: the runtime registers GoLangEnableSIGTERM ({"events":null}) and
  // long-polls its next; at the end of the run it gets SIGTERM and 500 ms to act on it.
  const auto r = lemu_run(fake_bootstrap, {"--handler", "echo", "--event", sqs_event(), "--env", "FAKE_SIGTERM_EXTENSION=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count_lines_with(r, "WARNING"), 0u) << "the registration was accepted: " << r.err;
  EXPECT_EQ(count_lines_with(r, "fake-bootstrap: SIGTERM received"), 1u) << r.err;
}

TEST(CliExtensions, BadExtensionsAreRefusedUpFront) {
  {
    const auto r = lemu_run(echo_bootstrap, {"--event", sqs_event(), "--extension", "/nonexistent/ext"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    ASSERT_EQ(r.err_lines().size(), 1u) << r.err;
    EXPECT_NE(r.err.find("extension /nonexistent/ext: no such file"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty());
  }
  {
    std::vector<std::string> args{"--event", sqs_event()};
    for (int i = 0; i < 2; ++i) args.insert(args.end(), {"--extension", extension_logger});
    const auto r = lemu_run(echo_bootstrap, args);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("have the same file name"), std::string::npos) << r.err;
  }
  {
    scratch_dir dir;
    const fs::path root = dir.path();
    fs::create_directories(root / "extensions");
    fs::copy_file(echo_bootstrap, root / "bootstrap");
    for (int i = 0; i < 11; ++i) fs::copy_file(extension_logger, root / "extensions" / ("ext" + std::to_string(i)));
    const auto r = lemu_run((root / "bootstrap").string(), {"--event", sqs_event()});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("11 extensions, Lambda allows at most 10"), std::string::npos) << r.err;
  }
}

TEST(CliExtensions, ServeAnswersTheCallerBeforeASlowExtensionAndTheNextInvocationWaitsForIt) {
  serve_process s({echo_bootstrap, "--function-name", "fn", "--extension", extension_logger, "--env",
                   "LEMU_EXT_POST_INVOKE_MS=1500"});
  const std::string path = "/2015-03-31/functions/fn/invocations";
  // The first invocation (a cold start) answered, then the environment is busy for 1.5 s more.
  const auto t0 = std::chrono::steady_clock::now();
  http_raw::connection c(s.port());
  const auto first = c.roundtrip(http_raw::request("POST", path, {}, R"({"n":1})"));
  const auto t1 = std::chrono::steady_clock::now();
  ASSERT_TRUE(first.ok()) << first.error;
  EXPECT_EQ(first.res.status, 200) << first.res.raw;
  EXPECT_EQ(first.res.body, R"({"n":1})");
  EXPECT_LT(t1 - t0, 1200ms) << "the caller does not wait for the extension";
  // The second waits for the extension to call next (concurrency 1: one environment).
  const auto second = c.roundtrip(http_raw::request("POST", path, {}, R"({"n":2})"));
  const auto t2 = std::chrono::steady_clock::now();
  ASSERT_TRUE(second.ok()) << second.error;
  EXPECT_EQ(second.res.body, R"({"n":2})");
  EXPECT_GE(t2 - t1, 1200ms) << "the environment was busy with the first invocation's extension";
  EXPECT_EQ(s.stop(), 0);
  EXPECT_NE(s.process().err().find("[lemu-extension-logger] SHUTDOWN SPINDOWN"), std::string::npos) << s.process().err();
}

} // namespace
} // namespace lemu::test
