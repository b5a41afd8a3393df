// Lambda's platform events as JSON (Telemetry API, JSON log format, Logs API forms): exact text of each.
#include <lemu/stats/platform_events.hpp>
#include <lemu/stats/platform_log.hpp>

#include <gtest/gtest.h>

#include <string>

namespace lemu::stats::events {
namespace {

constexpr const char* id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";
constexpr const char* trace = "Root=1-5e7d7595-212fxmpl9ee07c4884191322;Parent=42ffxmpl0645f474;Sampled=0";
constexpr std::int64_t t0 = 1665532815064; // 2022-10-12T00:00:15.064Z

TEST(platform_events, time_is_utc_with_milliseconds) {
  EXPECT_EQ(event_time(t0), "2022-10-12T00:00:15.064Z");
  EXPECT_EQ(event_time(0), "1970-01-01T00:00:00.000Z");
}

TEST(platform_events, init_start) {
  init_start_facts f;
  f.time_ms = t0;
  f.runtime_version = runtime_version;
  f.runtime_version_arn = runtime_version_arn("eu-west-1");
  f.function_name = "echo";
  f.function_version = "$LATEST";
  EXPECT_EQ(to_line(init_start(f)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.initStart","record":{"initializationType":"on-demand",)"
            R"("phase":"init","runtimeVersion":"provided:al2023.v100","runtimeVersionArn":"arn:aws:lambda:eu-west-1::runtime:)"
            R"(6c656d7500000000000000000000000000000000000000000000000000000000","functionName":"echo","functionVersion":"$LATEST"}})");
  init_start_facts bare;
  bare.time_ms = t0;
  bare.phase = "invoke";
  EXPECT_EQ(to_line(init_start(bare)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"invoke"}})");
}

