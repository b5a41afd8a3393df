// util/text: hex and fixed-point formatting, case-insensitive comparison, trimming, text positions.
#include <lemu/util/text.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace lemu::util {
namespace {

TEST(Text, AppendHexPadsAndTruncatesToTheDigits) {
  std::string s = "x";
  append_hex(s, 0xABC, 6);
  EXPECT_EQ(s, "x000abc");
  s.clear();
  append_hex(s, 0x123456789ULL, 4); // only the low digits
  EXPECT_EQ(s, "6789");
  s.clear();
  append_hex(s, ~0ULL, 16);
  EXPECT_EQ(s, "ffffffffffffffff");
}

TEST(Text, Fixed2RoundsToTwoDigits) {
  EXPECT_EQ(fixed2(3.014), "3.01");
  EXPECT_EQ(fixed2(0.005), "0.01");
  EXPECT_EQ(fixed2(0), "0.00");
  EXPECT_EQ(fixed2(1234.5), "1234.50");
}

TEST(Text, CaseInsensitiveComparisonIsAscii) {
  EXPECT_TRUE(iequals("Content-Type", "content-type"));
  EXPECT_TRUE(iequals("", ""));
  EXPECT_FALSE(iequals("Content-Type", "Content-Typ"));
  EXPECT_FALSE(iequals("\xC3\xA9", "\xC3\x89")); // é vs É: not ASCII, not folded
  EXPECT_TRUE(istarts_with("Text/Plain", "text/"));
  EXPECT_FALSE(istarts_with("tex", "text/"));
  EXPECT_EQ(to_lower("X-Amz-Id ÉA"), "x-amz-id Éa");
  EXPECT_EQ(to_upper("get /Items"), "GET /ITEMS");
}

TEST(Text, HttpTokens) {
  EXPECT_TRUE(is_http_token("X-Amz-Date"));
  EXPECT_TRUE(is_http_token("!#$%&'*+-.^_`|~09azAZ"));
  EXPECT_FALSE(is_http_token(""));
  EXPECT_FALSE(is_http_token("Bad Name"));
  EXPECT_FALSE(is_http_token("a:b"));
  EXPECT_FALSE(is_http_token("caf\xC3\xA9"));
}

TEST(Text, TrimAndEndsWith) {
  EXPECT_EQ(trim(" \t\r\n x y \n"), "x y");
  EXPECT_EQ(trim("   "), "");
  EXPECT_EQ(trim_ows(" \tx y\t "), "x y");
  EXPECT_EQ(trim_ows("\nx\n"), "\nx\n"); // only spaces and tabs
  EXPECT_EQ(trim_ows(" \t "), "");
  EXPECT_TRUE(ends_with("events.jsonl", ".jsonl"));
  EXPECT_FALSE(ends_with("l", ".jsonl"));
}

TEST(Text, PositionsAreOneBasedLinesAndColumns) {
  const std::string text = "ab\ncd\n\nef";
  EXPECT_EQ(position_of(text, 0).line, 1U);
  EXPECT_EQ(position_of(text, 0).column, 1U);
  EXPECT_EQ(position_of(text, 4).line, 2U);
  EXPECT_EQ(position_of(text, 4).column, 2U);
  EXPECT_EQ(position_of(text, 8).line, 4U);
  EXPECT_EQ(position_of(text, 1000).line, 4U); // clamped to the end
  text_position pos;
  advance(pos, "ab\nc");
  advance(pos, "d\ne");
  EXPECT_EQ(pos.line, 3U);
  EXPECT_EQ(pos.column, 2U);
}

TEST(Text, SplitKeepsEmptyParts) {
  using parts = std::vector<std::string_view>;
  EXPECT_EQ(split("/usr/bin:/bin", ':'), (parts{"/usr/bin", "/bin"}));
  EXPECT_EQ(split("a::b:", ':'), (parts{"a", "", "b", ""}));
  EXPECT_EQ(split("", ','), (parts{""}));
  EXPECT_EQ(split("one", ','), (parts{"one"}));
}

} // namespace
} // namespace lemu::util
