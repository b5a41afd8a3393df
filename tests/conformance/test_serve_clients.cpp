// `lemu serve` driven by real clients nobody on the team wrote: the AWS CLI v2 from Debian (/usr/bin/aws,
// installed by scripts/setup.sh) and the AWS SDK for JavaScript v3 (npm) against the Invoke API, and curl
// against the HTTP front door, with the
// Node function run by AWS's runtime interface client (tests/conformance/node/function.mjs).

#include "integration/cli_fixture.hpp"
#include "conformance/aws_cli.hpp"
#include "support/serve_process.hpp"

#include <lemu/events/checksums.hpp>
#include <lemu/util/text.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {


std::string node_bootstrap() { return std::string(node_function_dir) + "/bootstrap"; }

void require_clients() {
  ASSERT_TRUE(std::filesystem::exists(std::string(node_function_dir) + "/node_modules/aws-lambda-ric/index.mjs"))
      << "aws-lambda-ric is not installed: run scripts/setup.sh";
  ASSERT_TRUE(std::filesystem::exists(aws)) << "the AWS CLI v2 (Debian package awscli) is not installed: run scripts/setup.sh";
}

// The Node function served as `node-fn` with the front door of `kind`.
std::vector<std::string> node_serve_args(const std::string& kind = "http", std::vector<std::string> extra = {}) {
  std::vector<std::string> args{node_bootstrap(), "--function-name", "node-fn", "--timeout", "20", "--api", kind};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}


command_result invoke(const serve_process& s, const std::string& function, const std::string& payload,
                       const std::string& out_file, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"lambda", "invoke", "--endpoint-url", s.endpoint(), "--function-name", function,
                                "--payload", payload, "--cli-binary-format", "raw-in-base64-out", "--cli-read-timeout", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(out_file);
  return aws_cli(args);
}

std::string decode_log(const json& cli_output) {
  const auto decoded = lemu::events::base64_decode(cli_output.at("LogResult").get<std::string>());
  EXPECT_TRUE(decoded.has_value());
  return decoded.value_or("");
}

// A response as curl saw it: status line, headers (names lowercased), body.
struct curl_response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::vector<std::string> values(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& [n, v] : headers) {
      if (n == name) out.push_back(v);
    }
    return out;
  }
  std::string value(const std::string& name) const {
    const auto all = values(name);
    return all.empty() ? std::string() : all.front();
  }
};

curl_response curl(const std::vector<std::string>& args) {
  scratch_dir dir;
  const std::string head_file = dir.path() + "/head", body_file = dir.path() + "/body";
  std::vector<std::string> argv{"curl", "-sS", "-D", head_file, "-o", body_file};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = run_command(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  curl_response out;
  for (std::string line : split_lines(read_file(head_file))) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("HTTP/", 0) == 0) {
      out.status = std::stoi(line.substr(line.find(' ') + 1, 3));
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string name = lemu::util::to_lower(line.substr(0, colon));
    const auto value = line.find_first_not_of(' ', colon + 1);
    out.headers.emplace_back(name, value == std::string::npos ? std::string() : line.substr(value));
  }
  out.body = read_file(body_file);
  return out;
}

} // namespace

