// lemu run / serve / replay --template over the real-shaped templates of tests/data/templates (SAM with
// Globals, Parameters, Mappings, Conditions and !Sub; plain CloudFormation; layers, a function URL, Managed
// Instances and tenancy), --env-vars with SAM's precedence, cargo-lambda trees, and the errors a user hits.

#include "integration/cli_fixture.hpp"
#include "support/http_raw.hpp"
#include "support/serve_process.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

namespace {

// A copy of tests/data/templates/<name> in a scratch folder, with fake-bootstrap as the bootstrap of each
// code folder in `code` (the fixtures hold no binaries).
struct project {
  scratch_dir dir;
  fs::path root;
  project(const std::string& name, const std::vector<std::string>& code) {
    root = fs::path(dir.path()) / name;
    fs::copy(fs::path(test_data_dir) / "templates" / name, root, fs::copy_options::recursive);
    for (const auto& c : code) install(c);
  }
  void install(const std::string& folder, const std::string& from = fake_bootstrap) const {
    fs::create_directories(root / folder);
    fs::copy_file(from, root / folder / "bootstrap", fs::copy_options::overwrite_existing);
  }
  std::string file(const std::string& name = "template.yaml") const { return (root / name).string(); }
};

command_result lemu_cmd(std::vector<std::string> args, const command_options& options = {}) {
  args.insert(args.begin(), lemu_bin);
  return run_command(args, options);
}

http_raw::read_result get(std::uint16_t port, const std::string& target, const http_raw::header_list& headers = {}) {
  http_raw::connection c(port);
  return c.roundtrip(http_raw::request("GET", target, headers));
}

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The function's Timeout as its deadline shows it: the invocation started between the request's sending and
// its answer, so the deadline lies between those times plus the Timeout.
void expect_timeout(const json& doc, long long sent_ms, long long answered_ms, long long timeout_ms) {
  const auto deadline = doc["deadline_ms"].get<long long>();
  EXPECT_GE(deadline, sent_ms + timeout_ms - 1);
  EXPECT_LE(deadline, answered_ms + timeout_ms);
}

// The document fake-bootstrap's proxy-env mode puts in the response body.
json body_of(const http_raw::read_result& r) {
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 200) << r.res.raw;
  return json::parse(r.res.body);
}

command_options in_folder(const std::string& cwd) {
  command_options o;
  o.cwd = cwd;
  return o;
}

} // namespace

