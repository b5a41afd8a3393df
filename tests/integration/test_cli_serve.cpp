// `lemu serve` over real HTTP on loopback: the Invoke API's exact answers (status, headers, REST-JSON
// errors with PROTOCOL.md §4.4/§4.5 texts), queueing and 429, Event/DryRun, client context, timeouts,
// the front door's 502s, --record with redaction (and a replay of what it recorded), several functions,
// and stopping with Ctrl-C (in-flight invocations finish; a second Ctrl-C kills them; nothing left behind).

#include "integration/cli_fixture.hpp"
#include "support/http_raw.hpp"
#include "support/serve_process.hpp"

#include <lemu/events/checksums.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

const std::string invocations = "/2015-03-31/functions/";

std::string invoke_path(const std::string& name) { return invocations + name + "/invocations"; }

http_raw::read_result post(std::uint16_t port, const std::string& target, const std::string& body,
                           const http_raw::header_list& headers = {}) {
  http_raw::connection c(port);
  return c.roundtrip(http_raw::request("POST", target, headers, body));
}

// lemu serve <fake-bootstrap> --handler by-event: the event's "fake" field picks the behaviour.
// (--handler MODE in `extra` picks another mode; --env FAKE_...=... configures it.)
serve_process fake_serve(std::vector<std::string> extra = {}) {
  std::vector<std::string> args{fake_bootstrap, "--function-name", "fake"};
  if (std::find(extra.begin(), extra.end(), "--handler") == extra.end()) args.insert(args.end(), {"--handler", "by-event"});
  args.insert(args.end(), extra.begin(), extra.end());
  return serve_process(args);
}

void expect_api_error(const http_raw::read_result& r, int status, const std::string& type, const std::string& message) {
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, status) << r.res.raw;
  EXPECT_EQ(r.res.header("x-amzn-ErrorType"), type);
  EXPECT_EQ(r.res.header("Content-Type"), "application/json");
  EXPECT_TRUE(r.res.header("x-amzn-RequestId").has_value());
  EXPECT_EQ(json::parse(r.res.body), (json{{"Type", "User"}, {"Message", message}})) << r.res.body;
}

} // namespace

