// An environment's log in both of Lambda's formats: text exactly as before (plus INIT_START), JSON as
// platform events filtered by the system log level, and the function's JSON lines by the application level.
#include <lemu/app/environment_log.hpp>

#include <lemu/stats/platform_log.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <unistd.h>
#include <string>
#include <vector>

namespace lemu::app {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;
using json = nlohmann::json;

constexpr const char* id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

// An output whose stderr is a temporary file, read back with pread (the FILE is output's).
class captured {
public:
  captured() : m_err(std::tmpfile()), m_null(std::fopen("/dev/null", "w")), m_out(m_null, m_err) {}
  ~captured() {
    m_out.flush();
    std::fclose(m_err);
    std::fclose(m_null);
  }
  output& out() { return m_out; }
  std::vector<std::string> lines() {
    m_out.flush();
    std::string text;
    char buf[4096];
    for (off_t at = 0;;) {
      const ssize_t n = ::pread(::fileno(m_err), buf, sizeof buf, at);
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
      at += n;
    }
    std::vector<std::string> result;
    std::string line;
    for (char c : text) {
      if (c == '\n') {
        result.push_back(line);
        line.clear();
      } else {
        line.push_back(c);
      }
    }
    return result;
  }

private:
  std::FILE* m_err;
  std::FILE* m_null;
  output m_out;
};

stats::invocation_record record(stats::status s = stats::status::success, std::string error_type = {}) {
  stats::invocation_record r;
  r.request_id = id;
  r.duration_ms = 3.0149;
  r.init_ms = 110.104;
  r.cold = true;
  r.billed_ms = stats::billed_duration_ms(r.duration_ms, r.init_ms);
  r.max_memory_used_mb = 36;
  r.status = s;
  r.error_type = std::move(error_type);
  return r;
}

core::function_config json_function(std::optional<core::log_level> app = {}, std::optional<core::log_level> sys = {}) {
  core::function_config fn;
  fn.function_name = "orders";
  fn.region = "eu-west-1";
  fn.log_format = core::log_format::json;
  fn.application_log_level = app;
  fn.system_log_level = sys;
  return fn;
}

std::vector<std::string> types_of(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) {
    const auto j = json::parse(l, nullptr, false);
    out.push_back(j.is_object() && j.contains("type") ? j["type"].get<std::string>() : "text: " + l);
  }
  return out;
}

const std::string init_start_text = "INIT_START Runtime Version: provided:al2023.v100\tRuntime Version ARN: "
                                    "arn:aws:lambda:us-east-1::runtime:6c656d7500000000000000000000000000000000000000000000000000000000";

TEST(environment_log, text_is_as_before_with_init_start_first) {
  captured c;
  environment_log log(c.out(), core::function_config{}, true);
  log.function_line("hello from init");
  log.start(id);
  log.function_line(R"({"level":"DEBUG","msg":"kept: text filters nothing"})");
  const std::string tail = log.end(record());
  const auto lines = c.lines();
  EXPECT_THAT(lines, ElementsAre(init_start_text, "hello from init", stats::start_line(id, "$LATEST"),
                                 R"({"level":"DEBUG","msg":"kept: text filters nothing"})", stats::end_line(id),
                                 stats::report_line(record())));
  EXPECT_THAT(tail, StartsWith(init_start_text + "\nhello from init\nSTART RequestId: "));
  // A warm invocation: no second INIT_START.
  log.start(id);
  log.end(record());
  EXPECT_EQ(c.lines().size(), lines.size() + 3);
}

TEST(environment_log, text_init_start_can_be_told_and_is_then_not_repeated) {
  captured c;
  environment_log log(c.out(), core::function_config{}, false);
  log.init_start();
  log.init_done(12.5); // text: nothing
  log.init_report(10000.0, "init", "timeout", {});
  log.init_start("invoke");
  log.start(id);
  EXPECT_THAT(c.lines(), ElementsAre(init_start_text, "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout",
                                     init_start_text, stats::start_line(id, "$LATEST")));
}

