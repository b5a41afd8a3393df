// lemu run --sqs-simulate: messages through a local queue and Lambda's event source mapping on a virtual
// clock, against the real sqs-batch sample (it reports every message whose body holds "fail", and in a
// FIFO group everything after such a message) — the history of each message, the DLQ, FIFO groups,
// batching, and the errors a user hits.

#include "integration/cli_fixture.hpp"
#include "support/background.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

std::string write_messages(const scratch_dir& dir, const json& messages, const std::string& name = "messages.json") {
  const std::string path = (fs::path(dir.path()) / name).string();
  std::ofstream(path) << messages.dump();
  return path;
}

command_result simulate(const std::string& file, std::vector<std::string> args, const std::string& bootstrap = sqs_batch_bootstrap) {
  args.insert(args.begin(), {"--sqs-simulate", file});
  return lemu_run(bootstrap, std::move(args));
}

std::vector<json> histories(const command_result& r) {
  std::vector<json> out;
  for (const auto& l : r.out_lines()) out.push_back(json::parse(l));
  return out;
}

// 100 messages, one of them poison (its body holds "fail"), at position 42.
json hundred_with_poison() {
  json m = json::array();
  for (int i = 0; i < 100; ++i) m.push_back(i == 42 ? std::string("this one will fail") : "message " + std::to_string(i));
  return m;
}

} // namespace

TEST(SqsSimulate, APoisonMessageIsDeliveredMaxReceiveCountTimesThenLandsInTheDeadLetterQueue) {
  scratch_dir dir;
  const std::string file = write_messages(dir, hundred_with_poison());
  const auto started = std::chrono::steady_clock::now();
  const auto r = simulate(file, {"--sqs-queue", "main:VisibilityTimeout=30,maxReceiveCount=3,deadLetterQueue=main-dlq",
                                 "--sqs-trigger", "main:report-failures"});
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(r.exit_code, 1) << r.err; // one message was not deleted
  const std::vector<json> h = histories(r);
  ASSERT_EQ(h.size(), 100u) << r.err;
  std::size_t deleted_once = 0;
  for (std::size_t i = 0; i < h.size(); ++i) {
    EXPECT_EQ(h[i]["sentAt"], 0);
    if (i == 42) continue;
    EXPECT_EQ(h[i]["body"], "message " + std::to_string(i));
    EXPECT_EQ(h[i]["final"], "deleted");
    ASSERT_EQ(h[i]["deliveries"].size(), 1u);
    EXPECT_EQ(h[i]["deliveries"][0]["receiveCount"], 1);
    EXPECT_EQ(h[i]["deliveries"][0]["outcome"], "success");
    ++deleted_once;
  }
  EXPECT_EQ(deleted_once, 99u);
  const json& poison = h[42];
  EXPECT_EQ(poison["body"], "this one will fail");
  ASSERT_EQ(poison["deliveries"].size(), 3u) << poison.dump();
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(poison["deliveries"][k]["receiveCount"], k + 1);
    EXPECT_EQ(poison["deliveries"][k]["outcome"], "failed");
    // Each comes back once the visibility timeout has passed since it was received (virtual time).
    EXPECT_EQ(poison["deliveries"][k]["at"], 30000 * k);
  }
  EXPECT_EQ(poison["final"], "dead-letter");
  EXPECT_EQ(poison["finalQueue"], "main-dlq");
  EXPECT_EQ(poison["finalAt"], 90000); // moved by the receive after the third visibility timeout
  EXPECT_THAT(r.err, HasSubstr("queue main -> sqs-batch: 102 deliveries in"));
  EXPECT_THAT(r.err, HasSubstr("deleted 99 (99 after 1 delivery); moved to DLQ 1; in flight 0; virtual time 90.000 s"));
  EXPECT_EQ(report_lines(r).size(), 12u) << r.err; // ten batches of ten, then the poison message twice
  // 90 s of queue time pass without waiting for them (the function itself runs for real).
  EXPECT_LT(wall_s, 30.0);
}

TEST(SqsSimulate, WithoutReportFailuresAFailedItemFailsItsWholeBatch) {
  scratch_dir dir;
  const std::string file = write_messages(dir, json::array({"a", "b", "fail c"}));
  // Without ReportBatchItemFailures the sample's answer is a success: every message is deleted, the
  // partial batch response ignored, as Lambda does.
  const auto ignored = simulate(file, {"--sqs-queue", "q:VisibilityTimeout=10,maxReceiveCount=2,deadLetterQueue=dlq"});
  EXPECT_EQ(ignored.exit_code, 0) << ignored.err;
  for (const json& m : histories(ignored)) EXPECT_EQ(m["final"], "deleted");
  // A function error fails the whole batch: every message comes back, and after maxReceiveCount all go to the DLQ.
  const auto failing = simulate(file, {"--sqs-queue", "q:VisibilityTimeout=10,maxReceiveCount=2,deadLetterQueue=dlq",
                                       "--handler", "error"},
                                fake_bootstrap);
  EXPECT_EQ(failing.exit_code, 1) << failing.err;
  const auto h = histories(failing);
  ASSERT_EQ(h.size(), 3u);
  for (const json& m : h) {
    EXPECT_EQ(m["final"], "dead-letter");
    ASSERT_EQ(m["deliveries"].size(), 2u);
    EXPECT_EQ(m["deliveries"][0]["reason"], "FakeError") << m.dump();
    EXPECT_EQ(m["deliveries"][1]["at"], 10000);
  }
  EXPECT_THAT(failing.err, HasSubstr("2 failed whole"));
}

