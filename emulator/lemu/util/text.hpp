#pragma once
// Small string helpers. Knows nothing of Lambda.

#include <string>
#include <string_view>
#include <vector>

namespace lemu::util {

// Writes n as lowercase hexadecimal, zero-padded to `digits`.
void append_hex(std::string& out, unsigned long long n, int digits);

// Fixed-point decimal with two digits after the point ("3.01"), as Lambda's REPORT lines print durations.
std::string fixed2(double value);

bool ends_with(std::string_view s, std::string_view suffix);

// ASCII case-insensitive comparison (boost::beast::iequals), e.g. of HTTP header names and media types.
bool iequals(std::string_view a, std::string_view b);
// Whether `s` starts with `prefix`, ASCII case-insensitively.
bool istarts_with(std::string_view s, std::string_view prefix);
// Whether `s` is an HTTP token (RFC 9110 §5.6.2: one or more of letters, digits and !#$%&'*+-.^_`|~), as a
// header name must be.
bool is_http_token(std::string_view s);
// Copies with ASCII letters in lower / upper case (other bytes unchanged; no locale).
std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);

// The parts of `s` between each `separator` (empty parts kept: "a::b" is {"a", "", "b"}; "" is {""}), e.g. of
// PATH or a comma-separated list.
std::vector<std::string_view> split(std::string_view s, char separator);

// The string with leading and trailing ASCII whitespace removed.
std::string_view trim(std::string_view s);
// The string without HTTP's optional whitespace (spaces and tabs) at either end.
std::string_view trim_ows(std::string_view s);

// Line and column (1-based, in bytes) of byte `offset` in `text`.
struct text_position {
  std::size_t line = 1;
  std::size_t column = 1;
};
text_position position_of(std::string_view text, std::size_t offset);
// Moves `pos` past `text` (for counting positions across chunks of a file).
void advance(text_position& pos, std::string_view text);

} // namespace lemu::util
