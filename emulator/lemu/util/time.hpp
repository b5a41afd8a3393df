#pragma once
// UTC dates and times as text, through fmt's chrono formatting (strftime specifiers, locale-free). Knows
// nothing of Lambda.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace lemu::util {

// Milliseconds since the Unix epoch of a system_clock time (now by default).
std::int64_t epoch_ms(std::chrono::system_clock::time_point t = std::chrono::system_clock::now());

// The UTC time `ms` (since the epoch) formatted with strftime-style `spec` at whole seconds, e.g.
// utc_time(ms, "%Y/%m/%d") = "2020/03/12", "%d/%b/%Y:%H:%M:%S" = "12/Mar/2020:19:03:58" (English month
// names whatever the locale).
std::string utc_time(std::int64_t ms, std::string_view spec);

// ISO 8601 in UTC with milliseconds: "2020-03-12T19:03:58.123Z".
std::string iso8601_ms(std::int64_t ms);

} // namespace lemu::util