TEST(SqsSimulate, FifoAFailureInOneGroupDoesNotBlockTheOtherAndOrderHoldsInEachGroup) {
  scratch_dir dir;
  json m = json::array();
  for (const char* b : {"a1", "a2 fail", "a3"}) m.push_back({{"body", b}, {"groupId", "A"}});
  for (const char* b : {"b1", "b2", "b3", "b4"}) m.push_back({{"body", b}, {"groupId", "B"}});
  const std::string file = write_messages(dir, m);
  const auto r = simulate(file, {"--sqs-queue", "orders.fifo:ContentBasedDeduplication=true,VisibilityTimeout=20,"
                                                "maxReceiveCount=2,deadLetterQueue=orders-dlq.fifo",
                                 "--sqs-trigger", "orders.fifo:batch=2,report-failures", "--concurrency", "2"});
  const auto h = histories(r);
  ASSERT_EQ(h.size(), 7u) << r.err;
  std::map<std::string, json> by_body;
  for (const json& x : h) by_body[x["body"].get<std::string>()] = x;
  // Group B never waits for group A's failure: each message once, in order.
  long long last = -1;
  for (const char* b : {"b1", "b2", "b3", "b4"}) {
    const json& x = by_body[b];
    EXPECT_EQ(x["final"], "deleted") << x.dump();
    ASSERT_EQ(x["deliveries"].size(), 1u) << x.dump();
    EXPECT_GE(x["finalAt"].get<long long>(), last);
    last = x["finalAt"].get<long long>();
    EXPECT_LT(last, 20000) << "group B waited for group A's visibility timeout";
  }
  // Group A: a1 is done; a2 fails until it is moved to the DLQ (twice: maxReceiveCount 2), and a3, behind
  // it, waits: it is never processed before a2 has left the queue (it came in a2's second batch, unprocessed).
  EXPECT_EQ(by_body["a1"]["final"], "deleted");
  const json& a2 = by_body["a2 fail"];
  const json& a3 = by_body["a3"];
  EXPECT_EQ(a2["final"], "dead-letter");
  EXPECT_EQ(a2["finalQueue"], "orders-dlq.fifo");
  EXPECT_EQ(a2["deliveries"].size(), 2u);
  EXPECT_EQ(a2["finalAt"], 40000);
  EXPECT_EQ(a3["final"], "deleted");
  ASSERT_FALSE(a3["deliveries"].empty());
  for (const json& d : a3["deliveries"]) {
    if (d["outcome"] == "success") {
      EXPECT_GE(d["at"].get<long long>(), a2["finalAt"].get<long long>()) << a3.dump();
    }
  }
  EXPECT_EQ(a3["deliveries"].back()["outcome"], "success");
  EXPECT_THAT(r.err, HasSubstr("moved to DLQ 1"));
}

