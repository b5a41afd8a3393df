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

environment_log::environment_log(output& out, const core::function_config& fn, bool keep_tail)
    : m_out(out), m_version(fn.version), m_keep_tail(keep_tail), m_thresholds(fn.log_thresholds()), m_region(fn.region),
      m_function_name(fn.function_name), m_created_ms(util::epoch_ms()),
      m_initialization_type(fn.per_environment_concurrency > 0 ? "lambda-managed-instances" : "on-demand") {}

void environment_log::write(std::string_view line) {
  m_out.log_line(line);
  if (!m_keep_tail) return;
  m_tail.append(line);
  m_tail.push_back('\n');
  // Only the last tail_bytes can be returned: drop the front now and then (amortised).
  if (m_tail.size() > 4 * tail_bytes) m_tail.erase(0, m_tail.size() - tail_bytes);
}

bool environment_log::wants_events() const { return m_thresholds.format == core::log_format::json || m_sink; }

void environment_log::emit(const ev::json& event, const ev::json* logs_form, telemetry::category cat) {
  const auto& type = event["type"].get_ref<const std::string&>();
  if (m_thresholds.format == core::log_format::json && core::passes(ev::system_level_of(type), m_thresholds.system)) {
    write(ev::to_line(event));
  }
  if (m_sink) m_sink(telemetry::event{cat, type, event.dump(), logs_form ? logs_form->dump() : std::string()});
}

