// lemu serve --sqs-trigger in real time, over the JSON protocol from the test: a load of 10,000 messages
// through the mapping (batch 10, max concurrency 4), FIFO through the real-time mapping, and the usage
// errors of the trigger options.

#include "integration/cli_fixture.hpp"
#include "support/http_raw.hpp"
#include "support/serve_process.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <cstdio>
#include <map>
#include <regex>
#include <set>
#include <thread>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

json sqs_call(http_raw::connection& c, const std::string& action, const json& body) {
  auto r = c.roundtrip(http_raw::request("POST", "/", {{"Content-Type", "application/x-amz-json-1.0"},
                                                       {"X-Amz-Target", "AmazonSQS." + action}},
                                         body.dump()),
                       std::chrono::seconds(30));
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.res.status, 200) << action << ": " << r.res.body;
  return json::parse(r.res.body, nullptr, false);
}

// Waits (with a deadline) until the queue holds nothing, visible or in flight.
bool drained(http_raw::connection& c, const std::string& queue, std::chrono::seconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    const json a = sqs_call(c, "GetQueueAttributes", {{"QueueUrl", queue}, {"AttributeNames", {"All"}}})["Attributes"];
    if (a["ApproximateNumberOfMessages"] == "0" && a["ApproximateNumberOfMessagesNotVisible"] == "0") return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50)); // polling a condition, with the deadline above
  }
  return false;
}


} // namespace

TEST(SqsMapping, TenThousandMessagesAreEachDeletedExactlyOnceWithFlatMemory) {
  serve_process s({sqs_batch_bootstrap, "--api", "none", "--concurrency", "4", "--sqs-port", "0", "--sqs-state", "none",
                   "--sqs-queue", "load:VisibilityTimeout=60", "--sqs-trigger", "load:batch=10,max-concurrency=4"});
  http_raw::connection c(s.sqs_port());
  const auto started = std::chrono::steady_clock::now();
  std::set<std::string> sent;
  long rss_after_first = 0;
  for (int b = 0; b < 1000; ++b) {
    json entries = json::array();
    for (int i = 0; i < 10; ++i) entries.push_back({{"Id", "e" + std::to_string(i)}, {"MessageBody", "load " + std::to_string(b * 10 + i)}});
    const json r = sqs_call(c, "SendMessageBatch", {{"QueueUrl", "load"}, {"Entries", entries}});
    ASSERT_EQ(r["Successful"].size(), 10u) << r.dump();
    for (const json& ok : r["Successful"]) sent.insert(ok["MessageId"].get<std::string>());
    if (b == 100) rss_after_first = s.process().rss_kb();
  }
  ASSERT_EQ(sent.size(), 10000u);
  ASSERT_TRUE(drained(c, "load", std::chrono::seconds(120))) << "the mapping did not empty the queue";
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const long rss_end = s.process().rss_kb();
  std::printf("sqs mapping: 10000 messages sent and delivered in %.2f s (%.0f messages/s); lemu RSS %ld kB after 1,000, "
              "%ld kB after 10,000\n",
              seconds, 10000 / seconds, rss_after_first, rss_end);
  ASSERT_EQ(s.stop(), 0);
  const std::string err = s.process().err();
  const auto ok = sqs_batch_lines(err, "ok");
  EXPECT_EQ(ok.size(), 10000u);
  std::size_t twice = 0;
  for (const auto& [id, counts] : ok) {
    EXPECT_TRUE(sent.count(id));
    if (counts.size() != 1) ++twice;
  }
  EXPECT_EQ(twice, 0u) << "delivered more than once although the visibility timeout (60 s) never passed";
  EXPECT_THAT(err, HasSubstr("10000 deliveries in "));
  EXPECT_THAT(err, HasSubstr("deleted 10000 (10000 after 1 delivery); moved to DLQ 0; in flight 0"));
  // The queue's messages are gone once deleted: lemu's memory does not grow with what passed through it.
  // (Not under AddressSanitizer: its quarantine holds up to 256 MB of freed memory, whatever lemu keeps.)
  if (!lemu_is_sanitized()) {
    EXPECT_LT(rss_end - rss_after_first, 16 * 1024) << "RSS grew from " << rss_after_first << " to " << rss_end << " kB";
  }
}

