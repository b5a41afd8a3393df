// The Lambda Invoke API as lemu reads it (PROTOCOL.md §4.4-§4.5): FunctionName forms and the ValidationException
// text, the route, the Qualifier query parameter, invocation and log types, the payload limits (exactly at and one
// over), the client context, the body's JSON check with Jackson's wording, and the REST-JSON error answers.
#include <lemu/gateway/invoke_api.hpp>

#include <lemu/events/checksums.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace lemu::gateway::invoke_api {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// Lambda's FunctionName pattern, as PROTOCOL.md §4.5 quotes it.
constexpr const char* pattern_text =
    R"((arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?)";

std::string pattern_message(const std::string& value) {
  return "1 validation error detected: Value '" + value +
         "' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: " +
         pattern_text;
}

constexpr const char* expected_a_value =
    "expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')";
constexpr const char* json_prefix = "Could not parse request body into json: Could not parse payload into json: ";

function_ref name_ok(std::string_view text) {
  auto r = parse_function_name(text);
  if (auto* e = std::get_if<api_error>(&r)) {
    ADD_FAILURE() << "'" << text << "' was refused: " << e->type << ": " << e->message;
    return {};
  }
  return std::get<function_ref>(std::move(r));
}

api_error name_error(std::string_view text) {
  auto r = parse_function_name(text);
  if (auto* e = std::get_if<api_error>(&r)) return *e;
  ADD_FAILURE() << "'" << text << "' was accepted as name '" << std::get<function_ref>(r).name << "'";
  return {};
}

http_request invoke(std::string target, header_list headers = {}, std::string body = {}) {
  http_request r;
  r.method = "POST";
  r.target = std::move(target);
  r.headers = std::move(headers);
  r.body = std::move(body);
  r.source_ip = "127.0.0.1";
  return r;
}

invoke_request request_ok(const http_request& req, std::optional<std::size_t> body_bytes = std::nullopt) {
  auto r = parse_request(req, body_bytes.value_or(req.body.size()));
  if (auto* e = std::get_if<api_error>(&r)) {
    ADD_FAILURE() << req.method << " " << req.target << " was refused: " << e->status << " " << e->type << ": "
                  << e->message;
    return {};
  }
  return std::get<invoke_request>(std::move(r));
}

api_error request_error(const http_request& req, std::optional<std::size_t> body_bytes = std::nullopt) {
  auto r = parse_request(req, body_bytes.value_or(req.body.size()));
  if (auto* e = std::get_if<api_error>(&r)) return *e;
  ADD_FAILURE() << req.method << " " << req.target << " was accepted";
  return {};
}

constexpr const char* path_of_fn = "/2015-03-31/functions/my-function/invocations";

// ---------------------------------------------------------------------------------------------------------
// parse_function_name

TEST(ParseFunctionName, BareName) {
  const auto r = name_ok("my-function_1.v2");
  EXPECT_EQ(r.name, "my-function_1.v2");
  EXPECT_EQ(r.qualifier, "");
  EXPECT_EQ(r.region, std::nullopt);
  EXPECT_EQ(r.account_id, std::nullopt);
}

TEST(ParseFunctionName, NameWithQualifier) {
  const auto r = name_ok("my-function:prod_2");
  EXPECT_EQ(r.name, "my-function");
  EXPECT_EQ(r.qualifier, "prod_2");
  EXPECT_EQ(r.region, std::nullopt);
  EXPECT_EQ(r.account_id, std::nullopt);

  const auto v = name_ok("my-function:7");
  EXPECT_EQ(v.name, "my-function");
  EXPECT_EQ(v.qualifier, "7");
}

TEST(ParseFunctionName, NameWithLatest) {
  const auto r = name_ok("my-function:$LATEST");
  EXPECT_EQ(r.name, "my-function");
  EXPECT_EQ(r.qualifier, "$LATEST");
  EXPECT_EQ(r.region, std::nullopt);
  EXPECT_EQ(r.account_id, std::nullopt);
}

TEST(ParseFunctionName, FullArnWithoutQualifier) {
  const auto r = name_ok("arn:aws:lambda:us-east-1:123456789012:function:my-function");
  EXPECT_EQ(r.name, "my-function");
  EXPECT_EQ(r.qualifier, "");
  EXPECT_EQ(r.region, std::optional<std::string>("us-east-1"));
  EXPECT_EQ(r.account_id, std::optional<std::string>("123456789012"));
}

TEST(ParseFunctionName, FullArnWithQualifier) {
  const auto r = name_ok("arn:aws:lambda:eu-west-3:210987654321:function:orders.v2:live");
  EXPECT_EQ(r.name, "orders.v2");
  EXPECT_EQ(r.qualifier, "live");
  EXPECT_EQ(r.region, std::optional<std::string>("eu-west-3"));
  EXPECT_EQ(r.account_id, std::optional<std::string>("210987654321"));

  const auto latest = name_ok("arn:aws:lambda:us-east-2:123456789012:function:fn:$LATEST");
  EXPECT_EQ(latest.name, "fn");
  EXPECT_EQ(latest.qualifier, "$LATEST");
  EXPECT_EQ(latest.region, std::optional<std::string>("us-east-2"));
}

