#include <lemu/report/text.hpp>

#include <lemu/util/utf8.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>

namespace lemu::report {

namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD"; // U+FFFD

unsigned char byte_at(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }

bool in(unsigned char c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; }

// Length of the ANSI escape sequence starting with ESC at s[i], or 0 when it is a lone ESC.
std::size_t escape_sequence_length(std::string_view s, std::size_t i) {
  if (i + 1 >= s.size()) return 0;
  const unsigned char kind = byte_at(s, i + 1);
  if (kind == '[') { // CSI: parameters 0x30-0x3F, intermediates 0x20-0x2F, one final byte 0x40-0x7E
    std::size_t j = i + 2;
    while (j < s.size() && in(byte_at(s, j), 0x30, 0x3F)) ++j;
    while (j < s.size() && in(byte_at(s, j), 0x20, 0x2F)) ++j;
    if (j < s.size() && in(byte_at(s, j), 0x40, 0x7E)) return j + 1 - i;
    return 0;
  }
  if (kind == ']') { // OSC: up to BEL or ESC '\' (bounded, so that a stray "ESC ]" does not swallow the text)
    const std::size_t limit = std::min(s.size(), i + 4096);
    for (std::size_t j = i + 2; j < limit; ++j) {
      const unsigned char c = byte_at(s, j);
      if (c == 0x07) return j + 1 - i;
      if (c == 0x1B && j + 1 < s.size() && s[j + 1] == '\\') return j + 2 - i;
      if (c < 0x20 && c != 0x09) break; // a newline or another control: not an OSC after all
    }
    return 0;
  }
  if (in(kind, 0x40, 0x7E)) return 2; // two-byte escapes (ESC c, ESC 7, ESC M, ...)
  if (in(kind, 0x20, 0x2F) && i + 2 < s.size() && in(byte_at(s, i + 2), 0x30, 0x7E)) return 3; // ESC ( B
  return 0;
}

bool is_noncharacter(char32_t cp) { return (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFEu) == 0xFFFEu; }

std::string trim_zeros(std::string s) {
  if (s.find('.') == std::string::npos) return s;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

std::string fixed(double value, int digits) {
  std::array<char, 400> buf{};
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::fixed, digits);
  if (ec != std::errc{}) return "0";
  return std::string(buf.data(), end);
}

} // namespace

std::string clean_text(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  std::size_t i = 0;
  while (i < raw.size()) {
    const unsigned char c = byte_at(raw, i);
    if (c == 0x1B) {
      if (const std::size_t n = escape_sequence_length(raw, i); n > 0) {
        i += n;
        continue;
      }
      util::append_utf8(out, 0x241B); // ␛
      ++i;
    } else if (c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c < 0x7F)) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (c < 0x20) {
      util::append_utf8(out, 0x2400u + c);
      ++i;
    } else if (c == 0x7F) {
      util::append_utf8(out, 0x2421); // ␡
      ++i;
    } else {
      char32_t cp = 0;
      const std::size_t n = util::decode_utf8(raw, i, cp);
      if (n == 0) {
        out += replacement;
        ++i;
      } else {
        if (cp <= 0x9F || is_noncharacter(cp)) {
          out += replacement;
        } else {
          out.append(raw.substr(i, n));
        }
        i += n;
      }
    }
  }
  return out;
}

std::string clean_token(std::string_view raw) {
  const std::string clean = clean_text(raw);
  std::string out;
  out.reserve(clean.size());
  bool pending_space = false;
  for (const char c : clean) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

void append_xml_escaped(std::string& out, std::string_view clean, bool attribute) {
  for (const char c : clean) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '\r': out += "&#13;"; break;
    case '"':
      if (attribute) out += "&quot;";
      else out.push_back(c);
      break;
    case '\t':
      if (attribute) out += "&#9;";
      else out.push_back(c);
      break;
    case '\n':
      if (attribute) out += "&#10;";
      else out.push_back(c);
      break;
    default: out.push_back(c);
    }
  }
}

void append_html_escaped(std::string& out, std::string_view clean) {
  for (std::size_t i = 0; i < clean.size(); ++i) {
    const char c = clean[i];
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&#39;"; break;
    case '\r':
      if (i + 1 >= clean.size() || clean[i + 1] != '\n') out.push_back('\n');
      break;
    default: out.push_back(c);
    }
  }
}

std::string xml_text(std::string_view raw) {
  std::string out;
  append_xml_escaped(out, clean_text(raw), false);
  return out;
}

std::string xml_attribute(std::string_view raw) {
  std::string out;
  append_xml_escaped(out, clean_text(raw), true);
  return out;
}

std::string html_escape(std::string_view raw) {
  std::string out;
  append_html_escaped(out, clean_text(raw));
  return out;
}

std::string decimal(double value, int digits) {
  if (!std::isfinite(value) || value < 0) value = 0;
  return fixed(value, digits);
}

std::string short_number(double value) {
  if (!std::isfinite(value) || value == 0) return "0";
  const double magnitude = std::floor(std::log10(std::fabs(value)));
  const int digits = static_cast<int>(std::clamp(2.0 - magnitude, 0.0, 6.0));
  return trim_zeros(fixed(value, digits));
}

} // namespace lemu::report
