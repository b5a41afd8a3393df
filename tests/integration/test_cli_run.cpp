// `lemu run` end to end: the real lemu binary, real runtimes (the echo sample, fake-bootstrap, the shell
// bootstrap), real HTTP on loopback. Expected strings come from PROTOCOL.md.

#include "integration/cli_fixture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <regex>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

const std::regex report_re(
    R"(^REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: \d+ MB\tMax Memory Used: \d+ MB\t(Init Duration: \d+\.\d\d ms\t)?(Status: [a-z]+\t(Error Type: [A-Za-z.]+\t)?)?$)");

} // namespace

TEST(CliRun, EchoRepeat1000KeepsOneWarmEnvironment) {
  const auto r = lemu_run(echo_bootstrap, {"--event", sqs_event(), "--repeat", "1000"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), 1000u);
  const json expected = json::parse(read_file(sqs_event()));
  for (const auto& line : out) ASSERT_EQ(json::parse(line), expected);

  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 1000u);
  std::size_t with_init = 0;
  for (const auto& l : reports) {
    EXPECT_TRUE(std::regex_match(l, report_re)) << l;
    with_init += l.find("\tInit Duration: ") != std::string::npos;
  }
  EXPECT_EQ(with_init, 1u);
  EXPECT_NE(reports.front().find("\tInit Duration: "), std::string::npos) << "the first invocation is the cold one";
  EXPECT_EQ(count_prefix(r.err_lines(), "START RequestId: "), 1000u);
  EXPECT_EQ(count_prefix(r.err_lines(), "END RequestId: "), 1000u);

  // The summary table.
  EXPECT_THAT(r.err, HasSubstr("phase         count       p50       p90       p99       max\n"));
  EXPECT_THAT(r.err, ::testing::ContainsRegex("init \\(cold\\) +1 "));
  EXPECT_THAT(r.err, ::testing::ContainsRegex("invoke cold +1 "));
  EXPECT_THAT(r.err, ::testing::ContainsRegex("invoke warm +999 "));
  EXPECT_THAT(r.err, HasSubstr("invocations 1000 · succeeded 1000 · errors 0 · timeouts 0 · crashes 0 · max memory used "));
}

