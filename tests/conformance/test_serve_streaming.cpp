// Response streaming through `lemu serve` with real clients on both sides: the Node function
// (tests/conformance/node/stream.mjs) streams with aws-lambda-ric's awslambda.streamifyResponse and
// awslambda.HttpResponseStream.from; the AWS SDK for JavaScript v3's InvokeWithResponseStreamCommand
// (tests/conformance/node/sdk-stream.mjs) reads the event stream, and curl -N reads a RESPONSE_STREAM
// function URL front door as the chunks come.

#include "integration/cli_fixture.hpp"
#include "support/serve_process.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

void require_node_clients() {
  const std::string dir = node_function_dir;
  ASSERT_TRUE(std::filesystem::exists(dir + "/node_modules/aws-lambda-ric/index.mjs")) << "run scripts/setup.sh";
  ASSERT_TRUE(std::filesystem::exists(dir + "/node_modules/@aws-sdk/client-lambda")) << "run scripts/setup.sh";
}

serve_process node_stream_serve(std::vector<std::string> extra = {}) {
  std::vector<std::string> args{std::string(node_function_dir) + "/bootstrap", "--function-name", "node-stream",
                                "--handler", "stream.handler", "--timeout", "20"};
  args.insert(args.end(), extra.begin(), extra.end());
  return serve_process(args);
}

// What sdk-stream.mjs printed: one JSON object per line.
std::vector<json> sdk_stream(const serve_process& s, const std::string& payload, const std::string& log_type = "") {
  const auto r = run_command({"node", "--no-warnings", std::string(node_function_dir) + "/sdk-stream.mjs", s.endpoint(),
                              "node-stream", payload, "", log_type});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<json> out;
  for (const auto& line : split_lines(r.out)) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

} // namespace

TEST(ServeStreamSdk, ReadsPayloadChunksOneByOneThenInvokeComplete) {
  require_node_clients();
  serve_process s = node_stream_serve();
  const auto events = sdk_stream(s, R"({"chunks":3,"delayMs":300})");
  ASSERT_EQ(events.size(), 5u) << s.process().err();
  EXPECT_EQ(events[0].at("PayloadChunk"), "chunk 0\n");
  EXPECT_EQ(events[1].at("PayloadChunk"), "chunk 1\n");
  EXPECT_EQ(events[2].at("PayloadChunk"), "chunk 2\n");
  EXPECT_EQ(events[3].at("InvokeComplete"), json::object()) << "success: no ErrorCode";
  // The chunks came as the function wrote them, 300 ms apart, not at the end.
  EXPECT_GE(events[2].at("at").get<int>() - events[0].at("at").get<int>(), 450) << events[0] << events[2];
  const json& meta = events[4];
  EXPECT_EQ(meta.at("StatusCode"), 200);
  EXPECT_EQ(meta.at("ExecutedVersion"), "$LATEST");
  EXPECT_EQ(meta.at("ResponseStreamContentType"), "application/vnd.amazon.eventstream");
  EXPECT_FALSE(meta.at("RequestId").get<std::string>().empty());
}

TEST(ServeStreamSdk, MidStreamErrorArrivesAsInvokeCompleteErrorCode) {
  require_node_clients();
  serve_process s = node_stream_serve();
  const auto events = sdk_stream(s, R"({"chunks":3,"failAfter":1})", "Tail");
  ASSERT_EQ(events.size(), 3u) << s.process().err();
  EXPECT_EQ(events[0].at("PayloadChunk"), "chunk 0\n");
  const json& complete = events[1].at("InvokeComplete");
  EXPECT_EQ(complete.at("ErrorCode"), "Error") << complete;
  const json details = json::parse(complete.at("ErrorDetails").get<std::string>());
  EXPECT_EQ(details.at("errorType"), "Error");
  EXPECT_EQ(details.at("errorMessage"), "stream failure after 1");
  EXPECT_FALSE(complete.at("LogResult").get<std::string>().empty());
  EXPECT_EQ(events[2].at("StatusCode"), 200);
}

TEST(ServeStreamSdk, UnknownFunctionIsTheSdksResourceNotFound) {
  require_node_clients();
  serve_process s = node_stream_serve();
  const auto r = run_command({"node", "--no-warnings", std::string(node_function_dir) + "/sdk-stream.mjs", s.endpoint(),
                              "nope", "{}"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json out = json::parse(r.out);
  EXPECT_EQ(out.at("error"), "ResourceNotFoundException");
  EXPECT_EQ(out.at("status"), 404);
}

TEST(ServeStreamCurl, FunctionUrlStreamsTheFirstChunkBeforeTheLast) {
  require_node_clients();
  serve_process s = node_stream_serve({"--api", "url", "--invoke-mode", "RESPONSE_STREAM"});
  // curl -N writes each chunk as it arrives; the shell stamps each line with the time it was read.
  const std::string script = "curl -sS -N -i '" + s.api_url("/stream?chunks=3&delayMs=1000") +
                             "' | while IFS= read -r line; do echo \"$(date +%s%N) $line\"; done";
  const auto r = run_command({"sh", "-c", script});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  long long first = 0, last = 0;
  std::string head;
  for (const auto& line : split_lines(r.out)) {
    const auto space = line.find(' ');
    if (space == std::string::npos) continue;
    const long long at = std::stoll(line.substr(0, space));
    const std::string text = line.substr(space + 1);
    if (text == "chunk 0") first = at;
    if (text == "chunk 2") last = at;
    if (first == 0) head += text + "\n";
  }
  ASSERT_GT(first, 0) << r.out;
  ASSERT_GT(last, 0) << r.out;
  EXPECT_GE(last - first, 500'000'000LL) << "the first chunk came at least 500 ms before the last: " << r.out;
  EXPECT_THAT(head, HasSubstr("HTTP/1.1 201 Created"));
  EXPECT_THAT(head, HasSubstr("X-Streamed: yes"));
  EXPECT_THAT(head, HasSubstr("Content-Type: text/plain"));
  EXPECT_THAT(head, HasSubstr("Set-Cookie: a=1; Path=/"));
  EXPECT_THAT(head, HasSubstr("Set-Cookie: b=2"));
  EXPECT_THAT(head, HasSubstr("Transfer-Encoding: chunked"));
}
