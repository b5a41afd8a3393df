#pragma once
// Internals shared by the event generators (not part of the public API): the per-event context (random
// source and clock), id and time formats, option checks, and the per-kind builders.

#include <lemu/core/ids.hpp>
#include <lemu/events/generators.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lemu::events::detail {

using json = nlohmann::ordered_json;

// The clock used when only a seed is given: 2025-01-01T00:00:00Z.
inline constexpr std::int64_t seeded_clock_ms = 1735689600000;

// One event's random source (core::id_generator: draws are a modulo of its 64-bit output, so a seed gives
// the same event everywhere) and clock.
class context {
public:
  explicit context(const generator_options& o);

  const generator_options& opt;

  std::int64_t now_ms() const { return m_now_ms; }
  std::uint64_t next() { return m_ids.next(); }
  std::uint64_t below(std::uint64_t n) { return m_ids.below(n); }

  std::string uuid_v4();
  std::string random_bytes(std::size_t n);
  std::string hex(std::size_t n) { return m_ids.hex(n); } // lowercase
  std::string upper_hex(std::size_t n); // uppercase
  std::string lower_alnum(std::size_t n) { return m_ids.lower_alnum(n); }
  std::string upper_alnum(std::size_t n);
  std::string digits(std::size_t n); // first digit not 0
  std::string source_ip();           // opt.source_ip when set, else 203.0.113.x (TEST-NET-3, RFC 5737)
  std::string trace_root();          // Root=1-<8 hex epoch seconds>-<24 hex>

private:
  core::id_generator m_ids;
  std::int64_t m_now_ms;
};

[[noreturn]] void fail(const std::string& message); // throws std::invalid_argument

// Times, all UTC.
std::string clf_time(std::int64_t ms);     // 12/Mar/2020:19:03:58 +0000 (API Gateway requestTime / time)
std::string iso_time_ms(std::int64_t ms);  // 2020-03-12T19:03:58.123Z (S3 eventTime, SNS Timestamp)
std::string iso_time_s(std::int64_t ms);   // 2020-03-12T19:03:58Z (EventBridge time)
std::string stream_label(std::int64_t ms); // 2020-03-12T19:03:58.123 (DynamoDB stream ARN label)

// Checks shared by several kinds.
void check_region_and_account(const generator_options& o);
// The records' bodies: `bodies` when given, else `count` copies of `body` when given, else `count` default
// bodies ("DEFAULT (i/n)" when more than one). Throws for a count of 0 or more records than `max_records`.
std::vector<std::string> record_bodies(const generator_options& o, std::string_view kind, std::size_t max_records,
                                       const std::string& default_body);


// Builders, one per kind.
json make_sqs(context& c);
json make_sns(context& c);
json make_s3(context& c);
json make_eventbridge(context& c);
json make_dynamodb(context& c);
json make_kinesis(context& c);
json make_apigw_rest(context& c);
json make_apigw_http(context& c);
json make_function_url(context& c);
json make_alb(context& c, bool multi_value);

} // namespace lemu::events::detail