TEST(CliServe, InvokeAnswersLikeLambda) {
  serve_process s = fake_serve();
  const auto r = post(s.port(), invoke_path("fake"), R"({"a":[1,2,3]})");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 200);
  EXPECT_EQ(r.res.body, R"({"a":[1,2,3]})");
  EXPECT_EQ(r.res.header("X-Amz-Executed-Version"), "$LATEST");
  EXPECT_EQ(r.res.header("Content-Type"), "application/json");
  EXPECT_FALSE(r.res.header("X-Amz-Function-Error").has_value());
  EXPECT_FALSE(r.res.header("X-Amz-Log-Result").has_value()); // only with X-Amz-Log-Type: Tail
  const auto id = r.res.header("x-amzn-RequestId");
  ASSERT_TRUE(id.has_value());
  EXPECT_TRUE(s.process().wait_for_stderr("END RequestId: " + *id));

  // An empty body is the event {} (PROTOCOL.md §4.5).
  const auto empty = post(s.port(), invoke_path("fake"), "");
  EXPECT_EQ(empty.res.body, "{}");

  // A function error: still 200, X-Amz-Function-Error: Unhandled, the error body verbatim.
  const auto error = post(s.port(), invoke_path("fake"), R"({"fake":"error"})", {{"X-Amz-Log-Type", "Tail"}});
  EXPECT_EQ(error.res.status, 200);
  EXPECT_EQ(error.res.header("X-Amz-Function-Error"), "Unhandled");
  EXPECT_EQ(error.res.body, R"({"errorMessage":"fake failure","errorType":"FakeError","stackTrace":[]})");
  const auto tail = lemu::events::base64_decode(error.res.header("X-Amz-Log-Result").value_or(""));
  ASSERT_TRUE(tail.has_value());
  const std::string error_id = *error.res.header("x-amzn-RequestId");
  EXPECT_EQ(tail->rfind("START RequestId: " + error_id + " Version: $LATEST\n", 0), 0u) << *tail;
  EXPECT_THAT(*tail, HasSubstr("\nEND RequestId: " + error_id + "\nREPORT RequestId: " + error_id + "\tDuration: "));
  EXPECT_EQ(tail->substr(tail->size() - 2), "\t\n");
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliServe, LogTailIsTheLast4096Bytes) {
  serve_process s = fake_serve({"--handler", "noisy", "--env", "FAKE_NOISE_LINES=200"});
  const auto r = post(s.port(), invoke_path("fake"), "{}", {{"X-Amz-Log-Type", "Tail"}});
  const auto tail = lemu::events::base64_decode(r.res.header("X-Amz-Log-Result").value_or(""));
  ASSERT_TRUE(tail.has_value());
  EXPECT_EQ(tail->size(), 4096u);
  const std::string id = *r.res.header("x-amzn-RequestId");
  EXPECT_THAT(*tail, HasSubstr("END RequestId: " + id + "\nREPORT RequestId: " + id + "\t"));
  EXPECT_EQ(tail->back(), '\n');
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliServe, RequestErrorsInAwsShape) {
  serve_process s = fake_serve();
  const std::string arn = "arn:aws:lambda:us-east-1:123456789012:function:";
  expect_api_error(post(s.port(), invoke_path("nope"), "{}"), 404, "ResourceNotFoundException",
                   "Function not found: " + arn + "nope:$LATEST");
  expect_api_error(post(s.port(), invoke_path("fake:prod"), "{}"), 404, "ResourceNotFoundException",
                   "Function not found: " + arn + "fake:prod");
  expect_api_error(post(s.port(), invoke_path("arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Afake"), "{}"),
                   404, "ResourceNotFoundException", "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')");
  expect_api_error(post(s.port(), invoke_path("fake:$LATEST") + "?Qualifier=prod", "{}"), 400,
                   "InvalidParameterValueException",
                   "The derived qualifier from the function name does not match the specified qualifier.");
  expect_api_error(post(s.port(), invoke_path("bad%20name"), "{}"), 400, "ValidationException",
                   "1 validation error detected: Value 'bad name' at 'functionName' failed to satisfy constraint: Member "
                   "must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?"
                   "(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?");
  expect_api_error(post(s.port(), invoke_path("fake"), "{}", {{"X-Amz-Invocation-Type", "Later"}}), 400,
                   "ValidationException",
                   "1 validation error detected: Value 'Later' at 'invocationType' failed to satisfy constraint: Member "
                   "must satisfy enum value set: [Event, RequestResponse, DryRun]");
  // AWS's text for a body that is not JSON (PROTOCOL.md §4.5), Jackson's wording and all.
  expect_api_error(post(s.port(), invoke_path("fake"), "'test'"), 400, "InvalidRequestContentException",
                   "Could not parse request body into json: Could not parse payload into json: Unexpected character "
                   "(''' (code 39)): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' "
                   "or 'false')\n at [Source: (byte[])\"'test'\"; line: 1, column: 2]");
  expect_api_error(post(s.port(), invoke_path("fake"), "{}", {{"X-Amz-Client-Context", "not base64!"}}), 400,
                   "InvalidRequestContentException", "Client context must be a valid Base64-encoded JSON object.");
  // Payload limits (PROTOCOL.md §4.4): 6291456 bytes synchronous, 1 MB for Event.
  const std::string big = "\"" + std::string(6291456 - 1, 'x') + "\"";
  expect_api_error(post(s.port(), invoke_path("fake"), big), 413, "RequestTooLargeException",
                   "Request must be smaller than 6291456 bytes for the InvokeFunction operation");
  const std::string async_big = "\"" + std::string(1048576 - 1, 'x') + "\"";
  expect_api_error(post(s.port(), invoke_path("fake"), async_big, {{"X-Amz-Invocation-Type", "Event"}}), 413,
                   "RequestTooLargeException", "Request must be smaller than 1048576 bytes for the InvokeFunction operation");
  // Exactly at the limit is accepted.
  const std::string at_limit = "\"" + std::string(6291456 - 2, 'x') + "\"";
  const auto ok = post(s.port(), invoke_path("fake"), at_limit);
  EXPECT_EQ(ok.res.status, 200);
  EXPECT_EQ(ok.res.body.size(), at_limit.size());
  // Other paths are not the Invoke API.
  http_raw::connection c(s.port());
  const auto other = c.roundtrip(http_raw::request("GET", "/2015-03-31/functions/"));
  EXPECT_EQ(other.res.status, 404);
  EXPECT_EQ(other.res.header("x-amzn-ErrorType"), "UnknownOperationException");
  EXPECT_EQ(s.stop(), 0);
  EXPECT_THAT(s.process().err(), HasSubstr("lemu: invoke: 404 ResourceNotFoundException: Function not found: "));
}