TEST(platform_events, init_runtime_done) {
  init_runtime_done_facts f;
  f.time_ms = t0;
  EXPECT_EQ(to_line(init_runtime_done(f)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.initRuntimeDone","record":{"initializationType":"on-demand","phase":"init","status":"success"}})");
  f.status = "error";
  f.error_type = "Runtime.ExitError";
  EXPECT_EQ(to_line(init_runtime_done(f)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.initRuntimeDone","record":{"initializationType":"on-demand","phase":"init","status":"error","errorType":"Runtime.ExitError"}})");
}

TEST(platform_events, init_report_has_two_decimals) {
  init_report_facts f;
  f.time_ms = t0;
  f.duration_ms = 125.3349;
  EXPECT_EQ(to_line(init_report(f)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.initReport","record":{"initializationType":"on-demand","phase":"init","metrics":{"durationMs":125.33}}})");
  f.phase = "invoke";
  f.status = "timeout";
  f.duration_ms = 10000.004;
  EXPECT_EQ(to_line(init_report(f)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.initReport","record":{"initializationType":"on-demand","phase":"invoke","status":"timeout","metrics":{"durationMs":10000.0}}})");
}

TEST(platform_events, start_with_and_without_tracing) {
  start_facts f;
  f.time_ms = t0;
  f.request_id = id;
  EXPECT_EQ(to_line(start(f)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.start","record":{"requestId":"8476a536-e9f4-11e8-9739-2dfe598c3fcd","version":"$LATEST"}})");
  f.trace_id = trace;
  EXPECT_EQ(to_line(start(f)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.start","record":{"requestId":"8476a536-e9f4-11e8-9739-2dfe598c3fcd","version":"$LATEST",)"
            R"("tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1-5e7d7595-212fxmpl9ee07c4884191322;Parent=42ffxmpl0645f474;Sampled=0"}}})");
}

TEST(platform_events, runtime_done_with_metrics_and_spans) {
  runtime_done_facts f;
  f.time_ms = t0;
  f.request_id = id;
  f.duration_ms = 2.34567;
  f.produced_bytes = 16;
  f.spans = {{"responseLatency", t0 - 3, 1.2344}, {"responseDuration", t0 - 1, 0.0261}};
  f.trace_id = trace;
  EXPECT_EQ(to_line(runtime_done(f)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.runtimeDone","record":{"requestId":"8476a536-e9f4-11e8-9739-2dfe598c3fcd","status":"success",)"
            R"("metrics":{"durationMs":2.346,"producedBytes":16},"spans":[{"name":"responseLatency","start":"2022-10-12T00:00:15.061Z","durationMs":1.234},)"
            R"({"name":"responseDuration","start":"2022-10-12T00:00:15.063Z","durationMs":0.026}],)"
            R"("tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1-5e7d7595-212fxmpl9ee07c4884191322;Parent=42ffxmpl0645f474;Sampled=0"}}})");
}

TEST(platform_events, runtime_done_minimal_and_failed) {
  runtime_done_facts f;
  f.time_ms = t0;
  f.request_id = id;
  f.status = "timeout";
  EXPECT_EQ(to_line(runtime_done(f)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.runtimeDone","record":{"requestId":"8476a536-e9f4-11e8-9739-2dfe598c3fcd","status":"timeout"}})");
  f.status = "error";
  f.error_type = "Runtime.ExitError";
  f.duration_ms = 5.0;
  EXPECT_EQ(to_line(runtime_done(f)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.runtimeDone","record":{"requestId":"8476a536-e9f4-11e8-9739-2dfe598c3fcd","status":"error",)"
            R"("errorType":"Runtime.ExitError","metrics":{"durationMs":5.0}}})");
}

invocation_record cold_record() {
  invocation_record r;
  r.request_id = id;
  r.duration_ms = 3.0149;
  r.init_ms = 110.104;
  r.cold = true;
  r.billed_ms = billed_duration_ms(r.duration_ms, r.init_ms);
  r.memory_size_mb = 128;
  r.max_memory_used_mb = 36;
  return r;
}

TEST(platform_events, report_carries_the_report_lines_numbers) {
  const invocation_record r = cold_record();
  EXPECT_EQ(report_line(r), "REPORT RequestId: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\tDuration: 3.01 ms\tBilled Duration: 114 ms\t"
                            "Memory Size: 128 MB\tMax Memory Used: 36 MB\tInit Duration: 110.10 ms\t");
  EXPECT_EQ(to_line(report(report_facts_of(r, t0))),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.report","record":{"requestId":"8476a536-e9f4-11e8-9739-2dfe598c3fcd","status":"success",)"
            R"("metrics":{"durationMs":3.01,"billedDurationMs":114,"memorySizeMB":128,"maxMemoryUsedMB":36,"initDurationMs":110.1}}})");
}

TEST(platform_events, report_of_failures) {
  invocation_record r = cold_record();
  r.init_ms.reset();
  r.billed_ms = 4;
  r.status = status::crash;
  r.error_type = "Runtime.OutOfMemory";
  EXPECT_EQ(to_line(report(report_facts_of(r, t0, trace))),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.report","record":{"requestId":"8476a536-e9f4-11e8-9739-2dfe598c3fcd","status":"error",)"
            R"("errorType":"Runtime.OutOfMemory","metrics":{"durationMs":3.01,"billedDurationMs":4,"memorySizeMB":128,"maxMemoryUsedMB":36},)"
            R"("tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1-5e7d7595-212fxmpl9ee07c4884191322;Parent=42ffxmpl0645f474;Sampled=0"}}})");
  r.status = status::timeout;
  r.error_type = "Sandbox.Timedout";
  const auto timeout = report(report_facts_of(r, t0));
  EXPECT_EQ(timeout["record"]["status"], "timeout");
  EXPECT_FALSE(timeout["record"].contains("errorType"));
  r.status = status::error;
  r.error_type = "FakeError";
  const auto error = report(report_facts_of(r, t0));
  EXPECT_EQ(error["record"]["status"], "error");
  EXPECT_EQ(error["record"]["errorType"], "FakeError");
}

TEST(platform_events, status_names) {
  EXPECT_STREQ(status_name(status::success), "success");
  EXPECT_STREQ(status_name(status::error), "error");
  EXPECT_STREQ(status_name(status::crash), "error");
  EXPECT_STREQ(status_name(status::timeout), "timeout");
}

TEST(platform_events, extension_and_subscription) {
  extension_facts e;
  e.time_ms = t0;
  e.name = "my-telemetry-extension";
  e.state = "Ready";
  e.events = {"INVOKE", "SHUTDOWN"};
  EXPECT_EQ(to_line(extension(e)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.extension","record":{"name":"my-telemetry-extension","state":"Ready","events":["INVOKE","SHUTDOWN"]}})");
  e.error_type = "Extension.Crash";
  EXPECT_EQ(to_line(extension(e)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.extension","record":{"name":"my-telemetry-extension","state":"Ready","events":["INVOKE","SHUTDOWN"],"errorType":"Extension.Crash"}})");
  EXPECT_EQ(to_line(extension_logs_api(e)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.extension","record":{"name":"my-telemetry-extension","state":"Ready","events":["INVOKE","SHUTDOWN"]}})");

  subscription_facts s;
  s.time_ms = t0;
  s.name = "my-telemetry-extension";
  s.types = {"platform", "function"};
  EXPECT_EQ(to_line(telemetry_subscription(s)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.telemetrySubscription","record":{"name":"my-telemetry-extension","state":"Subscribed","types":["platform","function"]}})");
  EXPECT_EQ(to_line(logs_subscription(s)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.logsSubscription","record":{"name":"my-telemetry-extension","state":"Subscribed","types":["platform","function"]}})");
}

TEST(platform_events, log_records_are_strings_or_the_lines_object) {
  EXPECT_EQ(to_line(function_log(t0, "[INFO] Hello world, I am a function!")),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"function","record":"[INFO] Hello world, I am a function!"})");
  EXPECT_EQ(to_line(function_log(t0, R"({"level":"debug","msg":"x"})")),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"function","record":{"level":"debug","msg":"x"}})");
  EXPECT_EQ(to_line(function_log(t0, "[1,2]")), R"({"time":"2022-10-12T00:00:15.064Z","type":"function","record":"[1,2]"})");
  EXPECT_EQ(to_line(function_log(t0, "{not json")), R"({"time":"2022-10-12T00:00:15.064Z","type":"function","record":"{not json"})");
  EXPECT_EQ(to_line(extension_log(t0, "tab\there")), R"({"time":"2022-10-12T00:00:15.064Z","type":"extension","record":"tab\there"})");
  // Bytes that are not UTF-8 do not stop the line.
  EXPECT_EQ(to_line(function_log(t0, "bad \xff byte")),
            "{\"time\":\"2022-10-12T00:00:15.064Z\",\"type\":\"function\",\"record\":\"bad \xEF\xBF\xBD byte\"}");
}

TEST(platform_events, logs_api_forms) {
  start_facts s;
  s.time_ms = t0;
  s.request_id = id;
  s.trace_id = trace; // the Logs API has no tracing
  EXPECT_EQ(to_line(start_logs_api(s)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.start","record":{"requestId":"8476a536-e9f4-11e8-9739-2dfe598c3fcd","version":"$LATEST"}})");
  EXPECT_EQ(to_line(end_logs_api(t0, id)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.end","record":{"requestId":"8476a536-e9f4-11e8-9739-2dfe598c3fcd"}})");
  EXPECT_EQ(to_line(report_logs_api(report_facts_of(cold_record(), t0, trace))),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.report","record":{"requestId":"8476a536-e9f4-11e8-9739-2dfe598c3fcd",)"
            R"("metrics":{"durationMs":3.01,"billedDurationMs":114,"memorySizeMB":128,"maxMemoryUsedMB":36,"initDurationMs":110.1}}})");
  runtime_done_facts d;
  d.time_ms = t0;
  d.request_id = id;
  d.status = "success";
  d.duration_ms = 1.0;
  EXPECT_EQ(to_line(runtime_done_logs_api(d)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.runtimeDone","record":{"requestId":"8476a536-e9f4-11e8-9739-2dfe598c3fcd","status":"success"}})");
  EXPECT_EQ(to_line(fault_logs_api(t0, "RequestId: x Error: Runtime exited with error: exit status 1\nRuntime.ExitError")),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.fault","record":"RequestId: x Error: Runtime exited with error: exit status 1\nRuntime.ExitError"})");
}

TEST(platform_events, system_levels) {
  using core::log_level;
  EXPECT_EQ(system_level_of("platform.initStart"), log_level::info);
  EXPECT_EQ(system_level_of("platform.initRuntimeDone"), log_level::debug);
  EXPECT_EQ(system_level_of("platform.initReport"), log_level::info);
  EXPECT_EQ(system_level_of("platform.start"), log_level::info);
  EXPECT_EQ(system_level_of("platform.runtimeDone"), log_level::debug);
  EXPECT_EQ(system_level_of("platform.report"), log_level::info);
  EXPECT_EQ(system_level_of("platform.extension"), log_level::info);
  EXPECT_EQ(system_level_of("platform.telemetrySubscription"), log_level::debug);
  EXPECT_EQ(system_level_of("platform.fault"), log_level::warn);
  EXPECT_EQ(system_level_of("platform.logsDropped"), log_level::warn);
}

TEST(platform_log, init_start_line) {
  EXPECT_EQ(init_start_line(runtime_version, runtime_version_arn("us-east-1")),
            "INIT_START Runtime Version: provided:al2023.v100\tRuntime Version ARN: "
            "arn:aws:lambda:us-east-1::runtime:6c656d7500000000000000000000000000000000000000000000000000000000");
}

TEST(platform_events, tenant_id_in_start_runtime_done_and_report) {
  start_facts s;
  s.time_ms = t0;
  s.request_id = id;
  s.tenant_id = "blue";
  EXPECT_EQ(to_line(start(s)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.start","record":{"requestId":"8476a536-e9f4-11e8-9739-2dfe598c3fcd","tenantId":"blue","version":"$LATEST"}})");
  EXPECT_EQ(to_line(start_logs_api(s)).find("tenantId"), std::string::npos); // the Logs API has none
  runtime_done_facts d;
  d.time_ms = t0;
  d.request_id = id;
  d.tenant_id = "blue";
  EXPECT_EQ(to_line(runtime_done(d)),
            R"({"time":"2022-10-12T00:00:15.064Z","type":"platform.runtimeDone","record":{"requestId":"8476a536-e9f4-11e8-9739-2dfe598c3fcd","tenantId":"blue","status":"success"}})");
  invocation_record r;
  r.request_id = id;
  r.tenant_id = "blue";
  EXPECT_EQ(report(report_facts_of(r, t0)).at("record").at("tenantId"), "blue");
  r.tenant_id.clear();
  EXPECT_FALSE(report(report_facts_of(r, t0)).at("record").contains("tenantId"));
}

} // namespace
} // namespace lemu::stats::events
