// The runtime's environment (what Lambda gives a provided.al2023 runtime), Lambda's rules for user
// variable names, and --env-file parsing. Pure.
#include <lemu/process/env_file.hpp>
#include <lemu/process/environment.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

namespace lemu::process {
namespace {

core::function_config function() {
  core::function_config fn;
  fn.bootstrap = "/srv/fn/bootstrap";
  fn.function_name = "orders";
  fn.memory_mb = 512;
  fn.region = "eu-west-1";
  fn.env = {{"TABLE", "orders"}, {"PATH", "/custom/bin"}};
  return fn;
}

TEST(build_environment, has_what_lambda_sets_and_the_users_variables) {
  const host_environment host{std::string("/usr/bin:/bin"), std::nullopt, std::string("AKID"), std::nullopt, std::nullopt};
  const auto env = build_environment(function(), 40123, "2026/12/01/[$LATEST]0123", host);
  EXPECT_EQ(env.at("AWS_LAMBDA_RUNTIME_API"), "127.0.0.1:40123");
  EXPECT_EQ(env.at("_HANDLER"), "function.handler");
  EXPECT_EQ(env.at("LAMBDA_TASK_ROOT"), "/srv/fn");
  EXPECT_EQ(env.at("AWS_LAMBDA_FUNCTION_NAME"), "orders");
  EXPECT_EQ(env.at("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), "512");
  EXPECT_EQ(env.at("AWS_LAMBDA_LOG_GROUP_NAME"), "/aws/lambda/orders");
  EXPECT_EQ(env.at("AWS_LAMBDA_LOG_STREAM_NAME"), "2026/12/01/[$LATEST]0123");
  EXPECT_EQ(env.at("AWS_REGION"), "eu-west-1");
  EXPECT_EQ(env.at("AWS_DEFAULT_REGION"), "eu-west-1");
  EXPECT_EQ(env.at("TZ"), ":UTC");
  EXPECT_EQ(env.at("LD_LIBRARY_PATH"), "/srv/fn:/srv/fn/lib");
  EXPECT_EQ(env.at("AWS_ACCESS_KEY_ID"), "AKID");
  EXPECT_EQ(env.at("TABLE"), "orders");
  EXPECT_EQ(env.at("PATH"), "/custom/bin"); // unreserved: the user's value wins
  for (const char* never : {"_LAMBDA_SERVER_PORT", "AWS_LAMBDA_MAX_CONCURRENCY", "_X_AMZN_TRACE_ID", "AWS_EXECUTION_ENV",
                            "AWS_SECRET_ACCESS_KEY"}) {
    EXPECT_EQ(env.count(never), 0u) << never;
  }
  const auto envp = to_envp(env);
  EXPECT_THAT(envp, ::testing::Contains("TABLE=orders"));
  EXPECT_TRUE(std::is_sorted(envp.begin(), envp.end()));
}

TEST(make_log_stream_name, is_lambdas_format) {
  const std::string name = make_log_stream_name("$LATEST", 0x0123456789abcdefULL, 0xfedcba9876543210ULL);
  EXPECT_TRUE(std::regex_match(name, std::regex(R"(\d{4}/\d{2}/\d{2}/\[\$LATEST\]0123456789abcdeffedcba9876543210)"))) << name;
}

TEST(check_user_variable, refuses_reserved_names_and_names_lambda_refuses) {
  for (const char* reserved : {"_HANDLER", "AWS_REGION", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "AWS_LAMBDA_FUNCTION_NAME"}) {
    EXPECT_THROW(check_user_variable(reserved), reserved_variable_error) << reserved;
  }
  for (const char* bad : {"", "A", "1A", "_A", "A-B", "A B", "A=B", "Ä1"}) {
    EXPECT_THROW(check_user_variable(bad), reserved_variable_error) << bad;
  }
  for (const char* ok : {"AB", "Table_1", "AWS_LAMBDA_EXEC_WRAPPER", "AWS_ACCESS_KEY_ID", "PATH", "LD_LIBRARY_PATH"}) {
    EXPECT_NO_THROW(check_user_variable(ok)) << ok;
  }
}

TEST(parse_env_file, reads_docker_style_lines) {
  const auto vars = parse_env_file("# comment\n\nA=1\nexport B='two words'\n  C=\"3\"  \nD=\nE=x=y\r\nF= kept\n", "f.env");
  const std::vector<std::pair<std::string, std::string>> expected{{"A", "1"}, {"B", "two words"}, {"C", "3"}, {"D", ""}, {"E", "x=y"}, {"F", " kept"}};
  EXPECT_EQ(vars, expected);
}

TEST(parse_env_file, names_the_line_that_is_not_an_assignment) {
  try {
    (void)parse_env_file("A=1\nnot an assignment\n", "f.env");
    FAIL();
  } catch (const env_file_error& e) {
    EXPECT_STREQ(e.what(), "f.env:2: expected NAME=VALUE, got 'not an assignment'");
  }
  EXPECT_THROW((void)parse_env_file("=value\n", "f.env"), env_file_error);
}

TEST(read_env_file, refuses_a_missing_or_huge_file) {
  EXPECT_THROW((void)read_env_file("/no/such/env-file"), env_file_error);
}

} // namespace
} // namespace lemu::process

TEST(extension_environment, hides_what_lambda_hides_from_extensions) {
  std::map<std::string, std::string> env{{"AWS_EXECUTION_ENV", "x"},         {"AWS_LAMBDA_LOG_GROUP_NAME", "g"},
                                         {"AWS_LAMBDA_LOG_STREAM_NAME", "s"}, {"AWS_XRAY_CONTEXT_MISSING", "LOG_ERROR"},
                                         {"AWS_XRAY_DAEMON_ADDRESS", "a"},   {"LAMBDA_RUNTIME_DIR", "/var/runtime"},
                                         {"LAMBDA_TASK_ROOT", "/var/task"},  {"_HANDLER", "h"},
                                         {"_AWS_XRAY_DAEMON_PORT", "2000"},  {"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"},
                                         {"AWS_LAMBDA_FUNCTION_NAME", "fn"}, {"TZ", ":UTC"}};
  const auto out = lemu::process::extension_environment(env);
  EXPECT_EQ(out, (std::map<std::string, std::string>{{"AWS_LAMBDA_FUNCTION_NAME", "fn"},
                                                     {"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"},
                                                     {"TZ", ":UTC"}}));
}