TEST(ParseFunctionName, GovCloudAndOtherPartitions) {
  const auto gov = name_ok("arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:fn");
  EXPECT_EQ(gov.name, "fn");
  EXPECT_EQ(gov.region, std::optional<std::string>("us-gov-west-1"));
  EXPECT_EQ(gov.account_id, std::optional<std::string>("123456789012"));

  const auto cn = name_ok("arn:aws-cn:lambda:cn-north-1:123456789012:function:fn:1");
  EXPECT_EQ(cn.name, "fn");
  EXPECT_EQ(cn.qualifier, "1");
  EXPECT_EQ(cn.region, std::optional<std::string>("cn-north-1"));
}

TEST(ParseFunctionName, PartialArn) {
  const auto r = name_ok("123456789012:function:my-function");
  EXPECT_EQ(r.name, "my-function");
  EXPECT_EQ(r.qualifier, "");
  EXPECT_EQ(r.region, std::nullopt);
  EXPECT_EQ(r.account_id, std::optional<std::string>("123456789012"));

  const auto q = name_ok("123456789012:function:my-function:beta");
  EXPECT_EQ(q.name, "my-function");
  EXPECT_EQ(q.qualifier, "beta");
  EXPECT_EQ(q.account_id, std::optional<std::string>("123456789012"));
}

TEST(ParseFunctionName, InvalidNamesGetThePatternMessage) {
  for (const std::string bad : {"my function", "", "a:b:c:d", "fn:", ":fn", "fn:bad.qualifier", "fn/x", "fn:$latest",
                                "arn:aws:lambda:us-east-1:12345:function:fn"}) {
    SCOPED_TRACE("'" + bad + "'");
    const api_error e = name_error(bad);
    EXPECT_EQ(e.status, 400u);
    EXPECT_EQ(e.type, "ValidationException");
    EXPECT_EQ(e.message, pattern_message(bad));
    EXPECT_EQ(e.reason, "");
  }
}

TEST(ParseFunctionName, TheExactValidationMessage) {
  EXPECT_EQ(name_error("my function").message,
            "1 validation error detected: Value 'my function' at 'functionName' failed to satisfy constraint: Member must "
            "satisfy regular expression pattern: "
            "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)"
            "(:(\\$LATEST|[a-zA-Z0-9-_]+))?");
}

TEST(ParseFunctionName, LengthLimitIs170) {
  const std::string at_limit(170, 'f');
  EXPECT_EQ(name_ok(at_limit).name, at_limit);

  const std::string arn_prefix = "arn:aws:lambda:us-east-1:123456789012:function:";
  const std::string arn = arn_prefix + std::string(170 - arn_prefix.size(), 'g');
  ASSERT_EQ(arn.size(), 170u);
  EXPECT_EQ(name_ok(arn).name, std::string(170 - arn_prefix.size(), 'g'));

  const std::string over(171, 'f');
  const api_error e = name_error(over);
  EXPECT_EQ(e.status, 400u);
  EXPECT_EQ(e.type, "ValidationException");
  EXPECT_EQ(e.message, "1 validation error detected: Value '" + over +
                           "' at 'functionName' failed to satisfy constraint: Member must have length less than or "
                           "equal to 170");

  // The length is checked first: a long name that also breaks the pattern gets the length message.
  const std::string long_and_bad = std::string(170, 'f') + " ";
  EXPECT_EQ(name_error(long_and_bad).message,
            "1 validation error detected: Value '" + long_and_bad +
                "' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 170");
}

// ---------------------------------------------------------------------------------------------------------
// parse_request: route

TEST(ParseRequest, AcceptsThePlainRoute) {
  const auto r = request_ok(invoke(path_of_fn, {}, R"({"k":"v"})"));
  EXPECT_EQ(r.function.name, "my-function");
  EXPECT_EQ(r.function.qualifier, "");
  EXPECT_EQ(r.type, invocation_type::request_response);
  EXPECT_FALSE(r.tail);
  EXPECT_EQ(r.client_context, "");
  EXPECT_EQ(r.payload, R"({"k":"v"})");
}

TEST(ParseRequest, WrongMethodIsAnUnknownOperation) {
  http_request req = invoke(path_of_fn);
  req.method = "GET";
  const api_error e = request_error(req);
  EXPECT_EQ(e.status, 404u);
  EXPECT_EQ(e.type, "UnknownOperationException");
  EXPECT_EQ(e.message, "Unknown operation: GET /2015-03-31/functions/my-function/invocations (lemu serves POST "
                       "/2015-03-31/functions/{FunctionName}/invocations and POST "
                       "/2021-11-15/functions/{FunctionName}/response-streaming-invocations)");
}

