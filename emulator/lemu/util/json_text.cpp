#include <lemu/util/json_text.hpp>

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include <cstring>

namespace lemu::util {

namespace {

using nlohmann::json;

// A SAX handler that builds nothing: it counts nesting and records the first parse error.
struct checker {
  std::size_t limit = max_json_depth;
  std::size_t depth = 0;
  bool too_deep = false;
  std::optional<json_problem> error;

  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(json::number_integer_t) { return true; }
  bool number_unsigned(json::number_unsigned_t) { return true; }
  bool number_float(json::number_float_t, const json::string_t&) { return true; }
  bool string(json::string_t&) { return true; }
  bool binary(json::binary_t&) { return true; }
  bool key(json::string_t&) { return true; }
  bool start_object(std::size_t) { return enter(); }
  bool start_array(std::size_t) { return enter(); }
  bool end_object() { return leave(); }
  bool end_array() { return leave(); }
  bool enter() {
    if (++depth > limit) {
      too_deep = true;
      return false;
    }
    return true;
  }
  bool leave() {
    --depth;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) {
    std::string_view what = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 8: syntax error while parsing ..."
    if (const auto p = what.find("parse error"); p != std::string_view::npos) {
      if (const auto colon = what.find(": ", p); colon != std::string_view::npos) what.remove_prefix(colon + 2);
    }
    error = json_problem{position > 0 ? position - 1 : 0, std::string(what)};
    return false;
  }
};

// Where nesting first goes past the limit (the text is valid up to there): a scan that skips strings.
std::size_t depth_offset(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return text.size();
}

bool simdjson_accepts(std::string_view text) {
  // One parser per thread, reused: its buffers grow to the largest document seen and stay. Its depth
  // counts one more level than ours for some documents, so it only ever accepts what we accept.
  thread_local simdjson::dom::parser parser = [] {
    simdjson::dom::parser p;
    if (p.allocate(64 * 1024, max_json_depth) != simdjson::SUCCESS) return simdjson::dom::parser();
    return p;
  }();
  return parser.parse(text.data(), text.size(), /*realloc_if_needed=*/true).error() == simdjson::SUCCESS;
}

} // namespace

std::optional<json_problem> check_json(std::string_view text, std::size_t max_depth) {
  if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
    return json_problem{static_cast<std::size_t>(static_cast<const char*>(nul) - text.data()),
                        "a NUL byte, which is never valid in JSON text"};
  }
  if (max_depth == max_json_depth && simdjson_accepts(text)) return std::nullopt;
  checker c;
  c.limit = max_depth;
  json::sax_parse(text.data(), text.data() + text.size(), &c);
  if (c.too_deep) {
    return json_problem{depth_offset(text, max_depth), "nested deeper than " + std::to_string(max_depth) + " levels"};
  }
  return c.error;
}

bool is_valid_json(std::string_view text) {
  if (std::memchr(text.data(), '\0', text.size()) != nullptr) return false;
  return simdjson_accepts(text) || !check_json(text);
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
