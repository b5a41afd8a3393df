#include <lemu/app/environment_log.hpp>

#include <lemu/stats/platform_log.hpp>
#include <lemu/util/text.hpp>
#include <lemu/util/time.hpp>

#include <nlohmann/json.hpp>

namespace lemu::app {

namespace ev = stats::events;

core::log_level function_line_level(std::string_view line) {
  const std::string_view trimmed = util::trim(line);
  if (trimmed.size() < 2 || trimmed.front() != '{' || trimmed.back() != '}') return core::log_level::info;
  const auto parsed = nlohmann::json::parse(trimmed.begin(), trimmed.end(), nullptr, false);
  if (!parsed.is_object()) return core::log_level::info;
  const auto it = parsed.find("level");
  if (it == parsed.end() || !it->is_string()) return core::log_level::info;
  return core::parse_log_level(it->get_ref<const std::string&>()).value_or(core::log_level::info);
}

environment_log::environment_log(output& out, std::string version, bool keep_tail)
    : m_out(out), m_version(std::move(version)), m_keep_tail(keep_tail),
      m_thresholds(out.log_defaults_for_environments().thresholds), m_region(out.log_defaults_for_environments().region),
      m_function_name(out.log_defaults_for_environments().function_name), m_created_ms(util::epoch_ms()) {}

environment_log::environment_log(output& out, const core::function_config& fn, bool keep_tail)
    : m_out(out), m_version(fn.version), m_keep_tail(keep_tail), m_thresholds(fn.log_thresholds()), m_region(fn.region),
      m_function_name(fn.function_name), m_created_ms(util::epoch_ms()) {}

void environment_log::write(std::string_view line) {
  m_out.log_line(line);
  if (!m_keep_tail) return;
  m_tail.append(line);
  m_tail.push_back('\n');
  // Only the last tail_bytes can be returned: drop the front now and then (amortised).
  if (m_tail.size() > 4 * tail_bytes) m_tail.erase(0, m_tail.size() - tail_bytes);
}

void environment_log::write_event(const ev::json& event) {
  const auto& type = event["type"].get_ref<const std::string&>();
  if (!core::passes(ev::system_level_of(type), m_thresholds.system)) return;
  write(ev::to_line(event));
}

void environment_log::write_init_start(std::int64_t time_ms, std::string_view phase) {
  const std::string arn = stats::runtime_version_arn(m_region);
  if (m_thresholds.format == core::log_format::text) {
    write(stats::init_start_line(stats::runtime_version, arn));
    return;
  }
  ev::init_start_facts f;
  f.time_ms = time_ms;
  f.phase = phase;
  f.runtime_version = stats::runtime_version;
  f.runtime_version_arn = arn;
  f.function_name = m_function_name;
  f.function_version = m_version;
  write_event(ev::init_start(f));
}

void environment_log::ensure_init_start() {
  if (m_init_started) return;
  m_init_started = true;
  write_init_start(m_created_ms, "init");
}

void environment_log::init_start(std::string_view phase) {
  m_init_started = true;
  write_init_start(util::epoch_ms(), phase);
}

void environment_log::function_line(std::string_view line) {
  ensure_init_start();
  if (m_thresholds.format == core::log_format::json && line.rfind("lemu: ", 0) != 0 &&
      !core::passes(function_line_level(line), m_thresholds.application)) {
    return;
  }
  write(line);
}

void environment_log::init_done(double init_ms, std::string_view phase) {
  ensure_init_start();
  if (m_thresholds.format == core::log_format::text) return;
  const std::int64_t now = util::epoch_ms();
  ev::init_runtime_done_facts done;
  done.time_ms = now;
  done.phase = phase;
  write_event(ev::init_runtime_done(done));
  ev::init_report_facts report;
  report.time_ms = now;
  report.phase = phase;
  report.status = "success";
  report.duration_ms = init_ms;
  write_event(ev::init_report(report));
}

void environment_log::start(std::string_view request_id, std::string_view trace_id) {
  ensure_init_start();
  if (m_started && m_request_id == request_id) return;
  m_started = true;
  m_request_id = request_id;
  m_trace_id = trace_id;
  if (m_thresholds.format == core::log_format::text) {
    write(stats::start_line(request_id, m_version));
    return;
  }
  ev::start_facts f;
  f.time_ms = util::epoch_ms();
  f.request_id = request_id;
  f.version = m_version;
  f.trace_id = trace_id;
  write_event(ev::start(f));
}

void environment_log::init_report(double init_ms, std::string_view phase, std::string_view status,
                                  std::string_view error_type) {
  ensure_init_start();
  if (m_thresholds.format == core::log_format::text) {
    write(stats::init_report_line(init_ms, phase, status, error_type));
    return;
  }
  const std::int64_t now = util::epoch_ms();
  ev::init_runtime_done_facts done;
  done.time_ms = now;
  done.phase = phase;
  done.status = status;
  done.error_type = error_type;
  write_event(ev::init_runtime_done(done));
  ev::init_report_facts report;
  report.time_ms = now;
  report.phase = phase;
  report.status = status;
  report.error_type = error_type;
  report.duration_ms = init_ms;
  write_event(ev::init_report(report));
}

void environment_log::fault(const core::outcome& o) {
  ensure_init_start();
  if (m_thresholds.format == core::log_format::text) {
    write(stats::fault_line(o));
    return;
  }
  write_event(ev::fault_logs_api(util::epoch_ms(), stats::fault_line(o)));
}

std::string environment_log::end(const stats::invocation_record& r, const invocation_extras& extras) {
  start(r.request_id, extras.trace_id);
  const std::string& trace_id = m_trace_id.empty() ? extras.trace_id : m_trace_id;
  if (m_thresholds.format == core::log_format::text) {
    write(stats::end_line(r.request_id));
    write(stats::report_line(r));
  } else {
    const std::int64_t now = util::epoch_ms();
    ev::report_facts report = ev::report_facts_of(r, now, trace_id);
    ev::runtime_done_facts done;
    done.time_ms = now;
    done.request_id = r.request_id;
    done.status = report.status;
    done.error_type = report.error_type;
    done.duration_ms = r.duration_ms;
    done.produced_bytes = extras.produced_bytes;
    done.spans = extras.spans;
    done.trace_id = trace_id;
    write_event(ev::runtime_done(done));
    write_event(ev::report(report));
  }
  m_started = false;
  m_trace_id.clear();
  std::string tail = std::move(m_tail);
  m_tail.clear();
  if (tail.size() > tail_bytes) tail.erase(0, tail.size() - tail_bytes);
  return tail;
}

void environment_log::abandon() {
  m_started = false;
  m_trace_id.clear();
  m_tail.clear();
}

} // namespace lemu::app