TEST(ParseRequest, WrongPathsAreUnknownOperations) {
  struct row {
    std::string target;
    std::string shown; // the path as the message names it (no query)
  };
  for (const row& r : {row{"/2015-03-31/functions/my-function/invoke", "/2015-03-31/functions/my-function/invoke"},
                       row{"/2016-03-31/functions/my-function/invocations", "/2016-03-31/functions/my-function/invocations"},
                       row{"/2015-03-31/functions//invocations", "/2015-03-31/functions//invocations"},
                       row{"/2015-03-31/functions/invocations", "/2015-03-31/functions/invocations"},
                       row{"/", "/"},
                       row{"/2015-03-31/functions/fn/invocations/?Qualifier=1", "/2015-03-31/functions/fn/invocations/"}}) {
    SCOPED_TRACE(r.target);
    const api_error e = request_error(invoke(r.target));
    EXPECT_EQ(e.status, 404u);
    EXPECT_EQ(e.type, "UnknownOperationException");
    EXPECT_EQ(e.message, "Unknown operation: POST " + r.shown +
                             " (lemu serves POST /2015-03-31/functions/{FunctionName}/invocations and POST "
                             "/2021-11-15/functions/{FunctionName}/response-streaming-invocations)");
  }
}

TEST(ParseRequest, PercentEncodedArnInThePath) {
  const auto r = request_ok(
      invoke("/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-west-2%3A123456789012%3Afunction%3Amy-function%3Alive/invocations"));
  EXPECT_EQ(r.function.name, "my-function");
  EXPECT_EQ(r.function.qualifier, "live");
  EXPECT_EQ(r.function.region, std::optional<std::string>("us-west-2"));
  EXPECT_EQ(r.function.account_id, std::optional<std::string>("123456789012"));

  // Lowercase hex and a literal colon work as well.
  const auto lower = request_ok(invoke("/2015-03-31/functions/my-function%3a$LATEST/invocations"));
  EXPECT_EQ(lower.function.name, "my-function");
  EXPECT_EQ(lower.function.qualifier, "$LATEST");
  const auto literal = request_ok(invoke("/2015-03-31/functions/my-function:3/invocations"));
  EXPECT_EQ(literal.function.qualifier, "3");
}

TEST(ParseRequest, BadFunctionNameInThePathIsAValidationException) {
  const api_error e = request_error(invoke("/2015-03-31/functions/my%20function/invocations"));
  EXPECT_EQ(e.status, 400u);
  EXPECT_EQ(e.type, "ValidationException");
  EXPECT_EQ(e.message, pattern_message("my function"));
}

// ---------------------------------------------------------------------------------------------------------
// parse_request: Qualifier

TEST(ParseRequest, QualifierQueryParameterIsFoldedIn) {
  const auto r = request_ok(invoke("/2015-03-31/functions/my-function/invocations?Qualifier=prod"));
  EXPECT_EQ(r.function.name, "my-function");
  EXPECT_EQ(r.function.qualifier, "prod");

  const auto latest = request_ok(invoke("/2015-03-31/functions/my-function/invocations?Qualifier=%24LATEST"));
  EXPECT_EQ(latest.function.qualifier, "$LATEST");

  const auto among = request_ok(invoke("/2015-03-31/functions/my-function/invocations?x=1&Qualifier=7&y=2"));
  EXPECT_EQ(among.function.qualifier, "7");

  // Only a parameter named exactly Qualifier counts.
  const auto other = request_ok(invoke("/2015-03-31/functions/my-function/invocations?qualifier=7&XQualifier=8"));
  EXPECT_EQ(other.function.qualifier, "");
}

TEST(ParseRequest, QualifierOutsideLambdasPatternIsAValidationError) {
  const api_error e = request_error(invoke("/2015-03-31/functions/my-function/invocations?Qualifier=a%20b"));
  EXPECT_EQ(e.status, 400u);
  EXPECT_EQ(e.type, "ValidationException");
  EXPECT_EQ(e.message, "1 validation error detected: Value 'a b' at 'qualifier' failed to satisfy constraint: Member must "
                       "satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)");
  EXPECT_EQ(request_error(invoke("/2015-03-31/functions/my-function/invocations?Qualifier=" + std::string(129, 'q'))).type,
            "ValidationException");
  EXPECT_EQ(request_ok(invoke("/2015-03-31/functions/my-function/invocations?Qualifier=" + std::string(128, 'q')))
                .function.qualifier.size(),
            128u);
}

TEST(ParseRequest, MatchingQualifierInNameAndQueryIsAccepted) {
  const auto r = request_ok(invoke("/2015-03-31/functions/my-function:prod/invocations?Qualifier=prod"));
  EXPECT_EQ(r.function.name, "my-function");
  EXPECT_EQ(r.function.qualifier, "prod");
}

TEST(ParseRequest, QualifierMismatchIsAnInvalidParameterValue) {
  for (const std::string target : {"/2015-03-31/functions/my-function:prod/invocations?Qualifier=beta",
                                   "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn%3A1/"
                                   "invocations?Qualifier=2"}) {
    SCOPED_TRACE(target);
    const api_error e = request_error(invoke(target));
    EXPECT_EQ(e.status, 400u);
    EXPECT_EQ(e.type, "InvalidParameterValueException");
    EXPECT_EQ(e.message, "The derived qualifier from the function name does not match the specified qualifier.");
  }
}

// ---------------------------------------------------------------------------------------------------------
// parse_request: invocation and log types

