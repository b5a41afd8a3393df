// util/time: UTC formatting through fmt, whole seconds and milliseconds, before and after the epoch.
#include <lemu/util/time.hpp>

#include <gtest/gtest.h>

namespace lemu::util {
namespace {

constexpr std::int64_t t = 1584039838123; // 2020-03-12T19:03:58.123Z

TEST(Time, FormatsUtcWithStrftimeSpecifiers) {
  EXPECT_EQ(utc_time(t, "%Y/%m/%d"), "2020/03/12");
  EXPECT_EQ(utc_time(t, "%d/%b/%Y:%H:%M:%S +0000"), "12/Mar/2020:19:03:58 +0000");
  EXPECT_EQ(utc_time(t, "%Y-%m-%dT%H:%M:%SZ"), "2020-03-12T19:03:58Z");
  EXPECT_EQ(utc_time(0, "%Y-%m-%d %H:%M:%S"), "1970-01-01 00:00:00");
}

TEST(Time, Iso8601HasMilliseconds) {
  EXPECT_EQ(iso8601_ms(t), "2020-03-12T19:03:58.123Z");
  EXPECT_EQ(iso8601_ms(1735689600000), "2025-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601_ms(-1), "1969-12-31T23:59:59.999Z"); // floor, not truncation
}

TEST(Time, EpochMsOfAClockTime) {
  const auto tp = std::chrono::system_clock::time_point(std::chrono::milliseconds(t));
  EXPECT_EQ(epoch_ms(tp), t);
  const std::int64_t now = epoch_ms();
  EXPECT_GT(now, t);
}

} // namespace
} // namespace lemu::util
