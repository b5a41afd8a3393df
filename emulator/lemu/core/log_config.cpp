#include <lemu/core/log_config.hpp>

#include <lemu/util/text.hpp>

#include <array>

namespace lemu::core {

namespace {

constexpr std::array level_names = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};

} // namespace

const char* to_string(log_format f) { return f == log_format::json ? "JSON" : "Text"; }

const char* to_string(log_level l) { return level_names.at(static_cast<std::size_t>(l)); }

std::optional<log_format> parse_log_format(std::string_view text) {
  if (util::iequals(text, "text")) return log_format::text;
  if (util::iequals(text, "json")) return log_format::json;
  return std::nullopt;
}

std::optional<log_level> parse_log_level(std::string_view text) {
  for (std::size_t i = 0; i < level_names.size(); ++i) {
    if (util::iequals(text, level_names[i])) return static_cast<log_level>(i);
  }
  return std::nullopt;
}

bool is_system_log_level(log_level l) { return l == log_level::debug || l == log_level::info || l == log_level::warn; }

log_thresholds thresholds_of(log_format format, std::optional<log_level> application, std::optional<log_level> system) {
  log_thresholds t;
  t.format = format;
  if (format == log_format::json) {
    t.application = application.value_or(log_level::info);
    t.system = system.value_or(log_level::info);
  } else {
    t.application = t.system = log_level::trace; // text: no filtering
  }
  return t;
}

} // namespace lemu::core
