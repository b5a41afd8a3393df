// The JSON 1.0 protocol (what @aws-sdk/client-sqs and newer CLIs send) and the service's actions through it.
#include "service_fixture.hpp"

#include <lemu/sqs/wire.hpp>

#include <gtest/gtest.h>

namespace lemu::sqs {
namespace {

using testing::service_fixture;
using wire::json;

TEST(SqsJsonErrors, TypeNames) {
  EXPECT_EQ(json_error_type("AWS.SimpleQueueService.NonExistentQueue"), "QueueDoesNotExist");
  EXPECT_EQ(json_error_type("QueueAlreadyExists"), "QueueNameExists");
  EXPECT_EQ(json_error_type("AWS.SimpleQueueService.BatchEntryIdsNotDistinct"), "BatchEntryIdsNotDistinct");
  EXPECT_EQ(json_error_type("InvalidParameterValue"), "InvalidParameterValue");
  EXPECT_EQ(json_error_type("ReceiptHandleIsInvalid"), "ReceiptHandleIsInvalid");
}

TEST(SqsJsonErrors, AnswerShape) {
  auto r = wire::json_error(error{"AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.", 400, true},
                            "rid");
  EXPECT_EQ(r.status, 400U);
  EXPECT_EQ(r.body, R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."})");
  EXPECT_EQ(r.header("x-amzn-query-error"), "AWS.SimpleQueueService.NonExistentQueue;Sender");
  EXPECT_EQ(r.header("Content-Type"), "application/x-amz-json-1.0");
}

std::string parse_error(const gateway::http_request& r) {
  auto p = wire::parse_json_request(r);
  return p.ok() ? "(none)" : p.err().code;
}

TEST(SqsJsonRequest, Parsing) {
  auto r = service_fixture::json_request("ListQueues", "");
  auto p = wire::parse_json_request(r);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.value().action, "ListQueues");
  EXPECT_EQ(p.value().input, json::object());
  EXPECT_EQ(parse_error(service_fixture::json_request("ListQueues", "[1]")), "SerializationException");
  EXPECT_EQ(parse_error(service_fixture::json_request("ListQueues", "{\"a\":")), "SerializationException");
  EXPECT_EQ(parse_error(service_fixture::json_request("ListQueues", "{\"a\":\"\xff\"}")), "SerializationException");
  auto foreign = service_fixture::json_request("ListQueues", "{}");
  foreign.headers[1].second = "DynamoDB_20120810.ListTables";
  EXPECT_EQ(parse_error(foreign), "InvalidAction");
}

TEST(SqsJsonService, SendReceiveWithAttributeFilters) {
  service_fixture f;
  const std::string url = f.create("q");
  EXPECT_EQ(url, "http://127.0.0.1:9324/000000000000/q");
  json sent = f.call_json("SendMessage", json::parse(R"({"QueueUrl":")" + url + R"(","MessageBody":"Test message.",
      "MessageAttributes":{"a.one":{"DataType":"String","StringValue":"1"},"a.two":{"DataType":"Number","StringValue":"2"},
                           "b":{"DataType":"Binary","BinaryValue":"AAEC"}}})"));
  EXPECT_EQ(sent["MD5OfMessageBody"], "e4e68fb7bd0e697a0ae8f1bb342846b3");
  attribute_map all{{"a.one", {"String", "1", ""}}, {"a.two", {"Number", "2", ""}}, {"b", {"Binary", "", std::string("\0\1\2", 3)}}};
  EXPECT_EQ(sent["MD5OfMessageAttributes"], attributes_md5(all));

  json got = f.call_json("ReceiveMessage", json::parse(R"({"QueueUrl":")" + url + R"(",
      "MessageSystemAttributeNames":["SentTimestamp"],"MessageAttributeNames":["a.*"],"VisibilityTimeout":10})"));
  ASSERT_EQ(got["Messages"].size(), 1U) << got;
  const json& m = got["Messages"][0];
  EXPECT_EQ(m["Body"], "Test message.");
  EXPECT_EQ(m["MD5OfBody"], "e4e68fb7bd0e697a0ae8f1bb342846b3");
  EXPECT_EQ(m["Attributes"].size(), 1U);
  EXPECT_EQ(m["Attributes"]["SentTimestamp"], std::to_string(testing::start_ms));
  EXPECT_EQ(m["MessageAttributes"], json::parse(R"({"a.one":{"StringValue":"1","DataType":"String"},
                                                    "a.two":{"StringValue":"2","DataType":"Number"}})"));
  attribute_map chosen{{"a.one", {"String", "1", ""}}, {"a.two", {"Number", "2", ""}}};
  EXPECT_EQ(m["MD5OfMessageAttributes"], attributes_md5(chosen));

  // visible again after the visibility timeout (virtual time), with every attribute
  json again = f.call_json("ReceiveMessage", json::parse(R"({"QueueUrl":")" + url + R"(","WaitTimeSeconds":20,
      "AttributeNames":["All"],"MessageAttributeNames":["All"],"VisibilityTimeout":0})"));
  ASSERT_EQ(again["Messages"].size(), 1U) << again;
  EXPECT_EQ(again["Messages"][0]["Attributes"]["ApproximateReceiveCount"], "2");
  EXPECT_EQ(again["Messages"][0]["MessageAttributes"]["b"], json::parse(R"({"BinaryValue":"AAEC","DataType":"Binary"})"));
  EXPECT_EQ(again["Messages"][0]["MD5OfMessageAttributes"], attributes_md5(all));
  EXPECT_EQ(f.clk.now_ms(), testing::start_ms + 10000); // the long poll ended when the message came back

  f.call_json("DeleteMessage", {{"QueueUrl", url}, {"ReceiptHandle", again["Messages"][0]["ReceiptHandle"]}});
  json none = f.call_json("ReceiveMessage", {{"QueueUrl", url}});
  EXPECT_EQ(none, json::object());
}

TEST(SqsJsonService, LongPollWaitsForASendAndEndsEmptyWhenTheTimeIsUp) {
  service_fixture f;
  const std::string url = f.create("q");
  std::optional<gateway::http_response> waiting;
  f.svc.handle(service_fixture::json_request("ReceiveMessage", json{{"QueueUrl", url}, {"WaitTimeSeconds", 5}}.dump()),
               [&](gateway::http_response r) { waiting = std::move(r); });
  f.io.restart();
  f.io.poll();
  EXPECT_FALSE(waiting);
  f.call_json("SendMessage", {{"QueueUrl", url}, {"MessageBody", "late"}});
  for (int i = 0; i < 100 && !waiting; ++i) {
    f.io.restart();
    f.io.poll();
  }
  ASSERT_TRUE(waiting);
  EXPECT_EQ(json::parse(waiting->body)["Messages"][0]["Body"], "late");
  EXPECT_EQ(f.clk.now_ms(), testing::start_ms); // no time passed

  json empty = f.call_json("ReceiveMessage", {{"QueueUrl", url}, {"WaitTimeSeconds", 3}});
  EXPECT_EQ(empty, json::object());
  EXPECT_GE(f.clk.now_ms(), testing::start_ms + 3000);
}

TEST(SqsJsonService, StopEndsLongPolls) {
  service_fixture f;
  const std::string url = f.create("q");
  std::optional<gateway::http_response> waiting;
  f.svc.handle(service_fixture::json_request("ReceiveMessage", json{{"QueueUrl", url}, {"WaitTimeSeconds", 20}}.dump()),
               [&](gateway::http_response r) { waiting = std::move(r); });
  f.io.restart();
  f.io.poll();
  EXPECT_FALSE(waiting);
  f.svc.stop();
  for (int i = 0; i < 100 && !waiting; ++i) {
    f.io.restart();
    f.io.poll();
  }
  ASSERT_TRUE(waiting);
  EXPECT_EQ(waiting->status, 200U);
  EXPECT_EQ(json::parse(waiting->body), json::object());
}

TEST(SqsJsonService, BatchRules) {
  service_fixture f;
  const std::string url = f.create("q");
  auto code = [&](const json& entries) {
    json in = {{"QueueUrl", url}};
    if (!entries.is_null()) in["Entries"] = entries;
    json out = f.call_json("SendMessageBatch", in, 400);
    return out.value("__type", "");
  };
  EXPECT_EQ(code(json::array()), "com.amazonaws.sqs#EmptyBatchRequest");
  EXPECT_EQ(code(json()), "com.amazonaws.sqs#EmptyBatchRequest");
  json eleven = json::array();
  for (int i = 0; i < 11; ++i) eleven.push_back({{"Id", "e" + std::to_string(i)}, {"MessageBody", "x"}});
  EXPECT_EQ(code(eleven), "com.amazonaws.sqs#TooManyEntriesInBatchRequest");
  EXPECT_EQ(code(json::parse(R"([{"Id":"a","MessageBody":"x"},{"Id":"a","MessageBody":"y"}])")),
            "com.amazonaws.sqs#BatchEntryIdsNotDistinct");
  EXPECT_EQ(code(json::parse(R"([{"Id":"a b","MessageBody":"x"}])")), "com.amazonaws.sqs#InvalidBatchEntryId");
  json big = json::array();
  for (int i = 0; i < 2; ++i) big.push_back({{"Id", "e" + std::to_string(i)}, {"MessageBody", std::string(140000, 'x')}});
  EXPECT_EQ(code(big), "com.amazonaws.sqs#BatchRequestTooLong");

  // per-entry failures beside successes
  json mixed = f.call_json("SendMessageBatch", json::parse(R"({"QueueUrl":")" + url + R"(","Entries":[
      {"Id":"ok","MessageBody":"fine"},{"Id":"bad","MessageBody":"x","DelaySeconds":901},{"Id":"nobody"}]})"));
  ASSERT_EQ(mixed["Successful"].size(), 1U) << mixed;
  EXPECT_EQ(mixed["Successful"][0]["Id"], "ok");
  EXPECT_EQ(mixed["Successful"][0]["MD5OfMessageBody"].get<std::string>().size(), 32U);
  ASSERT_EQ(mixed["Failed"].size(), 2U);
  EXPECT_EQ(mixed["Failed"][0]["Id"], "bad");
  EXPECT_EQ(mixed["Failed"][0]["Code"], "InvalidParameterValue");
  EXPECT_EQ(mixed["Failed"][0]["SenderFault"], true);
  EXPECT_EQ(mixed["Failed"][1]["Code"], "MissingParameter");

