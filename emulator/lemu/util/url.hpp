#pragma once
// Percent-decoding and query strings of raw (as sent) URL targets, through Boost.URL. Knows nothing of Lambda.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lemu::util {

// URL percent-decoding of %XX only: '+' stays '+' (not a space in a path), and a '%' not followed by two
// hex digits is kept as it is. The result may be any bytes (%FF), not necessarily UTF-8.
std::string percent_decode(std::string_view s);

// The parameters of a raw query string ("a=1&b&a=%32"), in order, split at '&' and at the first '=' as
// RFC 3986 / Boost.URL do, names and values decoded as by percent_decode unless `decode` is false:
// {{"a","1"},{"b",""},{"a","2"}}. Parameters with an empty name ("", "=x") are skipped. Any bytes are
// accepted (a client may send spaces, quotes or UTF-8 in a target).
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query, bool decode = true);

// The value of the first parameter named `name` (decoded) in a raw query string, decoded.
std::optional<std::string> query_parameter(std::string_view query, std::string_view name);

} // namespace lemu::util
