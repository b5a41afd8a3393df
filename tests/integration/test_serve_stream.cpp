// `lemu serve` streaming responses over real HTTP on loopback, with fake-bootstrap's stream mode as the
// runtime: InvokeWithResponseStream's event stream (PayloadChunk events in order, InvokeComplete with the
// error trailers, a buffered answer as one chunk, errors before the invocation as REST-JSON), and a
// RESPONSE_STREAM front door (the prelude's status, headers and cookies, raw content types, a malformed
// prelude's 502, an error after the head aborting the connection, keep-alive after a stream), and the
// --invoke-mode usage errors.

#include "integration/cli_fixture.hpp"
#include "support/http_raw.hpp"
#include "support/serve_process.hpp"

#include <lemu/gateway/eventstream.hpp>
#include <lemu/util/base64.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;
namespace es = lemu::gateway::eventstream;

namespace {

std::string stream_path(const std::string& name) { return "/2021-11-15/functions/" + name + "/response-streaming-invocations"; }

serve_process stream_serve(std::vector<std::string> extra) {
  std::vector<std::string> args{fake_bootstrap, "--function-name", "fake"};
  args.insert(args.end(), extra.begin(), extra.end());
  return serve_process(args);
}

http_raw::read_result post(std::uint16_t port, const std::string& target, const std::string& body,
                           const http_raw::header_list& headers = {}) {
  http_raw::connection c(port);
  return c.roundtrip(http_raw::request("POST", target, headers, body));
}

// The events of an event stream body, as "<:event-type>:<payload>".
std::vector<std::string> events_of(const std::string& body) {
  es::decoder d;
  d.feed(body);
  std::vector<std::string> out;
  while (auto m = d.next()) {
    EXPECT_EQ(m->header(":message-type"), "event");
    out.push_back(std::string(m->header(":event-type").value_or("?")) + ":" + m->payload);
  }
  EXPECT_EQ(d.error(), "");
  EXPECT_EQ(d.buffered(), 0u) << "the body ends with a whole message";
  return out;
}

} // namespace

TEST(ServeStream, InvokeWithResponseStreamSendsEachChunkThenInvokeComplete) {
  serve_process s = stream_serve({"--handler", "stream", "--env", "FAKE_STREAM_CHUNKS=3"});
  const auto r = post(s.port(), stream_path("fake"), "{}");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 200);
  EXPECT_EQ(r.res.header("Content-Type"), "application/vnd.amazon.eventstream");
  EXPECT_EQ(r.res.header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(r.res.header("X-Amz-Executed-Version"), "$LATEST");
  EXPECT_TRUE(r.res.header("x-amzn-RequestId").has_value());
  EXPECT_THAT(events_of(r.res.body), ::testing::ElementsAre("PayloadChunk:chunk 0\n", "PayloadChunk:chunk 1\n",
                                                            "PayloadChunk:chunk 2\n", "InvokeComplete:{}"));
}

TEST(ServeStream, MidStreamErrorIsInvokeCompletesErrorCodeAndDetails) {
  serve_process s = stream_serve({"--handler", "stream", "--env", "FAKE_STREAM_CHUNKS=2", "--env", "FAKE_STREAM_END=error"});
  const auto r = post(s.port(), stream_path("fake") + "?Qualifier=%24LATEST", "{}", {{"X-Amz-Log-Type", "Tail"}});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 200) << "a function error never changes the HTTP status";
  const auto events = events_of(r.res.body);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0], "PayloadChunk:chunk 0\n");
  EXPECT_EQ(events[1], "PayloadChunk:chunk 1\n");
  const json complete = json::parse(events[2].substr(std::string("InvokeComplete:").size()));
  EXPECT_EQ(complete.at("ErrorCode"), "FakeStreamError");
  EXPECT_EQ(complete.at("ErrorDetails"), R"({"errorMessage":"fake stream failure","errorType":"FakeStreamError"})");
  const auto log = lemu::util::base64_decode(complete.at("LogResult").get<std::string>());
  ASSERT_TRUE(log.has_value());
  EXPECT_THAT(*log, HasSubstr("REPORT RequestId: " + *r.res.header("x-amzn-RequestId")));
}

