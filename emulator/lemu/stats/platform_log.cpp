#include <lemu/stats/platform_log.hpp>

#include <lemu/util/text.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

namespace lemu::stats {

std::uint64_t billed_duration_ms(double duration_ms, std::optional<double> init_ms) {
  const double total = duration_ms + init_ms.value_or(0.0);
  if (!(total > 0.0)) return 0; // also NaN
  // Work in whole nanoseconds so that floating-point noise (1.1 + 1.9 = 3.0000000000000004) does not bill
  // an extra millisecond, while anything really above a whole millisecond (3.001, 3.000001) still does.
  constexpr double ns_per_ms = 1e6;
  const double ns = std::round(total * ns_per_ms);
  if (ns >= static_cast<double>(std::numeric_limits<std::uint64_t>::max() / 2)) {
    return static_cast<std::uint64_t>(std::ceil(total));
  }
  const auto whole_ns = static_cast<std::uint64_t>(ns);
  constexpr std::uint64_t ns_per_ms_int = 1'000'000;
  return (whole_ns + ns_per_ms_int - 1) / ns_per_ms_int;
}

std::string runtime_version_arn(std::string_view region) {
  // "lemu" in hex, then zeros: the shape of a runtime ARN's sha256, and obviously not AWS's.
  return "arn:aws:lambda:" + std::string(region) + "::runtime:6c656d7500000000000000000000000000000000000000000000000000000000";
}

std::string init_start_line(std::string_view version, std::string_view arn) {
  return "INIT_START Runtime Version: " + std::string(version) + "\tRuntime Version ARN: " + std::string(arn);
}

std::string start_line(std::string_view request_id, std::string_view version) {
  std::string out;
  out.reserve(40 + request_id.size() + version.size());
  out += "START RequestId: ";
  out += request_id;
  out += " Version: ";
  out += version;
  return out;
}

std::string end_line(std::string_view request_id) {
  std::string out = "END RequestId: ";
  out += request_id;
  return out;
}

std::string init_report_line(double init_ms, std::string_view phase, std::string_view status, std::string_view error_type) {
  std::string line = "INIT_REPORT Init Duration: " + util::fixed2(init_ms) + " ms\tPhase: " + std::string(phase) +
                     "\tStatus: " + std::string(status);
  if (!error_type.empty()) line += "\tError Type: " + std::string(error_type);
  return line;
}

std::string fault_line(const core::outcome& o) {
  const auto body = nlohmann::json::parse(o.payload, nullptr, false);
  std::string message;
  if (body.is_object() && body.contains("errorMessage") && body["errorMessage"].is_string()) {
    message = body["errorMessage"].get<std::string>();
  }
  return message + "\n" + o.error_type;
}

std::string report_line(const invocation_record& r) {
  std::string out;
  out.reserve(200 + r.request_id.size() + r.error_type.size());
  out += "REPORT RequestId: ";
  out += r.request_id;
  out += "\tDuration: ";
  out += util::fixed2(r.duration_ms);
  out += " ms\tBilled Duration: ";
  out += std::to_string(r.billed_ms);
  out += " ms\tMemory Size: ";
  out += std::to_string(r.memory_size_mb);
  out += " MB\tMax Memory Used: ";
  out += std::to_string(r.max_memory_used_mb);
  out += " MB\t";
  if (r.init_ms) {
    out += "Init Duration: ";
    out += util::fixed2(*r.init_ms);
    out += " ms\t";
  }
  switch (r.status) {
  case status::timeout:
    out += "Status: timeout\t";
    break;
  case status::crash:
    out += "Status: error\t";
    if (!r.error_type.empty()) {
      out += "Error Type: ";
      out += r.error_type;
      out += '\t';
    }
    break;
  case status::success:
  case status::error:
    break;
  }
  if (!r.emulation.empty()) { // lemu's own field: durations under emulation are not comparable to Lambda's
    out += "Emulation: ";
    out += r.emulation;
    out += '\t';
  }
  return out;
}

} // namespace lemu::stats