TEST(ParseRequest, TheStreamingRoute) {
  const auto r = request_ok(invoke("/2021-11-15/functions/my-function/response-streaming-invocations?Qualifier=%24LATEST",
                                   {{"X-Amz-Log-Type", "Tail"}}, R"({"k":"v"})"));
  EXPECT_TRUE(r.streaming);
  EXPECT_EQ(r.function.name, "my-function");
  EXPECT_EQ(r.function.qualifier, "$LATEST");
  EXPECT_EQ(r.type, invocation_type::request_response);
  EXPECT_TRUE(r.tail);
  EXPECT_EQ(r.payload, R"({"k":"v"})");
  EXPECT_FALSE(request_ok(invoke(path_of_fn)).streaming);
  const auto arn = request_ok(invoke(
      "/2021-11-15/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afn%3A7/response-streaming-invocations"));
  EXPECT_EQ(arn.function.name, "fn");
  EXPECT_EQ(arn.function.qualifier, "7");
  EXPECT_EQ(request_ok(invoke("/2021-11-15/functions/fn/response-streaming-invocations", {{"X-Amz-Invocation-Type", "DryRun"}})).type,
            invocation_type::dry_run);
  // The other API version's path with the other suffix is no route.
  EXPECT_EQ(request_error(invoke("/2015-03-31/functions/fn/response-streaming-invocations")).status, 404u);
  EXPECT_EQ(request_error(invoke("/2021-11-15/functions/fn/invocations")).status, 404u);
}

TEST(ParseRequest, TheStreamingRouteRefusesEvent) {
  // InvokeWithResponseStream's InvocationType is a ResponseStreamingInvocationType: RequestResponse | DryRun.
  for (const std::string bad : {"Event", "event", ""}) {
    SCOPED_TRACE("'" + bad + "'");
    const api_error e = request_error(invoke("/2021-11-15/functions/fn/response-streaming-invocations",
                                             {{"X-Amz-Invocation-Type", bad}}));
    EXPECT_EQ(e.status, 400u);
    EXPECT_EQ(e.type, "ValidationException");
    EXPECT_EQ(e.message, "1 validation error detected: Value '" + bad +
                             "' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: "
                             "[RequestResponse, DryRun]");
  }
  // The same checks as Invoke: name, payload size and JSON.
  EXPECT_EQ(request_error(invoke("/2021-11-15/functions/bad%20name/response-streaming-invocations")).type,
            "ValidationException");
  EXPECT_EQ(request_error(invoke("/2021-11-15/functions/fn/response-streaming-invocations", {}, "'test'")).type,
            "InvalidRequestContentException");
}

TEST(ParseRequest, InvocationTypes) {
  EXPECT_EQ(request_ok(invoke(path_of_fn, {{"X-Amz-Invocation-Type", "RequestResponse"}})).type,
            invocation_type::request_response);
  EXPECT_EQ(request_ok(invoke(path_of_fn, {{"X-Amz-Invocation-Type", "Event"}})).type, invocation_type::event);
  EXPECT_EQ(request_ok(invoke(path_of_fn, {{"x-amz-invocation-type", "DryRun"}})).type, invocation_type::dry_run);
  EXPECT_EQ(request_ok(invoke(path_of_fn)).type, invocation_type::request_response);
}

TEST(ParseRequest, BadInvocationTypeIsAValidationException) {
  for (const std::string bad : {"event", "Async", ""}) {
    SCOPED_TRACE("'" + bad + "'");
    const api_error e = request_error(invoke(path_of_fn, {{"X-Amz-Invocation-Type", bad}}));
    EXPECT_EQ(e.status, 400u);
    EXPECT_EQ(e.type, "ValidationException");
    EXPECT_EQ(e.message, "1 validation error detected: Value '" + bad +
                             "' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: "
                             "[Event, RequestResponse, DryRun]");
  }
}

TEST(ParseRequest, BadLogTypeIsAValidationException) {
  for (const std::string bad : {"tail", "All"}) {
    SCOPED_TRACE("'" + bad + "'");
    const api_error e = request_error(invoke(path_of_fn, {{"X-Amz-Log-Type", bad}}));
    EXPECT_EQ(e.status, 400u);
    EXPECT_EQ(e.type, "ValidationException");
    EXPECT_EQ(e.message, "1 validation error detected: Value '" + bad +
                             "' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [Tail, None]");
  }
}

TEST(ParseRequest, TailIsKeptOnlyForRequestResponse) {
  EXPECT_TRUE(request_ok(invoke(path_of_fn, {{"X-Amz-Log-Type", "Tail"}})).tail);
  EXPECT_TRUE(request_ok(invoke(path_of_fn, {{"X-Amz-Invocation-Type", "RequestResponse"}, {"X-Amz-Log-Type", "Tail"}})).tail);
  EXPECT_FALSE(request_ok(invoke(path_of_fn, {{"X-Amz-Invocation-Type", "Event"}, {"X-Amz-Log-Type", "Tail"}})).tail);
  EXPECT_FALSE(request_ok(invoke(path_of_fn, {{"X-Amz-Invocation-Type", "DryRun"}, {"X-Amz-Log-Type", "Tail"}})).tail);
  EXPECT_FALSE(request_ok(invoke(path_of_fn, {{"X-Amz-Log-Type", "None"}})).tail);
}

