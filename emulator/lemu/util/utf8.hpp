#pragma once
// UTF-8: validation (simdjson), strict decoding of one sequence, repair, encoding, safe cuts. One copy for
// every module. Strict means RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.

#include <cstddef>
#include <string>
#include <string_view>

namespace lemu::util {

// Whether `bytes` is strict UTF-8 (simdjson::validate_utf8: SIMD, gigabytes per second).
bool is_valid_utf8(std::string_view bytes);

// Decodes the sequence starting at s[i] strictly: its length (1 to 4) with its code point in `cp`, or 0
// when the bytes there are not a well-formed sequence (a stray byte, truncated, overlong, ...).
// Precondition: i < s.size().
std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t& cp);

// `s` with every byte that does not belong to a well-formed sequence replaced by U+FFFD (one each).
std::string to_valid_utf8(std::string_view s);

// Appends the UTF-8 encoding of `cp` (assumed to be a Unicode scalar value).
void append_utf8(std::string& out, char32_t cp);

// The longest prefix of `s` of at most `max_bytes` bytes that does not cut a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes);

} // namespace lemu::util
