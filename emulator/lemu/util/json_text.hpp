#pragma once
// Checks and rewrites JSON text without building a document, for every path where lemu reads JSON from
// outside (events, captures, runtime responses, Invoke API bodies). One set of rules everywhere:
//
// - one JSON value, surrounding whitespace allowed, valid UTF-8;
// - no NUL byte anywhere (a NUL never belongs in JSON text, and some parsers stop at it);
// - at most max_json_depth nested arrays/objects (Jackson's limit, which Lambda's front end applies), so
//   that nothing lemu does with the value afterwards (printing, recording, comparing) can exhaust the stack.
//
// Integers of any size are valid (a JSON number has no range); simdjson accepts the common case at
// gigabytes per second, nlohmann's SAX parser decides the rest and says where the text goes wrong.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace lemu::util {

inline constexpr std::size_t max_json_depth = 1000;

struct json_problem {
  std::size_t offset = 0; // 0-based byte where the text stops being valid
  std::string message;    // "syntax error while parsing value - invalid literal; last read: 'x'", ...
};

// nullopt when `text` is valid JSON by the rules above, else where and why it is not. `max_depth` other than
// max_json_depth is for a container of such values (a capture line holds an event one level down).
std::optional<json_problem> check_json(std::string_view text, std::size_t max_depth = max_json_depth);

// check_json(text) == nullopt, faster when you do not need the reason.
bool is_valid_json(std::string_view text);

// `valid_json` without insignificant whitespace; key order and every value are kept byte for byte.
// Precondition: is_valid_json(valid_json).
std::string minify_json(std::string_view valid_json);

} // namespace lemu::util
