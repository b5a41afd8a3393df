// lemu serve --sqs-port with raw HTTP: bad input of both protocols gets SQS's exact errors and lemu keeps
// serving; size limits; options and their usage errors; and durability across a kill -9 (--sqs-state).
#include "integration/cli_fixture.hpp"
#include "support/http_raw.hpp"
#include "support/serve_process.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

using namespace lemu::test;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

std::vector<std::string> sqs_args(std::vector<std::string> extra = {}) {
  std::vector<std::string> args{echo_bootstrap, "--api", "none", "--sqs-port", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

http_raw::response roundtrip(std::uint16_t port, const std::string& request) {
  http_raw::connection c(port);
  auto r = c.roundtrip(request);
  EXPECT_TRUE(r.ok()) << r.error;
  return r.res;
}

http_raw::response post_json(std::uint16_t port, const std::string& action, const std::string& body) {
  return roundtrip(port, http_raw::request("POST", "/", {{"Content-Type", "application/x-amz-json-1.0"},
                                                          {"X-Amz-Target", "AmazonSQS." + action}},
                                           body));
}

http_raw::response post_query(std::uint16_t port, const std::string& form) {
  return roundtrip(port, http_raw::request("POST", "/", {{"Content-Type", "application/x-www-form-urlencoded"}}, form));
}

std::string query_code(const http_raw::response& r) {
  const auto at = r.body.find("<Code>");
  if (at == std::string::npos) return "(no code) " + r.body.substr(0, 300);
  return r.body.substr(at + 6, r.body.find("</Code>") - at - 6);
}

std::string json_type(const http_raw::response& r) {
  const json j = json::parse(r.body, nullptr, false);
  return j.is_object() ? j.value("__type", "(none)") : "(not json) " + r.body.substr(0, 300);
}

void expect_still_serving(std::uint16_t port) {
  auto r = post_json(port, "ListQueues", "{}");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST(SqsEndpoint, AnnouncesItsUrlAndQueues) {
  serve_process s(sqs_args({"--sqs-state", "none", "--sqs-queue", "dlq", "--sqs-queue",
                            "main:VisibilityTimeout=7,deadLetterQueue=dlq,maxReceiveCount=2"}));
  ASSERT_NE(s.sqs_port(), 0);
  const std::string base = "http://127.0.0.1:" + std::to_string(s.sqs_port());
  EXPECT_THAT(s.process().err(), HasSubstr("lemu: SQS on " + base + " (aws sqs --endpoint-url " + base));
  EXPECT_THAT(s.process().err(), HasSubstr("lemu:   queue " + base + "/000000000000/main\n"));
  auto attrs = post_json(s.sqs_port(), "GetQueueAttributes",
                         R"({"QueueUrl":")" + base + R"(/000000000000/main","AttributeNames":["All"]})");
  ASSERT_EQ(attrs.status, 200) << attrs.body;
  const json a = json::parse(attrs.body)["Attributes"];
  EXPECT_EQ(a["VisibilityTimeout"], "7");
  const json policy = json::parse(a["RedrivePolicy"].get<std::string>());
  EXPECT_EQ(policy["deadLetterTargetArn"], "arn:aws:sqs:us-east-1:000000000000:dlq");
  EXPECT_EQ(policy["maxReceiveCount"].dump(), "2");
  EXPECT_EQ(s.stop(), 0);
}

TEST(SqsEndpoint, MalformedRequestsGetTheProtocolsErrors) {
  serve_process s(sqs_args({"--sqs-state", "none", "--sqs-queue", "q"}));
  const auto port = s.sqs_port();
  auto bad_form = post_query(port, "Action=ListQueues&x=%G0");
  EXPECT_EQ(bad_form.status, 400);
  EXPECT_EQ(query_code(bad_form), "MalformedQueryString");
  EXPECT_THAT(bad_form.body, HasSubstr("<ErrorResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><Error>"
                                       "<Type>Sender</Type>"));
  EXPECT_EQ(query_code(post_query(port, "Version=2012-11-05")), "MissingAction");
  EXPECT_EQ(query_code(post_query(port, "Action=Launch")), "InvalidAction");
  EXPECT_EQ(query_code(post_query(port, "Action=SendMessage&QueueUrl=q&MessageBody=%FF")), "InvalidMessageContents");
  EXPECT_EQ(query_code(post_query(port, "Action=SendMessage&MessageBody=x")), "MissingParameter");
  auto not_object = post_json(port, "ListQueues", "[]");
  EXPECT_EQ(not_object.status, 400);
  EXPECT_EQ(json_type(not_object), "com.amazonaws.sqs#SerializationException");
  EXPECT_EQ(json_type(post_json(port, "ListQueues", "{\"QueueNamePrefix\":")), "com.amazonaws.sqs#SerializationException");
  EXPECT_EQ(json_type(post_json(port, "ListQueues", "{\"QueueNamePrefix\":\"\xC3\x28\"}")),
            "com.amazonaws.sqs#SerializationException");
  EXPECT_EQ(json_type(post_json(port, "SendMessage", R"({"QueueUrl":["q"],"MessageBody":"x"})")),
            "com.amazonaws.sqs#SerializationException");
  EXPECT_EQ(json_type(post_json(port, "Launch", "{}")), "com.amazonaws.sqs#InvalidAction");
  auto missing = post_json(port, "SendMessage", R"({"QueueUrl":"http://127.0.0.1/000000000000/nope","MessageBody":"x"})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(json_type(missing), "com.amazonaws.sqs#QueueDoesNotExist");
  EXPECT_EQ(missing.header("x-amzn-query-error"), "AWS.SimpleQueueService.NonExistentQueue;Sender");
  EXPECT_EQ(json_type(post_json(port, "CreateQueue", R"({"QueueName":"x","Attributes":{"Colour":"blue"}})")),
            "com.amazonaws.sqs#InvalidAttributeName");
  EXPECT_EQ(json_type(post_json(port, "CreateQueue", R"({"QueueName":"x","Attributes":{"VisibilityTimeout":"-1"}})")),
            "com.amazonaws.sqs#InvalidAttributeValue");
  EXPECT_EQ(json_type(post_json(port, "ReceiveMessage", R"({"QueueUrl":"q","WaitTimeSeconds":21})")),
            "com.amazonaws.sqs#InvalidParameterValue");
  // garbage that is not HTTP, then a good request on a new connection
  {
    http_raw::connection c(port);
    auto r = c.roundtrip("NOT HTTP AT ALL\r\n\r\n");
    if (r.ok()) {
      EXPECT_EQ(r.res.status, 400);
    }
  }
  expect_still_serving(port);
  EXPECT_EQ(s.stop(), 0);
}

TEST(SqsEndpoint, MessageAndBatchSizeLimits) {
  serve_process s(sqs_args({"--sqs-state", "none", "--sqs-queue", "small", "--sqs-queue", "big:MaximumMessageSize=1048576"}));
  const auto port = s.sqs_port();
  const std::string small = R"("QueueUrl":"small")", big = R"("QueueUrl":"big")";
  auto ok = post_json(port, "SendMessage", "{" + small + R"(,"MessageBody":")" + std::string(262144, 'a') + "\"}");
  EXPECT_EQ(ok.status, 200) << ok.body.substr(0, 300);
  auto over = post_json(port, "SendMessage", "{" + small + R"(,"MessageBody":")" + std::string(262145, 'a') + "\"}");
  EXPECT_EQ(over.status, 400);
  EXPECT_EQ(json_type(over), "com.amazonaws.sqs#InvalidParameterValue");
  auto mib = post_json(port, "SendMessage", "{" + big + R"(,"MessageBody":")" + std::string(1048576, 'b') + "\"}");
  EXPECT_EQ(mib.status, 200) << mib.body.substr(0, 300);
  auto over_mib = post_json(port, "SendMessage", "{" + big + R"(,"MessageBody":")" + std::string(1048577, 'b') + "\"}");
  EXPECT_EQ(json_type(over_mib), "com.amazonaws.sqs#InvalidParameterValue");
  // a 1 MiB batch, form-encoded (3 bytes a byte for non-ASCII text), fits the endpoint's body limit
  std::string form = "Action=SendMessageBatch&QueueUrl=big";
  for (int i = 1; i <= 4; ++i) {
    form += "&SendMessageBatchRequestEntry." + std::to_string(i) + ".Id=e" + std::to_string(i) +
            "&SendMessageBatchRequestEntry." + std::to_string(i) + ".MessageBody=";
    for (int k = 0; k < 262144 / 2; ++k) form += "%C3%A9"; // é: 2 bytes, 6 characters on the wire
  }
  auto batch = post_query(port, form);
  EXPECT_EQ(batch.status, 200) << batch.body.substr(0, 300);
  EXPECT_EQ(std::count(batch.body.begin(), batch.body.end(), '\n'), 0);
  EXPECT_THAT(batch.body, HasSubstr("<SendMessageBatchResultEntry><Id>e4</Id>"));
  auto too_long = post_json(port, "SendMessageBatch", "{" + small + R"(,"Entries":[{"Id":"a","MessageBody":")" +
                                                          std::string(200000, 'x') + R"("},{"Id":"b","MessageBody":")" +
                                                          std::string(200000, 'x') + "\"}]}");
  EXPECT_EQ(json_type(too_long), "com.amazonaws.sqs#BatchRequestTooLong");
  std::string eleven;
  for (int i = 0; i < 11; ++i) eleven += std::string(i ? "," : "") + R"({"Id":"e)" + std::to_string(i) + R"(","MessageBody":"x"})";
  EXPECT_EQ(json_type(post_json(port, "SendMessageBatch", "{" + small + R"(,"Entries":[)" + eleven + "]}")),
            "com.amazonaws.sqs#TooManyEntriesInBatchRequest");
  // a body beyond the endpoint's limit is refused before it is read
  {
    http_raw::connection c(port);
    c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 9999999\r\n\r\n");
    auto r = c.read_response();
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.res.status, 413);
    EXPECT_EQ(query_code(r.res), "RequestEntityTooLarge");
  }
  expect_still_serving(port);
  EXPECT_EQ(s.stop(), 0);
}

