// Lambda's log formats on the real lemu: --log-format json prints the platform lines as JSON events on
// stderr (their numbers equal to the invocation records'), the function sees AWS_LAMBDA_LOG_FORMAT and
// AWS_LAMBDA_LOG_LEVEL, the function's JSON lines are filtered by --log-level, the platform lines by
// --system-log-level; text mode adds INIT_START; bad values are usage errors. stdout carries only outcomes.
#include "integration/cli_fixture.hpp"
#include "support/command.hpp"
#include "support/http_raw.hpp"
#include "support/serve_process.hpp"

#include <lemu/events/checksums.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

namespace lemu::test {
namespace {

using json = nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The stderr lines that are JSON objects with a "type" (the platform events), in order.
std::vector<json> events_of(const command_result& r) {
  std::vector<json> out;
  for (const auto& line : r.err_lines()) {
    if (line.empty() || line.front() != '{') continue;
    json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("type") && j.contains("time") && j.contains("record")) out.push_back(std::move(j));
  }
  return out;
}

std::vector<std::string> types_of(const std::vector<json>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e["type"].get<std::string>());
  return out;
}

double round2(double v) { return std::round(v * 100.0) / 100.0; }

// stdout: exactly one outcome per invocation, none of them a platform event.
void expect_only_outcomes(const command_result& r, std::size_t n) {
  const auto lines = r.out_lines();
  EXPECT_EQ(lines.size(), n) << r.out;
  for (const auto& l : lines) EXPECT_THAT(l, ::testing::Not(HasSubstr("\"platform."))) << l;
}

TEST(CliLogFormat, JsonPrintsPlatformEventsWithTheRecordsNumbers) {
  scratch_dir dir;
  const std::string records = dir.path() + "/records.jsonl";
  const auto r = fake_run("echo", {"--event", sqs_event(), "--repeat", "3", "--log-format", "json", "--json", records});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_only_outcomes(r, 3);
  const auto events = events_of(r);
  EXPECT_THAT(types_of(events), ElementsAre("platform.initStart", "platform.initReport", "platform.start", "platform.report",
                                            "platform.start", "platform.report", "platform.start", "platform.report"));
  EXPECT_EQ(count_prefix(r.err_lines(), "START RequestId: "), 0u);
  EXPECT_EQ(count_prefix(r.err_lines(), "END RequestId: "), 0u);
  EXPECT_EQ(count_prefix(r.err_lines(), "REPORT RequestId: "), 0u);
  EXPECT_EQ(count_prefix(r.err_lines(), "INIT_START "), 0u);
  ASSERT_EQ(events.size(), 8u);
  EXPECT_EQ(events[1]["record"]["status"], "success");
  EXPECT_EQ(events[1]["record"]["phase"], "init");

  const json& init = events[0]["record"];
  EXPECT_EQ(init["initializationType"], "on-demand");
  EXPECT_EQ(init["phase"], "init");
  EXPECT_EQ(init["runtimeVersion"], "provided:al2023.v100");
  EXPECT_EQ(init["functionVersion"], "$LATEST");
  for (const auto& e : events) {
    EXPECT_THAT(e["time"].get<std::string>(), ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z"));
  }

  const auto lines = split_lines(read_file(records));
  ASSERT_EQ(lines.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const json rec = json::parse(lines[i]);
    const json& start = events[2 + 2 * i]["record"];
    const json& report = events[3 + 2 * i]["record"];
    EXPECT_EQ(start["requestId"], rec["request_id"]);
    EXPECT_EQ(start["version"], "$LATEST");
    EXPECT_EQ(report["requestId"], rec["request_id"]);
    EXPECT_EQ(report["status"], "success");
    const json& m = report["metrics"];
    EXPECT_DOUBLE_EQ(m["durationMs"].get<double>(), round2(rec["duration_ms"].get<double>()));
    EXPECT_EQ(m["billedDurationMs"], rec["billed_ms"]);
    EXPECT_EQ(m["memorySizeMB"], 128);
    EXPECT_EQ(m["maxMemoryUsedMB"], rec["max_memory_used_mb"]);
    if (i == 0) {
      EXPECT_DOUBLE_EQ(m["initDurationMs"].get<double>(), round2(rec["init_ms"].get<double>()));
      EXPECT_DOUBLE_EQ(events[1]["record"]["metrics"]["durationMs"].get<double>(), m["initDurationMs"].get<double>());
    } else {
      EXPECT_FALSE(m.contains("initDurationMs"));
    }
  }
}

TEST(CliLogFormat, DebugSystemLevelAddsRuntimeDoneAndWarnKeepsOnlyFaults) {
  const auto debug = fake_run("echo", {"--event", sqs_event(), "--log-format", "json", "--system-log-level", "debug"});
  ASSERT_EQ(debug.exit_code, 0) << debug.err;
  const auto events = events_of(debug);
  EXPECT_THAT(types_of(events), ElementsAre("platform.initStart", "platform.initRuntimeDone", "platform.initReport",
                                            "platform.start", "platform.runtimeDone", "platform.report"));
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[1]["record"]["status"], "success");
  EXPECT_EQ(events[4]["record"]["requestId"], events[5]["record"]["requestId"]);
  EXPECT_EQ(events[4]["record"]["status"], "success");
  EXPECT_NEAR(events[4]["record"]["metrics"]["durationMs"].get<double>(),
              events[5]["record"]["metrics"]["durationMs"].get<double>(), 0.0051);

  const auto warn = fake_run("exit:3", {"--event", sqs_event(), "--log-format", "json", "--system-log-level", "WARN"});
  EXPECT_EQ(warn.exit_code, 1) << warn.err;
  const auto faults = events_of(warn);
  ASSERT_THAT(types_of(faults), ElementsAre("platform.fault"));
  EXPECT_THAT(faults[0]["record"].get<std::string>(), HasSubstr("Runtime exited with error: exit status 3\nRuntime.ExitError"));
  expect_only_outcomes(warn, 1);
}

