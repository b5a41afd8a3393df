#include <lemu/app/output.hpp>

#include <gtest/gtest.h>

using lemu::app::format_outcome;
using lemu::core::outcome;

namespace {
outcome with_payload(std::string p) {
  outcome o;
  o.payload = std::move(p);
  return o;
}
} // namespace

TEST(OutcomeLine, JsonOnOneLineIsPrintedAsIs) {
  EXPECT_EQ(format_outcome(with_payload(R"({"b": 1, "a": [1, 2]})")), R"({"b": 1, "a": [1, 2]})");
  EXPECT_EQ(format_outcome(with_payload("42")), "42");
  EXPECT_EQ(format_outcome(with_payload(R"("text")")), R"("text")");
}

TEST(OutcomeLine, JsonOverSeveralLinesIsCompactedKeepingKeyOrder) {
  EXPECT_EQ(format_outcome(with_payload("{\n  \"z\": 1,\n  \"a\": {\"k\": [true, null]}\n}\n")), R"({"z":1,"a":{"k":[true,null]}})");
  EXPECT_EQ(format_outcome(with_payload("{\"a\":1}\r\n")), R"({"a":1})");
}

TEST(OutcomeLine, AnythingElseBecomesAJsonString) {
  EXPECT_EQ(format_outcome(with_payload("SUCCESS")), R"("SUCCESS")");
  EXPECT_EQ(format_outcome(with_payload("two\nlines")), R"("two\nlines")");
  EXPECT_EQ(format_outcome(with_payload("")), R"("")");
  EXPECT_EQ(format_outcome(with_payload("bad \xff byte")), "\"bad \xEF\xBF\xBD byte\"");
}