TEST(SqsMapping, FifoGroupsInRealTime) {
  serve_process s({sqs_batch_bootstrap, "--api", "none", "--timeout", "1", "--concurrency", "2", "--sqs-port", "0",
                   "--sqs-state", "none", "--sqs-queue",
                   "jobs.fifo:ContentBasedDeduplication=true,VisibilityTimeout=1,deadLetterQueue=jobs-dlq.fifo,maxReceiveCount=2",
                   "--sqs-trigger", "jobs.fifo:batch=10,report-failures,max-concurrency=2"});
  http_raw::connection c(s.sqs_port());
  std::map<std::string, std::string> body_of;
  for (const char* g : {"A", "B"}) {
    for (int i = 1; i <= 3; ++i) {
      const std::string body = std::string(g) + std::to_string(i) + (std::string(g) == "A" && i == 2 ? " fail" : "");
      const json r = sqs_call(c, "SendMessage", {{"QueueUrl", "jobs.fifo"}, {"MessageBody", body}, {"MessageGroupId", g}});
      body_of[r["MessageId"].get<std::string>()] = body;
    }
  }
  ASSERT_TRUE(drained(c, "jobs.fifo", std::chrono::seconds(30)));
  ASSERT_EQ(s.stop(), 0);
  const std::string err = s.process().err();
  // The order the function processed each group's messages in (successes), from its log.
  std::map<char, std::vector<std::string>> processed;
  const std::regex line("sqs-batch: message ([0-9a-f-]{36}) ok");
  for (auto it = std::sregex_iterator(err.begin(), err.end(), line); it != std::sregex_iterator(); ++it) {
    const std::string body = body_of[(*it)[1].str()];
    processed[body[0]].push_back(body);
  }
  EXPECT_EQ(processed['B'], (std::vector<std::string>{"B1", "B2", "B3"}));
  // Group A: A1 first; A2 never succeeds (moved to the DLQ after 2 receives); A3, behind it, is never
  // processed before A2 has left: either after it (A3 came alone) or never (A3 came in A2's batches,
  // reported unprocessed, and reached maxReceiveCount with it).
  ASSERT_FALSE(processed['A'].empty());
  EXPECT_EQ(processed['A'].front(), "A1");
  EXPECT_THAT(processed['A'], ::testing::Not(::testing::Contains("A2 fail")));
  std::string a2_id, a3_id;
  for (const auto& [id, body] : body_of) {
    if (body == "A2 fail") a2_id = id;
    if (body == "A3") a3_id = id;
  }
  const auto last_a2_failure = err.rfind("sqs-batch: message " + a2_id + " failed");
  ASSERT_NE(last_a2_failure, std::string::npos);
  const auto a3_ok = err.find("sqs-batch: message " + a3_id + " ok");
  if (a3_ok != std::string::npos) {
    EXPECT_GT(a3_ok, last_a2_failure) << "A3 was processed before A2 left the queue";
    EXPECT_THAT(err, HasSubstr("moved to DLQ 1;"));
  } else {
    EXPECT_THAT(err, HasSubstr("moved to DLQ 2;"));
  }
}

TEST(SqsMapping, TriggerUsageErrors) {
  struct c {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<c> cases{
      {{"--sqs-trigger", "q"}, "a local queue needs the local SQS endpoint (--sqs-port PORT)"},
      {{"--sqs-port", "0", "--sqs-state", "none", "--sqs-trigger", "nope"}, "no queue is named nope"},
      {{"--sqs-port", "0", "--sqs-state", "none", "--sqs-queue", "q", "--sqs-trigger", "q=other"}, "no function is named other"},
      {{"--sqs-port", "0", "--sqs-state", "none", "--sqs-queue", "q", "--sqs-trigger", "q:batch=0"}, "batch must be a whole number from 1 to 10000"},
      {{"--sqs-port", "0", "--sqs-state", "none", "--sqs-queue", "q", "--sqs-trigger", "q:max-concurrency=1"}, "max-concurrency must be a whole number from 2 to 1000"},
      {{"--sqs-port", "0", "--sqs-state", "none", "--sqs-queue", "q.fifo", "--sqs-trigger", "q.fifo:batch=20,window=1"}, "a FIFO queue's batch is at most 10"},
      {{"--sqs-endpoint", "ftp://x", "--sqs-trigger", "http://127.0.0.1:1/000000000000/q"}, "not an http:// or https:// URL"},
      {{"--sqs-port", "0", "--sqs-state", "none", "--sqs-endpoint", "http://127.0.0.1:1"}, "add --sqs-trigger QUEUE_URL=FUNCTION"},
  };
  for (const auto& k : cases) {
    std::vector<std::string> argv{lemu_bin, "serve", sqs_batch_bootstrap, "--api", "none", "--port", "0"};
    argv.insert(argv.end(), k.args.begin(), k.args.end());
    const auto r = run_command(argv, [] {
      command_options o;
      o.deadline = std::chrono::seconds(20);
      return o;
    }());
    EXPECT_EQ(r.exit_code, 2) << k.message << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr(k.message));
  }
}