TEST(CliLogFormat, JsonReportsACrashAsAnError) {
  const auto r = fake_run("exit:3", {"--event", sqs_event(), "--log-format", "json"});
  const auto events = events_of(r);
  ASSERT_FALSE(events.empty()) << r.err;
  const json& report = events.back();
  EXPECT_EQ(report["type"], "platform.report");
  EXPECT_EQ(report["record"]["status"], "error");
  EXPECT_EQ(report["record"]["errorType"], "Runtime.ExitError");
}

TEST(CliLogFormat, TheFunctionSeesTheLogFormatAndLevel) {
  const auto json_run = fake_run("env", {"--event", sqs_event(), "--log-format", "JSON", "--log-level", "debug"});
  ASSERT_EQ(json_run.exit_code, 0) << json_run.err;
  const json env = json::parse(json_run.out_lines().at(0))["env"];
  EXPECT_EQ(env["AWS_LAMBDA_LOG_FORMAT"], "JSON");
  EXPECT_EQ(env["AWS_LAMBDA_LOG_LEVEL"], "DEBUG");

  const auto default_level = fake_run("env", {"--event", sqs_event(), "--log-format", "json"});
  EXPECT_EQ(json::parse(default_level.out_lines().at(0))["env"]["AWS_LAMBDA_LOG_LEVEL"], "INFO");

  const auto text = fake_run("env", {"--event", sqs_event()});
  const json text_env = json::parse(text.out_lines().at(0))["env"];
  EXPECT_FALSE(text_env.contains("AWS_LAMBDA_LOG_FORMAT"));
  EXPECT_FALSE(text_env.contains("AWS_LAMBDA_LOG_LEVEL"));
}

// A shell function (sample-functions/shell's bootstrap) that writes log lines of every level to stderr.
class logging_function {
public:
  logging_function() {
    std::filesystem::copy_file(shell_bootstrap, m_dir.path() + "/bootstrap");
    m_dir.write("fn.sh", "handler() {\n"
                         "  echo '{\"level\":\"TRACE\",\"msg\":\"t\"}' >&2\n"
                         "  echo '{\"level\":\"debug\",\"msg\":\"d\"}' >&2\n"
                         "  echo '{\"level\":\"INFO\",\"msg\":\"i\"}' >&2\n"
                         "  echo '{\"level\":\"Warn\",\"msg\":\"w\"}' >&2\n"
                         "  echo '{\"level\":\"ERROR\",\"msg\":\"e\"}' >&2\n"
                         "  echo '{\"msg\":\"no level\"}' >&2\n"
                         "  echo 'plain text' >&2\n"
                         "  echo '{\"ok\":true}'\n"
                         "}\n");
  }
  command_result run(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--handler", "fn.handler", "--event", sqs_event()});
    return lemu_run(m_dir.path() + "/bootstrap", std::move(args));
  }

private:
  scratch_dir m_dir;
};

std::vector<std::string> function_lines(const command_result& r) {
  std::vector<std::string> out;
  for (const auto& line : r.err_lines()) {
    if (line == "plain text" || line.rfind("{\"level\"", 0) == 0 || line.rfind("{\"msg\"", 0) == 0) out.push_back(line);
  }
  return out;
}