TEST(ServeStream, ABufferedAnswerIsOneChunk) {
  serve_process s = stream_serve({"--handler", "echo"});
  const auto r = post(s.port(), stream_path("fake"), R"({"n":1})");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_THAT(events_of(r.res.body), ::testing::ElementsAre("PayloadChunk:{\"n\":1}", "InvokeComplete:{}"));

  serve_process failing = stream_serve({"--handler", "error"});
  const auto e = post(failing.port(), stream_path("fake"), "{}");
  ASSERT_TRUE(e.ok()) << e.error;
  const auto events = events_of(e.res.body);
  ASSERT_EQ(events.size(), 1u) << "an error answered whole has no chunk";
  const json complete = json::parse(events[0].substr(std::string("InvokeComplete:").size()));
  EXPECT_FALSE(complete.at("ErrorCode").get<std::string>().empty());
  EXPECT_TRUE(json::parse(complete.at("ErrorDetails").get<std::string>()).contains("errorMessage"));
}

TEST(ServeStream, ErrorsBeforeTheInvocationAreRestJson) {
  serve_process s = stream_serve({"--handler", "stream"});
  const auto missing = post(s.port(), stream_path("nope"), "{}");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing.res.status, 404);
  EXPECT_EQ(missing.res.header("x-amzn-ErrorType"), "ResourceNotFoundException");
  EXPECT_EQ(json::parse(missing.res.body).at("Message"),
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope:$LATEST");
  const auto event = post(s.port(), stream_path("fake"), "{}", {{"X-Amz-Invocation-Type", "Event"}});
  ASSERT_TRUE(event.ok());
  EXPECT_EQ(event.res.status, 400);
  EXPECT_EQ(json::parse(event.res.body).at("Message"),
            "1 validation error detected: Value 'Event' at 'invocationType' failed to satisfy constraint: Member must "
            "satisfy enum value set: [RequestResponse, DryRun]");
  const auto bad = post(s.port(), stream_path("fake"), "'test'");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad.res.header("x-amzn-ErrorType"), "InvalidRequestContentException");
  const auto dry = post(s.port(), stream_path("fake"), "{}", {{"X-Amz-Invocation-Type", "DryRun"}});
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(dry.res.status, 204);
}

