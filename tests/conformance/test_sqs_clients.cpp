// lemu serve --sqs-port driven by real SQS clients nobody on the team wrote: the AWS CLI v2 from Debian
// (/usr/bin/aws 2.9, the Query protocol with XML answers) and the AWS SDK for JavaScript v3
// (@aws-sdk/client-sqs, the JSON protocol; tests/conformance/node/sdk-sqs.mjs). Both check the MD5s of
// bodies and message attributes themselves.

#include "integration/cli_fixture.hpp"
#include "conformance/aws_cli.hpp"
#include "support/serve_process.hpp"

#include <lemu/events/checksums.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {


std::vector<std::string> sqs_serve_args() {
  return {echo_bootstrap, "--api", "none", "--sqs-port", "0", "--sqs-state", "none"};
}


json aws_json(const serve_process& s, std::vector<std::string> args) {
  const auto r = aws_sqs(s, args);
  EXPECT_EQ(r.exit_code, 0) << args.front() << ": " << r.err;
  if (r.out.find_first_not_of(" \n") == std::string::npos) return json::object();
  return json::parse(r.out, nullptr, false);
}

TEST(SqsAwsCli, EveryActionAQueueNeeds) {
  ASSERT_TRUE(std::filesystem::exists(aws)) << "the AWS CLI v2 (Debian package awscli) is not installed: run scripts/setup.sh";
  serve_process s(sqs_serve_args());
  const std::string base = s.sqs_url() + "/000000000000/";

  EXPECT_EQ(aws_json(s, {"create-queue", "--queue-name", "cli-dlq"})["QueueUrl"], base + "cli-dlq");
  EXPECT_EQ(aws_json(s, {"create-queue", "--queue-name", "cli-main", "--attributes", "VisibilityTimeout=30"})["QueueUrl"],
            base + "cli-main");
  const std::string url = base + "cli-main";
  EXPECT_EQ(aws_json(s, {"get-queue-url", "--queue-name", "cli-main"})["QueueUrl"], url);
  EXPECT_EQ(aws_json(s, {"list-queues", "--queue-name-prefix", "cli-"})["QueueUrls"], json::array({base + "cli-dlq", url}));

  const std::string body = "hello from the CLI \xC3\xA9\r\n<&>";
  const json sent = aws_json(s, {"send-message", "--queue-url", url, "--message-body", body, "--message-attributes",
                                 R"({"Author":{"DataType":"String","StringValue":"John Grisham"},)"
                                 R"("Count":{"DataType":"Number","StringValue":"42"},)"
                                 R"("Blob":{"DataType":"Binary","BinaryValue":"AAEC/w=="}})"});
  EXPECT_EQ(sent["MD5OfMessageBody"], lemu::events::md5_hex(body));
  EXPECT_EQ(sent["MD5OfMessageAttributes"].get<std::string>().size(), 32U);
  const json batch = aws_json(s, {"send-message-batch", "--queue-url", url, "--entries",
                                  R"([{"Id":"e1","MessageBody":"batch 1"},{"Id":"e2","MessageBody":"batch 2",)"
                                  R"("MessageAttributes":{"N":{"DataType":"Number","StringValue":"2"}}}])"});
  ASSERT_EQ(batch["Successful"].size(), 2U) << batch;
  EXPECT_FALSE(batch.contains("Failed") && !batch["Failed"].empty());

  std::vector<json> received;
  for (int i = 0; i < 10 && received.size() < 3; ++i) {
    const json r = aws_json(s, {"receive-message", "--queue-url", url, "--max-number-of-messages", "10", "--wait-time-seconds",
                                "1", "--attribute-names", "All", "--message-attribute-names", "All"});
    for (const json& m : r.value("Messages", json::array())) received.push_back(m);
  }
  ASSERT_EQ(received.size(), 3U);
  const auto first = std::find_if(received.begin(), received.end(), [](const json& m) { return m["Body"] != "batch 1" && m["Body"] != "batch 2"; });
  ASSERT_NE(first, received.end());
  EXPECT_EQ((*first)["Body"], body); // the CR survived the XML
  EXPECT_EQ((*first)["Attributes"]["ApproximateReceiveCount"], "1");
  EXPECT_EQ((*first)["Attributes"]["SenderId"], "AIDAIENQZJOLO23YVJ4VO");
  EXPECT_EQ((*first)["MessageAttributes"]["Blob"], json::parse(R"({"BinaryValue":"AAEC/w==","DataType":"Binary"})"));
  EXPECT_EQ((*first)["MessageAttributes"]["Count"], json::parse(R"({"StringValue":"42","DataType":"Number"})"));
  EXPECT_EQ((*first)["MD5OfMessageAttributes"], sent["MD5OfMessageAttributes"]);

  // change-message-visibility to 0: received again, count 2, only the attributes asked for
  EXPECT_EQ(aws_sqs(s, {"change-message-visibility", "--queue-url", url, "--receipt-handle",
                        (*first)["ReceiptHandle"].get<std::string>(), "--visibility-timeout", "0"})
                .exit_code,
            0);
  const json again = aws_json(s, {"receive-message", "--queue-url", url, "--wait-time-seconds", "2", "--attribute-names",
                                  "ApproximateReceiveCount", "--message-attribute-names", "Author"});
  ASSERT_EQ(again["Messages"].size(), 1U) << again;
  EXPECT_EQ(again["Messages"][0]["Attributes"], json::parse(R"({"ApproximateReceiveCount":"2"})"));
  EXPECT_EQ(again["Messages"][0]["MessageAttributes"].size(), 1U);
  EXPECT_NE(again["Messages"][0]["MD5OfMessageAttributes"], sent["MD5OfMessageAttributes"]);

  EXPECT_EQ(aws_sqs(s, {"delete-message", "--queue-url", url, "--receipt-handle",
                        again["Messages"][0]["ReceiptHandle"].get<std::string>()})
                .exit_code,
            0);
  json entries = json::array();
  for (const json& m : received)
    if (&m != &*first) entries.push_back({{"Id", "d" + std::to_string(entries.size())}, {"ReceiptHandle", m["ReceiptHandle"]}});
  const json deleted = aws_json(s, {"delete-message-batch", "--queue-url", url, "--entries", entries.dump()});
  EXPECT_EQ(deleted["Successful"].size(), 2U) << deleted;

  const std::string policy = R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:cli-dlq","maxReceiveCount":"3"})";
  EXPECT_EQ(aws_sqs(s, {"set-queue-attributes", "--queue-url", url, "--attributes", json{{"RedrivePolicy", policy}}.dump()})
                .exit_code,
            0);
  const json attrs = aws_json(s, {"get-queue-attributes", "--queue-url", url, "--attribute-names", "All"})["Attributes"];
  EXPECT_EQ(attrs["VisibilityTimeout"], "30");
  EXPECT_EQ(attrs["QueueArn"], "arn:aws:sqs:us-east-1:000000000000:cli-main");
  EXPECT_THAT(attrs["RedrivePolicy"].get<std::string>(), HasSubstr("arn:aws:sqs:us-east-1:000000000000:cli-dlq"));
  EXPECT_EQ(attrs["ApproximateNumberOfMessages"], "0");

  aws_json(s, {"send-message", "--queue-url", url, "--message-body", "to purge"});
  EXPECT_EQ(aws_sqs(s, {"purge-queue", "--queue-url", url}).exit_code, 0);
  EXPECT_EQ(aws_json(s, {"receive-message", "--queue-url", url}), json::object());

  const auto missing = aws_sqs(s, {"get-queue-url", "--queue-name", "cli-nope"});
  EXPECT_THAT(missing.exit_code, ::testing::AnyOf(254, 255));
  EXPECT_THAT(missing.err, HasSubstr("An error occurred (AWS.SimpleQueueService.NonExistentQueue)"));
  const auto bad_wait = aws_sqs(s, {"receive-message", "--queue-url", url, "--wait-time-seconds", "25"});
  EXPECT_THAT(bad_wait.err, HasSubstr("An error occurred (InvalidParameterValue)"));
  EXPECT_EQ(aws_sqs(s, {"delete-queue", "--queue-url", url}).exit_code, 0);
  const auto gone = aws_sqs(s, {"send-message", "--queue-url", url, "--message-body", "x"});
  EXPECT_THAT(gone.err, HasSubstr("An error occurred (AWS.SimpleQueueService.NonExistentQueue)"));
  EXPECT_EQ(s.stop(), 0);
}

