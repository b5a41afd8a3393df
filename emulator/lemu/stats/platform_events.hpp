#pragma once
// Lambda's platform events as JSON objects: {"time":"<RFC 3339, ms, UTC>","type":"platform.X","record":{...}}.
// The Telemetry API (2022-07-01) delivers them and Lambda's JSON log format prints them, one per line
// (PROTOCOL.md §2.2, §9.4, §9.5); the Logs API (2020-08-15 / 2021-03-18, §2.3) delivers older forms,
// built by the *_logs_api functions. Pure builders: each takes a plain struct of facts (no clock read,
// nothing of app), and returns an ordered_json whose keys come in the order Lambda's documentation shows.
//
// Numbers: durationMs in platform.initReport and platform.report is rounded to 2 decimals, as the
// INIT_REPORT and REPORT lines print it, so that both forms carry the same value; durationMs in
// platform.runtimeDone and its spans to 3 decimals (microseconds; RIE's precision [unverified for AWS]).
// billedDurationMs, memorySizeMB, maxMemoryUsedMB and producedBytes are integers.
// Optional facts (an empty string, an unset optional, an empty span list) leave their key out.
// Tenant isolation (PROTOCOL.md §9.2): platform.start, platform.runtimeDone and platform.report carry
// "tenantId" (after requestId) when the invocation has a tenant; the Logs API forms do not.

#include <lemu/core/log_config.hpp>
#include <lemu/stats/record.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lemu::stats::events {

using json = nlohmann::ordered_json;

// Telemetry API status of an invocation: "success", "error" (a function error, and a crash, as REPORT's
// "Status: error" says), "timeout".
const char* status_name(stats::status s);

// The level Lambda's system log-level filtering gives an event type (see environment_log.hpp for the
// table): DEBUG for platform.initRuntimeDone, platform.runtimeDone, platform.telemetrySubscription and
// platform.logsSubscription; WARN for platform.fault and platform.logsDropped; INFO for the others.
core::log_level system_level_of(std::string_view type);

// "2020-03-12T19:03:58.123Z"
std::string event_time(std::int64_t epoch_ms);

// ---- Telemetry API / JSON log format ------------------------------------------------------------------

struct init_start_facts {
  std::int64_t time_ms = 0;
  std::string initialization_type = "on-demand";
  std::string phase = "init";          // "init" | "invoke" (a suppressed init)
  std::string runtime_version;         // e.g. "provided:al2023.v100"
  std::string runtime_version_arn;     // "arn:aws:lambda:<region>::runtime:<sha>"
  std::string function_name;
  std::string function_version;        // "$LATEST"
};
json init_start(const init_start_facts& f);

struct init_runtime_done_facts {
  std::int64_t time_ms = 0;
  std::string initialization_type = "on-demand";
  std::string phase = "init";
  std::string status = "success";      // "success" | "error" | "failure" | "timeout"
  std::string error_type;              // "" : no errorType
};
json init_runtime_done(const init_runtime_done_facts& f);

struct init_report_facts {
  std::int64_t time_ms = 0;
  std::string initialization_type = "on-demand";
  std::string phase = "init";
  std::string status;                  // "" : no status (Lambda's documentation example has none)
  std::string error_type;
  double duration_ms = 0;
};
json init_report(const init_report_facts& f);

struct start_facts {
  std::int64_t time_ms = 0;
  std::string request_id;
  std::string version = "$LATEST";     // "" : no version
  std::string trace_id;                // Lambda-Runtime-Trace-Id; "" : no tracing
  std::string tenant_id;               // "" : no tenantId
};
json start(const start_facts& f);

struct span {
  std::string name;                    // "responseLatency" | "responseDuration"
  std::int64_t start_ms = 0;           // epoch ms
  double duration_ms = 0;
};

struct runtime_done_facts {
  std::int64_t time_ms = 0;
  std::string request_id;
  std::string status = "success";
  std::string error_type;
  std::optional<double> duration_ms;   // unset: no metrics
  std::optional<std::uint64_t> produced_bytes; // the response's size; unset: not in metrics
  std::vector<span> spans;
  std::string trace_id;
  std::string tenant_id;               // "" : no tenantId
};
json runtime_done(const runtime_done_facts& f);

struct report_facts {
  std::int64_t time_ms = 0;
  std::string request_id;
  std::string status = "success";
  std::string error_type;
  double duration_ms = 0;
  std::uint64_t billed_duration_ms = 0;
  std::uint32_t memory_size_mb = 128;
  std::uint32_t max_memory_used_mb = 0;
  std::optional<double> init_duration_ms;
  std::string trace_id;
  std::string tenant_id;               // "" : no tenantId
};
json report(const report_facts& f);
// The facts of a REPORT line's invocation record (status, error type, metrics, tenant), at time_ms.
report_facts report_facts_of(const invocation_record& r, std::int64_t time_ms, std::string trace_id = {});

struct extension_facts {
  std::int64_t time_ms = 0;
  std::string name;
  std::string state;                   // e.g. "Ready"
  std::vector<std::string> events;     // "INVOKE", "SHUTDOWN"
  std::string error_type;
};
json extension(const extension_facts& f);

struct subscription_facts {
  std::int64_t time_ms = 0;
  std::string name;
  std::string state = "Subscribed";
  std::vector<std::string> types;      // "platform", "function", "extension"
};
json telemetry_subscription(const subscription_facts& f);

// A log line of the function ("function") or of an extension ("extension"): the record is the line as a
// JSON string, or the line's object when the line is a JSON object (as Lambda's JSON format keeps it).
json function_log(std::int64_t time_ms, std::string_view line);
json extension_log(std::int64_t time_ms, std::string_view line);

// ---- Logs API (2020-08-15; 2021-03-18 adds platform.runtimeDone) -------------------------------------

json start_logs_api(const start_facts& f);                // record {requestId, version?}
json end_logs_api(std::int64_t time_ms, std::string_view request_id); // platform.end {requestId}
json report_logs_api(const report_facts& f);              // {requestId, metrics{...}}
json runtime_done_logs_api(const runtime_done_facts& f);  // {requestId, status}: schema 2021-03-18 only
json extension_logs_api(const extension_facts& f);        // {name, state, events}
json logs_subscription(const subscription_facts& f);      // platform.logsSubscription {name, state, types}
json fault_logs_api(std::int64_t time_ms, std::string_view text); // platform.fault, record: the text

// One event as one line of compact JSON (UTF-8 kept; invalid bytes replaced).
std::string to_line(const json& event);

} // namespace lemu::stats::events
