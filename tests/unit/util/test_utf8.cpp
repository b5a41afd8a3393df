// util/utf8: strict validation (simdjson), one-sequence decoding, repair with U+FFFD, encoding, safe cuts.
#include <lemu/util/utf8.hpp>

#include <gtest/gtest.h>

#include <string>

namespace lemu::util {
namespace {

TEST(Utf8, ValidationIsStrict) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF")); // é € 😀 U+10FFFF
  EXPECT_TRUE(is_valid_utf8(std::string("a\0b", 3)));                               // NUL is a character
  EXPECT_FALSE(is_valid_utf8("\xC3"));                                                // truncated
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));                                            // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));                                        // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));                                        // surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));                                    // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\x80"));                                                // lone continuation byte
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));                                            // truncated
  EXPECT_FALSE(is_valid_utf8("\xFF"));
  // Long inputs go through simdjson's SIMD path: one bad byte anywhere is found.
  std::string long_text(1000, 'x');
  EXPECT_TRUE(is_valid_utf8(long_text));
  long_text[777] = '\xFE';
  EXPECT_FALSE(is_valid_utf8(long_text));
}

TEST(Utf8, DecodeGivesLengthAndCodePoint) {
  char32_t cp = 0;
  EXPECT_EQ(decode_utf8("A", 0, cp), 1U);
  EXPECT_EQ(cp, U'A');
  EXPECT_EQ(decode_utf8("x\xC3\xA9", 1, cp), 2U);
  EXPECT_EQ(cp, U'\u00e9');
  EXPECT_EQ(decode_utf8("\xE2\x82\xAC", 0, cp), 3U);
  EXPECT_EQ(cp, U'\u20ac');
  EXPECT_EQ(decode_utf8("\xF0\x9F\x98\x80", 0, cp), 4U);
  EXPECT_EQ(cp, U'\U0001F600');
  for (const char* bad : {"\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\x80", "\xE2\x82", "\xFF"})
    EXPECT_EQ(decode_utf8(bad, 0, cp), 0U) << bad;
}

TEST(Utf8, RepairReplacesEachBadByte) {
  EXPECT_EQ(to_valid_utf8("ok \xC3\xA9"), "ok \xC3\xA9");
  EXPECT_EQ(to_valid_utf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(to_valid_utf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD"); // two stray bytes, two replacements
  EXPECT_TRUE(is_valid_utf8(to_valid_utf8("\xC0\xAF\xED\xA0\x80\xF4\x90\x80\x80")));
}

TEST(Utf8, EncodeRoundTripsThroughDecode) {
  for (const char32_t cp : {U'\0', U'A', U'\u007f', U'\u0080', U'\u07ff', U'\u0800', U'\uffff', U'\U00010000',
                            U'\U0010FFFF'}) {
    std::string s;
    append_utf8(s, cp);
    char32_t back = 0xFFFFFFFF;
    ASSERT_EQ(decode_utf8(s, 0, back), s.size());
    EXPECT_EQ(back, cp);
    EXPECT_TRUE(is_valid_utf8(s));
  }
}

TEST(Utf8, PrefixNeverCutsASequence) {
  const std::string s = "ab\u00e9\U0001F600c"; // a b (2 bytes) (4 bytes) c = 9 bytes
  EXPECT_EQ(utf8_prefix(s, 100), s);
  EXPECT_EQ(utf8_prefix(s, 2), "ab");
  EXPECT_EQ(utf8_prefix(s, 3), "ab");
  EXPECT_EQ(utf8_prefix(s, 4), "ab\u00e9");
  EXPECT_EQ(utf8_prefix(s, 7), "ab\u00e9");
  EXPECT_EQ(utf8_prefix(s, 8), "ab\u00e9\U0001F600");
  EXPECT_EQ(utf8_prefix(s, 0), "");
}

} // namespace
} // namespace lemu::util