TEST(ParseRequest, ChecksComeInAwsOrder) {
  // FunctionName before the invocation type.
  EXPECT_EQ(request_error(invoke("/2015-03-31/functions/a%20b/invocations", {{"X-Amz-Invocation-Type", "bad"}})).message,
            pattern_message("a b"));
  // Qualifier before the invocation type.
  EXPECT_EQ(request_error(invoke("/2015-03-31/functions/fn:1/invocations?Qualifier=2", {{"X-Amz-Invocation-Type", "bad"}}))
                .type,
            "InvalidParameterValueException");
  // Invocation type before the log type.
  EXPECT_THAT(request_error(invoke(path_of_fn, {{"X-Amz-Invocation-Type", "bad"}, {"X-Amz-Log-Type", "bad"}})).message,
              ::testing::HasSubstr("'invocationType'"));
  // Log type before the size.
  EXPECT_EQ(request_error(invoke(path_of_fn, {{"X-Amz-Log-Type", "bad"}}), max_sync_payload + 1).type, "ValidationException");
  // Size before the client context and the body.
  EXPECT_EQ(request_error(invoke(path_of_fn, {{"X-Amz-Client-Context", "!!!"}}, "'test'"), max_sync_payload + 1).type,
            "RequestTooLargeException");
  // Client context before the body.
  EXPECT_EQ(request_error(invoke(path_of_fn, {{"X-Amz-Client-Context", "!!!"}}, "'test'")).message,
            "Client context must be a valid Base64-encoded JSON object.");
}

// ---------------------------------------------------------------------------------------------------------
// parse_request: size limits (body_bytes, not the body kept)

TEST(ParseRequest, LimitConstants) {
  EXPECT_EQ(max_sync_payload, 6291456u);
  EXPECT_EQ(max_async_payload, 1048576u);
  EXPECT_EQ(max_client_context, 3583u);
}

TEST(ParseRequest, SyncPayloadExactlyAtTheLimitIsAccepted) {
  const auto r = request_ok(invoke(path_of_fn, {}, "{}"), 6291456);
  EXPECT_EQ(r.payload, "{}");
  const auto dry = request_ok(invoke(path_of_fn, {{"X-Amz-Invocation-Type", "DryRun"}}, "{}"), 6291456);
  EXPECT_EQ(dry.type, invocation_type::dry_run);
}

TEST(ParseRequest, SyncPayloadOneOverTheLimitIs413) {
  for (const std::string type : {"RequestResponse", "DryRun"}) {
    SCOPED_TRACE(type);
    const api_error e = request_error(invoke(path_of_fn, {{"X-Amz-Invocation-Type", type}}, "{}"), 6291457);
    EXPECT_EQ(e.status, 413u);
    EXPECT_EQ(e.type, "RequestTooLargeException");
    EXPECT_EQ(e.message, "Request must be smaller than 6291456 bytes for the InvokeFunction operation");
  }
}

TEST(ParseRequest, EventPayloadLimitIsOneMegabyte) {
  const auto at = request_ok(invoke(path_of_fn, {{"X-Amz-Invocation-Type", "Event"}}, "{}"), 1048576);
  EXPECT_EQ(at.type, invocation_type::event);

  const api_error e = request_error(invoke(path_of_fn, {{"X-Amz-Invocation-Type", "Event"}}, "{}"), 1048577);
  EXPECT_EQ(e.status, 413u);
  EXPECT_EQ(e.type, "RequestTooLargeException");
  EXPECT_EQ(e.message, "Request must be smaller than 1048576 bytes for the InvokeFunction operation");

  // The same size is fine for a synchronous call.
  EXPECT_EQ(request_ok(invoke(path_of_fn, {}, "{}"), 1048577).type, invocation_type::request_response);
}

// ---------------------------------------------------------------------------------------------------------
// parse_request: client context

TEST(ParseRequest, ClientContextIsDecodedToCompactJson) {
  const std::string context = R"({ "custom" : { "k" : "v", "n" : [1, 2] },
  "env": {"locale": "en-US"} })";
  const auto r = request_ok(invoke(path_of_fn, {{"X-Amz-Client-Context", events::base64_encode(context)}}));
  EXPECT_EQ(r.client_context, R"({"custom":{"k":"v","n":[1,2]},"env":{"locale":"en-US"}})");

  // An empty header is no client context.
  EXPECT_EQ(request_ok(invoke(path_of_fn, {{"X-Amz-Client-Context", ""}})).client_context, "");
}

