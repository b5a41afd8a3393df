// util/url: lenient percent-decoding through Boost.URL, and query strings.
#include <lemu/util/url.hpp>

#include <gtest/gtest.h>

#include <string>

namespace lemu::util {
namespace {

using params = std::vector<std::pair<std::string, std::string>>;

TEST(PercentDecode, DecodesEscapesOnly) {
  EXPECT_EQ(percent_decode("arn%3Aaws%3alambda"), "arn:aws:lambda");
  EXPECT_EQ(percent_decode("%24LATEST"), "$LATEST");
  EXPECT_EQ(percent_decode("a%20b%2Fc"), "a b/c");
  EXPECT_EQ(percent_decode("%41"), "A");
  EXPECT_EQ(percent_decode("a+b"), "a+b"); // not a space
  EXPECT_EQ(percent_decode("%00x"), std::string("\0x", 2));
  EXPECT_EQ(percent_decode("%ff"), "\xff");
  EXPECT_EQ(percent_decode("caf\xC3\xA9 \"q\""), "caf\xC3\xA9 \"q\""); // raw bytes pass through
  EXPECT_EQ(percent_decode(""), "");
}

TEST(PercentDecode, KeepsAPercentThatStartsNoEscape) {
  EXPECT_EQ(percent_decode("%zz"), "%zz");
  EXPECT_EQ(percent_decode("a%4"), "a%4");
  EXPECT_EQ(percent_decode("%4"), "%4");
  EXPECT_EQ(percent_decode("%"), "%");
  EXPECT_EQ(percent_decode("%%41"), "%A");
  EXPECT_EQ(percent_decode("%4g%41"), "%4gA");
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%2525"), "%25");
}

TEST(ParseQuery, SplitsAndDecodesInOrder) {
  EXPECT_EQ(parse_query("a=1&b&a=%32"), (params{{"a", "1"}, {"b", ""}, {"a", "2"}}));
  EXPECT_EQ(parse_query("x=a=b&y="), (params{{"x", "a=b"}, {"y", ""}}));
  EXPECT_EQ(parse_query("q=%20x+y&%6Eame=v"), (params{{"q", " x+y"}, {"name", "v"}}));
  EXPECT_EQ(parse_query("&&=skipped&k=v&"), (params{{"k", "v"}}));
  EXPECT_EQ(parse_query("bad=%zz&sp=a b"), (params{{"bad", "%zz"}, {"sp", "a b"}}));
  EXPECT_EQ(parse_query(""), params{});
}

TEST(ParseQuery, RawModeKeepsTheBytes) {
  EXPECT_EQ(parse_query("a=%41&b=%zz+1", false), (params{{"a", "%41"}, {"b", "%zz+1"}}));
}

TEST(QueryParameter, FindsTheFirstByDecodedName) {
  EXPECT_EQ(query_parameter("Qualifier=%24LATEST&Qualifier=2", "Qualifier"), "$LATEST");
  EXPECT_EQ(query_parameter("x=1&Qualifier", "Qualifier"), "");
  EXPECT_EQ(query_parameter("qualifier=1", "Qualifier"), std::nullopt);
}

} // namespace
} // namespace lemu::util
