#include <lemu/util/text.hpp>

#include <cmath>
#include <cstdio>

namespace lemu::util {

void append_hex(std::string& out, unsigned long long n, int digits) {
  static constexpr char hex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) {
    out.push_back(hex[(n >> (4 * i)) & 0xF]);
  }
}

std::string fixed2(double value) {
  char buf[64];
  const int n = std::snprintf(buf, sizeof buf, "%.2f", value);
  return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
} // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

void advance(text_position& pos, std::string_view text) {
  for (const char c : text) {
    if (c == '\n') {
      ++pos.line;
      pos.column = 1;
    } else {
      ++pos.column;
    }
  }
}

text_position position_of(std::string_view text, std::size_t offset) {
  text_position pos;
  advance(pos, text.substr(0, offset < text.size() ? offset : text.size()));
  return pos;
}

} // namespace lemu::util