void environment_log::write_init_start(std::int64_t time_ms, std::string_view phase) {
  const std::string arn = stats::runtime_version_arn(m_region);
  if (m_thresholds.format == core::log_format::text) write(stats::init_start_line(stats::runtime_version, arn));
  if (!wants_events()) return;
  ev::init_start_facts f;
  f.time_ms = time_ms;
  f.phase = phase;
  f.runtime_version = stats::runtime_version;
  f.runtime_version_arn = arn;
  f.function_name = m_function_name;
  f.function_version = m_version;
  f.initialization_type = m_initialization_type;
  emit(ev::init_start(f), nullptr);
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

void environment_log::function_line(std::string_view line) { program_line(line, telemetry::category::function); }
void environment_log::extension_line(std::string_view line) { program_line(line, telemetry::category::extension); }

void environment_log::program_line(std::string_view line, telemetry::category cat) {
  ensure_init_start();
  const bool own = line.rfind("lemu: ", 0) == 0;
  if (m_thresholds.format == core::log_format::json && !own &&
      !core::passes(function_line_level(line), m_thresholds.application)) {
    return;
  }
  write(line);
  if (!m_sink || own) return;
  const std::int64_t now = util::epoch_ms();
  const ev::json e = cat == telemetry::category::function ? ev::function_log(now, line) : ev::extension_log(now, line);
  m_sink(telemetry::event{cat, cat == telemetry::category::function ? "function" : "extension", e.dump(), e.dump()});
}

void environment_log::platform_event(const ev::json& event, const ev::json* logs_form) {
  if (!m_sink) return;
  const auto& type = event["type"].get_ref<const std::string&>();
  m_sink(telemetry::event{telemetry::category::platform, type, event.dump(), logs_form ? logs_form->dump() : std::string()});
}

void environment_log::init_done(double init_ms, std::string_view phase) {
  ensure_init_start();
  if (!wants_events()) return;
  const std::int64_t now = util::epoch_ms();
  ev::init_runtime_done_facts done;
  done.initialization_type = m_initialization_type;
  done.time_ms = now;
  done.phase = phase;
  done.status = "success";
  emit(ev::init_runtime_done(done), nullptr);
  ev::init_report_facts report;
  report.initialization_type = m_initialization_type;
  report.time_ms = now;
  report.phase = phase;
  report.status = "success";
  report.duration_ms = init_ms;
  emit(ev::init_report(report), nullptr);
}

void environment_log::start(std::string_view request_id, std::string_view trace_id) {
  ensure_init_start();
  if (m_open.find(request_id) != m_open.end()) return;
  m_open.emplace(std::string(request_id), std::string(trace_id));
  if (m_thresholds.format == core::log_format::text) write(stats::start_line(request_id, m_version));
  if (!wants_events()) return;
  ev::start_facts f;
  f.time_ms = util::epoch_ms();
  f.request_id = request_id;
  f.version = m_version;
  f.trace_id = trace_id;
  f.tenant_id = m_tenant_id;
  const ev::json logs = ev::start_logs_api(f);
  emit(ev::start(f), &logs);
}

void environment_log::init_report(double init_ms, std::string_view phase, std::string_view status,
                                  std::string_view error_type) {
  ensure_init_start();
  if (m_thresholds.format == core::log_format::text) write(stats::init_report_line(init_ms, phase, status, error_type));
  if (!wants_events()) return;
  const std::int64_t now = util::epoch_ms();
  ev::init_runtime_done_facts done;
  done.initialization_type = m_initialization_type;
  done.time_ms = now;
  done.phase = phase;
  done.status = status;
  done.error_type = error_type;
  emit(ev::init_runtime_done(done), nullptr);
  ev::init_report_facts report;
  report.initialization_type = m_initialization_type;
  report.time_ms = now;
  report.phase = phase;
  report.status = status;
  report.error_type = error_type;
  report.duration_ms = init_ms;
  emit(ev::init_report(report), nullptr);
}

void environment_log::fault(const core::outcome& o) {
  ensure_init_start();
  if (m_thresholds.format == core::log_format::text) {
    write(stats::fault_line(o));
    if (!m_sink) return;
  }
  // The Telemetry API has no fault event (the runtimeDone and report that follow carry the error); the
  // Logs API has platform.fault. JSON log format prints it (lemu's choice).
  const ev::json e = ev::fault_logs_api(util::epoch_ms(), stats::fault_line(o));
  if (m_thresholds.format == core::log_format::json && core::passes(ev::system_level_of("platform.fault"), m_thresholds.system))
    write(ev::to_line(e));
  if (m_sink) m_sink(telemetry::event{telemetry::category::platform, "platform.fault", std::string(), e.dump()});
}

std::string environment_log::end(const stats::invocation_record& r, const invocation_extras& extras) {
  start(r.request_id, extras.trace_id);
  const auto open = m_open.find(r.request_id);
  const std::string trace_id = open->second.empty() ? extras.trace_id : open->second;
  m_open.erase(open);
  if (m_thresholds.format == core::log_format::text) {
    write(stats::end_line(r.request_id));
    write(stats::report_line(r));
  }
  if (wants_events()) {
    const std::int64_t now = util::epoch_ms();
    ev::report_facts report = ev::report_facts_of(r, now, trace_id);
    if (report.tenant_id.empty()) report.tenant_id = m_tenant_id;
    ev::runtime_done_facts done;
    done.time_ms = now;
    done.request_id = r.request_id;
    done.status = report.status;
    done.error_type = report.error_type;
    done.duration_ms = extras.runtime_duration_ms.value_or(r.duration_ms);
    done.produced_bytes = extras.produced_bytes;
    done.spans = extras.spans;
    done.trace_id = trace_id;
    done.tenant_id = report.tenant_id;
    const ev::json done_logs = ev::runtime_done_logs_api(done);
    emit(ev::runtime_done(done), &done_logs);
    if (m_sink) {
      const ev::json end_logs = ev::end_logs_api(now, r.request_id);
      m_sink(telemetry::event{telemetry::category::platform, "platform.end", std::string(), end_logs.dump()});
    }
    const ev::json report_logs = ev::report_logs_api(report);
    emit(ev::report(report), &report_logs);
  }
  std::string tail = std::move(m_tail);
  m_tail.clear();
  if (tail.size() > tail_bytes) tail.erase(0, tail.size() - tail_bytes);
  return tail;
}

void environment_log::abandon() {
  m_open.clear();
  m_tail.clear();
}

} // namespace lemu::app
