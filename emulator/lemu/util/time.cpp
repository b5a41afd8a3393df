#include <lemu/util/time.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>

namespace lemu::util {

namespace {
// Floor division, so that times before the epoch keep a millisecond part in [0, 1000).
std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0) ? 1 : 0); }
} // namespace

std::int64_t epoch_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string utc_time(std::int64_t ms, std::string_view spec) {
  const auto seconds = static_cast<std::time_t>(floor_div(ms, 1000));
  return fmt::format(fmt::runtime(fmt::format("{{:{}}}", spec)), fmt::gmtime(seconds));
}

std::string iso8601_ms(std::int64_t ms) {
  return fmt::format("{}.{:03}Z", utc_time(ms, "%Y-%m-%dT%H:%M:%S"), ms - floor_div(ms, 1000) * 1000);
}

} // namespace lemu::util
