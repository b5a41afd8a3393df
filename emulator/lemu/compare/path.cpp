#include <lemu/compare/path.hpp>

#include <lemu/util/utf8.hpp>

#include <cstdint>
#include <stdexcept>

namespace lemu::compare {
namespace {

constexpr std::string_view json_marker = "<json>";

[[noreturn]] void fail(std::string_view text, std::string_view reason, std::size_t offset) {
  std::string message = "invalid path \"";
  message.append(text);
  message += "\": ";
  message.append(reason);
  message += " (at character ";
  message += std::to_string(offset + 1);
  message += ')';
  throw std::invalid_argument(message);
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 6901: "/a~1b/c~0d" -> {"a/b", "c~d"}; every token a literal name.
std::vector<path_pattern::segment> parse_pointer(std::string_view text) {
  std::vector<path_pattern::segment> segments;
  std::size_t i = 0; // at a '/'
  while (i < text.size()) {
    path_pattern::segment s;
    for (++i; i < text.size() && text[i] != '/'; ++i) {
      if (text[i] != '~') {
        s.name += text[i];
      } else if (i + 1 < text.size() && (text[i + 1] == '0' || text[i + 1] == '1')) {
        s.name += text[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        fail(text, "'~' must be followed by '0' (for '~') or '1' (for '/') in a JSON Pointer", i);
      }
    }
    segments.push_back(std::move(s));
  }
  return segments;
}

class jsonpath_parser {
public:
  explicit jsonpath_parser(std::string_view text) : m_text(text) {}

  std::vector<path_pattern::segment> parse() {
    m_pos = 1; // after '$'
    bool after_marker = false;
    while (m_pos < m_text.size()) {
      if (at_marker()) {
        if (after_marker) fail(m_text, "\"<json>\" must follow a name or an index", m_pos);
        m_pos += json_marker.size();
        after_marker = true;
        continue;
      }
      after_marker = false;
      const char c = m_text[m_pos];
      if (c == '.') {
        dot();
      } else if (c == '[') {
        bracket();
      } else {
        fail(m_text, "expected '.', '[' or \"<json>\"", m_pos);
      }
    }
    return std::move(m_segments);
  }

private:
  bool at_marker() const { return m_text.substr(m_pos).starts_with(json_marker); }

  void dot() {
    const std::size_t start = ++m_pos; // after '.'
    if (m_pos == m_text.size()) fail(m_text, "a name must follow '.'", m_pos - 1);
    if (m_text[m_pos] == '.') fail(m_text, "recursive descent (\"..\") is not supported", m_pos - 1);
    if (m_text[m_pos] == '*') {
      ++m_pos;
      if (m_pos < m_text.size() && m_text[m_pos] != '.' && m_text[m_pos] != '[' && !at_marker())
        fail(m_text, "'*' is a wildcard for a whole segment only", start);
      m_segments.push_back({"", true});
      return;
    }
    std::string name;
    while (m_pos < m_text.size() && m_text[m_pos] != '.' && m_text[m_pos] != '[' && !at_marker()) {
      const char c = m_text[m_pos];
      if (c == '*') fail(m_text, "'*' is a wildcard for a whole segment only", m_pos);
      if (c == ']' || c == '\'' || c == '"' || is_space(c))
        fail(m_text, "unexpected character in a name after '.' (write other names as ['name'])", m_pos);
      name += c;
      ++m_pos;
    }
    if (name.empty()) fail(m_text, "a name must follow '.'", start - 1);
    m_segments.push_back({std::move(name), false});
  }

  void skip_spaces() {
    while (m_pos < m_text.size() && is_space(m_text[m_pos])) ++m_pos;
  }

  void bracket() {
    const std::size_t open = m_pos++;
    skip_spaces();
    if (m_pos == m_text.size()) fail(m_text, "unterminated '['", open);
    const char c = m_text[m_pos];
    path_pattern::segment s;
    if (c == '*') {
      ++m_pos;
      s.wildcard = true;
    } else if (c == '\'' || c == '"') {
      s.name = quoted();
    } else if (is_digit(c)) {
      const std::size_t start = m_pos;
      while (m_pos < m_text.size() && is_digit(m_text[m_pos])) s.name += m_text[m_pos++];
      if (s.name.size() > 1 && s.name[0] == '0') fail(m_text, "an index has no leading zeros", start);
    } else if (c == '-') {
      fail(m_text, "negative indexes are not supported", m_pos);
    } else if (c == '?') {
      fail(m_text, "filters (\"[?...]\") are not supported", m_pos);
    } else if (c == ':') {
      fail(m_text, "slices are not supported", m_pos);
    } else {
      fail(m_text, "expected a quoted name, an index or '*' after '['", m_pos);
    }
    skip_spaces();
    if (m_pos == m_text.size()) fail(m_text, "unterminated '[' (expected ']')", open);
    if (m_text[m_pos] == ',') fail(m_text, "unions (\"[a,b]\") are not supported", m_pos);
    if (m_text[m_pos] == ':') fail(m_text, "slices are not supported", m_pos);
    if (m_text[m_pos] != ']') fail(m_text, "expected ']'", m_pos);
    ++m_pos;
    m_segments.push_back(std::move(s));
  }

  // A '...' or "..." string with JSON escapes (and \' in either).
  std::string quoted() {
    const char quote = m_text[m_pos];
    const std::size_t open = m_pos++;
    std::string out;
    for (;;) {
      if (m_pos >= m_text.size()) fail(m_text, "unterminated quoted name", open);
      const char c = m_text[m_pos];
      if (c == quote) {
        ++m_pos;
        return out;
      }
      if (c != '\\') {
        out += c;
        ++m_pos;
        continue;
      }
      const std::size_t escape = m_pos++;
      if (m_pos >= m_text.size()) fail(m_text, "unterminated quoted name", open);
      switch (m_text[m_pos++]) {
      case '\'': out += '\''; break;
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': util::append_utf8(out, code_point(escape)); break;
      default: fail(m_text, "unknown escape in a quoted name", escape);
      }
    }
  }

  // After "\u": four hex digits, and a low surrogate's "\uXXXX" after a high one.
  std::uint32_t code_point(std::size_t escape) {
    std::uint32_t cp = hex4(escape);
    if (cp >= 0xDC00 && cp <= 0xDFFF) fail(m_text, "a lone low surrogate in \\u escape", escape);
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (m_pos + 1 >= m_text.size() || m_text[m_pos] != '\\' || m_text[m_pos + 1] != 'u')
        fail(m_text, "a high surrogate must be followed by a \\u low surrogate", escape);
      m_pos += 2;
      const std::uint32_t low = hex4(m_pos - 2);
      if (low < 0xDC00 || low > 0xDFFF)
        fail(m_text, "a high surrogate must be followed by a \\u low surrogate", escape);
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    return cp;
  }

  std::uint32_t hex4(std::size_t escape) {
    std::uint32_t v = 0;
    for (int k = 0; k < 4; ++k, ++m_pos) {
      const int h = m_pos < m_text.size() ? hex_value(m_text[m_pos]) : -1;
      if (h < 0) fail(m_text, "\\u must be followed by four hex digits", escape);
      v = v * 16 + static_cast<std::uint32_t>(h);
    }
    return v;
  }

  std::string_view m_text;
  std::size_t m_pos = 0;
  std::vector<path_pattern::segment> m_segments;
};

bool is_identifier(std::string_view key) {
  if (key.empty()) return false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && is_digit(c))) return false;
  }
  return true;
}

void append_u_escape(std::string& out, unsigned cp) {
  static constexpr char digits[] = "0123456789abcdef";
  out += "\\u00";
  out += digits[(cp >> 4) & 0xF];
  out += digits[cp & 0xF];
}

} // namespace

