// util/json_text: validation and minification of JSON text without a DOM (simdjson).
#include <lemu/util/json_text.hpp>

#include <gtest/gtest.h>

#include <string>

namespace lemu::util {
namespace {

TEST(JsonText, ValidatesOneCompleteValue) {
  for (const char* ok : {"{}", " [1, 2.5e3, \"x\"] ", "\"caf\xC3\xA9\"", "null", "-0", "{\"a\":{\"b\":[true,false]}}"})
    EXPECT_TRUE(is_valid_json(ok)) << ok;
  for (const char* bad : {"", "{", "{} {}", "[1,]", "'x'", "nul", "\"\xFF\"", "{\"a\" 1}", "01"})
    EXPECT_FALSE(is_valid_json(bad)) << bad;
}

TEST(JsonText, ValidatesDocumentsLargerThanTheLastOne) {
  EXPECT_TRUE(is_valid_json("[1]"));
  std::string big = "[";
  for (int i = 0; i < 100000; ++i) big += "1,";
  big += "1]";
  EXPECT_TRUE(is_valid_json(big));
  big.back() = ',';
  EXPECT_FALSE(is_valid_json(big));
}

TEST(JsonText, MinifyKeepsOrderAndValuesByteForByte) {
  EXPECT_EQ(minify_json(" { \"b\" : 1.50 ,\n \"a\" : [ \"x y\" , null ] } "), R"({"b":1.50,"a":["x y",null]})");
  EXPECT_EQ(minify_json("\"  spaces inside  \""), "\"  spaces inside  \"");
  EXPECT_EQ(minify_json("1e10"), "1e10");
}

} // namespace
} // namespace lemu::util