TEST(CliServe, ClientContextAndQualifiedArnReachTheRuntime) {
  serve_process s(std::vector<std::string>{fake_bootstrap, "--handler", "headers", "--function-name", "fake"});
  const std::string context = R"({ "custom": {"k": "v"} })";
  const auto r = post(s.port(), invoke_path("fake:$LATEST"), R"({"x":1})",
                      {{"X-Amz-Client-Context", lemu::events::base64_encode(context)}});
  ASSERT_EQ(r.res.status, 200) << r.res.raw;
  const json seen = json::parse(r.res.body);
  EXPECT_EQ(seen.at("client_context"), R"({"custom":{"k":"v"}})");
  EXPECT_EQ(seen.at("function_arn"), "arn:aws:lambda:us-east-1:123456789012:function:fake:$LATEST");
  EXPECT_EQ(seen.at("request_id"), *r.res.header("x-amzn-RequestId"));
  EXPECT_EQ(seen.at("payload"), R"({"x":1})");
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliServe, EventRunsInTheBackgroundAndDryRunRunsNothing) {
  serve_process s = fake_serve();
  const auto dry = post(s.port(), invoke_path("fake"), "{}", {{"X-Amz-Invocation-Type", "DryRun"}});
  EXPECT_EQ(dry.res.status, 204);
  EXPECT_EQ(dry.res.body, "");
  const auto event = post(s.port(), invoke_path("fake"), R"({"fake":"sleep:1500"})", {{"X-Amz-Invocation-Type", "Event"}});
  EXPECT_EQ(event.res.status, 202);
  EXPECT_EQ(event.res.body, "");
  const std::string id = *event.res.header("x-amzn-RequestId");
  EXPECT_THAT(s.process().err(), ::testing::Not(HasSubstr("END RequestId: " + id))); // answered before it ran
  EXPECT_TRUE(s.process().wait_for_stderr("END RequestId: " + id));
  const auto failing = post(s.port(), invoke_path("fake"), R"({"fake":"error"})", {{"X-Amz-Invocation-Type", "Event"}});
  EXPECT_EQ(failing.res.status, 202);
  EXPECT_TRUE(s.process().wait_for_stderr("lemu: asynchronous invocation " + *failing.res.header("x-amzn-RequestId") +
                                          " failed (FakeError); Lambda would retry it twice, lemu does not"));
  EXPECT_EQ(s.stop(), 0);
  EXPECT_THAT(s.process().err(), HasSubstr("invocations 2 · succeeded 1 · errors 1 · timeouts 0 · crashes 0"));
}

TEST(CliServe, TimeoutAndCrashAreUnhandledFunctionErrors) {
  serve_process s = fake_serve({"--timeout", "0.3"});
  const auto timeout = post(s.port(), invoke_path("fake"), R"({"fake":"hang"})");
  EXPECT_EQ(timeout.res.status, 200);
  EXPECT_EQ(timeout.res.header("X-Amz-Function-Error"), "Unhandled");
  const std::string id = *timeout.res.header("x-amzn-RequestId");
  EXPECT_EQ(timeout.res.body, platform_error("Sandbox.Timedout", id, "Task timed out after 0.30 seconds"));
  const auto crash = post(s.port(), invoke_path("fake"), R"({"fake":"crash"})");
  EXPECT_EQ(crash.res.body, platform_error("Runtime.ExitError", *crash.res.header("x-amzn-RequestId"),
                                           "Runtime exited with error: signal: aborted"));
  const auto after = post(s.port(), invoke_path("fake"), R"({"n":3})"); // a fresh environment
  EXPECT_EQ(after.res.body, R"({"n":3})");
  EXPECT_EQ(s.stop(), 0);
}

