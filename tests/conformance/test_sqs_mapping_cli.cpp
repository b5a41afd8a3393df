// lemu serve --sqs-trigger end to end with the AWS CLI (Debian's /usr/bin/aws, the Query protocol): 100
// messages sent with the CLI to a queue with maxReceiveCount 3 and a DLQ; the sqs-batch sample reports the
// one poison message in batchItemFailures every time. 99 are deleted after one delivery; the poison
// message is delivered exactly 3 times (ApproximateReceiveCount 1, 2, 3), then the CLI receives it from the
// DLQ; the summary says so. The same scenario under lemu run --sqs-simulate gives the same history.

#include "integration/cli_fixture.hpp"
#include "conformance/aws_cli.hpp"
#include "support/serve_process.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {



// "sqs-batch: message <id> <what> (receive count <n>)" lines of the function, by message id.

} // namespace

TEST(SqsMappingAwsCli, APoisonMessageGoesToTheDeadLetterQueueAfterThreeDeliveries) {
  ASSERT_TRUE(std::filesystem::exists(aws)) << "the AWS CLI v2 (Debian package awscli) is not installed: run scripts/setup.sh";
  serve_process s({sqs_batch_bootstrap, "--api", "none", "--timeout", "1", "--sqs-port", "0", "--sqs-state", "none",
                   "--sqs-queue", "main:VisibilityTimeout=1,deadLetterQueue=main-dlq,maxReceiveCount=3", "--sqs-trigger",
                   "main:report-failures"});
  EXPECT_TRUE(s.process().wait_for_stderr("lemu: sqs-trigger main -> sqs-batch (batch 10, ReportBatchItemFailures)"));
  const std::string url = s.sqs_url() + "/000000000000/main";

  std::set<std::string> sent_ids;
  std::string poison_id;
  for (int b = 0; b < 10; ++b) {
    json entries = json::array();
    for (int i = 0; i < 10; ++i) {
      const int n = b * 10 + i;
      entries.push_back({{"Id", "m" + std::to_string(n)}, {"MessageBody", n == 42 ? std::string("poison: fail") : "message " + std::to_string(n)}});
    }
    const auto r = aws_sqs(s, {"send-message-batch", "--queue-url", url, "--entries", entries.dump()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json answer = json::parse(r.out);
    ASSERT_EQ(answer["Successful"].size(), 10u) << r.out;
    for (const json& ok : answer["Successful"]) {
      sent_ids.insert(ok["MessageId"].get<std::string>());
      if (ok["Id"] == "m42") poison_id = ok["MessageId"];
    }
  }
  ASSERT_EQ(sent_ids.size(), 100u);

  // The poison message reaches the DLQ after its third failed delivery; the CLI receives it there.
  json dead;
  for (int attempt = 0; attempt < 20 && dead.is_null(); ++attempt) {
    const auto r = aws_sqs(s, {"receive-message", "--queue-url", s.sqs_url() + "/000000000000/main-dlq", "--wait-time-seconds",
                               "2", "--attribute-names", "All"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    if (r.out.find("Messages") == std::string::npos) continue;
    const json m = json::parse(r.out)["Messages"];
    ASSERT_EQ(m.size(), 1u) << r.out;
    dead = m[0];
  }
  ASSERT_FALSE(dead.is_null()) << s.process().err();
  EXPECT_EQ(dead["MessageId"], poison_id);
  EXPECT_EQ(dead["Body"], "poison: fail");

  ASSERT_EQ(s.stop(), 0);
  const std::string err = s.process().err();
  const auto ok = sqs_batch_lines(err, "ok");
  const auto failed = sqs_batch_lines(err, "failed");
  EXPECT_EQ(ok.size(), 99u);
  for (const auto& [id, counts] : ok) {
    EXPECT_TRUE(sent_ids.count(id)) << id;
    EXPECT_EQ(counts, std::vector<std::string>{"1"}) << id << " delivered more than once";
  }
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed.begin()->first, poison_id);
  EXPECT_EQ(failed.begin()->second, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_THAT(err, HasSubstr("lemu: sqs-trigger queue main -> sqs-batch: 102 deliveries in "));
  EXPECT_THAT(err, HasSubstr("deleted 99 (99 after 1 delivery); moved to DLQ 1; in flight 0"));
  EXPECT_THAT(err, HasSubstr("left in the queue 0 visible, 0 not visible"));

  // The same scenario on the virtual clock (the same mapping): the same history, the poison message's
  // deliveries one visibility timeout apart.
  scratch_dir dir;
  json messages = json::array();
  for (int n = 0; n < 100; ++n) messages.push_back(n == 42 ? std::string("poison: fail") : "message " + std::to_string(n));
  const std::string file = dir.path() + "/messages.json";
  std::ofstream(file) << messages.dump();
  const auto sim = lemu_run(sqs_batch_bootstrap, {"--sqs-simulate", file, "--timeout", "1", "--sqs-queue",
                                                  "main:VisibilityTimeout=1,deadLetterQueue=main-dlq,maxReceiveCount=3",
                                                  "--sqs-trigger", "main:report-failures"});
  EXPECT_EQ(sim.exit_code, 1) << sim.err;
  std::size_t deleted = 0;
  for (const std::string& line : sim.out_lines()) {
    const json h = json::parse(line);
    if (h["body"] == "poison: fail") {
      ASSERT_EQ(h["deliveries"].size(), 3u);
      for (int k = 0; k < 3; ++k) EXPECT_EQ(h["deliveries"][k]["receiveCount"], k + 1);
      EXPECT_EQ(h["final"], "dead-letter");
      EXPECT_EQ(h["finalQueue"], "main-dlq");
    } else if (h["final"] == "deleted" && h["deliveries"].size() == 1) {
      ++deleted;
    }
  }
  EXPECT_EQ(deleted, 99u);
  EXPECT_THAT(sim.err, HasSubstr("deleted 99 (99 after 1 delivery); moved to DLQ 1; in flight 0"));
}
