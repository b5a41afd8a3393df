// AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL: set with the JSON log format only.
#include <lemu/process/environment.hpp>

#include <gtest/gtest.h>

namespace lemu::process {
namespace {

std::map<std::string, std::string> env_of(const core::function_config& fn) {
  return build_environment(fn, 40123, "stream", host_environment{});
}

TEST(build_environment, text_log_format_sets_neither_variable) {
  core::function_config fn;
  fn.bootstrap = "/srv/fn/bootstrap";
  const auto env = env_of(fn);
  EXPECT_EQ(env.count("AWS_LAMBDA_LOG_FORMAT"), 0u);
  EXPECT_EQ(env.count("AWS_LAMBDA_LOG_LEVEL"), 0u);
}

TEST(build_environment, json_log_format_sets_format_and_application_level) {
  core::function_config fn;
  fn.bootstrap = "/srv/fn/bootstrap";
  fn.log_format = core::log_format::json;
  auto env = env_of(fn);
  EXPECT_EQ(env.at("AWS_LAMBDA_LOG_FORMAT"), "JSON");
  EXPECT_EQ(env.at("AWS_LAMBDA_LOG_LEVEL"), "INFO"); // Lambda's default
  fn.application_log_level = core::log_level::debug;
  fn.system_log_level = core::log_level::warn; // not the function's business
  env = env_of(fn);
  EXPECT_EQ(env.at("AWS_LAMBDA_LOG_LEVEL"), "DEBUG");
}

TEST(build_environment, json_log_format_overrides_a_users_value) {
  core::function_config fn;
  fn.bootstrap = "/srv/fn/bootstrap";
  fn.log_format = core::log_format::json;
  fn.application_log_level = core::log_level::error;
  fn.env = {{"AWS_LAMBDA_LOG_LEVEL", "TRACE"}};
  EXPECT_EQ(env_of(fn).at("AWS_LAMBDA_LOG_LEVEL"), "ERROR");
}

} // namespace
} // namespace lemu::process