TEST(SqsMapping, AQueueOfAnotherEndpointIsPolledAtTheUrlTheUserGave) {
  // lemu's own SQS endpoint plays the other endpoint (as ElasticMQ would): a second lemu polls it by URL,
  // signing its requests, and deletes what its function handled there.
  serve_process queues({echo_bootstrap, "--api", "none", "--sqs-port", "0", "--sqs-state", "none", "--sqs-queue", "remote"});
  const std::string url = queues.sqs_url() + "/000000000000/remote";
  serve_process consumer({sqs_batch_bootstrap, "--api", "none", "--sqs-endpoint", queues.sqs_url(), "--sqs-trigger", url},
                         {{"AWS_ACCESS_KEY_ID", "lemu"}, {"AWS_SECRET_ACCESS_KEY", "lemu"}, {"AWS_REGION", "eu-west-1"}});
  EXPECT_TRUE(consumer.process().wait_for_stderr("polling " + queues.sqs_url() + " (messages the function handles are deleted"));
  http_raw::connection c(queues.sqs_port());
  for (int i = 0; i < 25; ++i) sqs_call(c, "SendMessage", {{"QueueUrl", url}, {"MessageBody", "r" + std::to_string(i)}});
  ASSERT_TRUE(drained(c, url, std::chrono::seconds(30)));
  ASSERT_EQ(consumer.stop(), 0);
  const std::string err = consumer.process().err();
  EXPECT_EQ(sqs_batch_lines(err, "ok").size(), 25u);
  EXPECT_THAT(err, HasSubstr("queue remote -> sqs-batch: 25 deliveries"));
  EXPECT_THAT(err, HasSubstr("deleted 25 (25 after 1 delivery)"));
  // The events name the queue by its ARN, in the region the environment gives.
}

TEST(SqsMapping, ATemplatesQueuesAndSqsEventsWithSqsPort) {
  // tests/data/templates/sqs: orders-dev (VisibilityTimeout 2, maxReceiveCount 2, DLQ orders-dlq-dev) feeds
  // OrdersFunction (BatchSize 5, ReportBatchItemFailures, MaximumConcurrency 2); the sqs-batch sample is its code.
  scratch_dir dir;
  const std::filesystem::path root = std::filesystem::path(dir.path()) / "sqs";
  std::filesystem::copy(std::filesystem::path(test_data_dir) / "templates" / "sqs", root, std::filesystem::copy_options::recursive);
  std::filesystem::create_directories(root / "orders");
  std::filesystem::copy_file(sqs_batch_bootstrap, root / "orders" / "bootstrap");
  serve_process s({"--template", (root / "template.yaml").string(), "--api", "none", "--sqs-port", "0", "--sqs-state", "none"});
  const std::string start = s.process().err();
  EXPECT_THAT(start, HasSubstr("lemu: sqs-trigger orders-dev -> OrdersFunction (batch 5, ReportBatchItemFailures)"));
  EXPECT_THAT(start, HasSubstr("/000000000000/orders-dlq-dev"));
  EXPECT_THAT(start, HasSubstr("OrdersQueue: KmsMasterKeyId: not emulated"));
  EXPECT_THAT(start, HasSubstr("Events.Elsewhere (SQS): the queue 'arn:aws:sqs:us-east-1:123456789012:someone-elses-queue' "
                               "is not an AWS::SQS::Queue of this template"));
  http_raw::connection c(s.sqs_port());
  for (const char* body : {"one", "two fail", "three"}) sqs_call(c, "SendMessage", {{"QueueUrl", "orders-dev"}, {"MessageBody", body}});
  ASSERT_TRUE(drained(c, "orders-dev", std::chrono::seconds(30)));
  const json dlq = sqs_call(c, "GetQueueAttributes", {{"QueueUrl", "orders-dlq-dev"}, {"AttributeNames", {"All"}}})["Attributes"];
  EXPECT_EQ(dlq["ApproximateNumberOfMessages"], "1");
  EXPECT_EQ(dlq["MessageRetentionPeriod"], "1209600");
  ASSERT_EQ(s.stop(), 0);
  EXPECT_THAT(s.process().err(), HasSubstr("deleted 2 (2 after 1 delivery); moved to DLQ 1; in flight 0"));

  // lemu run --template --sqs-simulate: the same queues and event, on the virtual clock.
  const std::string messages = dir.path() + "/m.json";
  std::ofstream(messages) << R"(["one", "two fail", "three"])";
  const auto sim = run_command({lemu_bin, "run", "--template", (root / "template.yaml").string(), "--sqs-simulate", messages});
  EXPECT_EQ(sim.exit_code, 1) << sim.err;
  EXPECT_THAT(sim.err, HasSubstr("queue orders-dev -> OrdersFunction: 4 deliveries in 2 batches"));
  EXPECT_THAT(sim.err, HasSubstr("moved to DLQ 1; in flight 0; virtual time 4.000 s"));
}
