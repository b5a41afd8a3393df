#include <lemu/util/text.hpp>

#include <boost/beast/core/string.hpp>

#include <algorithm>
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

bool iequals(std::string_view a, std::string_view b) { return boost::beast::iequals(a, b); }

bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && boost::beast::iequals(s.substr(0, prefix.size()), prefix);
}

bool is_http_token(std::string_view s) {
  const auto tchar = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  };
  return !s.empty() && std::all_of(s.begin(), s.end(), tchar);
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
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

std::string_view trim_ows(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto at = s.find(separator);
    parts.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + 1);
  }
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