TEST(CliServe, BusyFunctionQueuesThenAnswers429) {
  serve_process s = fake_serve({"--concurrency", "1", "--max-queue", "1"});
  // One running; of the next two, whichever lemu reads first waits in the queue (then runs), the other is
  // refused: the queue holds one.
  http_raw::connection running(s.port()), b(s.port()), c(s.port());
  ASSERT_TRUE(running.send(http_raw::request("POST", invoke_path("fake"), {}, R"({"fake":"sleep:800"})")));
  ASSERT_TRUE(s.process().wait_for_stderr("START RequestId: "));
  ASSERT_TRUE(b.send(http_raw::request("POST", invoke_path("fake"), {}, R"({"n":"b"})")));
  ASSERT_TRUE(c.send(http_raw::request("POST", invoke_path("fake"), {}, R"({"n":"c"})")));
  const auto rb = b.read_response();
  const auto rc = c.read_response();
  ASSERT_TRUE(rb.ok() && rc.ok());
  const bool b_refused = rb.res.status == 429;
  const auto& refused = b_refused ? rb : rc;
  const auto& queued = b_refused ? rc : rb;
  EXPECT_EQ(refused.res.status, 429);
  EXPECT_EQ(refused.res.header("x-amzn-ErrorType"), "TooManyRequestsException");
  EXPECT_EQ(json::parse(refused.res.body),
            json::parse(R"({"Reason":"ConcurrentInvocationLimitExceeded","Type":"User","Message":"Rate Exceeded."})"));
  EXPECT_EQ(queued.res.status, 200);
  EXPECT_EQ(queued.res.body, b_refused ? R"({"n":"c"})" : R"({"n":"b"})");
  const auto first = running.read_response();
  EXPECT_EQ(first.res.status, 200);
  EXPECT_EQ(s.stop(), 0);
  EXPECT_THAT(s.process().err(), HasSubstr("lemu: invoke: 429 TooManyRequestsException: Rate Exceeded."));
}

TEST(CliServe, CtrlCLetsInFlightInvocationsFinish) {
  serve_process s = fake_serve({"--env", "FAKE_LOG_PID=1"});
  http_raw::connection c(s.port());
  ASSERT_TRUE(c.send(http_raw::request("POST", invoke_path("fake"), {}, R"({"fake":"sleep:500","n":1})")));
  ASSERT_TRUE(s.process().wait_for_stderr("START RequestId: "));
  s.process().signal(SIGINT);
  const auto r = c.read_response();
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 200);
  EXPECT_EQ(r.res.body, R"({"fake":"sleep:500","n":1})");
  EXPECT_EQ(s.process().wait(), 0);
  const std::string err = s.process().err();
  EXPECT_THAT(err, HasSubstr("lemu: stopping: 1 invocations in flight, 0 queued (Ctrl-C again to cancel them)"));
  EXPECT_THAT(err, HasSubstr("invocations 1 · succeeded 1"));
  const auto pid_at = err.find("fake-bootstrap: pid ");
  ASSERT_NE(pid_at, std::string::npos);
  const int runtime_pid = std::stoi(err.substr(pid_at + 20));
  EXPECT_TRUE(processes_in_group(runtime_pid).empty()); // the function was stopped
  // The port is closed.
  EXPECT_THROW(http_raw::connection(s.port(), std::chrono::milliseconds(500)), std::runtime_error);
}

TEST(CliServe, SecondCtrlCKillsWhatIsRunning) {
  serve_process s = fake_serve({"--timeout", "60"});
  http_raw::connection c(s.port());
  ASSERT_TRUE(c.send(http_raw::request("POST", invoke_path("fake"), {}, R"({"fake":"hang"})")));
  ASSERT_TRUE(s.process().wait_for_stderr("START RequestId: "));
  s.process().signal(SIGINT);
  ASSERT_TRUE(s.process().wait_for_stderr("lemu: stopping: 1 invocations in flight"));
  s.process().signal(SIGINT);
  // The caller gets an answer: the invocation was cancelled by lemu (not a function error), and lemu
  // exits 130 as an interrupted run does.
  const auto r = c.read_response();
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 503);
  EXPECT_EQ(r.res.header("x-amzn-ErrorType"), "ServiceException");
  EXPECT_FALSE(r.res.header("X-Amz-Function-Error"));
  EXPECT_EQ(s.process().wait(std::chrono::seconds(10)), 130);
  EXPECT_THAT(s.process().err(), HasSubstr("lemu: stopping now: cancelling what is left"));
  EXPECT_THAT(s.process().err(), HasSubstr("invocations 0 · succeeded 0 · errors 0 · timeouts 0 · crashes 0 · cancelled 1"));
}