TEST(ParseRequest, ClientContextErrors) {
  struct row {
    std::string header;
    std::string why;
  };
  for (const row& r : {row{"not base64!", "not base64"}, row{"e30", "base64 without padding"},
                       row{events::base64_encode("hello"), "base64 of non-JSON"},
                       row{events::base64_encode(R"([{"a":1}])"), "base64 of a JSON array"},
                       row{events::base64_encode(R"("text")"), "base64 of a JSON string"},
                       row{events::base64_encode(R"({"a":1)"), "base64 of broken JSON"},
                       row{std::string(3583, 'A'), "3583 bytes that are not base64 (passes the length check)"}}) {
    SCOPED_TRACE(r.why);
    const api_error e = request_error(invoke(path_of_fn, {{"X-Amz-Client-Context", r.header}}));
    EXPECT_EQ(e.status, 400u);
    EXPECT_EQ(e.type, "InvalidRequestContentException");
    EXPECT_EQ(e.message, "Client context must be a valid Base64-encoded JSON object.");
  }
}

TEST(ParseRequest, ClientContextLengthLimit) {
  // 2685 bytes of JSON are exactly 3580 bytes of base64: the longest valid context under the 3583-byte limit.
  const std::string json_at = R"({"k":")" + std::string(2685 - 8, 'x') + R"("})";
  ASSERT_EQ(json_at.size(), 2685u);
  const std::string at = events::base64_encode(json_at);
  ASSERT_EQ(at.size(), 3580u);
  EXPECT_EQ(request_ok(invoke(path_of_fn, {{"X-Amz-Client-Context", at}})).client_context, json_at);

  // 2688 bytes of JSON are 3584 bytes of base64: one over.
  const std::string json_over = R"({"k":")" + std::string(2688 - 8, 'x') + R"("})";
  const std::string over = events::base64_encode(json_over);
  ASSERT_EQ(over.size(), 3584u);
  const api_error e = request_error(invoke(path_of_fn, {{"X-Amz-Client-Context", over}}));
  EXPECT_EQ(e.status, 400u);
  EXPECT_EQ(e.type, "InvalidRequestContentException");
  EXPECT_EQ(e.message, "Client context must be no longer than 3583 bytes");
}

// ---------------------------------------------------------------------------------------------------------
// parse_request: the payload

TEST(ParseRequest, EmptyOrWhitespaceBodyIsAnEmptyObject) {
  EXPECT_EQ(request_ok(invoke(path_of_fn, {}, "")).payload, "{}");
  EXPECT_EQ(request_ok(invoke(path_of_fn, {}, " \t\r\n  ")).payload, "{}");
}

TEST(ParseRequest, ValidJsonBodyIsKeptByteForByte) {
  EXPECT_EQ(request_ok(invoke(path_of_fn, {}, "  { \"b\" : 2, \"a\" : 1 }\n")).payload, "  { \"b\" : 2, \"a\" : 1 }\n");
  EXPECT_EQ(request_ok(invoke(path_of_fn, {}, "[1,2]")).payload, "[1,2]");
  EXPECT_EQ(request_ok(invoke(path_of_fn, {}, "\"text\"")).payload, "\"text\"");
  EXPECT_EQ(request_ok(invoke(path_of_fn, {}, "42")).payload, "42");
  EXPECT_EQ(request_ok(invoke(path_of_fn, {}, "null")).payload, "null");
}

TEST(ParseRequest, InvalidJsonBodyGetsJacksonsMessage) {
  // The AWS text PROTOCOL.md §4.5 quotes.
  const api_error e = request_error(invoke(path_of_fn, {}, "'test'"));
  EXPECT_EQ(e.status, 400u);
  EXPECT_EQ(e.type, "InvalidRequestContentException");
  EXPECT_EQ(e.message,
            "Could not parse request body into json: Could not parse payload into json: Unexpected character (''' (code "
            "39)): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')\n at "
            "[Source: (byte[])\"'test'\"; line: 1, column: 2]");
}

TEST(ParseRequest, InvalidJsonBodyOnALaterLine) {
  // Line and column of the first significant character (Jackson: the column after it); the source is shown whole.
  const std::string body = "\n\n  <xml/>";
  EXPECT_EQ(request_error(invoke(path_of_fn, {}, body)).message,
            std::string(json_prefix) + "Unexpected character ('<' (code 60)): " + expected_a_value +
                "\n at [Source: (byte[])\"\n\n  <xml/>\"; line: 3, column: 4]");

  EXPECT_EQ(request_error(invoke(path_of_fn, {}, "\r\n\t=1")).message,
            std::string(json_prefix) + "Unexpected character ('=' (code 61)): " + expected_a_value +
                "\n at [Source: (byte[])\"\r\n\t=1\"; line: 2, column: 3]");
}

TEST(ParseRequest, InvalidJsonThatStartsLikeAValue) {
  for (const std::string body : {R"({"a":1)", "[1,", "tru", "-", "\"open"}) {
    SCOPED_TRACE(body);
    const api_error e = request_error(invoke(path_of_fn, {}, body));
    EXPECT_EQ(e.type, "InvalidRequestContentException");
    EXPECT_EQ(e.message, std::string(json_prefix) + "Unexpected end-of-input or character in the JSON text");
  }
}

TEST(ParseRequest, InvalidJsonSourceIsCutAt500Bytes) {
  const std::string body = "'" + std::string(600, 'x');
  EXPECT_EQ(invalid_json_message(body), std::string(json_prefix) + "Unexpected character (''' (code 39)): " +
                                            expected_a_value + "\n at [Source: (byte[])\"" + body.substr(0, 500) +
                                            "\"; line: 1, column: 2]");
}