  json got = f.call_json("ReceiveMessage", {{"QueueUrl", url}, {"MaxNumberOfMessages", 10}});
  ASSERT_EQ(got["Messages"].size(), 1U);
  json del = f.call_json("DeleteMessageBatch", json{{"QueueUrl", url}, {"Entries", json::array({
      json{{"Id", "x"}, {"ReceiptHandle", got["Messages"][0]["ReceiptHandle"]}},
      json{{"Id", "y"}, {"ReceiptHandle", "garbage"}}})}});
  EXPECT_EQ(del["Successful"], json::parse(R"([{"Id":"x"}])"));
  ASSERT_EQ(del["Failed"].size(), 1U);
  EXPECT_EQ(del["Failed"][0]["Code"], "ReceiptHandleIsInvalid");
}

TEST(SqsJsonService, BadInputs) {
  service_fixture f;
  const std::string url = f.create("q");
  auto type_of = [&](const std::string& action, const json& in) { return f.call_json(action, in, 400).value("__type", ""); };
  EXPECT_EQ(type_of("SendMessage", {{"MessageBody", "x"}}), "com.amazonaws.sqs#MissingParameter");
  EXPECT_EQ(type_of("SendMessage", {{"QueueUrl", 5}, {"MessageBody", "x"}}), "com.amazonaws.sqs#SerializationException");
  EXPECT_EQ(type_of("ReceiveMessage", {{"QueueUrl", url}, {"WaitTimeSeconds", 21}}), "com.amazonaws.sqs#InvalidParameterValue");
  EXPECT_EQ(type_of("ReceiveMessage", {{"QueueUrl", url}, {"MaxNumberOfMessages", "3"}}),
            "com.amazonaws.sqs#SerializationException");
  EXPECT_EQ(type_of("ReceiveMessage", {{"QueueUrl", url}, {"MaxNumberOfMessages", 11}}),
            "com.amazonaws.sqs#InvalidParameterValue");
  EXPECT_EQ(type_of("GetQueueUrl", {{"QueueName", "nope"}}), "com.amazonaws.sqs#QueueDoesNotExist");
  EXPECT_EQ(type_of("SendMessage", {{"QueueUrl", url}, {"MessageBody", "x"},
                                    {"MessageAttributes", {{"a", {{"DataType", "String"}}}}}}),
            "com.amazonaws.sqs#InvalidParameterValue");
  EXPECT_EQ(type_of("SendMessage", {{"QueueUrl", url}, {"MessageBody", "x"},
                                    {"MessageAttributes", {{"a", {{"DataType", "Binary"}, {"BinaryValue", "%%%"}}}}}}),
            "com.amazonaws.sqs#InvalidParameterValue");
  EXPECT_EQ(type_of("SendMessage", {{"QueueUrl", url}, {"MessageBody", std::string(262145, 'x')}}),
            "com.amazonaws.sqs#InvalidParameterValue");
  EXPECT_EQ(type_of("GetQueueAttributes", {{"QueueUrl", url}, {"AttributeNames", {"Bogus"}}}),
            "com.amazonaws.sqs#InvalidAttributeName");
  EXPECT_EQ(type_of("Frobnicate", json::object()), "com.amazonaws.sqs#InvalidAction");
}

