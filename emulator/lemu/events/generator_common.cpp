#include <lemu/events/generator_common.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

namespace lemu::events::detail {

namespace {

std::int64_t initial_clock(const generator_options& o) {
  if (o.now_ms) return *o.now_ms;
  if (o.seed) return seeded_clock_ms;
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t initial_seed(const generator_options& o) {
  if (o.seed) return *o.seed;
  // Seeds for unseeded events come from one generator per thread, seeded once from the system: opening
  // std::random_device for every event cost more than building the event (lemu serve makes one per request).
  thread_local std::mt19937_64 seeds = [] {
    std::random_device device;
    return std::mt19937_64((static_cast<std::uint64_t>(device()) << 32U) ^ static_cast<std::uint64_t>(device()));
  }();
  return seeds();
}

struct utc_parts {
  int year;
  unsigned month, day;
  long long hour, minute, second, millisecond;
};

utc_parts split(std::int64_t ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds{ms}};
  const auto day_start = floor<days>(t);
  const year_month_day ymd{day_start};
  const auto in_day = t - day_start;
  const long long total = in_day.count();
  return {static_cast<int>(ymd.year()),
          static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()),
          total / 3600000,
          total / 60000 % 60,
          total / 1000 % 60,
          total % 1000};
}

constexpr std::array<const char*, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }

} // namespace

context::context(const generator_options& o) : opt(o), m_rng(initial_seed(o)), m_now_ms(initial_clock(o)) {}

std::string context::random_bytes(std::size_t n) {
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(next() & 0xFFU));
  return out;
}

std::string context::uuid_v4() {
  std::string b = random_bytes(16);
  b[6] = static_cast<char>((static_cast<unsigned char>(b[6]) & 0x0FU) | 0x40U); // version 4
  b[8] = static_cast<char>((static_cast<unsigned char>(b[8]) & 0x3FU) | 0x80U); // variant 10xx
  const std::string h = to_hex(b);
  return h.substr(0, 8) + '-' + h.substr(8, 4) + '-' + h.substr(12, 4) + '-' + h.substr(16, 4) + '-' + h.substr(20);
}

std::string context::hex(std::size_t n) {
  static constexpr std::string_view digits_ = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(digits_[below(16)]);
  return out;
}

std::string context::upper_hex(std::size_t n) {
  static constexpr std::string_view digits_ = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(digits_[below(16)]);
  return out;
}

std::string context::lower_alnum(std::size_t n) {
  static constexpr std::string_view chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(chars[below(chars.size())]);
  return out;
}

std::string context::upper_alnum(std::size_t n) {
  static constexpr std::string_view chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"; // IAM unique ids: base32
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(chars[below(chars.size())]);
  return out;
}

std::string context::digits(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<char>('0' + (i == 0 ? 1 + below(9) : below(10))));
  return out;
}

std::string context::source_ip() {
  // Drawn even when the address is given, so a seed gives the same ids with or without source_ip.
  std::string random = "203.0.113." + std::to_string(1 + below(254));
  if (opt.source_ip) {
    const std::string& ip = *opt.source_ip;
    if (ip.empty() ||
        std::any_of(ip.begin(), ip.end(), [](char ch) { return static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7F; }))
      fail("bad source IP '" + ip + "': expected an address without spaces or control characters");
    return ip;
  }
  return random;
}

std::string context::trace_root() {
  return fmt::format("Root=1-{:08x}-{}", static_cast<unsigned long long>(m_now_ms / 1000) & 0xFFFFFFFFULL, hex(24));
}

void fail(const std::string& message) { throw std::invalid_argument(message); }

// fmt rather than snprintf into a fixed buffer: GCC 12 at -O3 cannot bound the fields and warns
// -Wformat-truncation (an error with warnings as errors, as the release build and the image have).
std::string clf_time(std::int64_t ms) {
  const utc_parts p = split(ms);
  return fmt::format("{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000", p.day, month_names[p.month - 1], p.year, p.hour, p.minute,
                     p.second);
}

std::string iso_time_ms(std::int64_t ms) { return stream_label(ms) + 'Z'; }

std::string iso_time_s(std::int64_t ms) {
  const utc_parts p = split(ms);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", p.year, p.month, p.day, p.hour, p.minute, p.second);
}

std::string stream_label(std::int64_t ms) {
  const utc_parts p = split(ms);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}", p.year, p.month, p.day, p.hour, p.minute, p.second,
                     p.millisecond);
}

void check_region_and_account(const generator_options& o) {
  // Region names: lowercase words and a number joined by '-' (us-east-1, us-gov-west-1, eu-central-2).
  const std::string& r = o.region;
  bool ok = !r.empty() && is_lower(r.front()) && is_digit(r.back()) && r.find("--") == std::string::npos &&
            r.find('-') != std::string::npos;
  for (const char ch : r) ok = ok && (is_lower(ch) || is_digit(ch) || ch == '-');
  if (!ok) fail("bad region '" + r + "': expected a region name such as us-east-1");
  bool account_ok = o.account_id.size() == 12;
  for (const char ch : o.account_id) account_ok = account_ok && is_digit(ch);
  if (!account_ok) fail("bad account id '" + o.account_id + "': expected 12 digits");
}

std::vector<std::string> record_bodies(const generator_options& o, std::string_view kind, std::size_t max_records,
                                       const std::string& default_body) {
  if (!o.bodies.empty()) {
    if (o.bodies.size() > max_records)
      fail(std::string(kind) + ": " + std::to_string(o.bodies.size()) + " bodies, but a batch holds at most " +
           std::to_string(max_records) + " records");
    return o.bodies;
  }
  if (o.count == 0) fail(std::string(kind) + ": count must be at least 1");
  if (o.count > max_records)
    fail(std::string(kind) + ": count " + std::to_string(o.count) + " is over the batch limit of " +
         std::to_string(max_records) + " records");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < o.count; ++i)
    out.push_back(o.body         ? *o.body
                  : o.count == 1 ? default_body
                                 : default_body + " (" + std::to_string(i + 1) + "/" + std::to_string(o.count) + ")");
  return out;
}


} // namespace lemu::events::detail
