#include <lemu/app/serve_records.hpp>

#include <lemu/app/capture.hpp>
#include <lemu/app/invocation_record.hpp>
#include <lemu/gateway/redact.hpp>
#include <lemu/util/json_text.hpp>

#include <nlohmann/json.hpp>

namespace lemu::app {

serve_records::serve_records(const std::string& record_file, const std::string& json_report, bool keep_secrets, output& out)
    : m_keep_secrets(keep_secrets), m_out(out) {
  if (!record_file.empty()) m_record = std::make_unique<line_file>(record_file, line_file::mode::append);
  if (!json_report.empty()) m_json = std::make_unique<line_file>(json_report, line_file::mode::truncate);
}

void serve_records::add(function_statistics& stats, std::uint32_t memory_size_mb, const invocation_meta& meta,
                        const invoke_result& r) {
  stats::invocation_record rec;
  rec.index = stats.next_index++;
  rec.source = meta.source;
  fill_record(rec, r, memory_size_mb, m_started);
  if (r.memory_method[0] != '\0') stats.summary.set_memory_method(r.memory_method);
  stats.summary.add(rec);
  stats.environments.add(rec);
  if (m_json) write_line(*m_json, stats::to_json(rec).dump());
  if (m_record) record(meta, r, rec);
  m_out.invocation_finished();
}

// Secrets are redacted in the event and in the outcome (a function may echo them), so that a replay of
// the capture (the redacted event) gives what was recorded.
void serve_records::record(const invocation_meta& meta, const invoke_result& r, const stats::invocation_record& rec) {
  std::string event = meta.payload;
  core::outcome outcome = r.outcome;
  if (!m_keep_secrets) {
    const auto redact = [](std::string& json_text) {
      if (!util::is_valid_json(json_text)) return; // not JSON, or too deep to hold safely: nothing to redact
      auto doc = nlohmann::ordered_json::parse(json_text, nullptr, false);
      if (!doc.is_discarded() && gateway::redact_secrets(doc) > 0) json_text = doc.dump();
    };
    redact(event);
    redact(outcome.payload);
  }
  const capture_meta cm{meta.source, "serve", iso8601_now(), stats::to_string(rec.status), rec.duration_ms, r.tenant_id};
  write_line(*m_record, capture_line(event, outcome, cm));
}

void serve_records::write_line(line_file& f, std::string_view line) {
  if (!f.write_line(line) && !f.error().empty()) m_out.log_line("lemu: " + f.error());
}

} // namespace lemu::app
