#include <lemu/app/output.hpp>

#include <gtest/gtest.h>

using lemu::app::outcome_line;
using lemu::core::outcome;

namespace {
outcome with_payload(std::string p) {
  outcome o;
  o.payload = std::move(p);
  return o;
}
} // namespace

TEST(OutcomeLine, JsonOnOneLineIsPrintedAsIs) {
  EXPECT_EQ(outcome_line(with_payload(R"({"b": 1, "a": [1, 2]})")), R"({"b": 1, "a": [1, 2]})");
  EXPECT_EQ(outcome_line(with_payload("42")), "42");
  EXPECT_EQ(outcome_line(with_payload(R"("text")")), R"("text")");
}

TEST(OutcomeLine, JsonOverSeveralLinesIsCompactedKeepingKeyOrder) {
  EXPECT_EQ(outcome_line(with_payload("{\n  \"z\": 1,\n  \"a\": {\"k\": [true, null]}\n}\n")), R"({"z":1,"a":{"k":[true,null]}})");
  EXPECT_EQ(outcome_line(with_payload("{\"a\":1}\r\n")), R"({"a":1})");
}

TEST(OutcomeLine, AnythingElseBecomesAJsonString) {
  EXPECT_EQ(outcome_line(with_payload("SUCCESS")), R"("SUCCESS")");
  EXPECT_EQ(outcome_line(with_payload("two\nlines")), R"("two\nlines")");
  EXPECT_EQ(outcome_line(with_payload("")), R"("")");
  EXPECT_EQ(outcome_line(with_payload("bad \xff byte")), "\"bad \xEF\xBF\xBD byte\"");
}