TEST(SqsEndpoint, UsageErrors) {
  scratch_dir dir;
  auto serve = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{lemu_bin, "serve", echo_bootstrap, "--port", "0", "--api", "none"};
    argv.insert(argv.end(), args.begin(), args.end());
    command_options o;
    o.deadline = std::chrono::seconds(20);
    return run_command(argv, o);
  };
  auto no_port = serve({"--sqs-queue", "q"});
  EXPECT_EQ(no_port.exit_code, 2);
  EXPECT_THAT(no_port.err, HasSubstr("--sqs-queue needs --sqs-port"));
  auto bad_spec = serve({"--sqs-port", "0", "--sqs-state", "none", "--sqs-queue", "q:VisibilityTimeout"});
  EXPECT_EQ(bad_spec.exit_code, 2);
  EXPECT_THAT(bad_spec.err, HasSubstr("--sqs-queue q:VisibilityTimeout: 'VisibilityTimeout' is not Attribute=value"));
  auto bad_value = serve({"--sqs-port", "0", "--sqs-state", "none", "--sqs-queue", "q:VisibilityTimeout=99999"});
  EXPECT_EQ(bad_value.exit_code, 2);
  EXPECT_THAT(bad_value.err, HasSubstr("--sqs-queue q: "));
  // A dead-letter queue no --sqs-queue declares is made with the defaults, its name must be a queue name.
  auto bad_dlq = serve({"--sqs-port", "0", "--sqs-state", "none", "--sqs-queue", "q:deadLetterQueue=no/such"});
  EXPECT_EQ(bad_dlq.exit_code, 2);
  EXPECT_THAT(bad_dlq.err, HasSubstr("--sqs-queue q: deadLetterQueue no/such: "));
  auto bad_fsync = serve({"--sqs-port", "0", "--sqs-fsync", "sometimes"});
  EXPECT_EQ(bad_fsync.exit_code, 2);

  // a state folder another lemu holds
  serve_process first(sqs_args({"--sqs-state", dir.path()}));
  auto second = serve({"--sqs-port", "0", "--sqs-state", dir.path()});
  EXPECT_EQ(second.exit_code, 2);
  EXPECT_THAT(second.err, HasSubstr("--sqs-state " + dir.path() + ": "));
  EXPECT_EQ(first.stop(), 0);
}

