// Events end to end: `lemu event` generators piped into `lemu run`, bundled events by name, and SQS
// partial batch responses in records and summary.

#include "integration/cli_fixture.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

command_result lemu_event(std::vector<std::string> args) {
  args.insert(args.begin(), {lemu_bin, "event"});
  return run_command(args);
}

std::string sqs_batch_event() {
  json records = json::array();
  const char* bodies[] = {"ok", "please fail", "fine", "fail again"};
  for (int i = 0; i < 4; ++i) {
    records.push_back({{"messageId", "id" + std::to_string(i + 1)}, {"body", bodies[i]}, {"eventSource", "aws:sqs"}});
  }
  return json{{"Records", records}}.dump();
}

} // namespace

TEST(CliEvents, SqsBatchSampleReportsExactlyTheFailingIds) {
  scratch_dir dir;
  const std::string report = dir.path() + "/report.jsonl";
  const auto r = lemu_run(sqs_batch_bootstrap, {"--event", "-", "--json", report}, with_stdin(sqs_batch_event()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), json::parse(R"({"batchItemFailures":[{"itemIdentifier":"id2"},{"itemIdentifier":"id4"}]})"));
  const json rec = json::parse(read_file(report));
  EXPECT_EQ(rec["sqs_batch"], json::parse(R"({"messages":4,"failed":["id2","id4"],"whole_batch_reason":null})"));
  EXPECT_THAT(r.err, HasSubstr("lemu: SQS batch: 2 of 4 messages failed: id2, id4\n"));
  EXPECT_THAT(r.err, HasSubstr("sqs messages 4 · succeeded 2 · failed 2\n"));
}

TEST(CliEvents, FunctionErrorFailsTheWholeBatch) {
  const std::string event = sqs_batch_event();
  const auto r = fake_run("error", {"--event", "-"}, with_stdin(event));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("sqs messages 4 · succeeded 0 · failed 4\n"));
}

TEST(CliEvents, GeneratedSqsEventPipesIntoRun) {
  const auto gen = lemu_event({"sqs", "--body", "a", "--body", "b"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  const json event = json::parse(gen.out);
  ASSERT_EQ(event["Records"].size(), 2u);
  EXPECT_EQ(event["Records"][0]["body"], "a");
  EXPECT_EQ(event["Records"][1]["body"], "b");
  const auto r = lemu_run(echo_bootstrap, {"--event", "-"}, with_stdin(gen.out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), event);
  EXPECT_THAT(r.err, HasSubstr("sqs messages 2 · succeeded 2 · failed 0\n"));
}

TEST(CliEvents, ListNamesEveryKind) {
  const auto r = lemu_event({"list"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* kind : {"sqs", "apigw-rest", "apigw-http", "function-url", "sns", "s3", "eventbridge"}) {
    EXPECT_THAT(r.out, ::testing::ContainsRegex(std::string("(^|\n)") + kind + " ")) << kind;
  }
}

TEST(CliEvents, UnknownKindIsExitTwo) {
  const auto r = lemu_event({"nope"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, ::testing::StartsWith("lemu: error: "));
}

TEST(CliEvents, BundledEventsByName) {
  auto r = lemu_run(echo_bootstrap, {"--event", "sqs/single-message"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out), json::parse(read_file(sqs_event())));
  r = lemu_run(echo_bootstrap, {"--event", "sqs"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(events_dir) + "/sqs")) files += e.path().extension() == ".json";
  EXPECT_EQ(r.out_lines().size(), files);
  r = lemu_run(echo_bootstrap, {"--event", "no-such-event"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "lemu: error: no-such-event: no such file or directory\n");
}
