#include <lemu/app/environment_log.hpp>

#include <lemu/stats/platform_log.hpp>

namespace lemu::app {

void environment_log::write(std::string_view line) {
  m_out.log_line(line);
  if (!m_keep_tail) return;
  m_tail.append(line);
  m_tail.push_back('\n');
  // Only the last tail_bytes can be returned: drop the front now and then (amortised).
  if (m_tail.size() > 4 * tail_bytes) m_tail.erase(0, m_tail.size() - tail_bytes);
}

void environment_log::start(std::string_view request_id) {
  if (m_started && m_request_id == request_id) return;
  m_started = true;
  m_request_id = request_id;
  write(stats::start_line(request_id, m_version));
}

void environment_log::init_report(double init_ms, std::string_view phase, std::string_view status,
                                  std::string_view error_type) {
  write(stats::init_report_line(init_ms, phase, status, error_type));
}

void environment_log::fault(const core::outcome& o) { write(stats::fault_line(o)); }

std::string environment_log::end(const stats::invocation_record& r) {
  start(r.request_id);
  write(stats::end_line(r.request_id));
  write(stats::report_line(r));
  m_started = false;
  std::string tail = std::move(m_tail);
  m_tail.clear();
  if (tail.size() > tail_bytes) tail.erase(0, tail.size() - tail_bytes);
  return tail;
}

void environment_log::abandon() {
  m_started = false;
  m_tail.clear();
}

} // namespace lemu::app
