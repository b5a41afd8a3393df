#pragma once
// The one writer of an execution environment's log: the function's own lines and Lambda's platform lines
// (formats in stats/platform_log.hpp and stats/platform_events.hpp), to stderr as they come, and, when
// asked (lemu serve's X-Amz-Log-Type: Tail), into the invocation's tail. It guarantees Lambda's order for
// each invocation: START before anything that ends it (END always follows a START, even when the
// invocation never reached the runtime: an init that failed or timed out), then END, then REPORT; and
// INIT_START before anything else of the environment.
//
// Two formats (Lambda's LogFormat, from core::function_config):
//   text  INIT_START, START, END, REPORT, INIT_REPORT (failed init only) and the fault line, as Lambda
//         prints them; nothing is filtered.
//   json  one JSON object per platform line, {"time","type","record"} as the Telemetry API has them:
//           INIT_START   -> platform.initStart                              (INFO)
//           init done    -> platform.initRuntimeDone (DEBUG), platform.initReport (INFO)   [init_done()]
//           INIT_REPORT  -> platform.initRuntimeDone (DEBUG), platform.initReport (INFO)
//           START        -> platform.start                                  (INFO)
//           fault line   -> platform.fault, record: the fault text          (WARN; lemu's choice)
//           END          -> nothing (Lambda's JSON format has no END)
//           REPORT       -> platform.runtimeDone (DEBUG), then platform.report (INFO)
//         An event is printed when its level is at least the system log level (DEBUG shows all, INFO all
//         but the DEBUG ones, WARN only platform.fault). The function's lines are printed as they are
//         (not wrapped); one that is a JSON object with a "level" (TRACE..FATAL, any case) below the
//         application log level is dropped; any other line counts as INFO. lemu's own diagnostics
//         ("lemu: ...") are never dropped.

#include <lemu/app/output.hpp>
#include <lemu/core/function_config.hpp>
#include <lemu/core/invocation.hpp>
#include <lemu/core/log_config.hpp>
#include <lemu/stats/platform_events.hpp>
#include <lemu/stats/record.hpp>
#include <lemu/telemetry/hub.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lemu::app {

// What platform.runtimeDone says beyond the invocation record; all optional.
struct invocation_extras {
  std::optional<std::uint64_t> produced_bytes;  // the response's size in bytes
  std::vector<stats::events::span> spans;       // responseLatency, responseDuration
  std::optional<double> runtime_duration_ms;    // platform.runtimeDone's duration when extensions ran after it
  std::string trace_id;                         // when start() was not given it
};

class environment_log {
public:
  static constexpr std::size_t tail_bytes = 4096; // what X-Amz-Log-Result returns

  // Format, levels, version, region and function name from the function's configuration.
  environment_log(output& out, const core::function_config& fn, bool keep_tail);

  // Every platform event, function and extension line also goes, as the Telemetry API's object (and the
  // Logs API's, when it has one), to this sink (the environment's telemetry), in both formats.
  using event_sink = std::function<void(telemetry::event)>;
  void set_event_sink(event_sink sink) { m_sink = std::move(sink); }
  // A platform event only telemetry hears (platform.extension, platform.telemetrySubscription).
  void platform_event(const stats::events::json& event, const stats::events::json* logs_form);
  // The current invocation's tail so far (what end() would return without END and REPORT).
  std::string tail_so_far() const {
    return m_tail.size() > tail_bytes ? m_tail.substr(m_tail.size() - tail_bytes) : m_tail;
  }
  // A line an extension wrote (printed like the function's; telemetry type "extension").
  void extension_line(std::string_view line);

  // A line the runtime (or anything it started) wrote; with JSON, filtered by the application log level.
  void function_line(std::string_view line);
  // INIT_START Runtime Version: ... / platform.initStart, now. Phase "init", or "invoke" for the init
  // Lambda re-runs within an invocation (a suppressed init). When nobody calls it, the environment's first
  // line is preceded by one for phase "init" dated when the log was made (the environment's start).
  void init_start(std::string_view phase = "init");
  // Init finished (the runtime's first /next): with JSON, platform.initRuntimeDone (success) and
  // platform.initReport; with text nothing (Lambda prints INIT_REPORT only for a failed init).
  void init_done(double init_ms, std::string_view phase = "init");
  // The tenant of the invocations that follow (tenant isolation; "" for none): platform.start,
  // platform.runtimeDone and platform.report carry it as tenantId.
  void set_tenant(std::string tenant_id) { m_tenant_id = std::move(tenant_id); }
  // START RequestId: <id> Version: <version> (once per invocation). trace_id: platform.start's tracing.
  void start(std::string_view request_id, std::string_view trace_id = {});
  // INIT_REPORT for an init that failed or timed out (phase "init", or "invoke" for a suppressed init).
  void init_report(double init_ms, std::string_view phase, std::string_view status, std::string_view error_type);
  // Lambda's fault line for a platform error (timeout, exit, out of memory).
  void fault(const core::outcome& o);
  // END and REPORT (JSON: platform.runtimeDone and platform.report); START first if it was not written.
  // Returns the invocation's tail (the lines since the previous invocation ended, a cold start's init
  // output included, at most tail_bytes) when it keeps one.
  std::string end(const stats::invocation_record& r, const invocation_extras& extras = {});
  // The invocation ended without END or REPORT (lemu stopped it): the next one starts afresh.
  void abandon();

  core::log_format format() const { return m_thresholds.format; }

private:
  void write(std::string_view line);
  void ensure_init_start();
  void write_init_start(std::int64_t time_ms, std::string_view phase);
  bool wants_events() const; // JSON format, or a telemetry sink
  // Prints the event (JSON format) when the system log level lets it through, and gives it to the sink.
  void emit(const stats::events::json& event, const stats::events::json* logs_form,
            telemetry::category cat = telemetry::category::platform);
  void program_line(std::string_view line, telemetry::category cat);

  output& m_out;
  std::string m_version;
  bool m_keep_tail;
  core::log_thresholds m_thresholds;
  std::string m_region;
  std::string m_function_name;
  std::int64_t m_created_ms;
  bool m_init_started = false; // INIT_START written for the environment's first init
  // The invocations START was written for and END not yet (one, or several under Lambda Managed
  // Instances): request id -> trace id.
  std::map<std::string, std::string, std::less<>> m_open;
  std::string m_initialization_type; // platform.initStart's initializationType
  std::string m_tenant_id;
  std::string m_tail;
  event_sink m_sink;
};

// The level a function's line has for application log-level filtering: its "level" when it is a JSON
// object with a valid one (TRACE, DEBUG, INFO, WARN, ERROR, FATAL in any case), INFO otherwise.
core::log_level function_line_level(std::string_view line);

} // namespace lemu::app