TEST(CliRun, ReportLineHasLambdasExactFormat) {
  const auto r = lemu_run(echo_bootstrap, {"--event", sqs_event(), "--repeat", "2", "--memory", "256"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 2u);
  // Init Duration comes after Max Memory Used, every field ends with a tab (PROTOCOL.md §4.2).
  EXPECT_TRUE(std::regex_match(reports[0], std::regex(
      R"(^REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: [1-9]\d* MB\tInit Duration: \d+\.\d\d ms\t$)")))
      << reports[0];
  EXPECT_TRUE(std::regex_match(reports[1], std::regex(
      R"(^REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: [1-9]\d* MB\t$)")))
      << reports[1];
  // START/END name the same request id as REPORT, in that order.
  const auto err = r.err_lines();
  const std::string id = request_id_of(reports[0]);
  std::vector<std::string> mine;
  for (const auto& l : err) {
    if (l.find(id) != std::string::npos) mine.push_back(l);
  }
  ASSERT_EQ(mine.size(), 3u);
  EXPECT_EQ(mine[0], "START RequestId: " + id + " Version: $LATEST");
  EXPECT_EQ(mine[1], "END RequestId: " + id);
  EXPECT_THAT(mine[2], StartsWith("REPORT RequestId: " + id + "\t"));
}

TEST(CliRun, EnvironmentIsLambdas) {
  scratch_dir dir;
  const std::string env_file = dir.write("vars.env", "# comment\nFROM_FILE=file value\nexport QUOTED=\"q v\"\n\n");
  const auto r = fake_run("env", {"--event", sqs_event(), "--function-name", "orders", "--memory", "512",
                                  "--region", "eu-west-1", "--env", "USER_VAR=1=2", "--env-file", env_file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json got = json::parse(r.out_lines().at(0));
  const json& env = got["env"];
  const std::string task_root = std::filesystem::path(fake_bootstrap).parent_path().string();
  EXPECT_THAT(env["AWS_LAMBDA_RUNTIME_API"].get<std::string>(), ::testing::MatchesRegex("127\\.0\\.0\\.1:[0-9]+"));
  EXPECT_EQ(env["_HANDLER"], "env");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_NAME"], "orders");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "512");
  EXPECT_EQ(env["AWS_LAMBDA_LOG_GROUP_NAME"], "/aws/lambda/orders");
  EXPECT_THAT(env["AWS_LAMBDA_LOG_STREAM_NAME"].get<std::string>(),
              ::testing::MatchesRegex("[0-9]{4}/[0-9]{2}/[0-9]{2}/\\[\\$LATEST\\][0-9a-f]{32}"));
  EXPECT_EQ(env["AWS_LAMBDA_INITIALIZATION_TYPE"], "on-demand");
  EXPECT_EQ(env["AWS_REGION"], "eu-west-1");
  EXPECT_EQ(env["AWS_DEFAULT_REGION"], "eu-west-1");
  // The sandbox (on by default here) gives Lambda's paths; --no-sandbox the host's (CliSandbox tests).
  EXPECT_EQ(env["LAMBDA_TASK_ROOT"], "/var/task");
  EXPECT_EQ(env["LAMBDA_RUNTIME_DIR"], "/var/runtime");
  EXPECT_EQ(env["TZ"], ":UTC");
  EXPECT_EQ(env["USER_VAR"], "1=2");
  EXPECT_EQ(env["FROM_FILE"], "file value");
  EXPECT_EQ(env["QUOTED"], "q v");
  // Variables that change how real clients behave must never be set (PROTOCOL.md §8.8).
  EXPECT_FALSE(env.contains("_LAMBDA_SERVER_PORT"));
  EXPECT_FALSE(env.contains("AWS_LAMBDA_MAX_CONCURRENCY"));
  EXPECT_FALSE(env.contains("_X_AMZN_TRACE_ID"));
  EXPECT_FALSE(env.contains("AWS_EXECUTION_ENV"));
  EXPECT_EQ(got["cwd"], "/var/task");
  (void)task_root;
}

TEST(CliRun, ReservedVariablesAreRefused) {
  const auto r = fake_run("echo", {"--event", sqs_event(), "--env", "AWS_LAMBDA_RUNTIME_API=1.2.3.4:1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lemu: error: AWS_LAMBDA_RUNTIME_API is reserved by Lambda and cannot be set\n");
  EXPECT_EQ(r.out, "");
}

TEST(CliRun, NextCarriesTheInvocationHeaders) {
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const auto r = fake_run("headers", {"--event", sqs_event(), "--timeout", "7", "--function-name", "f1"});
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json got = json::parse(r.out_lines().at(0));
  EXPECT_THAT(got["request_id"].get<std::string>(),
              ::testing::MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
  const auto deadline = got["deadline_ms"].get<long long>();
  EXPECT_GE(deadline, before + 7000);
  EXPECT_LE(deadline, after + 7000);
  EXPECT_EQ(got["function_arn"], "arn:aws:lambda:us-east-1:123456789012:function:f1");
  EXPECT_THAT(got["trace_id"].get<std::string>(),
              ::testing::MatchesRegex("Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0"));
  EXPECT_EQ(got["payload"].get<std::string>(), read_file(sqs_event()));
}

TEST(CliRun, FunctionErrorIsTheOutcomeAndExitIsOne) {
  const auto r = fake_run("error", {"--event", sqs_event(), "--repeat", "2"});
  EXPECT_EQ(r.exit_code, 1);
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), 2u);
  for (const auto& l : out) EXPECT_EQ(l, R"({"errorMessage":"fake failure","errorType":"FakeError","stackTrace":[]})");
  // A handled error keeps the environment warm: one init.
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_NE(reports[0].find("Init Duration"), std::string::npos);
  EXPECT_EQ(reports[1].find("Init Duration"), std::string::npos);
  EXPECT_THAT(r.err, HasSubstr("invocations 2 · succeeded 0 · errors 2 · timeouts 0 · crashes 0"));
}

TEST(CliRun, RuntimeExitIsReportedAndTheNextEventReinitialises) {
  const auto r = fake_run("exit:3", {"--event", sqs_event(), "--repeat", "2"});
  EXPECT_EQ(r.exit_code, 1);
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), 2u);
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const std::string id = request_id_of(reports[i]);
    EXPECT_EQ(out[i], platform_error("Runtime.ExitError", id, "Runtime exited with error: exit status 3"));
    EXPECT_NE(reports[i].find("\tInit Duration: "), std::string::npos) << "a fresh environment after a crash";
    EXPECT_TRUE(reports[i].ends_with("\tStatus: error\tError Type: Runtime.ExitError\t")) << reports[i];
  }
  EXPECT_THAT(r.err, HasSubstr("crashes 2"));
}