TEST(SqsAwsSdkJs, EveryActionAQueueNeeds) {
  ASSERT_TRUE(std::filesystem::exists(std::string(node_function_dir) + "/node_modules/@aws-sdk/client-sqs"))
      << "@aws-sdk/client-sqs is not installed: run scripts/setup.sh";
  serve_process s(sqs_serve_args());
  const auto r = run_command({"node", "--no-warnings", std::string(node_function_dir) + "/sdk-sqs.mjs", s.sqs_url(), "sdk"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const json out = json::parse(r.out);
  const std::string base = s.sqs_url() + "/000000000000/";
  EXPECT_EQ(out["urls"]["main"], base + "sdk-main");
  EXPECT_EQ(out["getQueueUrl"], base + "sdk-main");
  EXPECT_EQ(out["listQueues"], json::array({base + "sdk-dlq", base + "sdk-main"}));
  EXPECT_EQ(out["sent"]["MD5OfMessageBody"], lemu::events::md5_hex("hello from the SDK \xC3\xA9\xE2\x82\xAC\r\n"));
  EXPECT_EQ(out["batch"]["successful"], json::array({"e1", "e2", "e3"}));
  ASSERT_EQ(out["received"].size(), 4U) << out["received"];
  for (const json& m : out["received"]) {
    EXPECT_EQ(m["Attributes"]["ApproximateReceiveCount"], "1");
    EXPECT_TRUE(m["Attributes"].contains("SentTimestamp"));
    if (m["Body"].get<std::string>().rfind("hello", 0) == 0) {
      EXPECT_EQ(m["MessageAttributes"]["Blob"]["BinaryValue"], "AAEC/w==");
      EXPECT_EQ(m["MessageAttributes"]["Count"]["StringValue"], "42");
      EXPECT_EQ(m["MD5OfMessageAttributes"], out["sent"]["MD5OfMessageAttributes"]);
    }
  }
  ASSERT_EQ(out["again"].size(), 1U);
  EXPECT_EQ(out["again"][0]["Attributes"], json::parse(R"({"ApproximateReceiveCount":"2"})"));
  // "Auth.*" names the attributes under "Auth." (none here), "Count" itself
  EXPECT_EQ(out["again"][0]["MessageAttributeNames"], json::array({"Count"}));
  EXPECT_EQ(out["deleted"]["successful"], 3);
  EXPECT_EQ(out["emptyWait"]["messages"], 0);
  EXPECT_GE(out["emptyWait"]["ms"].get<int>(), 1500);
  EXPECT_EQ(out["woken"]["body"], "wake up");
  EXPECT_LT(out["woken"]["ms"].get<int>(), 10000);
  EXPECT_THAT(out["attributes"]["RedrivePolicy"].get<std::string>(), HasSubstr("sdk-dlq"));
  EXPECT_EQ(out["afterPurge"]["ApproximateNumberOfMessages"], "0");
  EXPECT_EQ(out["missingQueue"]["name"], "QueueDoesNotExist");
  EXPECT_EQ(out["missingQueue"]["status"], 400);
  EXPECT_EQ(out["badWait"]["name"], "InvalidParameterValue");
  EXPECT_EQ(out["emptyBatch"]["name"], "EmptyBatchRequest");
  EXPECT_EQ(out["tooBig"]["name"], "InvalidParameterValue");
  EXPECT_EQ(out["afterDelete"]["name"], "QueueDoesNotExist");
  EXPECT_EQ(s.stop(), 0);
}

} // namespace
