#include <lemu/util/json_text.hpp>

#include <simdjson.h>

namespace lemu::util {

bool is_valid_json(std::string_view text) {
  // One parser per thread, reused: its buffers grow to the largest document seen and stay.
  thread_local simdjson::dom::parser parser;
  return parser.parse(text.data(), text.size(), /*realloc_if_needed=*/true).error() == simdjson::SUCCESS;
}

std::string minify_json(std::string_view valid_json) {
  std::string out(valid_json.size(), '\0');
  std::size_t length = 0;
  if (simdjson::minify(valid_json.data(), valid_json.size(), out.data(), length) != simdjson::SUCCESS) {
    return std::string(valid_json);
  }
  out.resize(length);
  return out;
}

} // namespace lemu::util
