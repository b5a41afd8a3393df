#pragma once
// The one writer of an execution environment's log: the function's own lines and Lambda's platform lines
// (formats in stats/platform_log.hpp), to stderr as they come, and, when asked (lemu serve's
// X-Amz-Log-Type: Tail), into the invocation's tail. It guarantees Lambda's order for each invocation:
// START before anything that ends it (END always follows a START, even when the invocation never
// reached the runtime: an init that failed or timed out), then END, then REPORT.

#include <lemu/app/output.hpp>
#include <lemu/core/invocation.hpp>
#include <lemu/stats/record.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace lemu::app {

class environment_log {
public:
  static constexpr std::size_t tail_bytes = 4096; // what X-Amz-Log-Result returns

  environment_log(output& out, std::string version, bool keep_tail)
      : m_out(out), m_version(std::move(version)), m_keep_tail(keep_tail) {}

  // A line the runtime (or anything it started) wrote.
  void function_line(std::string_view line) { write(line); }
  // START RequestId: <id> Version: <version> (once per invocation).
  void start(std::string_view request_id);
  // INIT_REPORT for an init that failed or timed out (phase "init", or "invoke" for a suppressed init).
  void init_report(double init_ms, std::string_view phase, std::string_view status, std::string_view error_type);
  // Lambda's fault line for a platform error (timeout, exit, out of memory).
  void fault(const core::outcome& o);
  // END and REPORT; START first if it was not written. Returns the invocation's tail (the lines since the
  // previous invocation ended, a cold start's init output included, at most tail_bytes) when it keeps one.
  std::string end(const stats::invocation_record& r);
  // The invocation ended without END or REPORT (lemu stopped it): the next one starts afresh.
  void abandon();

private:
  void write(std::string_view line);

  output& m_out;
  std::string m_version;
  bool m_keep_tail;
  bool m_started = false; // START written for the current invocation
  std::string m_request_id;
  std::string m_tail;
};

} // namespace lemu::app
