#pragma once
// JSON text to a document without losing anything a comparison needs: an integer beyond 64 bits (which
// nlohmann would turn into a double, making 2^64 and 2^64 + 1 equal) is kept as its digits, in a binary
// value of subtype big_integer_subtype. Nesting is limited to util::max_json_depth, like every JSON lemu
// reads. json_diff compares such integers by their digits and prints them as numbers.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lemu::compare {

inline constexpr std::uint8_t big_integer_subtype = 0x6e;

// The document, or nullopt when `text` is not valid JSON (or too deep).
std::optional<nlohmann::json> parse_exact(std::string_view text);

// A value parse_exact made from an integer beyond 64 bits, and its digits.
bool is_big_integer(const nlohmann::json& j);
std::string big_integer_digits(const nlohmann::json& j);

} // namespace lemu::compare
