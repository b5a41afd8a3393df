// Response streaming (PROTOCOL.md §1.9, §9.3) through `lemu run`: a runtime that posts its /response with
// Lambda-Runtime-Function-Response-Mode: streaming and a chunked body (fake-bootstrap's stream mode, over the
// sample runtime client's response_writer), and how lemu ends, limits, paces and reports the stream.

#include "integration/cli_fixture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

// lemu run <fake-bootstrap> --handler stream, one event, the FAKE_STREAM_* knobs as --env.
command_result stream_run(const scratch_dir& dir, const std::map<std::string, std::string>& knobs,
                          std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--event", dir.write("event.json", "{}")};
  for (const auto& [k, v] : knobs) args.insert(args.end(), {"--env", k + "=" + v});
  args.insert(args.end(), extra.begin(), extra.end());
  return fake_run("stream", args);
}

// `mebibytes` chunks of 1 MiB, written raw to stdout with --stream (counted, not kept), and `extra` options.
command_result mebibytes_run(const scratch_dir& dir, int mebibytes, std::vector<std::string> extra) {
  command_options o;
  o.discard_output = true;
  o.deadline = std::chrono::seconds(120);
  std::vector<std::string> args{"--event", dir.write("event.json", "{}"), "--env", "FAKE_STREAM_CHUNKS=" + std::to_string(mebibytes),
                                "--env", "FAKE_STREAM_CHUNK_BYTES=1048576", "--stream"};
  args.insert(args.end(), extra.begin(), extra.end());
  return fake_run("stream", args, o);
}

// A run whose one invocation failed with Lambda's platform error `type` (the REPORT line names its request).
void expect_platform_failure(const command_result& r, const std::string& type, const std::string& message) {
  EXPECT_EQ(r.exit_code, 1);
  const auto reports = report_lines(r);
  ASSERT_EQ(reports.size(), 1u) << r.err;
  EXPECT_EQ(r.out, platform_error(type, request_id_of(reports[0]), message) + "\n");
}

TEST(CliStreaming, StreamedBodyIsTheOutcomeLineAndIsTimed) {
  scratch_dir dir;
  const std::string report = dir.path() + "/r.jsonl", html = dir.path() + "/r.html";
  const auto r = stream_run(dir, {}, {"--repeat", "2", "--json", report, "--html", html});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out_lines(), (std::vector<std::string>{R"("chunk 0\nchunk 1\nchunk 2\n")", R"("chunk 0\nchunk 1\nchunk 2\n")"}));
  const auto recs = json_lines(report);
  ASSERT_EQ(recs.size(), 2u);
  for (const auto& rec : recs) {
    EXPECT_EQ(rec["status"], "success");
    EXPECT_EQ(rec["streamed_bytes"], 24);
    EXPECT_GE(rec["ttfb_ms"].get<double>(), 0.0);
    EXPECT_GE(rec["stream_ms"].get<double>(), 0.0);
    EXPECT_LE(rec["ttfb_ms"].get<double>(), rec["duration_ms"].get<double>());
  }
  EXPECT_EQ(count_prefix(r.err_lines(), "ttfb "), 1u) << r.err;
  EXPECT_EQ(count_prefix(r.err_lines(), "stream "), 1u) << r.err;
  const std::string page = read_file(html);
  EXPECT_THAT(page, HasSubstr("time to first byte (streamed)"));
  EXPECT_THAT(page, HasSubstr("stream (first byte to end)"));
}

