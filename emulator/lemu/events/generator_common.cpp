#include <lemu/events/generator_common.hpp>

#include <lemu/util/text.hpp>
#include <lemu/util/time.hpp>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace lemu::events::detail {

namespace {

std::int64_t initial_clock(const generator_options& o) {
  if (o.now_ms) return *o.now_ms;
  if (o.seed) return seeded_clock_ms;
  return util::epoch_ms();
}

std::uint64_t initial_seed(const generator_options& o) { return o.seed ? *o.seed : core::random_seed(); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }

} // namespace

context::context(const generator_options& o) : opt(o), m_ids(initial_seed(o)), m_now_ms(initial_clock(o)) {}

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

std::string context::upper_hex(std::size_t n) { return m_ids.characters("0123456789ABCDEF", n); }

// IAM unique ids: base32.
std::string context::upper_alnum(std::size_t n) { return m_ids.characters("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", n); }

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
  std::string root = "Root=1-";
  util::append_hex(root, static_cast<unsigned long long>(m_now_ms / 1000) & 0xFFFFFFFFULL, 8);
  return root + '-' + hex(24);
}

void fail(const std::string& message) { throw std::invalid_argument(message); }

std::string clf_time(std::int64_t ms) { return util::utc_time(ms, "%d/%b/%Y:%H:%M:%S +0000"); }

std::string iso_time_ms(std::int64_t ms) { return util::iso8601_ms(ms); }

std::string iso_time_s(std::int64_t ms) { return util::utc_time(ms, "%Y-%m-%dT%H:%M:%SZ"); }

std::string stream_label(std::int64_t ms) {
  std::string label = util::iso8601_ms(ms);
  label.pop_back(); // the 'Z'
  return label;
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
