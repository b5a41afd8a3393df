// Cleaning and escaping of arbitrary text for XML and HTML, and the number formats of the reports.
#include <lemu/report/text.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace lemu::report {
namespace {

TEST(clean_text, plain_text_and_unicode_unchanged) {
  EXPECT_EQ(clean_text(""), "");
  EXPECT_EQ(clean_text("hello, world\n\ttab\r\n"), "hello, world\n\ttab\r\n");
  EXPECT_EQ(clean_text("<&>\"'"), "<&>\"'"); // escaping is a separate step
  EXPECT_EQ(clean_text("\u00e9 \u4e2d \U0001F600 \u00a0 \uFFFD \U0010FFFD"), "\u00e9 \u4e2d \U0001F600 \u00a0 \uFFFD \U0010FFFD");
}

TEST(clean_text, ansi_sequences_are_removed) {
  EXPECT_EQ(clean_text("\x1b[31mred\x1b[0m"), "red");
  EXPECT_EQ(clean_text("\x1b[1;38;5;208mbold\x1b[m"), "bold");
  EXPECT_EQ(clean_text("a\x1b[2Kb\x1b[?25lc"), "abc");
  EXPECT_EQ(clean_text("\x1b]0;window title\x07text"), "text");
  EXPECT_EQ(clean_text("\x1b]8;;link\x1b\\text\x1b]8;;\x1b\\"), "text");
  EXPECT_EQ(clean_text("a\x1b" "cb\x1b(Bc"), "abc");
  // A lone or broken ESC stays visible.
  EXPECT_EQ(clean_text("a\x1b"), "a\u241b");
  EXPECT_EQ(clean_text("a\x1b[31"), "a\u241b[31");
  EXPECT_EQ(clean_text("\x1b]no end\nx"), "\u241b]no end\nx");
}

TEST(clean_text, control_characters_become_pictures) {
  EXPECT_EQ(clean_text(std::string("a\0b", 3)), "a\u2400b");
  EXPECT_EQ(clean_text("\x01\x02\x07\x08\x0b\x0c\x0e\x1f"), "\u2401\u2402\u2407\u2408\u240b\u240c\u240e\u241f");
  EXPECT_EQ(clean_text("\x7f"), "\u2421");
}

TEST(clean_text, invalid_utf8_and_forbidden_code_points_are_replaced) {
  EXPECT_EQ(clean_text("\xff"), "\uFFFD");
  EXPECT_EQ(clean_text("\xc3"), "\uFFFD");                     // truncated
  EXPECT_EQ(clean_text("\xc3\x28"), "\uFFFD(");                // bad continuation
  EXPECT_EQ(clean_text("\xc0\xaf"), "\uFFFD\uFFFD");           // overlong
  EXPECT_EQ(clean_text("\xe0\x80\xaf"), "\uFFFD\uFFFD\uFFFD"); // overlong
  EXPECT_EQ(clean_text("\xed\xa0\x80"), "\uFFFD\uFFFD\uFFFD"); // surrogate
  EXPECT_EQ(clean_text("\xf4\x90\x80\x80"), "\uFFFD\uFFFD\uFFFD\uFFFD"); // beyond U+10FFFF
  EXPECT_EQ(clean_text("\xc2\x85"), "\uFFFD");                 // C1 control (NEL)
  EXPECT_EQ(clean_text("\xef\xbf\xbe\xef\xbf\xbf"), "\uFFFD\uFFFD"); // U+FFFE, U+FFFF
  EXPECT_EQ(clean_text("\xef\xb7\x90"), "\uFFFD");             // U+FDD0
  EXPECT_EQ(clean_text("\xf0\x9f\xbf\xbf"), "\uFFFD");         // U+1FFFF
}

TEST(clean_token, collapses_whitespace) {
  EXPECT_EQ(clean_token("  a \n\t b\r\nc  "), "a b c");
  EXPECT_EQ(clean_token(" \n "), "");
  EXPECT_EQ(clean_token("\x1b[1mx\x1b[0m y"), "x y");
}

TEST(escaping, xml_text_and_attributes) {
  EXPECT_EQ(xml_text("a<b>&c\"d'e\tf\ng\rh]]>"), "a&lt;b&gt;&amp;c\"d'e\tf\ng&#13;h]]&gt;");
  EXPECT_EQ(xml_attribute("a<b>&c\"d'e\tf\ng\rh"), "a&lt;b&gt;&amp;c&quot;d'e&#9;f&#10;g&#13;h");
  EXPECT_EQ(xml_text("\x1b[31m\x01"), "\u2401");
}

TEST(escaping, html) {
  EXPECT_EQ(html_escape("<script>alert('x&y')</script>\""), "&lt;script&gt;alert(&#39;x&amp;y&#39;)&lt;/script&gt;&quot;");
  EXPECT_EQ(html_escape("a\r\nb\rc\n"), "a\nb\nc\n");
}

TEST(numbers, decimal) {
  EXPECT_EQ(decimal(0, 3), "0.000");
  EXPECT_EQ(decimal(0.0012, 3), "0.001");
  EXPECT_EQ(decimal(1.2345, 2), "1.23");
  EXPECT_EQ(decimal(12345.5, 3), "12345.500");
  EXPECT_EQ(decimal(-1, 3), "0.000");
  EXPECT_EQ(decimal(std::nan(""), 3), "0.000");
  EXPECT_EQ(decimal(std::numeric_limits<double>::infinity(), 3), "0.000");
}

TEST(numbers, short_number) {
  EXPECT_EQ(short_number(0), "0");
  EXPECT_EQ(short_number(0.05), "0.05");
  EXPECT_EQ(short_number(0.0015), "0.0015");
  EXPECT_EQ(short_number(0.07), "0.07");
  EXPECT_EQ(short_number(1.5), "1.5");
  EXPECT_EQ(short_number(2), "2");
  EXPECT_EQ(short_number(12.34), "12.3");
  EXPECT_EQ(short_number(250), "250");
  EXPECT_EQ(short_number(12000), "12000");
  EXPECT_EQ(short_number(-2.5), "-2.5");
  EXPECT_EQ(short_number(std::nan("")), "0");
}

} // namespace
} // namespace lemu::report
