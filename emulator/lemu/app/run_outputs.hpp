#pragma once
// What a run writes besides stdout and stderr: the capture (--record), the JSON report (--json), the
// rewritten captures of a replay (--update), and the JUnit and HTML reports. Fed one finished invocation
// at a time, in input order. Every line is written whole (files.hpp); the reports replace their files in
// one rename at the end; an --update rewrite replaces each capture only when the whole run finished.

#include <lemu/app/capture.hpp>
#include <lemu/app/files.hpp>
#include <lemu/app/output.hpp>
#include <lemu/app/run_command.hpp>
#include <lemu/compare/json_diff.hpp>
#include <lemu/events/source.hpp>
#include <lemu/report/junit.hpp>
#include <lemu/stats/record.hpp>
#include <lemu/stats/summary.hpp>

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lemu::app {

struct finished_invocation {
  const stats::invocation_record& record;
  const std::string& name;        // the event in diffs and reports
  const std::string& payload;     // the event as sent (kept only with --record)
  const core::outcome& outcome;
  const capture_entry* capture;   // replay: the capture line; nullptr otherwise
  const std::vector<compare::difference>& diffs;
  bool mismatch;                  // replay: differs from the capture, or failed with nothing recorded
  const std::string& line;        // the stdout line
};

class run_outputs {
public:
  // Opens --record and --json. Throws core::usage_error when it cannot.
  run_outputs(const run_options& options, output& out);
  ~run_outputs();

  void add(const finished_invocation& f);
  // Ends the run: replaces the captures with their rewrites (unless interrupted) and writes the reports.
  void finish(bool interrupted, const stats::run_summary& summary);

  std::size_t mismatches() const { return m_mismatches; }

private:
  struct update {
    std::string target;                // the capture file (symlinks followed)
    std::string temporary;             // its rewrite, beside it
    std::unique_ptr<line_file> file;
  };
  line_file& update_stream(const std::string& capture);
  void finish_updates(bool interrupted);
  void write_reports(const stats::run_summary& summary);
  void write_line(line_file& f, std::string_view line);

  static constexpr std::size_t max_html_records = 5000;

  const run_options& m_opt;
  output& m_out;
  std::unique_ptr<line_file> m_record, m_json;
  std::map<std::string, update> m_updates; // --update: capture file -> its rewrite
  std::vector<report::test_case> m_cases;  // --junit
  std::vector<report::test_case> m_failures; // --html
  std::vector<stats::invocation_record> m_html_records;
  std::size_t m_mismatches = 0;
};

// Inputs the run reads and outputs it writes: throws core::usage_error when an output is an input, or two
// outputs are one file (files.hpp refuse_overlaps).
void check_output_files(const run_options& o, const events::event_plan& plan);

} // namespace lemu::app
