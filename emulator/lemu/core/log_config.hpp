#pragma once
// Lambda's advanced logging controls (its LoggingConfig; PROTOCOL.md §9.5): the log format (Text or
// JSON) and the two level thresholds, application (the function's own JSON lines) and system (Lambda's
// platform lines). Levels only mean something with the JSON format. Pure values and their names.

#include <optional>
#include <string>
#include <string_view>

namespace lemu::core {

enum class log_format { text, json };

// From most to least detail. The application level takes all six; the system level only debug, info, warn.
enum class log_level { trace, debug, info, warn, error, fatal };

// "Text" | "JSON" (as Lambda's LoggingConfig.LogFormat and AWS_LAMBDA_LOG_FORMAT spell them).
const char* to_string(log_format f);
// "TRACE" | "DEBUG" | "INFO" | "WARN" | "ERROR" | "FATAL".
const char* to_string(log_level l);

// "text" / "json", any case; nullopt otherwise.
std::optional<log_format> parse_log_format(std::string_view text);
// A level name in any case ("debug", "WARN"); nullopt otherwise (also for "WARNING": Lambda's names only).
std::optional<log_level> parse_log_level(std::string_view text);
// Whether `l` is one of the system levels Lambda accepts (DEBUG, INFO, WARN).
bool is_system_log_level(log_level l);

// The thresholds in force: with the JSON format, the configured levels or INFO for either left unset
// (Lambda's defaults); with the text format nothing is filtered (every line is kept).
struct log_thresholds {
  log_format format = log_format::text;
  log_level application = log_level::info;
  log_level system = log_level::info;
};
log_thresholds thresholds_of(log_format format, std::optional<log_level> application, std::optional<log_level> system);

// Whether a line at `level` passes a threshold: `level` is at least as severe as `threshold`.
inline bool passes(log_level level, log_level threshold) { return level >= threshold; }

} // namespace lemu::core
