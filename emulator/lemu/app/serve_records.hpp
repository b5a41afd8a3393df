#pragma once
// What `lemu serve` keeps of every finished invocation: its function's summary and environment rows,
// the --json record and the --record capture line (secrets redacted unless --record-secrets), each line
// on disk as its invocation ends.

#include <lemu/app/files.hpp>
#include <lemu/app/invoke_result.hpp>
#include <lemu/app/output.hpp>
#include <lemu/stats/environments.hpp>
#include <lemu/stats/summary.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace lemu::app {

// The statistics of one function behind the server.
struct function_statistics {
  explicit function_statistics(std::uint32_t memory_size_mb) : summary(memory_size_mb) {}
  std::size_t next_index = 0;
  stats::run_summary summary;
  stats::environment_summary environments;
};

// Where an invocation came from and what it carried.
struct invocation_meta {
  std::string source;  // "invoke NAME" or "GET /items/42"
  std::string payload; // the event, kept only when recording
};

class serve_records {
public:
  // Opens --record (appending) and --json. Throws core::usage_error when it cannot.
  serve_records(const std::string& record_file, const std::string& json_report, bool keep_secrets, output& out);

  // The event must be kept for --record.
  bool records_events() const { return static_cast<bool>(m_record); }

  // Adds a finished invocation of a function of `memory_size_mb` to `stats`, the JSON report and the capture.
  void add(function_statistics& stats, std::uint32_t memory_size_mb, const invocation_meta& meta, const invoke_result& r);

private:
  void record(const invocation_meta& meta, const invoke_result& r, const stats::invocation_record& rec);
  void write_line(line_file& f, std::string_view line);

  bool m_keep_secrets;
  output& m_out;
  std::unique_ptr<line_file> m_record, m_json;
  const std::chrono::steady_clock::time_point m_started = std::chrono::steady_clock::now();
};

} // namespace lemu::app