TEST(CliStreaming, StreamFlagWritesTheBodyRawAsItArrives) {
  scratch_dir dir;
  const auto r = stream_run(dir, {{"FAKE_STREAM_CHUNKS", "2"}}, {"--repeat", "2", "--stream"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "chunk 0\nchunk 1\n\nchunk 0\nchunk 1\n\n"); // each body, then the end of its outcome line
}

TEST(CliStreaming, ErrorTrailersEndTheStreamWithTheFunctionError) {
  scratch_dir dir;
  const std::string report = dir.path() + "/r.jsonl";
  for (const std::string end : {"error", "rust-error"}) {
    const auto r = stream_run(dir, {{"FAKE_STREAM_END", end}}, {"--json", report});
    EXPECT_EQ(r.exit_code, 1) << end << r.err;
    EXPECT_EQ(r.out, R"({"errorMessage":"fake stream failure","errorType":"FakeStreamError"})"
                     "\n")
        << end;
    const json rec = json_lines(report).at(0);
    EXPECT_EQ(rec["status"], "error") << end;
    EXPECT_EQ(rec["error_type"], "FakeStreamError") << end;
    EXPECT_EQ(rec["streamed_bytes"], 24) << end << ": the in-body trailers are not part of the body";
  }
  // With --stream the body already went out: the error follows on its own line.
  const auto raw = stream_run(dir, {{"FAKE_STREAM_END", "error"}, {"FAKE_STREAM_CHUNKS", "1"}, {"FAKE_STREAM_CHUNK_BYTES", "3"}},
                              {"--stream"});
  EXPECT_EQ(raw.out, "xxx\n" R"({"errorMessage":"fake stream failure","errorType":"FakeStreamError"})" "\n");
}

TEST(CliStreaming, ACrashMidStreamIsTheRuntimesExit) {
  scratch_dir dir;
  expect_platform_failure(stream_run(dir, {{"FAKE_STREAM_END", "crash"}}), "Runtime.ExitError",
                          "Runtime exited with error: signal: aborted");
}

TEST(CliStreaming, AConnectionClosedMidStreamIsATruncatedResponse) {
  scratch_dir dir;
  expect_platform_failure(stream_run(dir, {{"FAKE_STREAM_END", "cut"}}), "Runtime.TruncatedResponse",
                          "the runtime closed the response stream before ending it");
}

TEST(CliStreaming, ATimeoutMidStreamEndsItAsLambdaTimesOut) {
  scratch_dir dir;
  expect_platform_failure(stream_run(dir, {{"FAKE_STREAM_END", "hang"}}, {"--timeout", "0.3"}), "Sandbox.Timedout",
                          "Task timed out after 0.30 seconds");
}

TEST(CliStreaming, A150MegabyteStreamPassesInBoundedMemory) {
  scratch_dir dir;
  const auto r = mebibytes_run(dir, 150, {"--stream-rate", "0", "--timeout", "60"});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out_bytes_discarded, 150u * 1048576 + 1) << "the body, then the end of its outcome line";
  EXPECT_LT(r.max_rss_kb, rss_budget_kb(32 * 1024)) << "lemu holds one read of the stream at a time";
}

TEST(CliStreaming, AStreamPastTheLimitIsTooLarge) {
  scratch_dir dir;
  const std::string report = dir.path() + "/r.jsonl";
  const auto r = mebibytes_run(dir, 201, {"--stream-rate", "0", "--timeout", "60", "--json", report});
  EXPECT_EQ(r.exit_code, 1);
  // Exactly the limit went out, then the error line.
  const std::string error = R"({"errorMessage":"Response payload size exceeded maximum allowed payload size (209715200 bytes).",)"
                            R"("errorType":"Function.ResponseSizeTooLarge"})";
  EXPECT_EQ(r.out_bytes_discarded, 209715200u + 1 + error.size() + 1);
  const json rec = json_lines(report).at(0);
  EXPECT_EQ(rec["error_type"], "Function.ResponseSizeTooLarge");
  EXPECT_EQ(rec["streamed_bytes"], 209715200);

  // A smaller --stream-max-bytes, gathered into the outcome line.
  const auto small = stream_run(dir, {{"FAKE_STREAM_CHUNK_BYTES", "10"}}, {"--stream-max-bytes", "25"});
  EXPECT_EQ(small.exit_code, 1);
  EXPECT_EQ(small.out, R"({"errorMessage":"Response payload size exceeded maximum allowed payload size (25 bytes).",)"
                       R"("errorType":"Function.ResponseSizeTooLarge"})"
                       "\n");
}

TEST(CliStreaming, AfterSixMebibytesTheStreamIsPaced) {
  // 6 MiB go as fast as they come; the last 2 MiB at 2 MiB/s take about a second more (a lower bound only).
  scratch_dir dir;
  const std::string report = dir.path() + "/r.jsonl";
  const auto r = mebibytes_run(dir, 8, {"--timeout", "30", "--json", report});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_GE(json_lines(report).at(0)["stream_ms"].get<double>(), 900.0);
}

TEST(CliStreaming, StreamNeedsOneEnvironmentAndNoCapture) {
  scratch_dir dir;
  const auto overlap = stream_run(dir, {}, {"--stream", "--concurrency", "2"});
  EXPECT_EQ(overlap.exit_code, 2);
  EXPECT_THAT(overlap.err, HasSubstr("--stream writes each response to stdout as it arrives"));
  const auto capture = stream_run(dir, {}, {"--stream", "--record", dir.path() + "/c.jsonl"});
  EXPECT_EQ(capture.exit_code, 2);
  EXPECT_THAT(capture.err, HasSubstr("use --record without --stream"));
}

} // namespace