TEST(CliTemplates, ServeRoutesEveryEventToItsFunctionWithItsSettings) {
  project p("sam-two-functions", {"orders", "reports"});
  serve_process s({"--template", p.file(), "--handler", "proxy-env"});
  const std::string err = s.process().err();
  EXPECT_THAT(err, HasSubstr("lemu:   GET /orders/{id} -> lemu-orders-dev (rest)"));
  EXPECT_THAT(err, HasSubstr("lemu:   GET /reports/{proxy+} -> ReportsFunction (http)"));
  EXPECT_THAT(err, HasSubstr("lemu: warning: template.yaml: the SQS events (QueueConsumerFunction: Events.Orders) need the "
                             "local SQS endpoint: add --sqs-port PORT"));
  // What Globals give every function is said once, naming them all.
  EXPECT_THAT(err, HasSubstr("lemu: warning: template.yaml: OrdersFunction, ReportsFunction, QueueConsumerFunction: Layers: "
                             "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension-Arm64:20 is a remote layer: "
                             "not emulated\n"));
  EXPECT_THAT(err, ::testing::Not(HasSubstr("ProdOnlyFunction"))); // its Condition is false for Stage=dev

  // Api event: a REST (payload 1.0) event, to OrdersFunction, with its Mappings memory and its variables.
  const auto order_sent = now_ms();
  const json order = body_of(get(s.api_port(), "/orders/42?x=1"));
  expect_timeout(order, order_sent, now_ms(), 10000); // Timeout: !FindInMap [StageConfig, dev, Timeout]
  EXPECT_EQ(order["event"]["resource"], "/orders/{id}");
  EXPECT_EQ(order["event"]["pathParameters"]["id"], "42");
  EXPECT_EQ(order["event"]["requestContext"]["stage"], "Prod");
  const json& env = order["env"];
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_NAME"], "lemu-orders-dev");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
  EXPECT_EQ(env["TABLE_NAME"], "orders-table");
  EXPECT_EQ(env["STAGE"], "dev");                    // from Globals
  EXPECT_EQ(env["LOG_LEVEL"], "DEBUG");              // the function's value beats Globals'
  EXPECT_EQ(env["POWERTOOLS_SERVICE_NAME"], "orders");
  EXPECT_EQ(env["REGION_TABLE"], "us-east-1/orders-table");
  EXPECT_EQ(env["FIRST_ORIGIN"], "https://example.com");
  EXPECT_EQ(env["QUEUE_URL"], "https://sqs.us-east-1.amazonaws.com/123456789012/orders-dev");
  EXPECT_EQ(env["DEBUG"], "true");
  EXPECT_EQ(env["MAX_ITEMS"], "25");
  EXPECT_EQ(env["_HANDLER"], "proxy-env"); // --handler given on the command line wins

  // HttpApi events: HTTP API (payload 2.0) events to ReportsFunction; the catch-all takes the rest.
  const auto report_sent = now_ms();
  const json report = body_of(get(s.api_port(), "/reports/2026/12"));
  expect_timeout(report, report_sent, now_ms(), 20000); // Timeout: "20"
  EXPECT_EQ(report["event"]["version"], "2.0");
  EXPECT_EQ(report["event"]["routeKey"], "GET /reports/{proxy+}");
  EXPECT_EQ(report["env"]["AWS_LAMBDA_FUNCTION_NAME"], "ReportsFunction");
  EXPECT_EQ(report["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "128");
  EXPECT_EQ(report["env"]["ORDERS_ARN"], "arn:aws:lambda:us-east-1:123456789012:function:lemu-orders-dev");
  const json other = body_of(get(s.api_port(), "/health"));
  EXPECT_EQ(other["event"]["rawPath"], "/health");
  EXPECT_EQ(other["env"]["AWS_LAMBDA_FUNCTION_NAME"], "ReportsFunction");

  // The Invoke API serves every function by its FunctionName.
  http_raw::connection c(s.port());
  const auto invoked = c.roundtrip(http_raw::request("POST", "/2015-03-31/functions/QueueConsumerFunction/invocations", {}, "{}"));
  ASSERT_TRUE(invoked.ok()) << invoked.error;
  EXPECT_EQ(invoked.res.status, 200);
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliTemplates, ParameterOverridesChangeNamesMappingsAndConditions) {
  project p("sam-two-functions", {"orders", "reports"});
  serve_process s({"--template", p.file(), "--handler", "proxy-env", "--parameter-overrides", "Stage=prod", "TableName=t2"});
  EXPECT_THAT(s.process().err(), HasSubstr("lemu: function ProdOnlyFunction:"));
  const json order = body_of(get(s.api_port(), "/orders/1"));
  EXPECT_EQ(order["env"]["AWS_LAMBDA_FUNCTION_NAME"], "lemu-orders-prod");
  EXPECT_EQ(order["env"]["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "1024");
  EXPECT_EQ(order["env"]["TABLE_NAME"], "t2");
  EXPECT_EQ(order["env"]["DEBUG"], "false");
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliTemplates, RunAppliesTheFunctionsTimeoutMemoryAndEnvironment) {
  project p("sam-two-functions", {"orders", "reports"});
  const auto before = now_ms();
  const auto r = lemu_cmd({"run", "--template", p.file(), "OrdersFunction", "--handler", "headers", "--event", sqs_event()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto after = now_ms();
  const json out = json::parse(r.out);
  expect_timeout(out, before, after, 10000); // Timeout: !FindInMap [StageConfig, dev, Timeout]
  EXPECT_EQ(out["function_arn"], "arn:aws:lambda:us-east-1:123456789012:function:lemu-orders-dev");
  EXPECT_THAT(r.err, HasSubstr("Memory Size: 256 MB"));

  // By FunctionName too; a string Timeout ("20") is a number of seconds.
  const auto reports = lemu_cmd({"run", "--template", p.file(), "ReportsFunction", "--handler", "env", "--event", sqs_event(),
                             "--timeout", "7"});
  ASSERT_EQ(reports.exit_code, 0) << reports.err;
  EXPECT_EQ(json::parse(reports.out)["env"]["ORDERS_FUNCTION"], "lemu-orders-dev");
}

TEST(CliTemplates, PlainCloudFormationFunctionWithItsLoggingConfig) {
  project p("cloudformation", {"handler"});
  const auto r = lemu_cmd({"run", "--template", p.file(), "HandlerFunction", "--handler", "env", "--event", sqs_event()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json env = json::parse(r.out)["env"];
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_NAME"], "cfn-handler");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "512");
  EXPECT_EQ(env["AWS_LAMBDA_LOG_FORMAT"], "JSON");
  EXPECT_EQ(env["AWS_LAMBDA_LOG_LEVEL"], "DEBUG");
  EXPECT_EQ(env["ENABLED"], "true");
  EXPECT_EQ(env["RATIO"], "0.5");
  EXPECT_EQ(env["ROLE_ARN"], ""); // an IAM role's Arn cannot be resolved locally
  EXPECT_THAT(r.err, HasSubstr("HandlerFunction: VpcConfig is not emulated"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("REPORT RequestId"))); // SystemLogLevel WARN hides INFO platform lines

  // The other functions cannot run here: each says why.
  const auto inline_fn = lemu_cmd({"run", "--template", p.file(), "InlineFunction", "--event", sqs_event()});
  EXPECT_EQ(inline_fn.exit_code, 2);
  EXPECT_THAT(inline_fn.err, HasSubstr("lemu: error: InlineFunction: runtime python3.12: not supported yet"));
  const auto s3 = lemu_cmd({"run", "--template", p.file(), "S3Function", "--event", sqs_event()});
  EXPECT_EQ(s3.exit_code, 2);
  EXPECT_THAT(s3.err, HasSubstr("S3Function: its code is not in a local folder"));
  // Several functions and none named.
  const auto which = lemu_cmd({"run", "--template", p.file(), "--event", sqs_event()});
  EXPECT_EQ(which.exit_code, 2);
  EXPECT_THAT(which.err, HasSubstr("has 3 functions (HandlerFunction, InlineFunction, S3Function): name one: lemu run --template FILE ID"));
}

TEST(CliTemplates, LayersFunctionUrlManagedInstancesAndTenancy) {
  project p("layers", {"api"});
  fs::create_directories(p.root / "layers/tools/extensions");
  fs::copy_file(extension_logger, p.root / "layers/tools/extensions/tools-ext");
  serve_process s({"--template", p.file(), "--handler", "proxy-env", "--env", "LEMU_EXT_EVENTS=SHUTDOWN"});
  EXPECT_THAT(s.process().err(), HasSubstr("lemu:   ANY /lambda-url/ApiFunction/{proxy+} -> ApiFunction"));
  EXPECT_THAT(s.process().err(), HasSubstr("arn:aws:lambda:us-east-1:123456789012:layer:remote:3 is a remote layer"));
  // Tenancy: the tenant comes from X-Amz-Tenant-Id; without it the call fails.
  const auto refused = get(s.api_port(), "/lambda-url/ApiFunction/hello");
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused.res.status, 500);
  const json doc = body_of(get(s.api_port(), "/lambda-url/ApiFunction/hello?q=1", {{"X-Amz-Tenant-Id", "blue"}}));
  EXPECT_EQ(doc["event"]["rawPath"], "/hello"); // the function sees its own URL's path
  EXPECT_EQ(doc["event"]["rawQueryString"], "q=1");
  EXPECT_EQ(doc["env"]["AWS_LAMBDA_MAX_CONCURRENCY"], "16");
  EXPECT_EQ(doc["env"]["AWS_LAMBDA_INITIALIZATION_TYPE"], "lambda-managed-instances");
  EXPECT_TRUE(s.process().wait_for_stderr("[tools-ext] registered"));
  EXPECT_EQ(s.stop(), 0);
  EXPECT_THAT(s.process().err(), HasSubstr("[tools-ext] SHUTDOWN"));
}

TEST(CliTemplates, EnvVarsFileFollowsSamsPrecedence) {
  project p("sam-two-functions", {"orders", "reports"});
  const std::string env_json = (fs::path(test_data_dir) / "templates/env-vars/env.json").string();
  // Template < shell variable of the same name < Parameters < the function's entry; undeclared: not set.
  const auto r = lemu_cmd({"run", "--template", p.file(), "OrdersFunction", "--handler", "env", "--event", sqs_event(),
                       "--env-vars", env_json},
                      with_env({{"TABLE_NAME", "from-shell"}, {"POWERTOOLS_SERVICE_NAME", "shell-svc"},
                                {"UNDECLARED_SHELL", "x"}}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json env = json::parse(r.out)["env"];
  EXPECT_EQ(env["TABLE_NAME"], "local-orders");       // the function's entry beats the shell
  EXPECT_EQ(env["POWERTOOLS_SERVICE_NAME"], "shell-svc"); // the shell beats the template
  EXPECT_EQ(env["STAGE"], "staging");                  // Parameters beat the template
  EXPECT_EQ(env["MAX_ITEMS"], "50");                   // numbers and booleans as text
  EXPECT_EQ(env["DEBUG"], "false");
  EXPECT_FALSE(env.contains("NOT_DECLARED"));
  EXPECT_FALSE(env.contains("UNDECLARED_SHELL"));
  // --env is lemu's own: it sets any variable, after the template's.
  const auto with = lemu_cmd({"run", "--template", p.file(), "OrdersFunction", "--handler", "env", "--event", sqs_event(),
                          "--env", "EXTRA=1", "--env", "STAGE=cli"});
  ASSERT_EQ(with.exit_code, 0) << with.err;
  EXPECT_EQ(json::parse(with.out)["env"]["EXTRA"], "1");
  EXPECT_EQ(json::parse(with.out)["env"]["STAGE"], "cli");
}

TEST(CliTemplates, ErrorsSayWhatToDo) {
  project p("sam-two-functions", {"reports"}); // orders/ has no bootstrap
  const auto missing = lemu_cmd({"run", "--template", p.file(), "OrdersFunction", "--event", sqs_event()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("lemu: error: OrdersFunction: no bootstrap (tried " + p.file(".aws-sam/build/OrdersFunction/bootstrap") +
                                     ", " + p.file("orders/bootstrap")));
  EXPECT_THAT(missing.err, HasSubstr("build it: sam build, or cargo lambda build in " + p.file("orders")));

  const auto unknown = lemu_cmd({"run", "--template", p.file(), "Nope", "--event", sqs_event()});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("no function Nope (it has OrdersFunction, ReportsFunction, QueueConsumerFunction)"));

  scratch_dir empty;
  const auto none = lemu_cmd({"serve", "--template", "-p", "0"}, in_folder(empty.path()));
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.err, HasSubstr("--template: no template.yaml here (looked for .aws-sam/build/template.yaml, template.yaml, template.yml in "));

  const std::string bad = empty.write("template.yaml", "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: [a, b\n");
  const auto yaml = lemu_cmd({"run", "--template", bad, "--event", sqs_event()});
  EXPECT_EQ(yaml.exit_code, 2);
  EXPECT_THAT(yaml.err, ::testing::ContainsRegex("lemu: error: .*template.yaml:[0-9]+:[0-9]+: "));

  const std::string conflict = empty.write("conflict.yaml", R"(Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: provided.al2023, Handler: x}
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: a, Events: {Get: {Type: Api, Properties: {Path: /x, Method: get}}}}
  B:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: b, Events: {Get: {Type: HttpApi, Properties: {Path: /x, Method: GET}}}}
)");
  fs::create_directories(fs::path(empty.path()) / "a");
  fs::create_directories(fs::path(empty.path()) / "b");
  fs::copy_file(fake_bootstrap, fs::path(empty.path()) / "a/bootstrap");
  fs::copy_file(fake_bootstrap, fs::path(empty.path()) / "b/bootstrap");
  const auto clash = lemu_cmd({"serve", "--template", conflict, "-p", "0", "--api-port", "0"});
  EXPECT_EQ(clash.exit_code, 2);
  EXPECT_THAT(clash.err, HasSubstr("lemu: error: route conflict: GET /x is served by A (Api event Get) and by B (HttpApi event Get)"));

  const auto no_template = lemu_cmd({"run", "--env-vars", "env.json", fake_bootstrap, "--event", sqs_event()});
  EXPECT_EQ(no_template.exit_code, 2);
  EXPECT_THAT(no_template.err, HasSubstr("--env-vars is SAM's file for a template's functions: use it with --template"));
}

TEST(CliTemplates, SamBuildArtifactWinsForBuiltFunctions) {
  project p("sam-two-functions", {"orders", "reports"});
  // sam build puts a rust-cargolambda function's bootstrap in .aws-sam/build/<LogicalId>/.
  p.install(".aws-sam/build/OrdersFunction");
  const auto r = lemu_cmd({"run", "--template", p.file(), "OrdersFunction", "--handler", "env", "--event", sqs_event()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["env"]["LAMBDA_TASK_ROOT"], "/var/task"); // the sandbox's
  EXPECT_THAT(r.err, Not(HasSubstr("no sandbox")));
}

TEST(CliTemplates, CargoLambdaTreesAreBootstraps) {
  scratch_dir ws;
  ws.write("Cargo.toml", "[workspace]\nmembers = [\"orders\"]\n");
  ws.write("orders/Cargo.toml", "[package]\nname = \"orders\"\nversion = \"0.1.0\"\n");
  fs::create_directories(fs::path(ws.path()) / "target/lambda/orders");
  fs::create_directories(fs::path(ws.path()) / "target/lambda/users");
  fs::copy_file(fake_bootstrap, fs::path(ws.path()) / "target/lambda/orders/bootstrap");
  fs::copy_file(fake_bootstrap, fs::path(ws.path()) / "target/lambda/users/bootstrap");

  // A folder holding a bootstrap is a bootstrap; the function is named after the folder.
  const auto folder = lemu_cmd({"run", ws.path() + "/target/lambda/orders", "--handler", "env", "--event", sqs_event()});
  ASSERT_EQ(folder.exit_code, 0) << folder.err;
  EXPECT_EQ(json::parse(folder.out)["env"]["AWS_LAMBDA_FUNCTION_NAME"], "orders");

  // --cargo-lambda NAME from anywhere inside the workspace.
  const auto named = lemu_cmd({"run", "--cargo-lambda", "users", "--handler", "env", "--event", sqs_event()},
                          in_folder(ws.path() + "/orders"));
  ASSERT_EQ(named.exit_code, 0) << named.err;
  EXPECT_EQ(json::parse(named.out)["env"]["LAMBDA_TASK_ROOT"], "/var/task");

  const auto missing = lemu_cmd({"run", "--cargo-lambda", "billing", "--event", sqs_event()}, in_folder(ws.path() + "/orders"));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("--cargo-lambda billing: no " + ws.path() + "/target/lambda/billing/bootstrap (build it: "
                                     "cargo lambda build --bin billing); built: orders, users"));
}

TEST(CliTemplates, ReplayAgainstATemplatesFunction) {
  project p("sam-two-functions", {"orders", "reports"});
  const std::string capture = p.file("orders.jsonl");
  const auto recorded = lemu_cmd({"run", "--template", p.file(), "ReportsFunction", "--handler", "tagged", "--event", sqs_event(),
                                  "--record", capture});
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  const auto same = lemu_cmd({"replay", capture, "--template", p.file(), "--function", "ReportsFunction", "--handler", "tagged"});
  EXPECT_EQ(same.exit_code, 0) << same.err;
  // The template's other function answers otherwise: the replay says so.
  const auto other = lemu_cmd({"replay", capture, "--template", p.file(), "--function", "OrdersFunction", "--handler", "echo"});
  EXPECT_EQ(other.exit_code, 1) << other.err;
  EXPECT_THAT(other.err, HasSubstr("1 of 1 outcomes differ from the capture"));
  const auto unnamed = lemu_cmd({"replay", capture, "--template", p.file()});
  EXPECT_EQ(unnamed.exit_code, 2);
  EXPECT_THAT(unnamed.err, HasSubstr("name one: lemu replay --template FILE --function ID ..."));
}