TEST(environment_log, text_region_comes_from_the_function) {
  captured c;
  core::function_config fn;
  fn.region = "ap-south-1";
  environment_log log(c.out(), fn, false);
  log.start(id);
  EXPECT_THAT(c.lines().front(), ::testing::HasSubstr("arn:aws:lambda:ap-south-1::runtime:"));
}

TEST(environment_log, json_at_info_prints_start_report_and_init_events) {
  captured c;
  const auto fn = json_function();
  environment_log log(c.out(), fn, false);
  log.init_start();
  log.init_done(110.104);
  log.start(id, "Root=1-abc;Parent=def;Sampled=0");
  log.end(record());
  const auto lines = c.lines();
  EXPECT_THAT(types_of(lines), ElementsAre("platform.initStart", "platform.initReport", "platform.start", "platform.report"));
  const auto init_start = json::parse(lines[0]);
  EXPECT_EQ(init_start["record"]["functionName"], "orders");
  EXPECT_EQ(init_start["record"]["functionVersion"], "$LATEST");
  EXPECT_EQ(init_start["record"]["runtimeVersion"], "provided:al2023.v100");
  EXPECT_THAT(init_start["record"]["runtimeVersionArn"].get<std::string>(), StartsWith("arn:aws:lambda:eu-west-1::runtime:"));
  const auto init_report = json::parse(lines[1]);
  EXPECT_EQ(init_report["record"]["metrics"]["durationMs"], 110.1);
  EXPECT_EQ(init_report["record"]["status"], "success");
  const auto start = json::parse(lines[2]);
  EXPECT_EQ(start["record"]["requestId"], id);
  EXPECT_EQ(start["record"]["tracing"]["value"], "Root=1-abc;Parent=def;Sampled=0");
  const auto report = json::parse(lines[3]);
  EXPECT_EQ(report["record"]["metrics"]["durationMs"], 3.01);
  EXPECT_EQ(report["record"]["metrics"]["billedDurationMs"], 114);
  EXPECT_EQ(report["record"]["metrics"]["initDurationMs"], 110.1);
  EXPECT_EQ(report["record"]["tracing"]["value"], "Root=1-abc;Parent=def;Sampled=0");
}

TEST(environment_log, json_at_debug_adds_runtime_done_and_init_runtime_done) {
  captured c;
  environment_log log(c.out(), json_function({}, core::log_level::debug), false);
  log.init_done(1.0);
  log.start(id);
  invocation_extras extras;
  extras.produced_bytes = 7;
  extras.spans = {{"responseLatency", 1000, 0.5}};
  log.end(record(), extras);
  const auto lines = c.lines();
  EXPECT_THAT(types_of(lines), ElementsAre("platform.initStart", "platform.initRuntimeDone", "platform.initReport",
                                           "platform.start", "platform.runtimeDone", "platform.report"));
  const auto done = json::parse(lines[4]);
  EXPECT_EQ(done["record"]["status"], "success");
  EXPECT_EQ(done["record"]["metrics"]["durationMs"], 3.015);
  EXPECT_EQ(done["record"]["metrics"]["producedBytes"], 7);
  EXPECT_EQ(done["record"]["spans"][0]["name"], "responseLatency");
}

TEST(environment_log, json_at_warn_prints_only_faults) {
  captured c;
  environment_log log(c.out(), json_function({}, core::log_level::warn), false);
  log.start(id);
  core::outcome o;
  o.error_type = "Runtime.ExitError";
  o.payload = R"({"errorType":"Runtime.ExitError","errorMessage":"RequestId: x Error: Runtime exited with error: exit status 1"})";
  log.fault(o);
  log.end(record(stats::status::crash, "Runtime.ExitError"));
  const auto lines = c.lines();
  ASSERT_THAT(types_of(lines), ElementsAre("platform.fault"));
  EXPECT_EQ(json::parse(lines[0])["record"], "RequestId: x Error: Runtime exited with error: exit status 1\nRuntime.ExitError");
}