TEST(ParseRequest, BodyNotValidUtf8GetsAnAnswerThatCanBeSent) {
  const api_error e = request_error(invoke(path_of_fn, {}, "'\xff"));
  EXPECT_EQ(e.type, "InvalidRequestContentException");
  http_response r;
  ASSERT_NO_THROW(r = error_response(e, "req-1"));
  EXPECT_EQ(r.status, 400u);
  EXPECT_TRUE(nlohmann::json::accept(r.body)) << r.body;
}

TEST(ParseRequest, SourceCutInsideAMultiByteCharacterGetsAnAnswerThatCanBeSent) {
  const std::string body = "'" + std::string(498, 'x') + "\xc3\xa9";
  ASSERT_EQ(body.size(), 501u);
  const api_error e = request_error(invoke(path_of_fn, {}, body));
  ASSERT_NO_THROW(error_response(e, "req-1"));
}

TEST(ParseRequest, FunctionNameNotValidUtf8GetsAnAnswerThatCanBeSent) {
  const api_error e = request_error(invoke("/2015-03-31/functions/%FF/invocations"));
  EXPECT_EQ(e.type, "ValidationException");
  http_response r;
  ASSERT_NO_THROW(r = error_response(e, "req-1"));
  EXPECT_EQ(r.status, 400u);
  EXPECT_TRUE(nlohmann::json::accept(r.body)) << r.body;
}

TEST(ParseRequest, ControlCharacterBodyGetsJacksonsWording) {
  EXPECT_EQ(invalid_json_message("\x01{}"),
            std::string(json_prefix) +
                "Illegal character ((CTRL-CHAR, code 1)): only regular white space (\\r, \\n, \\t) is allowed between "
                "tokens\n at [Source: (byte[])\"\x01{}\"; line: 1, column: 2]");
}

TEST(ParseRequest, BodyStartingWithALetterGetsJacksonsUnrecognizedToken) {
  EXPECT_EQ(invalid_json_message("hello"),
            std::string(json_prefix) +
                "Unrecognized token 'hello': was expecting (JSON String, Number, Array, Object or token 'null', 'true' "
                "or 'false')\n at [Source: (byte[])\"hello\"; line: 1, column: 6]");
}

// ---------------------------------------------------------------------------------------------------------
// error_response and the other errors

TEST(ErrorResponse, StatusHeadersAndBody) {
  const api_error e{400, "ValidationException", "Value 'x' is \"bad\"", {}};
  const http_response r = error_response(e, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
  EXPECT_EQ(r.status, 400u);
  EXPECT_THAT(r.headers, ElementsAre(Pair("Content-Type", "application/json"),
                                     Pair("x-amzn-RequestId", "8476a536-e9f4-11e8-9739-2dfe598c3fcd"),
                                     Pair("x-amzn-ErrorType", "ValidationException")));
  EXPECT_EQ(r.body, R"({"Type":"User","Message":"Value 'x' is \"bad\""})");
}

TEST(ErrorResponse, FunctionNotFound) {
  const api_error e = function_not_found("arn:aws:lambda:us-east-1:123456789012:function:nope", "");
  EXPECT_EQ(e.status, 404u);
  EXPECT_EQ(e.type, "ResourceNotFoundException");
  EXPECT_EQ(e.message, "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope:$LATEST");
  EXPECT_EQ(e.reason, "");
  EXPECT_EQ(function_not_found("arn:aws:lambda:us-east-1:123456789012:function:nope", "prod").message,
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope:prod");

  const http_response r = error_response(e, "req-2");
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.header("x-amzn-ErrorType"), std::optional<std::string_view>("ResourceNotFoundException"));
  EXPECT_EQ(r.body,
            R"({"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope:$LATEST"})");
}

TEST(ErrorResponse, TooManyRequestsCarriesTheReason) {
  const api_error e = too_many_requests();
  EXPECT_EQ(e.status, 429u);
  EXPECT_EQ(e.type, "TooManyRequestsException");
  EXPECT_EQ(e.message, "Rate Exceeded.");
  EXPECT_EQ(e.reason, "ConcurrentInvocationLimitExceeded");

  const http_response r = error_response(e, "req-3");
  EXPECT_EQ(r.status, 429u);
  EXPECT_THAT(r.headers, ElementsAre(Pair("Content-Type", "application/json"), Pair("x-amzn-RequestId", "req-3"),
                                     Pair("x-amzn-ErrorType", "TooManyRequestsException")));
  EXPECT_EQ(r.body, R"({"Reason":"ConcurrentInvocationLimitExceeded","Type":"User","Message":"Rate Exceeded."})");
}

