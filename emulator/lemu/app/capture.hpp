#pragma once
// Capture files (README "Captures and replay"): JSON Lines, one invocation per line,
//   {"event": <the event>, "response": <the response> | "error": <the error payload>, "meta": {...}}
// written by `lemu run --record` and read by `lemu replay`, which compares new outcomes with them.
// Schema: schemas/capture.schema.json.

#include <lemu/compare/json_diff.hpp>
#include <lemu/core/invocation.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lemu::app {

// The recorded side of one capture line.
struct capture_entry {
  nlohmann::ordered_json line;  // the whole line as read (kept to rewrite it with --update)
  std::string payload;          // the event, compact, as sent to the function
  std::string name;             // meta.name, or "" when the line has none
  // The recorded outcome: {"response": v} or {"error": v}; nullopt when the line records none.
  std::optional<nlohmann::ordered_json> expected;
};

// Parses a capture line; throws std::invalid_argument naming what is wrong (not an object, no "event").
capture_entry parse_capture_line(std::string_view line);

// The value a capture stores for an outcome: the payload as JSON when it is JSON, else as a JSON string.
nlohmann::ordered_json outcome_value(const core::outcome& o);

struct capture_meta {
  std::string name;       // kept from the line being replaced, or the event's source:line
  std::string source;     // where the event came from
  std::string time;       // ISO 8601 UTC, when the invocation finished
  std::string status;     // success | error | timeout | crash
  double duration_ms = 0;
};

// One capture line for an event (its payload) and its outcome.
std::string capture_line(std::string_view event_payload, const core::outcome& o, const capture_meta& meta);

// Compares a new outcome with the recorded one. Empty when they agree: same side (response or error) and
// the same JSON value once request ids in platform error messages are masked and ignored paths skipped.
std::vector<compare::difference> compare_outcome(const nlohmann::ordered_json& expected, const core::outcome& actual,
                                                 const compare::diff_options& options);

// Now as ISO 8601 UTC with milliseconds: 2026-11-27T00:45:00.123Z
std::string iso8601_now();

} // namespace lemu::app