TEST(SqsJsonService, QueueActions) {
  service_fixture f;
  const std::string dlq = f.create("dlq");
  const std::string main = f.create("main", {{"VisibilityTimeout", "5"}});
  EXPECT_EQ(f.create("main", {{"VisibilityTimeout", "5"}}), main);
  EXPECT_EQ(f.call_json("CreateQueue", {{"QueueName", "main"}, {"Attributes", {{"VisibilityTimeout", "6"}}}}, 400)["__type"],
            "com.amazonaws.sqs#QueueNameExists");
  const std::string policy = R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"2"})";
  f.call_json("SetQueueAttributes", {{"QueueUrl", main}, {"Attributes", {{"RedrivePolicy", policy}}}});
  json attrs = f.call_json("GetQueueAttributes", {{"QueueUrl", main}, {"AttributeNames", {"All"}}});
  EXPECT_EQ(attrs["Attributes"]["VisibilityTimeout"], "5");
  EXPECT_EQ(attrs["Attributes"]["QueueArn"], "arn:aws:sqs:us-east-1:000000000000:main");
  EXPECT_TRUE(attrs["Attributes"].contains("RedrivePolicy"));
  EXPECT_EQ(f.call_json("GetQueueAttributes", {{"QueueUrl", main}}), json::object());

  EXPECT_EQ(f.call_json("ListQueues", json::object())["QueueUrls"], json::array({dlq, main}));
  EXPECT_EQ(f.call_json("ListQueues", {{"QueueNamePrefix", "ma"}})["QueueUrls"], json::array({main}));
  json page = f.call_json("ListQueues", {{"MaxResults", 1}});
  EXPECT_EQ(page["QueueUrls"], json::array({dlq}));
  ASSERT_TRUE(page.contains("NextToken"));
  json next = f.call_json("ListQueues", {{"MaxResults", 1}, {"NextToken", page["NextToken"]}});
  EXPECT_EQ(next["QueueUrls"], json::array({main}));
  EXPECT_FALSE(next.contains("NextToken"));
  EXPECT_EQ(f.call_json("ListDeadLetterSourceQueues", {{"QueueUrl", dlq}})["queueUrls"], json::array({main}));

  f.call_json("SendMessage", {{"QueueUrl", main}, {"MessageBody", "m"}});
  json got = f.call_json("ReceiveMessage", {{"QueueUrl", main}});
  ASSERT_EQ(got["Messages"].size(), 1U);
  f.call_json("ChangeMessageVisibility", {{"QueueUrl", main}, {"ReceiptHandle", got["Messages"][0]["ReceiptHandle"]},
                                          {"VisibilityTimeout", 0}});
  EXPECT_EQ(f.call_json("ReceiveMessage", {{"QueueUrl", main}})["Messages"].size(), 1U);
  f.call_json("PurgeQueue", {{"QueueUrl", main}});
  EXPECT_EQ(f.call_json("GetQueueAttributes", {{"QueueUrl", main}, {"AttributeNames", {"ApproximateNumberOfMessages"}}})
                ["Attributes"]["ApproximateNumberOfMessages"], "0");

  f.call_json("TagQueue", {{"QueueUrl", main}, {"Tags", {{"team", "a"}, {"x", "y"}}}});
  f.call_json("UntagQueue", {{"QueueUrl", main}, {"TagKeys", {"x"}}});
  EXPECT_EQ(f.call_json("ListQueueTags", {{"QueueUrl", main}})["Tags"], json::parse(R"({"team":"a"})"));

  f.call_json("DeleteQueue", {{"QueueUrl", main}});
  EXPECT_EQ(f.call_json("SendMessage", {{"QueueUrl", main}, {"MessageBody", "m"}}, 400)["__type"],
            "com.amazonaws.sqs#QueueDoesNotExist");
}

} // namespace
} // namespace lemu::sqs