TEST(SqsSimulate, ABatchingWindowGathersMessagesSentOverTime) {
  scratch_dir dir;
  json m = json::array();
  for (int i = 0; i < 25; ++i) m.push_back({{"body", "m" + std::to_string(i)}, {"at", i * 0.1}}); // over 2.4 s
  const std::string file = write_messages(dir, m);
  const auto r = simulate(file, {"--sqs-queue", "q", "--sqs-trigger", "q:batch=100,window=5"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto h = histories(r);
  ASSERT_EQ(h.size(), 25u);
  for (const json& x : h) {
    ASSERT_EQ(x["deliveries"].size(), 1u);
    EXPECT_EQ(x["deliveries"][0]["batch"], 1); // one batch: the window (5 s) outlasts the sending
    EXPECT_EQ(x["deliveries"][0]["at"], 5000); // the window runs from the first message
  }
  EXPECT_EQ(report_lines(r).size(), 1u);
}

TEST(SqsSimulate, ADelayedMessageAndAnSqsEventFileAsInput) {
  scratch_dir dir;
  const auto r = simulate(sqs_event(), {"--sqs-queue", "q:DelaySeconds=7"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto h = histories(r);
  ASSERT_EQ(h.size(), 1u);
  const json fixture = json::parse(read_file(sqs_event()));
  EXPECT_EQ(h[0]["body"], fixture["Records"][0]["body"]);
  EXPECT_EQ(h[0]["deliveries"][0]["at"], 7000);
}

TEST(SqsSimulate, AMessageThatNeverLeavesStaysInTheQueueAtTheHorizon) {
  scratch_dir dir;
  const std::string file = write_messages(dir, json::array({"fail forever"}));
  const auto r = simulate(file, {"--sqs-queue", "q:VisibilityTimeout=60", "--sqs-trigger", "q:report-failures",
                                 "--sqs-horizon", "300"});
  EXPECT_EQ(r.exit_code, 1);
  const auto h = histories(r);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0]["final"], "in-queue");
  EXPECT_EQ(h[0]["deliveries"].size(), 5u); // at 0, 60, 120, 180, 240 s
  EXPECT_THAT(r.err, HasSubstr("the horizon (300 s, --sqs-horizon) is reached"));
}

TEST(SqsSimulate, TheEventTheFunctionGetsIsLambdasSqsEvent) {
  scratch_dir dir;
  const std::string file = write_messages(
      dir, json::array({{{"body", "hello"},
                         {"messageAttributes", {{"Author", {{"DataType", "String"}, {"StringValue", "John Grisham"}}}}}}}));
  // The capture (--record) keeps each batch's event.
  const std::string capture = (fs::path(dir.path()) / "capture.jsonl").string();
  const auto r = simulate(file, {"--sqs-queue", "my-queue", "--record", capture, "--region", "us-east-2"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("REPORT RequestId: "));
  const auto lines = split_lines(read_file(capture));
  ASSERT_EQ(lines.size(), 1u);
  const nlohmann::ordered_json event = nlohmann::ordered_json::parse(lines[0])["event"]; // keys in their order
  ASSERT_EQ(event["Records"].size(), 1u);
  const nlohmann::ordered_json& rec = event["Records"][0];
  EXPECT_EQ(rec["body"], "hello");
  EXPECT_EQ(rec["md5OfBody"], "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(rec["md5OfMessageAttributes"], "589fd905f137a025c02575957adcd9b1");
  EXPECT_EQ(rec["messageAttributes"]["Author"],
            nlohmann::ordered_json::parse(R"({"stringValue":"John Grisham","stringListValues":[],"binaryListValues":[],"dataType":"String"})"));
  EXPECT_EQ(rec["eventSource"], "aws:sqs");
  EXPECT_EQ(rec["awsRegion"], "us-east-2");
  EXPECT_EQ(rec["eventSourceARN"], "arn:aws:sqs:us-east-2:123456789012:my-queue");
  EXPECT_EQ(rec["attributes"]["ApproximateReceiveCount"], "1");
  std::vector<std::string> keys;
  for (const auto& [k, v] : rec["attributes"].items()) keys.push_back(k);
  EXPECT_THAT(keys, ::testing::ElementsAre("ApproximateReceiveCount", "SentTimestamp", "SenderId",
                                           "ApproximateFirstReceiveTimestamp"));
}

TEST(SqsSimulate, BadInputIsAOneLineErrorAndExit2) {
  scratch_dir dir;
  const std::string good = write_messages(dir, json::array({"x"}));
  const std::string bad = (fs::path(dir.path()) / "bad.json").string();
  std::ofstream(bad) << "[\"x\", {\"nobody\": 1}]";
  const std::string broken = (fs::path(dir.path()) / "broken.json").string();
  std::ofstream(broken) << "[\"x\",";
  struct c {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<c> cases{
      {{"--sqs-simulate", bad}, "message 2 has no \"body\" string"},
      {{"--sqs-simulate", broken}, "not JSON"},
      {{"--sqs-simulate", (fs::path(dir.path()) / "missing.json").string()}, "cannot open"},
      {{"--sqs-simulate", good, "--sqs-trigger", "nope"}, "no queue is named nope"},
      {{"--sqs-simulate", good, "--sqs-trigger", "queue:batch=20"}, "a batch of more than 10 needs window=1"},
      {{"--sqs-simulate", good, "--sqs-trigger", "queue:colour=red"}, "unknown setting 'colour'"},
      {{"--sqs-simulate", good, "--sqs-queue", "q:VisibilityTimeout=99999"}, "VisibilityTimeout"},
      {{"--sqs-simulate", good, "--event", sqs_event()}, "leave out --event"},
      {{"--sqs-simulate", good, "--json", good}, "refusing to overwrite"},
      {{"--sqs-queue", "q", "--event", sqs_event()}, "go with --sqs-simulate"},
  };
  for (const auto& k : cases) {
    const auto r = lemu_run(sqs_batch_bootstrap, k.args);
    EXPECT_EQ(r.exit_code, 2) << k.message << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(k.message));
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}
