#include <lemu/app/run_outputs.hpp>
#include <lemu/app/test_outcome.hpp>

#include <lemu/report/html.hpp>

#include <cstdio>
#include <filesystem>
#include <unistd.h>

namespace lemu::app {

run_outputs::run_outputs(const run_options& options, output& out) : m_opt(options), m_out(out) {
  if (!options.record_file.empty()) {
    m_record.open(options.record_file, std::ios::out | std::ios::trunc);
    if (!m_record) throw usage_error(options.record_file + ": cannot open for writing");
  }
}

void run_outputs::add(const finished_invocation& s) {
const stats::invocation_record& rec = s.record;
  if (m_record.is_open()) {
    capture_meta meta{{}, rec.line ? rec.source + ":" + std::to_string(rec.line) : rec.source, iso8601_now(),
                      stats::to_string(rec.status), rec.duration_ms};
    m_record << capture_line(s.payload, s.outcome, meta) << '\n';
  }
  if (m_opt.update && s.capture != nullptr) {
    nlohmann::ordered_json line = s.capture->line;
    line.erase("response");
    line.erase("error");
    line[s.outcome.ok() ? "response" : "error"] = outcome_value(s.outcome);
    nlohmann::ordered_json& meta = line["meta"];
    if (!meta.is_object()) meta = nlohmann::ordered_json::object();
    meta["time"] = iso8601_now();
    meta["status"] = stats::to_string(rec.status);
    meta["duration_ms"] = rec.duration_ms;
    update_stream(rec.source) << line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << '\n';
  }
  if (!m_opt.junit_file.empty() || !m_opt.html_file.empty()) {
    report::test_case c = to_test_case(rec, s.name, m_opt.replay, s.mismatch, s.diffs, s.line);
    if (c.status != report::test_case::result::passed) m_failures.push_back(c);
    if (!m_opt.junit_file.empty()) m_cases.push_back(std::move(c));
  }
  if (!m_opt.html_file.empty() && m_html_records.size() < max_html_records) m_html_records.push_back(rec);
  if (s.mismatch) ++m_mismatches;
}

// --update writes each capture file anew beside it, then renames it over the original at the end.
std::ofstream& run_outputs::update_stream(const std::string& source) {
  auto it = m_updates.find(source);
  if (it == m_updates.end()) {
    it = m_updates.emplace(source, std::ofstream(source + ".lemu-update", std::ios::out | std::ios::trunc)).first;
    if (!it->second) throw usage_error(source + ".lemu-update: cannot open for writing");
  }
  return it->second;
}

void run_outputs::finish_updates(bool interrupted) {
  for (auto& [source, stream] : m_updates) {
    stream.close();
    const std::string tmp = source + ".lemu-update";
    if (interrupted || !stream) {
      std::remove(tmp.c_str()); // a partial rewrite never replaces a capture
    } else if (std::rename(tmp.c_str(), source.c_str()) != 0) {
      m_out.log_line("lemu: cannot replace " + source + " (the new capture is in " + tmp + ")");
    } else {
      m_out.log_line("lemu: updated " + source);
    }
  }
}

void run_outputs::write_reports(const stats::run_summary& summary) {
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  const std::string now = iso8601_now();
  if (!m_opt.junit_file.empty()) {
    std::ofstream f(m_opt.junit_file, std::ios::out | std::ios::trunc);
    f << report::render_junit(m_opt.replay ? "lemu replay" : "lemu run", m_cases, now.substr(0, 19), host);
    if (!f) m_out.log_line("lemu: cannot write " + m_opt.junit_file);
  }
  if (!m_opt.html_file.empty()) {
    report::html_input in;
    in.title = std::string(m_opt.replay ? "lemu replay " : "lemu run ") + m_opt.function.bootstrap.filename().string();
    in.generated_at = now;
    in.summary = &summary;
    in.records = std::move(m_html_records);
    in.failures = std::move(m_failures);
    std::ofstream f(m_opt.html_file, std::ios::out | std::ios::trunc);
    f << report::render_html(in);
    if (!f) m_out.log_line("lemu: cannot write " + m_opt.html_file);
  }
}


void run_outputs::finish(bool interrupted, const stats::run_summary& summary) {
  finish_updates(interrupted);
  write_reports(summary);
  if (m_record.is_open()) m_record.flush();
}

} // namespace lemu::app