TEST(CliServe, FrontDoorFailuresAre502) {
  // echo returns the event itself: not a REST proxy response (unknown fields).
  serve_process rest(std::vector<std::string>{echo_bootstrap, "--api", "rest"});
  http_raw::connection c(rest.api_port());
  const auto malformed = c.roundtrip(http_raw::request("GET", "/things"));
  ASSERT_TRUE(malformed.ok());
  EXPECT_EQ(malformed.res.status, 502);
  EXPECT_EQ(malformed.res.body, R"({"message":"Internal server error"})");
  EXPECT_EQ(rest.stop(), 0);
  EXPECT_THAT(rest.process().err(), HasSubstr("lemu: api: GET /things: Malformed Lambda proxy response: "));

  serve_process failing = fake_serve({"--handler", "error", "--api", "http"});
  http_raw::connection f(failing.api_port());
  const auto failed = f.roundtrip(http_raw::request("GET", "/x"));
  EXPECT_EQ(failed.res.status, 502);
  EXPECT_EQ(failed.res.body, R"({"message":"Internal server error"})");
  EXPECT_EQ(failing.stop(), 0);
  EXPECT_THAT(failing.process().err(), HasSubstr("lemu: api: GET /x: the function failed (FakeError)"));
}

TEST(CliServe, RecordRedactsSecretsAndReplays) {
  scratch_dir dir;
  const std::string capture = dir.path() + "/served.jsonl";
  {
    serve_process s(std::vector<std::string>{echo_bootstrap, "--api", "http", "--record", capture});
    http_raw::connection c(s.api_port());
    const auto r = c.roundtrip(http_raw::request(
        "GET", "/me", {{"Authorization", "Bearer secret-token"}, {"Cookie", "sid=s3cr3t"}, {"X-Amz-Security-Token", "tok"}}));
    EXPECT_EQ(r.res.status, 200);
    EXPECT_EQ(post(s.port(), invoke_path("echo"), R"({"headers":{"authorization":"Basic abc"},"n":1})").res.status, 200);
    EXPECT_EQ(s.stop(), 0);
  }
  const auto lines = split_lines(read_file(capture));
  ASSERT_EQ(lines.size(), 2u);
  const json http = json::parse(lines[0]);
  EXPECT_EQ(http.at("event").at("headers").at("authorization"), "<redacted>");
  EXPECT_EQ(http.at("event").at("headers").at("x-amz-security-token"), "<redacted>");
  EXPECT_EQ(http.at("event").at("cookies"), json::array({"<redacted>"}));
  EXPECT_EQ(http.at("meta").at("name"), "GET /me");
  EXPECT_EQ(http.at("meta").at("status"), "success");
  // The response echoed them: redacted there too.
  EXPECT_EQ(http.at("response").at("headers").at("authorization"), "<redacted>");
  EXPECT_THAT(lines[0], ::testing::Not(HasSubstr("secret-token")));
  EXPECT_THAT(lines[0], ::testing::Not(HasSubstr("s3cr3t")));
  EXPECT_THAT(lines[0], ::testing::Not(HasSubstr("\"tok\"")));
  const json invoke = json::parse(lines[1]);
  EXPECT_EQ(invoke.at("event"), json::parse(R"({"headers":{"authorization":"<redacted>"},"n":1})"));
  EXPECT_EQ(invoke.at("meta").at("name"), "invoke echo");

  // The capture replays: echo gives back the (redacted) event it recorded.
  const auto replay = run_command({lemu_bin, "replay", capture, "--bootstrap", echo_bootstrap});
  EXPECT_EQ(replay.exit_code, 0) << replay.err;

  {
    serve_process s(std::vector<std::string>{echo_bootstrap, "--api", "http", "--record", capture, "--record-secrets"});
    http_raw::connection c(s.api_port());
    EXPECT_EQ(c.roundtrip(http_raw::request("GET", "/me", {{"Authorization", "Bearer secret-token"}})).res.status, 200);
    EXPECT_EQ(s.stop(), 0);
  }
  const auto appended = split_lines(read_file(capture));
  ASSERT_EQ(appended.size(), 3u); // appended, not replaced
  EXPECT_EQ(json::parse(appended[2]).at("event").at("headers").at("authorization"), "Bearer secret-token");
  EXPECT_EQ(json::parse(appended[2]).at("response").at("headers").at("authorization"), "Bearer secret-token");
}

