// --env-vars files and SAM's precedence of a function's environment variables.
#include "template_test.hpp"

#include <gmock/gmock.h>

#include <cstring>

namespace lemu::templates::test {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(TemplateEnvVars, ReadsSamsFormat) {
  const env_vars_file f = read_env_vars(fixture("env-vars/env.json"));
  EXPECT_EQ(f.all, (std::map<std::string, std::string>{{"STAGE", "staging"}, {"NOT_DECLARED", "ignored"}}));
  ASSERT_EQ(f.per_function.count("OrdersFunction"), 1u);
  EXPECT_EQ(f.per_function.at("OrdersFunction"),
            (std::map<std::string, std::string>{{"TABLE_NAME", "local-orders"}, {"MAX_ITEMS", "50"}, {"DEBUG", "false"}}));
}

TEST(TemplateEnvVars, Errors) {
  const auto bad = fixture("env-vars/bad.json");
  EXPECT_EQ(error_of([&] { read_env_vars(bad); }),
            bad.string() + ":4:3: syntax error while parsing object key - unexpected "
                           "'}'; expected string literal");
  const auto wrong = fixture("env-vars/wrong-type.json");
  EXPECT_EQ(error_of([&] { read_env_vars(wrong); }),
            wrong.string() + ": Orders.LIST: expected a string, a number or a boolean, got an array");
  const auto missing = fixture("env-vars/missing.json");
  EXPECT_EQ(error_of([&] { read_env_vars(missing); }), "--env-vars " + missing.string() + ": no such file");
  scratch s;
  const auto flat = s.write("flat.json", R"({"Parameters": {"A": null}})");
  EXPECT_EQ(error_of([&] { read_env_vars(flat); }),
            flat.string() + ": Parameters.A: expected a string, a number or a boolean, got null");
  const auto array = s.write("array.json", "[1]");
  EXPECT_EQ(error_of([&] { read_env_vars(array); }), array.string() + ": expected an object, got an array");
  const auto nested = s.write("nested.json", R"({"Fn": "x"})");
  EXPECT_EQ(error_of([&] { read_env_vars(nested); }), nested.string() + ": Fn: expected an object of variables, got string");
}

// The shell of the precedence test: V is set, anything else is not.
const char* shell_with_v(const char* name) { return std::strcmp(name, "V") == 0 ? "shell" : nullptr; }
const char* empty_shell(const char*) { return nullptr; }

TEST(TemplateEnvVars, PrecedenceTemplateShellParametersFunction) {
  function fn;
  fn.logical_id = "Orders";
  fn.function_name = "orders-dev";
  fn.environment = {{"V", "template"}};
  struct row {
    bool shell, parameters, by_id, by_name;
    const char* expected;
  };
  // SAM: template < shell < the file's Parameters < the file's entry for the function (logical id, else name).
  const row rows[] = {
      {false, false, false, false, "template"}, {true, false, false, false, "shell"},
      {false, true, false, false, "parameters"}, {true, true, false, false, "parameters"},
      {true, true, false, true, "by-name"},     {true, true, true, false, "by-id"},
      {true, true, true, true, "by-id"},        {false, false, false, true, "by-name"},
  };
  for (const row& r : rows) {
    env_vars_file file;
    if (r.parameters) file.all["V"] = "parameters";
    if (r.by_id) file.per_function["Orders"]["V"] = "by-id";
    if (r.by_name) file.per_function["orders-dev"]["V"] = "by-name";
    const auto env = resolve_environment(fn, &file, r.shell ? shell_with_v : empty_shell);
    EXPECT_THAT(env, ElementsAre(Pair("V", r.expected)))
        << "shell " << r.shell << " parameters " << r.parameters << " id " << r.by_id << " name " << r.by_name;
  }
  EXPECT_THAT(resolve_environment(fn, nullptr, nullptr), ElementsAre(Pair("V", "template")));
  EXPECT_THAT(resolve_environment(fn, nullptr, shell_with_v), ElementsAre(Pair("V", "shell")));
}

TEST(TemplateEnvVars, OnlyDeclaredVariablesInTemplateOrder) {
  const stack st = load(fixture("sam-two-functions/template.yaml"));
  const env_vars_file file = read_env_vars(fixture("env-vars/env.json"));
  const auto env = resolve_environment(*st.find("OrdersFunction"), &file, empty_shell);
  ASSERT_EQ(env.size(), st.find("OrdersFunction")->environment.size());
  EXPECT_EQ(env[0], std::make_pair(std::string("STAGE"), std::string("staging")));
  EXPECT_EQ(env[3], std::make_pair(std::string("TABLE_NAME"), std::string("local-orders")));
  EXPECT_EQ(env[8], std::make_pair(std::string("DEBUG"), std::string("false")));
  EXPECT_EQ(env[9], std::make_pair(std::string("MAX_ITEMS"), std::string("50")));
  for (const auto& [k, v] : env) EXPECT_NE(k, "NOT_DECLARED");
  // Another function: the Parameters apply, OrdersFunction's entry does not.
  const auto reports = resolve_environment(*st.find("ReportsFunction"), &file, empty_shell);
  EXPECT_THAT(reports, ElementsAre(Pair("STAGE", "staging"), Pair("LOG_LEVEL", "INFO"),
                                   Pair("POWERTOOLS_SERVICE_NAME", "orders"), Pair("ORDERS_FUNCTION", "lemu-orders-dev"),
                                   Pair("ORDERS_ARN", "arn:aws:lambda:us-east-1:123456789012:function:lemu-orders-dev")));
}

} // namespace
} // namespace lemu::templates::test
