#include <lemu/app/run_outputs.hpp>
#include <lemu/app/test_outcome.hpp>

#include <lemu/core/exit_codes.hpp>
#include <lemu/report/html.hpp>

#include <cstdio>
#include <filesystem>
#include <unistd.h>

namespace lemu::app {

run_outputs::run_outputs(const run_options& options, output& out) : m_opt(options), m_out(out) {
  if (!options.record_file.empty()) m_record = std::make_unique<line_file>(options.record_file, line_file::mode::truncate);
  if (!options.json_report.empty()) m_json = std::make_unique<line_file>(options.json_report, line_file::mode::truncate);
}

run_outputs::~run_outputs() {
  for (auto& [source, u] : m_updates) {
    u.file.reset();
    std::remove(u.temporary.c_str()); // only finish() puts a rewrite in place
  }
}

void run_outputs::write_line(line_file& f, std::string_view line) {
  if (!f.write_line(line) && !f.error().empty()) m_out.log_line("lemu: " + f.error());
}

void run_outputs::add(const finished_invocation& s) {
  const stats::invocation_record& rec = s.record;
  if (m_json) write_line(*m_json, json_record(rec, to_test_case(rec, s.name, m_opt.replay, s.mismatch, s.diffs, s.line)).dump());
  if (m_record) {
    const std::string where = rec.line ? rec.source + ":" + std::to_string(rec.line) : rec.source;
    const capture_meta meta{s.name, where, iso8601_now(), stats::to_string(rec.status), rec.duration_ms, rec.tenant_id};
    write_line(*m_record, capture_line(s.payload, s.outcome, meta));
  }
  if (m_opt.update && s.capture != nullptr) {
    const capture_meta meta{{}, {}, iso8601_now(), stats::to_string(rec.status), rec.duration_ms, {}}; // tenant kept from the line
    write_line(update_stream(rec.source), updated_capture_line(*s.capture, s.outcome, meta));
  }
  if (!m_opt.junit_file.empty() || !m_opt.html_file.empty()) {
    report::test_case c = to_test_case(rec, s.name, m_opt.replay, s.mismatch, s.diffs, s.line);
    if (c.status != report::test_case::result::passed) m_failures.push_back(c);
    if (!m_opt.junit_file.empty()) m_cases.push_back(std::move(c));
  }
  if (!m_opt.html_file.empty() && m_html_records.size() < max_html_records) m_html_records.push_back(rec);
  if (s.mismatch) ++m_mismatches;
}

// --update writes each capture anew beside the file it is (symlinks followed), then renames it over that
// file at the end, with the original's permissions.
line_file& run_outputs::update_stream(const std::string& source) {
  auto it = m_updates.find(source);
  if (it == m_updates.end()) {
    update u;
    u.target = resolved_target(source);
    u.temporary = u.target + ".lemu-update-" + std::to_string(::getpid());
    u.file = std::make_unique<line_file>(u.temporary, line_file::mode::truncate);
    it = m_updates.emplace(source, std::move(u)).first;
  }
  return *it->second.file;
}

void run_outputs::finish_updates(bool interrupted) {
  for (auto& [source, u] : m_updates) {
    const bool written = u.file->error().empty();
    u.file.reset();
    std::string why;
    if (interrupted || !written) {
      std::remove(u.temporary.c_str()); // a partial rewrite never replaces a capture
    } else if (!replace_keeping(u.temporary, u.target, why)) {
      m_out.log_line("lemu: cannot replace " + source + " (" + why + "; the new capture is in " + u.temporary + ")");
    } else {
      m_out.log_line("lemu: updated " + source);
    }
  }
  m_updates.clear();
}

void run_outputs::write_reports(const stats::run_summary& summary) {
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  const std::string now = iso8601_now();
  std::string why;
  if (!m_opt.junit_file.empty()) {
    const std::string xml = report::render_junit(m_opt.replay ? "lemu replay" : "lemu run", m_cases, now.substr(0, 19), host);
    if (!write_atomically(m_opt.junit_file, xml, why)) m_out.log_line("lemu: " + why);
  }
  if (!m_opt.html_file.empty()) {
    report::html_input in;
    in.title = std::string(m_opt.replay ? "lemu replay " : "lemu run ") + m_opt.function.bootstrap.filename().string();
    in.generated_at = now;
    in.summary = summary.numbers();
    in.records = std::move(m_html_records);
    in.failures = std::move(m_failures);
    if (!write_atomically(m_opt.html_file, report::render_html(in), why)) m_out.log_line("lemu: " + why);
  }
}

void run_outputs::finish(bool interrupted, const stats::run_summary& summary) {
  finish_updates(interrupted);
  write_reports(summary);
}

// Inputs the run reads, and outputs it writes: no output may be an input, nor two outputs one file.
void check_output_files(const run_options& o, const events::event_plan& plan) {
  std::vector<named_path> inputs{{"the bootstrap", o.function.bootstrap.string()}};
  if (!o.env_file.empty()) inputs.push_back({"--env-file", o.env_file});
  const std::string input_option = o.replay ? "the capture" : "--event";
  for (const auto& f : plan.files()) {
    if (f.display_name != "-") inputs.push_back({input_option, f.path.rfind("/proc/self/fd/", 0) == 0 ? f.display_name : f.path});
  }
  std::vector<named_path> outputs;
  if (!o.record_file.empty()) outputs.push_back({"--record", o.record_file});
  if (!o.json_report.empty()) outputs.push_back({"--json", o.json_report});
  if (!o.junit_file.empty()) outputs.push_back({"--junit", o.junit_file});
  if (!o.html_file.empty()) outputs.push_back({"--html", o.html_file});
  refuse_overlaps(inputs, outputs);
}

} // namespace lemu::app