TEST(ServeStream, FrontDoorAppliesThePreludeAndStreamsTheBody) {
  serve_process s = stream_serve({"--handler", "stream", "--api", "url", "--invoke-mode", "RESPONSE_STREAM", "--env",
                                  R"(FAKE_STREAM_PRELUDE={"statusCode":201,"headers":{"X-A":"1","Content-Type":"text/plain"},"cookies":["c=1","d=2; Path=/"]})"});
  http_raw::connection c(s.api_port());
  const auto r = c.roundtrip(http_raw::request("GET", "/anything"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 201);
  EXPECT_EQ(r.res.header("X-A"), "1");
  EXPECT_EQ(r.res.header("Content-Type"), "text/plain");
  EXPECT_EQ(r.res.count("Set-Cookie"), 2u);
  EXPECT_THAT(r.res.raw, HasSubstr("Set-Cookie: c=1\r\nSet-Cookie: d=2; Path=/\r\n"));
  EXPECT_EQ(r.res.header("Transfer-Encoding"), "chunked");
  EXPECT_TRUE(r.res.header("x-amzn-RequestId").has_value());
  EXPECT_EQ(r.res.body, "chunk 0\nchunk 1\nchunk 2\n");
  // Keep-alive after a finished stream.
  const auto again = c.roundtrip(http_raw::request("GET", "/again"));
  ASSERT_TRUE(again.ok()) << again.error;
  EXPECT_EQ(again.res.body, "chunk 0\nchunk 1\nchunk 2\n");
}

TEST(ServeStream, FrontDoorStreamsOtherContentTypesRawWith200) {
  serve_process s = stream_serve({"--handler", "stream", "--api", "rest", "--invoke-mode", "RESPONSE_STREAM", "--env",
                                  "FAKE_STREAM_CONTENT_TYPE=text/event-stream"});
  http_raw::connection c(s.api_port());
  const auto r = c.roundtrip(http_raw::request("GET", "/events"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 200);
  EXPECT_EQ(r.res.header("Content-Type"), "text/event-stream");
  EXPECT_EQ(r.res.body, "chunk 0\nchunk 1\nchunk 2\n");
}

TEST(ServeStream, FrontDoorMalformedPreludeIs502) {
  serve_process s = stream_serve({"--handler", "stream", "--api", "url", "--invoke-mode", "RESPONSE_STREAM", "--env",
                                  "FAKE_STREAM_PRELUDE=not json"});
  const auto r = http_raw::connection(s.api_port()).roundtrip(http_raw::request("GET", "/"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 502);
  EXPECT_EQ(r.res.body, R"({"message":"Internal server error"})");
  EXPECT_TRUE(s.process().wait_for_stderr("Malformed Lambda proxy response"));
}

TEST(ServeStream, FrontDoorErrorAfterTheHeadAbortsTheConnection) {
  serve_process s = stream_serve({"--handler", "stream", "--api", "url", "--invoke-mode", "RESPONSE_STREAM", "--env",
                                  "FAKE_STREAM_END=error"});
  http_raw::connection c(s.api_port());
  ASSERT_TRUE(c.send(http_raw::request("GET", "/")));
  const auto r = c.read_response(std::chrono::seconds(20));
  EXPECT_EQ(r.status, http_raw::read_status::closed) << "the body is incomplete: " << r.res.raw;
  EXPECT_THAT(c.buffered(), HasSubstr("chunk 2\n"));
  EXPECT_THAT(c.buffered(), ::testing::Not(HasSubstr("\r\n0\r\n\r\n")));
}

TEST(ServeStream, FrontDoorAnswersABufferedFunctionAsBefore) {
  serve_process s = stream_serve({"--handler", "echo", "--api", "url", "--invoke-mode", "RESPONSE_STREAM"});
  const auto r = http_raw::connection(s.api_port()).roundtrip(http_raw::request("GET", "/x"));
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 200);
  EXPECT_TRUE(r.res.header("Content-Length").has_value());
  EXPECT_THAT(r.res.body, HasSubstr("\"rawPath\":\"/x\""));
}

TEST(ServeStream, InvokeModeNeedsAStreamingFrontDoor) {
  for (const std::string api : {"http", "none"}) {
    SCOPED_TRACE(api);
    const auto r = run_command({lemu_bin, "serve", fake_bootstrap, "--api", api, "--invoke-mode", "RESPONSE_STREAM"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("lemu: error: --invoke-mode RESPONSE_STREAM needs --api url or --api rest: "));
    EXPECT_EQ(r.out, "");
  }
  const auto bad = run_command({lemu_bin, "serve", fake_bootstrap, "--invoke-mode", "STREAM"});
  EXPECT_EQ(bad.exit_code, 2);
}

// A RESPONSE_STREAM function URL whose function streams `mebibytes` chunks of 1 MiB, unpaced.
serve_process mebibytes_serve(int mebibytes) {
  return stream_serve({"--handler", "stream", "--api", "url", "--invoke-mode", "RESPONSE_STREAM", "--env",
                       "FAKE_STREAM_CHUNKS=" + std::to_string(mebibytes), "--env", "FAKE_STREAM_CHUNK_BYTES=1048576",
                       "--stream-rate", "0", "--timeout", "60"});
}

// curl -N against the front door, counting and dropping the body; stdout is what `write_out` asks for.
command_result curl_count(const serve_process& s, const std::string& write_out) {
  command_options o;
  o.deadline = std::chrono::seconds(120);
  return run_command({"curl", "-sS", "-N", "-o", "/dev/null", "-w", write_out, s.api_url("/")}, o);
}

TEST(ServeStream, A150MebibyteStreamPassesThroughServeInBoundedMemory) {
  // Through a RESPONSE_STREAM function URL to curl, which counts and drops the bytes.
  serve_process s = mebibytes_serve(150);
  const auto r = curl_count(s, "%{http_code} %{size_download}");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "200 157286400");
  EXPECT_EQ(s.stop(), 0);
  // ASan's quarantine keeps up to 256 MB of what is freed (each piece is copied for its write), so memory is
  // checked in the normal build only.
  if (!lemu_is_sanitized()) {
    EXPECT_LT(s.process().max_rss_kb(), 32 * 1024) << "lemu serve held one piece at a time";
  }
}

TEST(ServeStream, AStreamPastTheLimitIsCutWithLambdasError) {
  serve_process s = mebibytes_serve(201);
  const auto r = curl_count(s, "%{size_download}");
  EXPECT_EQ(r.exit_code, 18) << "curl: the transfer was cut: " << r.err;
  EXPECT_EQ(r.out, "209715200") << "exactly the limit went out";
  EXPECT_TRUE(s.process().wait_for_stderr("the function failed (Function.ResponseSizeTooLarge) after the response began"))
      << s.process().err();
  // InvokeWithResponseStream reports it in InvokeComplete (a small limit keeps the test's memory small).
  serve_process small = stream_serve({"--handler", "stream", "--env", "FAKE_STREAM_CHUNK_BYTES=10", "--stream-max-bytes", "25"});
  const auto cut = post(small.port(), stream_path("fake"), "{}");
  ASSERT_TRUE(cut.ok()) << cut.error;
  const auto events = events_of(cut.res.body);
  ASSERT_FALSE(events.empty());
  EXPECT_THAT(events.back(), HasSubstr(R"("ErrorCode":"Function.ResponseSizeTooLarge")"));
  EXPECT_THAT(events.back(), HasSubstr("maximum allowed payload size (25 bytes)"));
}