TEST(ServeAwsCli, InvokeEchoesThePayloadWithTheDecodedLogTail) {
  require_clients();
  serve_process s(node_serve_args());
  scratch_dir dir;
  const std::string out_file = dir.path() + "/out.json";
  const std::string payload = R"({"log":"hello from node","n":1})";
  const auto r = invoke(s, "node-fn", payload, out_file, {"--log-type", "Tail"});
  ASSERT_EQ(r.exit_code, 0) << r.err << s.process().err();
  const json cli = json::parse(r.out);
  EXPECT_EQ(cli.at("StatusCode"), 200);
  EXPECT_EQ(cli.at("ExecutedVersion"), "$LATEST");
  EXPECT_FALSE(cli.contains("FunctionError"));
  EXPECT_EQ(json::parse(read_file(out_file)), json::parse(payload));

  const std::string log = decode_log(cli);
  const auto lines = split_lines(log);
  ASSERT_GE(lines.size(), 4u) << log;
  // The invocation's own lines: START, the function's console.log, END, REPORT (a cold start's init
  // output may come first).
  EXPECT_EQ(count_prefix(lines, "START RequestId: "), 1u) << log;
  EXPECT_EQ(count_prefix(lines, "END RequestId: "), 1u) << log;
  EXPECT_EQ(count_prefix(lines, "REPORT RequestId: "), 1u) << log;
  EXPECT_THAT(log, HasSubstr("\tINFO\thello from node\n"));
  EXPECT_THAT(log, HasSubstr(" Version: $LATEST\n"));
  EXPECT_THAT(log, HasSubstr("\tMemory Size: 128 MB\tMax Memory Used: "));
  EXPECT_THAT(log, HasSubstr("\tInit Duration: ")); // the first invocation is a cold start
  EXPECT_EQ(log.back(), '\n');
  // The request id in the log is the one lemu printed for this invocation.
  const auto start_at = log.find("START RequestId: ");
  const std::string id = log.substr(start_at + 17, 36);
  EXPECT_THAT(log, HasSubstr("END RequestId: " + id + "\n"));
  EXPECT_THAT(s.process().err(), HasSubstr("START RequestId: " + id + " Version: $LATEST"));

  // Warm: no Init Duration in the tail of the second invocation.
  const auto warm = invoke(s, "node-fn", payload, out_file, {"--log-type", "Tail"});
  ASSERT_EQ(warm.exit_code, 0) << warm.err;
  EXPECT_THAT(decode_log(json::parse(warm.out)), ::testing::Not(HasSubstr("Init Duration")));
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServeAwsCli, ThrownErrorComesBackAsFunctionError) {
  require_clients();
  serve_process s(node_serve_args());
  scratch_dir dir;
  const std::string out_file = dir.path() + "/out.json";
  const auto r = invoke(s, "node-fn", R"({"throw":"boom from node"})", out_file, {"--log-type", "Tail"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json cli = json::parse(r.out);
  EXPECT_EQ(cli.at("StatusCode"), 200); // function errors never change the HTTP status (PROTOCOL.md §4.5)
  EXPECT_EQ(cli.at("FunctionError"), "Unhandled");
  const json body = json::parse(read_file(out_file));
  EXPECT_EQ(body.at("errorType"), "Error");
  EXPECT_EQ(body.at("errorMessage"), "boom from node");
  EXPECT_THAT(decode_log(cli), HasSubstr("boom from node"));
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServeAwsCli, QualifiersArnsAndUnknownFunctions) {
  require_clients();
  serve_process s(node_serve_args());
  scratch_dir dir;
  const std::string out_file = dir.path() + "/out.json";
  for (const std::string name : {"node-fn:$LATEST", "arn:aws:lambda:us-east-1:123456789012:function:node-fn",
                                 "123456789012:function:node-fn"}) {
    const auto r = invoke(s, name, R"({"n":2})", out_file);
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    EXPECT_EQ(json::parse(read_file(out_file)), json::parse(R"({"n":2})")) << name;
  }
  const auto missing = invoke(s, "no-such-function", "{}", out_file);
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.err, HasSubstr("An error occurred (ResourceNotFoundException) when calling the Invoke operation: "
                                     "Function not found: arn:aws:lambda:us-east-1:123456789012:function:no-such-function:$LATEST"));
  const auto version = invoke(s, "node-fn:7", "{}", out_file);
  EXPECT_THAT(version.err, HasSubstr("(ResourceNotFoundException)"));
  EXPECT_THAT(version.err, HasSubstr("function:node-fn:7"));
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServeAwsCli, EventAndDryRunInvocationTypesAndClientContext) {
  require_clients();
  serve_process s(node_serve_args());
  scratch_dir dir;
  const std::string out_file = dir.path() + "/out.json";

  const auto event = invoke(s, "node-fn", R"({"log":"async run"})", out_file, {"--invocation-type", "Event"});
  ASSERT_EQ(event.exit_code, 0) << event.err;
  EXPECT_EQ(json::parse(event.out).at("StatusCode"), 202);
  EXPECT_TRUE(s.process().wait_for_stderr("INFO\tasync run")) << s.process().err(); // it ran in the background

  const auto dry = invoke(s, "node-fn", "{}", out_file, {"--invocation-type", "DryRun"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(json::parse(dry.out).at("StatusCode"), 204);

  const std::string context = R"({"custom":{"tenant":"acme"},"env":{"locale":"en-GB"}})";
  const auto ctx = invoke(s, "node-fn", R"({"clientContext":true})", out_file,
                          {"--client-context", lemu::events::base64_encode(context)});
  ASSERT_EQ(ctx.exit_code, 0) << ctx.err;
  const json answer = json::parse(read_file(out_file));
  EXPECT_EQ(answer.at("clientContext").at("custom").at("tenant"), "acme") << answer.dump();
  EXPECT_EQ(answer.at("clientContext").at("env").at("locale"), "en-GB") << answer.dump();
  EXPECT_EQ(s.stop(), 0);
}

// The AWS SDK for JavaScript v3 (npm @aws-sdk/client-lambda, tests/conformance/node/sdk-invoke.mjs): it sends
// Content-Type application/octet-stream and reads the status, X-Amz-Function-Error, X-Amz-Log-Result,
// X-Amz-Executed-Version and x-amzn-RequestId (PROTOCOL.md §8.1).
static json sdk_invoke(const serve_process& s, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"node", "--no-warnings", std::string(node_function_dir) + "/sdk-invoke.mjs", s.endpoint()};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = run_command(argv);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json::parse(r.out);
}

TEST(ServeAwsSdkJs, InvokeResultsErrorsAndLogTail) {
  require_clients();
  ASSERT_TRUE(std::filesystem::exists(std::string(node_function_dir) + "/node_modules/@aws-sdk/client-lambda"))
      << "@aws-sdk/client-lambda is not installed: run scripts/setup.sh";
  serve_process s(node_serve_args());
  const json ok = sdk_invoke(s, {"node-fn", R"({"log":"from the sdk","n":5})", "RequestResponse", "Tail"});
  EXPECT_EQ(ok.at("StatusCode"), 200);
  EXPECT_EQ(ok.at("FunctionError"), nullptr);
  EXPECT_EQ(ok.at("ExecutedVersion"), "$LATEST");
  EXPECT_EQ(json::parse(ok.at("Payload").get<std::string>()), json::parse(R"({"log":"from the sdk","n":5})"));
  const std::string id = ok.at("RequestId");
  EXPECT_THAT(ok.at("Log").get<std::string>(), HasSubstr("START RequestId: " + id + " Version: $LATEST\n"));
  EXPECT_THAT(ok.at("Log").get<std::string>(), HasSubstr("\tINFO\tfrom the sdk\n"));
  EXPECT_THAT(ok.at("Log").get<std::string>(), HasSubstr("REPORT RequestId: " + id + "\tDuration: "));

  const json failed = sdk_invoke(s, {"node-fn", R"({"throw":"sdk boom"})"});
  EXPECT_EQ(failed.at("StatusCode"), 200);
  EXPECT_EQ(failed.at("FunctionError"), "Unhandled");
  EXPECT_EQ(json::parse(failed.at("Payload").get<std::string>()).at("errorMessage"), "sdk boom");

  const json context = sdk_invoke(s, {"node-fn", R"({"clientContext":true})", "", "",
                                      lemu::events::base64_encode(R"({"custom":{"from":"sdk"}})")});
  EXPECT_EQ(json::parse(context.at("Payload").get<std::string>()).at("clientContext").at("custom").at("from"), "sdk");

  const json event = sdk_invoke(s, {"node-fn", "{}", "Event"});
  EXPECT_EQ(event.at("StatusCode"), 202);

  const json missing = sdk_invoke(s, {"other-fn", "{}"});
  EXPECT_EQ(missing.at("error"), "ResourceNotFoundException");
  EXPECT_EQ(missing.at("status"), 404);
  EXPECT_EQ(missing.at("message"), "Function not found: arn:aws:lambda:us-east-1:123456789012:function:other-fn:$LATEST");
  EXPECT_FALSE(missing.at("RequestId").is_null());

  const json bad = sdk_invoke(s, {"node-fn", "'test'"});
  EXPECT_EQ(bad.at("error"), "InvalidRequestContentException");
  EXPECT_EQ(bad.at("status"), 400);
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServeFrontDoor, HttpApiPayload2RequestAndResponse) {
  require_clients();
  serve_process s(node_serve_args("http", {"--route", "POST /items/{id}", "--route", "GET /inferred"}));
  const auto r = curl({"-X", "POST", s.api_url("/items/42?tag=a&tag=b"), "-H", "Content-Type: application/json",
                       "-H", "Cookie: c1=v1; c2=v2", "--data", R"({"name":"widget"})"});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.value("content-type"), "application/json");
  EXPECT_EQ(r.value("x-method"), "POST");
  EXPECT_EQ(r.value("x-path"), "/items/42");
  EXPECT_EQ(r.value("x-params"), R"({"id":"42"})");
  EXPECT_EQ(r.value("x-query"), "tag=a&tag=b");
  EXPECT_EQ(r.value("x-route"), "POST /items/{id}");
  EXPECT_THAT(r.values("set-cookie"), ::testing::ElementsAre("session=abc123; Path=/; HttpOnly", "theme=dark"));
  EXPECT_FALSE(r.value("x-amzn-requestid").empty());
  EXPECT_EQ(r.body, R"({"name":"widget"})");

  // A plain object without statusCode: 200, application/json, the object as the body (inference).
  const auto inferred = curl({s.api_url("/inferred")});
  EXPECT_EQ(inferred.status, 200);
  EXPECT_EQ(inferred.value("content-type"), "application/json");
  EXPECT_EQ(json::parse(inferred.body), json::parse(R"({"inferred":true,"method":"GET"})"));

  const auto unrouted = curl({s.api_url("/elsewhere")});
  EXPECT_EQ(unrouted.status, 404);
  EXPECT_EQ(unrouted.body, R"({"message":"Not Found"})");
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServeFrontDoor, RestApiPayload1MultiValueHeadersAndCookies) {
  require_clients();
  serve_process s(node_serve_args("rest", {"--route", "GET /items/{id}"}));
  const auto r = curl({s.api_url("/items/7?tag=a&tag=b"), "-H", "Accept: text/plain"});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.value("x-method"), "GET");
  EXPECT_EQ(r.value("x-path"), "/items/7");
  EXPECT_EQ(r.value("x-params"), R"({"id":"7"})");
  EXPECT_EQ(r.value("x-query"), R"({"tag":["a","b"]})");
  EXPECT_EQ(r.value("x-route"), "/items/{id}");
  EXPECT_THAT(r.values("x-multi"), ::testing::ElementsAre("one", "two"));
  EXPECT_THAT(r.values("set-cookie"), ::testing::ElementsAre("session=abc123; Path=/; HttpOnly", "theme=dark"));
  EXPECT_EQ(r.body, "");

  const auto unrouted = curl({s.api_url("/nothing/here")});
  EXPECT_EQ(unrouted.status, 403);
  EXPECT_EQ(unrouted.body, R"({"message":"Missing Authentication Token"})");
  EXPECT_EQ(s.stop(), 0);
}

TEST(ServeFrontDoor, FunctionUrlBinaryBodyRoundTrips) {
  require_clients();
  serve_process s(node_serve_args("url"));
  scratch_dir dir;
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  bytes += std::string("\x89PNG\r\n\x1a\n", 8);
  const std::string file = dir.write("image.bin", bytes);
  const auto r = curl({"-X", "PUT", s.api_url("/upload/photo.png"), "-H", "Content-Type: image/png", "--data-binary",
                       "@" + file});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.value("content-type"), "image/png");
  EXPECT_EQ(r.value("x-method"), "PUT");
  EXPECT_EQ(r.value("x-path"), "/upload/photo.png");
  EXPECT_EQ(r.value("x-route"), "$default");
  ASSERT_EQ(r.body.size(), bytes.size());
  EXPECT_EQ(r.body, bytes); // base64 into the event, base64 back, decoded by the front door
  EXPECT_EQ(s.stop(), 0);
}