path_pattern path_pattern::parse(std::string_view text) {
  path_pattern p;
  p.m_text = std::string(text);
  if (text.empty())
    throw std::invalid_argument(
        "invalid path \"\": empty (a JSON Pointer starts with '/', a JSONPath with '$'; the root is \"$\")");
  if (text[0] == '/') {
    p.m_segments = parse_pointer(text);
  } else if (text[0] == '$') {
    p.m_segments = jsonpath_parser(text).parse();
  } else {
    fail(text, "a path starts with '/' (JSON Pointer) or '$' (JSONPath)", 0);
  }
  return p;
}

bool path_pattern::matches_prefix(const std::vector<std::string>& path, std::size_t length) const {
  for (std::size_t i = 0; i < length; ++i) {
    const segment& s = m_segments[i];
    if (!s.wildcard && s.name != path[i]) return false;
  }
  return true;
}

bool path_pattern::matches(const std::vector<std::string>& path) const {
  return path.size() == m_segments.size() && matches_prefix(path, path.size());
}

bool path_pattern::covers(const std::vector<std::string>& path) const {
  return path.size() >= m_segments.size() && matches_prefix(path, m_segments.size());
}

void append_key(std::string& display, std::string_view key) {
  if (is_identifier(key)) {
    display += '.';
    display.append(key);
    return;
  }
  display += "['";
  for (std::size_t i = 0; i < key.size(); ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    switch (c) {
    case '\'': display += "\\'"; break;
    case '\\': display += "\\\\"; break;
    case '\b': display += "\\b"; break;
    case '\f': display += "\\f"; break;
    case '\n': display += "\\n"; break;
    case '\r': display += "\\r"; break;
    case '\t': display += "\\t"; break;
    default:
      if (c < 0x20 || c == 0x7F) {
        append_u_escape(display, c);
      } else if (c == 0xC2 && i + 1 < key.size() && static_cast<unsigned char>(key[i + 1]) >= 0x80 &&
                 static_cast<unsigned char>(key[i + 1]) <= 0x9F) {
        // C1 control characters (U+0080..U+009F): some terminals act on them.
        append_u_escape(display, static_cast<unsigned char>(key[++i]));
      } else {
        display += static_cast<char>(c);
      }
    }
  }
  display += "']";
}

void append_index(std::string& display, std::size_t index) {
  display += '[';
  display += std::to_string(index);
  display += ']';
}

} // namespace lemu::compare
