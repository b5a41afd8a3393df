#pragma once
// Capture files (README "Captures and replay"): JSON Lines, one invocation per line,
//   {"event": <the event>, "response": <the response> | "error": <the error payload>, "meta": {...}}
// written by `lemu run --record` and `lemu serve --record`, read by `lemu replay`, which compares new
// outcomes with them. Schema: schemas/capture.schema.json, enforced on read.
//
// Values are kept as JSON text, never round-tripped through a document: an integer beyond 64 bits in an
// event reaches the function as written, and is compared digit by digit. A payload that is not JSON is
// stored as a JSON string; one that is not UTF-8 either is stored as base64 with "encoding": "base64" in
// meta, so that replay compares its bytes exactly.

#include <lemu/compare/json_diff.hpp>
#include <lemu/core/invocation.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lemu::app {

// One capture line, as read.
struct capture_entry {
  std::string event;            // the event, compact JSON text, as sent to the function
  std::string name;             // meta.name, or "" when the line has none
  std::string side;             // "response" or "error"; "" when the line records no outcome
  std::string expected;         // the recorded value's JSON text
  bool expected_base64 = false; // meta.encoding is "base64": `expected` is a string of the payload's base64
  std::string meta;             // the meta object's JSON text; "" when the line has none
  std::string tenant_id;        // meta.tenant_id: the tenant the event was invoked for; "" when none
};

// Parses a capture line (valid JSON: the event reader checked it); throws std::invalid_argument naming
// what breaks the schema: not an object, no "event", an unknown key, both "response" and "error", "meta"
// not an object, a meta.encoding other than "base64", a meta.tenant_id that is not a valid tenant id.
capture_entry parse_capture_line(std::string_view line);

// What a capture stores for an outcome: JSON text, and whether it is base64 of the bytes.
struct stored_value {
  std::string text;
  bool base64 = false;
};
stored_value stored_value_of(const core::outcome& o);

struct capture_meta {
  std::string name;       // kept from the line being replaced, or the event's source:line
  std::string source;     // where the event came from
  std::string time;       // ISO 8601 UTC, when the invocation finished
  std::string status;     // success | error | timeout | crash
  double duration_ms = 0;
  std::string tenant_id;  // the invocation's tenant (tenant isolation): meta.tenant_id; "" leaves it out
};

// One capture line for an event (its payload) and its outcome.
std::string capture_line(std::string_view event_payload, const core::outcome& o, const capture_meta& meta);

// --update: the line rewritten with a new outcome; the event and every other meta key (tenant_id too) are kept, time,
// status and duration_ms replaced.
std::string updated_capture_line(const capture_entry& e, const core::outcome& o, const capture_meta& meta);

// Compares a new outcome with the recorded one. Empty when they agree: same side (response or error) and
// the same JSON value once request ids in platform error messages are masked and ignored paths skipped.
std::vector<compare::difference> compare_outcome(const capture_entry& recorded, const core::outcome& actual,
                                                 const compare::diff_options& options);

// `v` with every "RequestId: <uuid>" inside a string value (Lambda's platform error messages carry the request
// id, which changes on every run) replaced by "RequestId: <request-id>". The uuid is 8-4-4-4-12 hex digits of
// either case, not followed by a letter or digit. Keys are left alone. Iterative.
nlohmann::json normalize_request_ids(nlohmann::json v);

// Now as ISO 8601 UTC with milliseconds: 2026-11-27T00:45:00.123Z
std::string iso8601_now();

} // namespace lemu::app
