#include <lemu/stats/platform_events.hpp>

#include <lemu/util/time.hpp>

#include <cmath>

namespace lemu::stats::events {

namespace {

double rounded(double value, double scale) {
  if (!std::isfinite(value)) return 0.0;
  return std::round(value * scale) / scale;
}
double ms2(double value) { return rounded(value, 100.0); }
double ms3(double value) { return rounded(value, 1000.0); }

json event(std::int64_t time_ms, std::string_view type, json record) {
  json e = json::object();
  e["time"] = event_time(time_ms);
  e["type"] = std::string(type);
  e["record"] = std::move(record);
  return e;
}

void put_if(json& o, const char* key, const std::string& value) {
  if (!value.empty()) o[key] = value;
}

void put_tracing(json& o, const std::string& trace_id) {
  if (trace_id.empty()) return;
  json t = json::object();
  t["type"] = "X-Amzn-Trace-Id";
  t["value"] = trace_id;
  o["tracing"] = std::move(t);
}

json report_metrics(const report_facts& f) {
  json m = json::object();
  m["durationMs"] = ms2(f.duration_ms);
  m["billedDurationMs"] = f.billed_duration_ms;
  m["memorySizeMB"] = f.memory_size_mb;
  m["maxMemoryUsedMB"] = f.max_memory_used_mb;
  if (f.init_duration_ms) m["initDurationMs"] = ms2(*f.init_duration_ms);
  return m;
}

json log_record(std::string_view line) {
  if (!line.empty() && line.front() == '{') {
    json parsed = json::parse(line.begin(), line.end(), nullptr, false);
    if (parsed.is_object()) return parsed;
  }
  return json(std::string(line));
}

json extension_record(const extension_facts& f, bool with_error) {
  json r = json::object();
  r["name"] = f.name;
  r["state"] = f.state;
  r["events"] = f.events;
  if (with_error) put_if(r, "errorType", f.error_type);
  return r;
}

json subscription_record(const subscription_facts& f) {
  json r = json::object();
  r["name"] = f.name;
  r["state"] = f.state;
  r["types"] = f.types;
  return r;
}

} // namespace

const char* status_name(stats::status s) {
  switch (s) {
  case status::success:
    return "success";
  case status::timeout:
    return "timeout";
  case status::error:
  case status::crash:
    break;
  }
  return "error";
}

core::log_level system_level_of(std::string_view type) {
  if (type == "platform.initRuntimeDone" || type == "platform.runtimeDone" || type == "platform.restoreRuntimeDone" ||
      type == "platform.telemetrySubscription" || type == "platform.logsSubscription") {
    return core::log_level::debug;
  }
  if (type == "platform.fault" || type == "platform.logsDropped") return core::log_level::warn;
  return core::log_level::info;
}

std::string event_time(std::int64_t epoch_ms) { return util::iso8601_ms(epoch_ms); }

json init_start(const init_start_facts& f) {
  json r = json::object();
  r["initializationType"] = f.initialization_type;
  r["phase"] = f.phase;
  put_if(r, "runtimeVersion", f.runtime_version);
  put_if(r, "runtimeVersionArn", f.runtime_version_arn);
  put_if(r, "functionName", f.function_name);
  put_if(r, "functionVersion", f.function_version);
  return event(f.time_ms, "platform.initStart", std::move(r));
}

json init_runtime_done(const init_runtime_done_facts& f) {
  json r = json::object();
  r["initializationType"] = f.initialization_type;
  r["phase"] = f.phase;
  r["status"] = f.status;
  put_if(r, "errorType", f.error_type);
  return event(f.time_ms, "platform.initRuntimeDone", std::move(r));
}

json init_report(const init_report_facts& f) {
  json r = json::object();
  r["initializationType"] = f.initialization_type;
  r["phase"] = f.phase;
  put_if(r, "status", f.status);
  put_if(r, "errorType", f.error_type);
  json m = json::object();
  m["durationMs"] = ms2(f.duration_ms);
  r["metrics"] = std::move(m);
  return event(f.time_ms, "platform.initReport", std::move(r));
}

json start(const start_facts& f) {
  json r = json::object();
  r["requestId"] = f.request_id;
  put_if(r, "tenantId", f.tenant_id);
  put_if(r, "version", f.version);
  put_tracing(r, f.trace_id);
  return event(f.time_ms, "platform.start", std::move(r));
}

json runtime_done(const runtime_done_facts& f) {
  json r = json::object();
  r["requestId"] = f.request_id;
  put_if(r, "tenantId", f.tenant_id);
  r["status"] = f.status;
  put_if(r, "errorType", f.error_type);
  if (f.duration_ms) {
    json m = json::object();
    m["durationMs"] = ms3(*f.duration_ms);
    if (f.produced_bytes) m["producedBytes"] = *f.produced_bytes;
    r["metrics"] = std::move(m);
  }
  if (!f.spans.empty()) {
    json spans = json::array();
    for (const auto& s : f.spans) {
      json o = json::object();
      o["name"] = s.name;
      o["start"] = event_time(s.start_ms);
      o["durationMs"] = ms3(s.duration_ms);
      spans.push_back(std::move(o));
    }
    r["spans"] = std::move(spans);
  }
  put_tracing(r, f.trace_id);
  return event(f.time_ms, "platform.runtimeDone", std::move(r));
}

json report(const report_facts& f) {
  json r = json::object();
  r["requestId"] = f.request_id;
  put_if(r, "tenantId", f.tenant_id);
  r["status"] = f.status;
  put_if(r, "errorType", f.error_type);
  r["metrics"] = report_metrics(f);
  put_tracing(r, f.trace_id);
  return event(f.time_ms, "platform.report", std::move(r));
}

report_facts report_facts_of(const invocation_record& r, std::int64_t time_ms, std::string trace_id) {
  report_facts f;
  f.time_ms = time_ms;
  f.request_id = r.request_id;
  f.status = status_name(r.status);
  if (r.status != status::success && r.status != status::timeout) f.error_type = r.error_type;
  f.duration_ms = r.duration_ms;
  f.billed_duration_ms = r.billed_ms;
  f.memory_size_mb = r.memory_size_mb;
  f.max_memory_used_mb = r.max_memory_used_mb;
  f.init_duration_ms = r.init_ms;
  f.trace_id = std::move(trace_id);
  f.tenant_id = r.tenant_id;
  return f;
}

json extension(const extension_facts& f) { return event(f.time_ms, "platform.extension", extension_record(f, true)); }

json telemetry_subscription(const subscription_facts& f) {
  return event(f.time_ms, "platform.telemetrySubscription", subscription_record(f));
}

json function_log(std::int64_t time_ms, std::string_view line) { return event(time_ms, "function", log_record(line)); }

json extension_log(std::int64_t time_ms, std::string_view line) { return event(time_ms, "extension", log_record(line)); }

json start_logs_api(const start_facts& f) {
  json r = json::object();
  r["requestId"] = f.request_id;
  put_if(r, "version", f.version);
  return event(f.time_ms, "platform.start", std::move(r));
}

json end_logs_api(std::int64_t time_ms, std::string_view request_id) {
  json r = json::object();
  r["requestId"] = std::string(request_id);
  return event(time_ms, "platform.end", std::move(r));
}

json report_logs_api(const report_facts& f) {
  json r = json::object();
  r["requestId"] = f.request_id;
  r["metrics"] = report_metrics(f);
  return event(f.time_ms, "platform.report", std::move(r));
}

json runtime_done_logs_api(const runtime_done_facts& f) {
  json r = json::object();
  r["requestId"] = f.request_id;
  r["status"] = f.status;
  return event(f.time_ms, "platform.runtimeDone", std::move(r));
}

json extension_logs_api(const extension_facts& f) {
  return event(f.time_ms, "platform.extension", extension_record(f, false));
}

json logs_subscription(const subscription_facts& f) {
  return event(f.time_ms, "platform.logsSubscription", subscription_record(f));
}

json fault_logs_api(std::int64_t time_ms, std::string_view text) {
  return event(time_ms, "platform.fault", json(std::string(text)));
}

std::string to_line(const json& event) { return event.dump(-1, ' ', false, json::error_handler_t::replace); }

} // namespace lemu::stats::events