// Every SendMessage lemu acknowledged survives a kill -9 in the middle of traffic, and nothing deleted
// comes back.
TEST(SqsEndpoint, AcknowledgedSendsSurviveKillNine) {
  scratch_dir dir;
  const std::string state = dir.path() + "/state";
  std::set<std::string> acknowledged, deleted;
  {
    serve_process s(sqs_args({"--sqs-state", state, "--sqs-queue", "q"}));
    const auto port = s.sqs_port();
    http_raw::connection c(port);
    auto send = [&](http_raw::connection& conn, const std::string& body) {
      auto r = conn.roundtrip(http_raw::request("POST", "/", {{"Content-Type", "application/x-amz-json-1.0"},
                                                              {"X-Amz-Target", "AmazonSQS.SendMessage"}},
                                                json{{"QueueUrl", "q"}, {"MessageBody", body}}.dump()),
                              std::chrono::seconds(5));
      return r.ok() && r.res.status == 200;
    };
    for (int i = 0; i < 40; ++i) {
      const std::string body = "m-" + std::to_string(i);
      ASSERT_TRUE(send(c, body));
      acknowledged.insert(body);
    }
    // receive 20 and delete them
    while (deleted.size() < 20) {
      auto r = c.roundtrip(http_raw::request("POST", "/", {{"Content-Type", "application/x-amz-json-1.0"},
                                                           {"X-Amz-Target", "AmazonSQS.ReceiveMessage"}},
                                             R"({"QueueUrl":"q","MaxNumberOfMessages":10,"VisibilityTimeout":600})"));
      ASSERT_TRUE(r.ok());
      const json got = json::parse(r.res.body);
      ASSERT_TRUE(got.contains("Messages")) << r.res.body;
      for (const json& m : got["Messages"]) {
        if (deleted.size() >= 20) break;
        auto d = c.roundtrip(http_raw::request("POST", "/", {{"Content-Type", "application/x-amz-json-1.0"},
                                                             {"X-Amz-Target", "AmazonSQS.DeleteMessage"}},
                                               json{{"QueueUrl", "q"}, {"ReceiptHandle", m["ReceiptHandle"]}}.dump()));
        ASSERT_TRUE(d.ok() && d.res.status == 200) << d.res.body;
        deleted.insert(m["Body"].get<std::string>());
      }
    }
    // a client keeps sending while lemu is killed
    std::mutex mutex;
    std::atomic<int> sent_during{0};
    std::atomic<bool> stop{false};
    std::thread sender([&] {
      http_raw::connection conn(port);
      for (int i = 0; !stop; ++i) {
        const std::string body = "k-" + std::to_string(i);
        if (!send(conn, body)) return;
        std::lock_guard lock(mutex);
        acknowledged.insert(body);
        ++sent_during;
      }
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (sent_during < 200 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    s.process().signal(SIGKILL);
    sender.join();
    stop = true;
    EXPECT_EQ(s.process().wait(), -1);
    EXPECT_GE(sent_during.load(), 200);
  }
  serve_process again(sqs_args({"--sqs-state", state, "--sqs-queue", "q"}));
  std::set<std::string> found;
  for (;;) {
    auto r = post_json(again.sqs_port(), "ReceiveMessage", R"({"QueueUrl":"q","MaxNumberOfMessages":10,"VisibilityTimeout":600})");
    ASSERT_EQ(r.status, 200) << r.body;
    const json got = json::parse(r.body);
    if (!got.contains("Messages")) break;
    for (const json& m : got["Messages"]) found.insert(m["Body"].get<std::string>());
  }
  for (const std::string& body : acknowledged) {
    if (deleted.count(body)) {
      EXPECT_EQ(found.count(body), 0U) << body << " was deleted, and came back";
    } else {
      EXPECT_EQ(found.count(body), 1U) << body << " was acknowledged, and is lost";
    }
  }
  EXPECT_EQ(again.stop(), 0);
}

} // namespace
