#pragma once
// Checks and rewrites JSON text without building a document (simdjson: gigabytes per second), for the
// per-invocation paths where nlohmann's DOM would cost more than the invocation itself.

#include <string>
#include <string_view>

namespace lemu::util {

// True when `text` is one complete JSON value (any type, surrounding whitespace allowed), valid UTF-8.
bool is_valid_json(std::string_view text);

// `valid_json` without insignificant whitespace; key order and every value are kept byte for byte.
// Precondition: is_valid_json(valid_json).
std::string minify_json(std::string_view valid_json);

} // namespace lemu::util