TEST(CliLogFormat, TheApplicationLevelFiltersTheFunctionsJsonLines) {
  const logging_function fn;
  const auto text = fn.run({});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(function_lines(text).size(), 7u) << "text filters nothing";
  EXPECT_EQ(text.out, "{\"ok\":true}\n");

  const auto info = fn.run({"--log-format", "json"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_THAT(function_lines(info), ElementsAre(R"({"level":"INFO","msg":"i"})", R"({"level":"Warn","msg":"w"})",
                                                R"({"level":"ERROR","msg":"e"})", R"({"msg":"no level"})", "plain text"));
  EXPECT_EQ(info.out, "{\"ok\":true}\n");

  const auto warn = fn.run({"--log-format", "json", "--log-level", "WARN"});
  EXPECT_THAT(function_lines(warn), ElementsAre(R"({"level":"Warn","msg":"w"})", R"({"level":"ERROR","msg":"e"})"));

  const auto trace = fn.run({"--log-format", "json", "--log-level", "TRACE"});
  EXPECT_EQ(function_lines(trace).size(), 7u);
}

TEST(CliLogFormat, TextAddsInitStartOncePerEnvironment) {
  const auto r = fake_run("echo", {"--event", sqs_event(), "--repeat", "3", "--concurrency", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto lines = r.err_lines();
  EXPECT_EQ(count_prefix(lines, "INIT_START Runtime Version: provided:al2023.v100\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:"), 1u);
  std::size_t init = lines.size(), start = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (init == lines.size() && lines[i].rfind("INIT_START ", 0) == 0) init = i;
    if (start == lines.size() && lines[i].rfind("START RequestId: ", 0) == 0) start = i;
  }
  EXPECT_LT(init, start) << r.err;
  const auto cold = fake_run("echo", {"--event", sqs_event(), "--repeat", "2", "--cold"});
  EXPECT_EQ(count_prefix(cold.err_lines(), "INIT_START "), 2u) << cold.err;
}

TEST(CliLogFormat, ServeTailsCarryTheJsonEvents) {
  serve_process s({fake_bootstrap, "--function-name", "fake", "--handler", "echo", "--log-format", "json"});
  http_raw::connection c(s.port());
  const auto r = c.roundtrip(http_raw::request("POST", "/2015-03-31/functions/fake/invocations",
                                               {{"X-Amz-Log-Type", "Tail"}}, R"({"n":1})"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.body, R"({"n":1})");
  const auto tail = lemu::events::base64_decode(r.res.header("X-Amz-Log-Result").value_or(""));
  ASSERT_TRUE(tail.has_value());
  std::vector<std::string> types;
  for (const auto& line : split_lines(*tail)) {
    const json e = json::parse(line, nullptr, false);
    ASSERT_TRUE(e.is_object()) << *tail;
    types.push_back(e["type"].get<std::string>());
    if (e["type"] == "platform.initStart") {
      EXPECT_EQ(e["record"]["functionName"], "fake");
    }
    if (e["type"] == "platform.report") {
      EXPECT_EQ(e["record"]["requestId"], *r.res.header("x-amzn-RequestId"));
    }
  }
  EXPECT_THAT(types, ElementsAre("platform.initStart", "platform.initReport", "platform.start", "platform.report"));
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliLogFormat, BadValuesAreUsageErrors) {
  const auto format = fake_run("echo", {"--event", sqs_event(), "--log-format", "xml"});
  EXPECT_EQ(format.exit_code, 2);
  EXPECT_EQ(format.err, "lemu: error: --log-format: must be one of text, json (any case), got 'xml'\n");
  EXPECT_EQ(format.out, "");

  const auto level = fake_run("echo", {"--event", sqs_event(), "--log-format", "json", "--log-level", "verbose"});
  EXPECT_EQ(level.exit_code, 2);
  EXPECT_EQ(level.err, "lemu: error: --log-level: must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL (any case), got 'verbose'\n");

  const auto system = fake_run("echo", {"--event", sqs_event(), "--log-format", "json", "--system-log-level", "TRACE"});
  EXPECT_EQ(system.exit_code, 2);
  EXPECT_EQ(system.err, "lemu: error: --system-log-level: must be one of DEBUG, INFO, WARN (any case), got 'TRACE'\n");

  const auto text_level = fake_run("echo", {"--event", sqs_event(), "--log-level", "DEBUG"});
  EXPECT_EQ(text_level.exit_code, 2);
  EXPECT_EQ(text_level.err,
            "lemu: error: --log-level needs --log-format json: Lambda filters log levels only in its JSON log format\n");
  EXPECT_EQ(text_level.out, "");

  const auto text_system = fake_run("echo", {"--event", sqs_event(), "--log-format", "text", "--system-log-level", "WARN"});
  EXPECT_EQ(text_system.exit_code, 2);
  EXPECT_EQ(text_system.err,
            "lemu: error: --system-log-level needs --log-format json: Lambda filters log levels only in its JSON log format\n");

  const auto serve = run_command({lemu_bin, "serve", fake_bootstrap, "--log-level", "DEBUG"});
  EXPECT_EQ(serve.exit_code, 2);
  EXPECT_EQ(serve.err,
            "lemu: error: --log-level needs --log-format json: Lambda filters log levels only in its JSON log format\n");

  scratch_dir dir;
  const std::string capture = dir.write("c.jsonl", "");
  const auto replay = run_command({lemu_bin, "replay", capture, "--bootstrap", fake_bootstrap, "--log-format", "yaml"});
  EXPECT_EQ(replay.exit_code, 2);
  EXPECT_EQ(replay.err, "lemu: error: --log-format: must be one of text, json (any case), got 'yaml'\n");
}

} // namespace
} // namespace lemu::test
