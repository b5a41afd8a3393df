#include <lemu/util/utf8.hpp>

#include <simdjson.h>

namespace lemu::util {

namespace {
unsigned char byte_at(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }
bool in(unsigned char c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; }
} // namespace

bool is_valid_utf8(std::string_view bytes) { return simdjson::validate_utf8(bytes.data(), bytes.size()); }

std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp) {
  const unsigned char b0 = byte_at(s, i);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t len = 0;
  unsigned lo = 0x80, hi = 0xBF; // range of the second byte
  if (in(b0, 0xC2, 0xDF)) {
    len = 2;
    cp = b0 & 0x1Fu;
  } else if (in(b0, 0xE0, 0xEF)) {
    len = 3;
    cp = b0 & 0x0Fu;
    if (b0 == 0xE0) lo = 0xA0;      // no overlongs
    else if (b0 == 0xED) hi = 0x9F; // no surrogates
  } else if (in(b0, 0xF0, 0xF4)) {
    len = 4;
    cp = b0 & 0x07u;
    if (b0 == 0xF0) lo = 0x90;      // no overlongs
    else if (b0 == 0xF4) hi = 0x8F; // nothing beyond U+10FFFF
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const unsigned char b = byte_at(s, i + k);
    if (k == 1 ? !in(b, lo, hi) : !in(b, 0x80, 0xBF)) return 0;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  return len;
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  char32_t cp = 0;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = decode_utf8(s, i, cp);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  std::size_t end = max_bytes;
  // Step back over continuation bytes to the start of the sequence that would be cut, and drop it.
  while (end > 0 && (byte_at(s, end) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

} // namespace lemu::util