TEST(ErrorResponse, OfARealParseError) {
  const http_response r = error_response(request_error(invoke(path_of_fn, {}, "'test'")), "req-4");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.header("x-amzn-ErrorType"), std::optional<std::string_view>("InvalidRequestContentException"));
  EXPECT_EQ(r.body, R"({"Type":"User","Message":"Could not parse request body into json: Could not parse payload into )"
                    R"(json: Unexpected character (''' (code 39)): expected a valid value (JSON String, Number, Array, )"
                    R"(Object or token 'null', 'true' or 'false')\n at [Source: (byte[])\"'test'\"; line: 1, column: 2]"})");
}

// ---------------------------------------------------------------------------------------------------------
// log_result (percent_decode is util's: tests/unit/util/test_url.cpp)

TEST(LogResult, WholeLogUpTo4096Bytes) {
  EXPECT_EQ(log_result(""), "");
  EXPECT_EQ(log_result("START RequestId: 1\n"), "U1RBUlQgUmVxdWVzdElkOiAxCg==");
  std::string log(4096, 'a');
  log.front() = 'S';
  log.back() = 'E';
  EXPECT_EQ(log_result(log), events::base64_encode(log));
  EXPECT_EQ(events::base64_decode(log_result(log)), std::optional<std::string>(log));
}

TEST(LogResult, LastExactly4096BytesOfALongerLog) {
  std::string log;
  for (int i = 0; log.size() < 5000; ++i) log += "line " + std::to_string(i) + "\n";
  const std::string tail = log.substr(log.size() - 4096);
  const auto decoded = events::base64_decode(log_result(log));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->size(), 4096u);
  EXPECT_EQ(*decoded, tail);

  const std::string one_over = "X" + std::string(4096, 'y');
  EXPECT_EQ(log_result(one_over), events::base64_encode(std::string(4096, 'y')));
}

TEST(ParseRequest, BinaryOrBase64BodyGetsAHintAboutTheAwsCli) {
  // '{"id":42}' read as base64 by the AWS CLI v2 ("id42" decoded): the bytes it sends.
  const api_error binary = request_error(invoke(path_of_fn, {}, "\x89\xde\x36"));
  EXPECT_EQ(binary.type, "InvalidRequestContentException");
  EXPECT_THAT(binary.message, ::testing::StartsWith(json_prefix));
  EXPECT_THAT(binary.message, ::testing::EndsWith("\n(lemu: the body is binary, not JSON text: the AWS CLI v2 base64-decodes "
                                                  "--payload unless it is given --cli-binary-format raw-in-base64-out; add "
                                                  "that option, or pass --payload fileb://FILE)"));
  EXPECT_THAT(request_error(invoke(path_of_fn, {}, "eyJpZCI6NDJ9")).message,
              ::testing::EndsWith("\n(lemu: the body is base64 of JSON: send the JSON itself; the AWS CLI v2 does with "
                                  "--cli-binary-format raw-in-base64-out)"));
  EXPECT_EQ(binary_format_hint("'test'"), "");
  EXPECT_EQ(binary_format_hint("abc"), ""); // base64 of bytes that are not JSON
}

// ---------------------------------------------------------------------------------------------------------
// X-Amz-Tenant-Id (tenant isolation)

TEST(ParseRequest, TenantIdHeaderIsReadAndValidated) {
  EXPECT_FALSE(request_ok(invoke(path_of_fn)).tenant_id.has_value());
  EXPECT_EQ(request_ok(invoke(path_of_fn, {{"X-Amz-Tenant-Id", "blue"}})).tenant_id, "blue");
  EXPECT_EQ(request_ok(invoke(path_of_fn, {{"x-amz-tenant-id", "org/42=a+b@c.d e:f_g-h"}})).tenant_id, "org/42=a+b@c.d e:f_g-h");
  const api_error bad = request_error(invoke(path_of_fn, {{"X-Amz-Tenant-Id", "blue!"}}));
  EXPECT_EQ(bad.status, 400u);
  EXPECT_EQ(bad.type, "ValidationException");
  EXPECT_EQ(bad.message, "1 validation error detected: Value 'blue!' at 'tenantId' failed to satisfy constraint: Member "
                         R"(must satisfy regular expression pattern: [a-zA-Z0-9\._:\/=+\-@ ]+)");
  EXPECT_EQ(request_error(invoke(path_of_fn, {{"X-Amz-Tenant-Id", ""}})).message,
            "1 validation error detected: Value '' at 'tenantId' failed to satisfy constraint: Member must have length "
            "greater than or equal to 1");
}

TEST(TenantErrors, MissingAndUnexpectedTenant) {
  const api_error missing = tenant_id_required("orders");
  EXPECT_EQ(missing.status, 400u);
  EXPECT_EQ(missing.type, "InvalidParameterValueException");
  EXPECT_EQ(missing.message, "The function orders has tenant isolation: the request needs a tenant id (the "
                             "X-Amz-Tenant-Id header; aws lambda invoke --tenant-id ID)");
  const api_error unexpected = tenant_id_unexpected("orders");
  EXPECT_EQ(unexpected.status, 400u);
  EXPECT_EQ(unexpected.type, "InvalidParameterValueException");
  EXPECT_EQ(unexpected.message,
            "The function orders does not have tenant isolation: the request must not carry a tenant id (X-Amz-Tenant-Id)");
}

} // namespace
} // namespace lemu::gateway::invoke_api