TEST(CliRun, CrashBySignalNamesTheSignal) {
  const auto r = fake_run("crash", {"--event", sqs_event()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out, HasSubstr(R"( Error: Runtime exited with error: signal: aborted"})"));
  EXPECT_THAT(r.out, StartsWith(R"({"errorType":"Runtime.ExitError","errorMessage":"RequestId: )"));
}

TEST(CliRun, TimeoutKillsTheRuntimeAndReportsSandboxTimedout) {
  const auto r = fake_run("hang", {"--event", sqs_event(), "--timeout", "0.3", "--repeat", "2"});
  EXPECT_EQ(r.exit_code, 1);
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), 2u);
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const std::string id = request_id_of(reports[i]);
    EXPECT_EQ(out[i], platform_error("Sandbox.Timedout", id, "Task timed out after 0.30 seconds"));
    EXPECT_TRUE(reports[i].ends_with("\tStatus: timeout\t")) << reports[i];
    EXPECT_NE(reports[i].find("\tInit Duration: "), std::string::npos) << "environment reset after a timeout";
  }
  EXPECT_THAT(r.err, HasSubstr("timeouts 2"));
}

TEST(CliRun, InitErrorBodyIsTheFirstOutcome) {
  const auto r = fake_run("init-error", {"--event", sqs_event()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "{\"errorMessage\":\"fake init failure\",\"errorType\":\"Runtime.FakeInitError\",\"stackTrace\":[]}\n");
  EXPECT_THAT(r.err, ::testing::ContainsRegex("INIT_REPORT Init Duration: [0-9]+\\.[0-9]{2} ms\tPhase: init\tStatus: error\tError Type: Runtime.FakeInitError\n"));
}

TEST(CliRun, OversizedResponseIsFunctionResponseSizeTooLarge) {
  const auto r = fake_run("huge-response", {"--event", sqs_event()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "{\"errorMessage\":\"Response payload size exceeded maximum allowed payload size (6291556 bytes).\",\"errorType\":\"Function.ResponseSizeTooLarge\"}\n");
}

TEST(CliRun, LogLinesAreStreamedInOrder) {
  const auto r = fake_run("noisy", {"--event", sqs_event(), "--env", "FAKE_NOISE_LINES=2000"});
  ASSERT_EQ(r.exit_code, 0) << r.err.substr(0, 2000);
  const auto err = r.err_lines();
  EXPECT_EQ(count_prefix(err, "noise stdout "), 2000u);
  EXPECT_EQ(count_prefix(err, "noise stderr "), 2000u);
  std::size_t next = 1;
  for (const auto& l : err) {
    if (l.rfind("noise stdout ", 0) == 0) {
      EXPECT_EQ(l, "noise stdout " + std::to_string(next++));
    }
  }
}

TEST(CliRun, EventInputs) {
  scratch_dir dir;
  dir.write("in/b.jsonl", "{\"n\":2}\n\n{\"n\":3}\r\n");
  dir.write("in/a.json", "{\n  \"n\": 1\n}\n");
  dir.write("in/ignored.txt", "not an event");
  const auto r = fake_run("echo", {"--event", dir.path() + "/in", "--event", "-", "--repeat", "2"},
                          with_stdin("{\"n\":4}\n{\"n\":5}\n"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> one_pass{R"({"n":1})", R"({"n":2})", R"({"n":3})", R"({"n":4})", R"({"n":5})"};
  std::vector<std::string> expected = one_pass;
  expected.insert(expected.end(), one_pass.begin(), one_pass.end());
  EXPECT_EQ(r.out_lines(), expected);
}

TEST(CliRun, MalformedEventIsReportedWithPositionBeforeAnythingRuns) {
  scratch_dir dir;
  const std::string good = dir.write("good.json", "{}");
  const std::string bad = dir.write("bad.jsonl", "{\"a\":1}\n{\"b\":2}\n{\"c\": }\n");
  const auto r = fake_run("echo", {"--event", good, "--event", bad, "--env", "FAKE_LOG_EVENTS=1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, StartsWith("lemu: error: " + bad + ":3:7: invalid JSON: "));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("START")));
}

TEST(CliRun, BadInputsExitTwoWithOneClearLine) {
  scratch_dir dir;
  const std::string not_exec = dir.write("bootstrap", "#!/bin/sh\n");
  auto r = lemu_run(dir.path() + "/missing", {"--event", sqs_event()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lemu: error: Runtime.InvalidEntrypoint: Couldn't find valid bootstrap(s): [" + dir.path() +
                       "/missing]: no such file\n");
  r = lemu_run(not_exec, {"--event", sqs_event()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("not executable"));
  r = lemu_run(echo_bootstrap, {"--event", dir.path() + "/nope.json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lemu: error: " + dir.path() + "/nope.json: no such file or directory\n");
  r = lemu_run(echo_bootstrap, {});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("no event given"));
  r = run_command({lemu_bin, "run"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(CliRun, JsonReportHasOneRecordPerInvocation) {
  scratch_dir dir;
  const std::string report = dir.path() + "/report.jsonl";
  const auto r = fake_run("by-event", {"--event", "-", "--json", report},
                          with_stdin("{\"fake\":\"echo\"}\n{\"fake\":\"error\"}\n{\"fake\":\"exit:4\"}\n{}\n"));
  EXPECT_EQ(r.exit_code, 1);
  const auto lines = split_lines(read_file(report));
  ASSERT_EQ(lines.size(), 4u);
  std::vector<json> recs;
  for (const auto& l : lines) recs.push_back(json::parse(l));
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(recs[i]["index"], i);
    EXPECT_EQ(recs[i]["source"], "-");
    EXPECT_EQ(recs[i]["line"], i + 1);
    EXPECT_EQ(recs[i]["memory_size_mb"], 128);
    EXPECT_GT(recs[i]["max_memory_used_mb"].get<int>(), 0);
  }
  EXPECT_EQ(recs[0]["status"], "success");
  EXPECT_EQ(recs[0]["cold"], true);
  EXPECT_TRUE(recs[0]["init_ms"].is_number());
  EXPECT_TRUE(recs[0]["error_type"].is_null());
  EXPECT_EQ(recs[1]["status"], "error");
  EXPECT_EQ(recs[1]["error_type"], "FakeError");
  EXPECT_EQ(recs[1]["cold"], false);
  EXPECT_TRUE(recs[1]["init_ms"].is_null());
  EXPECT_EQ(recs[2]["status"], "crash");
  EXPECT_EQ(recs[2]["error_type"], "Runtime.ExitError");
  EXPECT_EQ(recs[3]["status"], "success");
  EXPECT_EQ(recs[3]["cold"], true);
  EXPECT_EQ(recs[3]["environment_id"], 2);
}

TEST(CliRun, ShellBootstrapInTheStyleOfAwsTutorial) {
  const auto r = lemu_run(shell_bootstrap, {"--event", sqs_event(), "--repeat", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = r.out_lines();
  ASSERT_EQ(out.size(), 3u);
  for (const auto& l : out) EXPECT_EQ(json::parse(l), json::parse(read_file(sqs_event())));
  EXPECT_EQ(report_lines(r).size(), 3u);
}

TEST(CliRun, InterruptStopsTheFunctionAndPrintsThePartialSummary) {
  command_options o;
  o.signal_when_stderr_has = "START RequestId: ";
  o.signal_to_send = SIGINT;
  o.deadline = std::chrono::seconds(20);
  const auto r = fake_run("by-event", {"--event", "-", "--timeout", "30"},
                          [&] {
                            o.stdin_text = "{\"fake\":\"hang\"}\n{}\n";
                            return o;
                          }());
  EXPECT_EQ(r.exit_code, 130) << r.err;
  // The invocation in flight was cancelled by lemu, not failed by the function: no outcome on stdout, and
  // the summary counts it apart. The next event never runs.
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_THAT(r.err, HasSubstr("lemu: interrupted: stopping the function"));
  EXPECT_THAT(r.err, HasSubstr("invocations 0 · succeeded 0 · errors 0 · timeouts 0 · crashes 0 · cancelled 1"));
}
