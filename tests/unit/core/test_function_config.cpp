// core/function_config: the function ARN, the task root, and Lambda's defaults.
#include <lemu/core/function_config.hpp>

#include <gtest/gtest.h>

namespace lemu::core {
namespace {

TEST(FunctionConfig, DefaultsAreLambdas) {
  const function_config fn;
  EXPECT_EQ(fn.memory_mb, 128U);
  EXPECT_EQ(fn.timeout, std::chrono::seconds(3));
  EXPECT_EQ(fn.init_timeout, std::chrono::seconds(10));
  EXPECT_EQ(fn.version, "$LATEST");
  EXPECT_EQ(fn.function_arn(), "arn:aws:lambda:us-east-1:123456789012:function:function");
}

TEST(FunctionConfig, ArnUsesRegionAccountAndName) {
  function_config fn;
  fn.region = "eu-central-2";
  fn.account_id = "000011112222";
  fn.function_name = "orders-api";
  EXPECT_EQ(fn.function_arn(), "arn:aws:lambda:eu-central-2:000011112222:function:orders-api");
}

TEST(FunctionConfig, TaskRootIsTheBootstrapsFolder) {
  function_config fn;
  fn.bootstrap = "/var/task/bin/bootstrap";
  EXPECT_EQ(fn.task_root(), std::filesystem::path("/var/task/bin"));
}

} // namespace
} // namespace lemu::core
