// Log format and level names, and the thresholds in force.
#include <lemu/core/function_config.hpp>
#include <lemu/core/log_config.hpp>

#include <gtest/gtest.h>

namespace lemu::core {
namespace {

TEST(log_config, names_parse_in_any_case) {
  EXPECT_EQ(parse_log_format("json"), log_format::json);
  EXPECT_EQ(parse_log_format("Text"), log_format::text);
  EXPECT_EQ(parse_log_format("xml"), std::nullopt);
  EXPECT_EQ(parse_log_level("warn"), log_level::warn);
  EXPECT_EQ(parse_log_level("FATAL"), log_level::fatal);
  EXPECT_EQ(parse_log_level("WARNING"), std::nullopt);
  EXPECT_EQ(parse_log_level(""), std::nullopt);
  EXPECT_STREQ(to_string(log_format::json), "JSON");
  EXPECT_STREQ(to_string(log_format::text), "Text");
  EXPECT_STREQ(to_string(log_level::trace), "TRACE");
  EXPECT_STREQ(to_string(log_level::error), "ERROR");
}

TEST(log_config, system_levels_are_debug_info_warn) {
  EXPECT_TRUE(is_system_log_level(log_level::debug));
  EXPECT_TRUE(is_system_log_level(log_level::info));
  EXPECT_TRUE(is_system_log_level(log_level::warn));
  EXPECT_FALSE(is_system_log_level(log_level::trace));
  EXPECT_FALSE(is_system_log_level(log_level::error));
}

TEST(log_config, json_defaults_to_info_and_text_filters_nothing) {
  function_config fn;
  EXPECT_EQ(fn.log_thresholds().format, log_format::text);
  EXPECT_EQ(fn.log_thresholds().application, log_level::trace);
  EXPECT_EQ(fn.log_thresholds().system, log_level::trace);
  fn.log_format = log_format::json;
  EXPECT_EQ(fn.log_thresholds().application, log_level::info);
  EXPECT_EQ(fn.log_thresholds().system, log_level::info);
  fn.system_log_level = log_level::debug;
  EXPECT_EQ(fn.log_thresholds().system, log_level::debug);
  EXPECT_TRUE(passes(log_level::warn, log_level::info));
  EXPECT_TRUE(passes(log_level::info, log_level::info));
  EXPECT_FALSE(passes(log_level::debug, log_level::info));
}

} // namespace
} // namespace lemu::core