TEST(CliServe, SeveralFunctionsAndRoutes) {
  serve_process s(std::vector<std::string>{"--function", std::string("echoer=") + echo_bootstrap, "--function",
                                           std::string("teller=") + fake_bootstrap, "--handler", "tagged", "--env",
                                           "FAKE_TAG=t1", "--api", "url"});
  // Function URLs have no routes: every request goes to the first function.
  EXPECT_EQ(post(s.port(), invoke_path("echoer"), R"({"n":1})").res.body, R"({"n":1})");
  EXPECT_EQ(json::parse(post(s.port(), invoke_path("teller"), R"({"n":2})").res.body).at("tag"), "t1");
  EXPECT_EQ(s.stop(), 0);
  const std::string err = s.process().err();
  EXPECT_THAT(err, HasSubstr("function echoer:\n"));
  EXPECT_THAT(err, HasSubstr("function teller:\n"));

  serve_process routed(std::vector<std::string>{"--function", std::string("a=") + echo_bootstrap, "--function",
                                                std::string("b=") + fake_bootstrap, "--handler", "tagged", "--api", "http",
                                                "--route", "GET /a/{id}", "--route", "ANY /b/{rest+}=b"});
  http_raw::connection c(routed.api_port());
  const auto to_b = c.roundtrip(http_raw::request("POST", "/b/x/y", {}, "hi"));
  EXPECT_EQ(to_b.res.status, 200);
  const json body = json::parse(to_b.res.body);
  EXPECT_EQ(body.at("tag"), "none");
  EXPECT_EQ(body.at("event").at("routeKey"), "ANY /b/{rest+}");
  EXPECT_EQ(body.at("event").at("pathParameters").at("rest"), "x/y");
  EXPECT_EQ(routed.stop(), 0);
}

TEST(CliServe, BadOptionsAndBusyPorts) {
  const auto no_function = run_command({lemu_bin, "serve"});
  EXPECT_EQ(no_function.exit_code, 2);
  EXPECT_THAT(no_function.err, HasSubstr("lemu: error: no function given: pass a bootstrap, --function NAME=PATH, --cargo-lambda NAME, or --template [FILE]"));
  const auto missing = run_command({lemu_bin, "serve", "/no/such/bootstrap"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("Runtime.InvalidEntrypoint"));
  const auto bad_route = run_command({lemu_bin, "serve", echo_bootstrap, "--route", "FETCH /x"});
  EXPECT_EQ(bad_route.exit_code, 2);
  EXPECT_THAT(bad_route.err, HasSubstr("lemu: error: --route: "));
  const auto unknown_target = run_command({lemu_bin, "serve", echo_bootstrap, "--route", "GET /x=other"});
  EXPECT_EQ(unknown_target.exit_code, 2);
  EXPECT_THAT(unknown_target.err, HasSubstr("no function is named other"));

  serve_process s(std::vector<std::string>{echo_bootstrap});
  const auto busy = run_command({lemu_bin, "serve", echo_bootstrap, "--port", std::to_string(s.port()), "--api-port", "0"});
  EXPECT_EQ(busy.exit_code, 2);
  EXPECT_THAT(busy.err, HasSubstr("lemu: error: cannot listen on 127.0.0.1:" + std::to_string(s.port())));
  EXPECT_THAT(s.process().err(), HasSubstr("lemu: Invoke API on http://127.0.0.1:"));
  EXPECT_THAT(s.process().err(), ::testing::Not(HasSubstr("lemu: warning: listening on")));
  EXPECT_EQ(s.stop(), 0);

  // Another loopback address: no warning (tests never listen beyond loopback).
  serve_process other(std::vector<std::string>{echo_bootstrap, "--host", "127.0.0.2"});
  EXPECT_THAT(other.process().err(), HasSubstr("lemu: Invoke API on http://127.0.0.2:"));
  EXPECT_THAT(other.process().err(), ::testing::Not(HasSubstr("lemu: warning:")));
  EXPECT_EQ(other.stop(), 0);
}