TEST(environment_log, json_failed_init_and_crash) {
  captured c;
  environment_log log(c.out(), json_function({}, core::log_level::debug), false);
  log.init_report(5.0, "init", "error", "Runtime.ExitError");
  log.start(id);
  log.end(record(stats::status::crash, "Runtime.ExitError"));
  const auto lines = c.lines();
  EXPECT_THAT(types_of(lines), ElementsAre("platform.initStart", "platform.initRuntimeDone", "platform.initReport",
                                           "platform.start", "platform.runtimeDone", "platform.report"));
  EXPECT_EQ(json::parse(lines[1])["record"]["errorType"], "Runtime.ExitError");
  EXPECT_EQ(json::parse(lines[2])["record"]["status"], "error");
  EXPECT_EQ(json::parse(lines[4])["record"]["status"], "error");
  EXPECT_EQ(json::parse(lines[5])["record"]["errorType"], "Runtime.ExitError");
}

TEST(environment_log, json_application_level_filters_the_functions_json_lines) {
  captured c;
  environment_log log(c.out(), json_function(core::log_level::warn), false);
  log.start(id);
  log.function_line(R"({"level":"debug","msg":"dropped"})");
  log.function_line(R"({"level":"INFO","msg":"dropped"})");
  log.function_line(R"({"level":"WARN","msg":"kept"})");
  log.function_line(R"({"level":"fatal","msg":"kept"})");
  log.function_line(R"({"level":"loud","msg":"invalid level: INFO, dropped"})");
  log.function_line(R"({"msg":"no level: INFO, dropped"})");
  log.function_line("plain text: INFO, dropped");
  log.function_line("lemu: cannot start /x: kept, lemu's own");
  const auto lines = c.lines();
  EXPECT_THAT(lines, ElementsAre(::testing::_, ::testing::_, R"({"level":"WARN","msg":"kept"})",
                                 R"({"level":"fatal","msg":"kept"})", "lemu: cannot start /x: kept, lemu's own"));
}

TEST(environment_log, json_lines_without_level_pass_at_info) {
  captured c;
  environment_log log(c.out(), json_function(), true);
  log.start(id);
  log.function_line(R"({"level":"DEBUG","msg":"dropped"})");
  log.function_line(R"({"msg":"kept"})");
  log.function_line("plain text kept");
  const std::string tail = log.end(record());
  EXPECT_EQ(c.lines().size(), 5u); // initStart, start, two lines, report
  EXPECT_THAT(tail, ::testing::HasSubstr("\n{\"msg\":\"kept\"}\nplain text kept\n"));
  EXPECT_THAT(tail, ::testing::Not(::testing::HasSubstr("DEBUG")));
}

TEST(environment_log, json_takes_the_functions_version) {
  captured c;
  auto fn = json_function();
  fn.version = "7";
  fn.function_name.clear();
  environment_log log(c.out(), fn, false);
  log.start(id);
  const auto lines = c.lines();
  ASSERT_EQ(lines.size(), 2u);
  const auto init = json::parse(lines[0]);
  EXPECT_FALSE(init["record"].contains("functionName"));
  EXPECT_EQ(init["record"]["functionVersion"], "7");
  EXPECT_EQ(json::parse(lines[1])["record"]["version"], "7");
}

TEST(function_line_level, reads_a_valid_level_else_info) {
  using core::log_level;
  EXPECT_EQ(function_line_level(R"({"level":"trace"})"), log_level::trace);
  EXPECT_EQ(function_line_level(R"(  {"level":"Error","x":1}  )"), log_level::error);
  EXPECT_EQ(function_line_level(R"({"level":3})"), log_level::info);
  EXPECT_EQ(function_line_level(R"({"level":"verbose"})"), log_level::info);
  EXPECT_EQ(function_line_level(R"(["level","error"])"), log_level::info);
  EXPECT_EQ(function_line_level("ERROR something"), log_level::info);
  EXPECT_EQ(function_line_level(""), log_level::info);
}

} // namespace
} // namespace lemu::app
