// The Query protocol: form parameters to the JSON-shaped input, outputs to SQS's XML, and the service
// through it (what the AWS CLI 2.9 sends).
#include "service_fixture.hpp"

#include <lemu/sqs/wire.hpp>

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>

namespace lemu::sqs {
namespace {

using testing::service_fixture;
using wire::json;

json input_of(const std::string& form) {
  auto params = wire::parse_form(form);
  EXPECT_TRUE(params.ok());
  auto r = wire::query_input(params.value());
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().code + " " + r.err().message);
  return r.ok() ? r.value().input : json();
}

std::string error_code_of(const std::string& form) {
  auto params = wire::parse_form(form);
  if (!params.ok()) return params.err().code;
  auto r = wire::query_input(params.value());
  return r.ok() ? "(none)" : r.err().code;
}

TEST(SqsQueryForm, DecodesPlusPercentAndSkipsEmptyPairs) {
  auto p = wire::parse_form("a=x+y%2Bz&&b=%E2%82%AC&c&=skipped");
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p.value().size(), 3U);
  EXPECT_EQ(p.value()[0], (std::pair<std::string, std::string>{"a", "x y+z"}));
  EXPECT_EQ(p.value()[1].second, "\xE2\x82\xAC");
  EXPECT_EQ(p.value()[2], (std::pair<std::string, std::string>{"c", ""}));
}

TEST(SqsQueryForm, BadPercentIsMalformedQueryString) {
  EXPECT_EQ(wire::parse_form("a=%G1").err().code, "MalformedQueryString");
  EXPECT_EQ(wire::parse_form("a=%4").err().code, "MalformedQueryString");
}

TEST(SqsQueryInput, ScalarsListsAndMaps) {
  json in = input_of("Action=ReceiveMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Fh%2F0%2Fq&MaxNumberOfMessages=10"
                     "&AttributeName.2=SentTimestamp&AttributeName.1=All&MessageAttributeName.1=a.*");
  EXPECT_EQ(in, json::parse(R"({"QueueUrl":"http://h/0/q","MaxNumberOfMessages":"10",
                                "AttributeNames":["All","SentTimestamp"],"MessageAttributeNames":["a.*"]})"));
  json create = input_of("Action=CreateQueue&QueueName=q&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=5"
                         "&Attribute.2.Name=DelaySeconds&Attribute.2.Value=0&Tag.1.Key=team&Tag.1.Value=x");
  EXPECT_EQ(create, json::parse(R"({"QueueName":"q","Attributes":{"VisibilityTimeout":"5","DelaySeconds":"0"},
                                    "tags":{"team":"x"}})"));
}

TEST(SqsQueryInput, MessageAttributesAndBatchEntriesInIndexOrder) {
  json in = input_of(
      "Action=SendMessageBatch&QueueUrl=q"
      "&SendMessageBatchRequestEntry.10.Id=ten&SendMessageBatchRequestEntry.10.MessageBody=b10"
      "&SendMessageBatchRequestEntry.2.Id=two&SendMessageBatchRequestEntry.2.MessageBody=b2"
      "&SendMessageBatchRequestEntry.2.DelaySeconds=3"
      "&SendMessageBatchRequestEntry.2.MessageAttribute.1.Name=n"
      "&SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType=Number"
      "&SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue=42"
      "&SendMessageBatchRequestEntry.2.MessageAttribute.2.Name=bin"
      "&SendMessageBatchRequestEntry.2.MessageAttribute.2.Value.DataType=Binary"
      "&SendMessageBatchRequestEntry.2.MessageAttribute.2.Value.BinaryValue=AAE%3D");
  EXPECT_EQ(in, json::parse(R"({"QueueUrl":"q","Entries":[
      {"Id":"two","MessageBody":"b2","DelaySeconds":"3","MessageAttributes":{
         "n":{"DataType":"Number","StringValue":"42"},"bin":{"DataType":"Binary","BinaryValue":"AAE="}}},
      {"Id":"ten","MessageBody":"b10"}]})"));
  EXPECT_EQ(input_of("Action=DeleteMessageBatch&QueueUrl=q&DeleteMessageBatchRequestEntry="),
            json::parse(R"({"QueueUrl":"q","Entries":[]})"));
}

TEST(SqsQueryInput, Errors) {
  EXPECT_EQ(error_code_of("QueueUrl=q"), "MissingAction");
  EXPECT_EQ(error_code_of("Action=CreateQueue&Attribute.1.Value=5"), "MissingParameter");
  EXPECT_EQ(error_code_of("Action=SendMessage&MessageBody=%FF%FE"), "InvalidMessageContents");
  EXPECT_EQ(error_code_of("Action=SendMessage&QueueUrl=%C0%AF"), "InvalidParameterValue");
  EXPECT_EQ(error_code_of("Action=SendMessage&%FF=1"), "MalformedQueryString");
}

TEST(SqsQueryXml, ReceiveMessageShapes) {
  json out = json::parse(R"({"Messages":[{"MessageId":"m1","ReceiptHandle":"r1","MD5OfBody":"x","Body":"a<b&\r\n",
      "Attributes":{"SentTimestamp":"1"},"MD5OfMessageAttributes":"y",
      "MessageAttributes":{"n":{"StringValue":"1","DataType":"Number"}}}]})");
  EXPECT_EQ(wire::query_xml("ReceiveMessage", out, "rid"),
            "<?xml version=\"1.0\"?><ReceiveMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
            "<ReceiveMessageResult><Message><MessageId>m1</MessageId><ReceiptHandle>r1</ReceiptHandle>"
            "<MD5OfBody>x</MD5OfBody><Body>a&lt;b&amp;&#xD;\n</Body>"
            "<Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute><MD5OfMessageAttributes>y"
            "</MD5OfMessageAttributes><MessageAttribute><Name>n</Name><Value><StringValue>1</StringValue>"
            "<DataType>Number</DataType></Value></MessageAttribute></Message></ReceiveMessageResult>"
            "<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></ReceiveMessageResponse>");
  EXPECT_EQ(wire::query_xml("ReceiveMessage", json::object(), "rid"),
            "<?xml version=\"1.0\"?><ReceiveMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
            "<ReceiveMessageResult/><ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata>"
            "</ReceiveMessageResponse>");
}

TEST(SqsQueryXml, BatchListsAndEmptyOutputs) {
  json out = json::parse(R"({"Successful":[{"Id":"a","MessageId":"m","MD5OfMessageBody":"d"}],
                             "Failed":[{"Id":"b","SenderFault":true,"Code":"C","Message":"M"}]})");
  const std::string xml = wire::query_xml("SendMessageBatch", out, "rid");
  EXPECT_NE(xml.find("<SendMessageBatchResult><SendMessageBatchResultEntry><Id>a</Id><MessageId>m</MessageId>"
                     "<MD5OfMessageBody>d</MD5OfMessageBody></SendMessageBatchResultEntry><BatchResultErrorEntry>"
                     "<Id>b</Id><SenderFault>true</SenderFault><Code>C</Code><Message>M</Message>"
                     "</BatchResultErrorEntry></SendMessageBatchResult>"),
            std::string::npos)
      << xml;
  EXPECT_NE(wire::query_xml("DeleteMessageBatch", json::parse(R"({"Successful":[{"Id":"a"}],"Failed":[]})"), "r")
                .find("<DeleteMessageBatchResultEntry><Id>a</Id></DeleteMessageBatchResultEntry>"),
            std::string::npos);
  EXPECT_NE(wire::query_xml("ListQueues", json::parse(R"({"QueueUrls":["u1","u2"]})"), "r")
                .find("<ListQueuesResult><QueueUrl>u1</QueueUrl><QueueUrl>u2</QueueUrl></ListQueuesResult>"),
            std::string::npos);
  EXPECT_EQ(wire::query_xml("DeleteQueue", json::object(), "r"),
            "<?xml version=\"1.0\"?><DeleteQueueResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
            "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DeleteQueueResponse>");
}

TEST(SqsQueryXml, ErrorResponse) {
  auto r = wire::query_error(error{"AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.", 400, true},
                             "rid");
  EXPECT_EQ(r.status, 400U);
  EXPECT_EQ(r.body, "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
                    "<Error><Type>Sender</Type><Code>AWS.SimpleQueueService.NonExistentQueue</Code>"
                    "<Message>The specified queue does not exist.</Message><Detail/></Error>"
                    "<RequestId>rid</RequestId></ErrorResponse>");
  EXPECT_EQ(r.header("Content-Type"), "text/xml");
}

TEST(SqsQueryService, CreateSendReceiveDelete) {
  service_fixture f;
  auto created = f.call(service_fixture::query("Action=CreateQueue&QueueName=jobs&Version=2012-11-05"));
  ASSERT_TRUE(created);
  EXPECT_EQ(created->status, 200U) << created->body;
  EXPECT_NE(created->body.find("<CreateQueueResult><QueueUrl>http://127.0.0.1:9324/000000000000/jobs</QueueUrl>"),
            std::string::npos);
  auto sent = f.call(service_fixture::query(
      "Action=SendMessage&QueueUrl=http%3A%2F%2F127.0.0.1%3A9324%2F000000000000%2Fjobs&MessageBody=hello+world"
      "&MessageAttribute.1.Name=Author&MessageAttribute.1.Value.DataType=String"
      "&MessageAttribute.1.Value.StringValue=John+Grisham"));
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->status, 200U) << sent->body;
  EXPECT_NE(sent->body.find("<MD5OfMessageBody>5eb63bbbe01eeed093cb22bb8f5acdc3</MD5OfMessageBody>"), std::string::npos)
      << sent->body;
  attribute_map author{{"Author", attribute_value{"String", "John Grisham", ""}}};
  EXPECT_NE(sent->body.find("<MD5OfMessageAttributes>" + attributes_md5(author) + "</MD5OfMessageAttributes>"),
            std::string::npos);

  // the queue named by the path, as a GET
  gateway::http_request get;
  get.method = "GET";
  get.target = "/000000000000/jobs?Action=ReceiveMessage&AttributeName.1=All&MessageAttributeName.1=All";
  auto got = f.call(get);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200U) << got->body;
  EXPECT_NE(got->body.find("<Body>hello world</Body>"), std::string::npos) << got->body;
  EXPECT_NE(got->body.find("<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>"),
            std::string::npos);
  EXPECT_NE(got->body.find("<MessageAttribute><Name>Author</Name><Value><StringValue>John Grisham</StringValue>"
                           "<DataType>String</DataType></Value></MessageAttribute>"),
            std::string::npos);
  const auto rh_at = got->body.find("<ReceiptHandle>") + 15;
  const std::string handle = got->body.substr(rh_at, got->body.find('<', rh_at) - rh_at);
  std::string form = "Action=DeleteMessage&QueueUrl=jobs&ReceiptHandle=";
  for (char c : handle) {
    if (std::isalnum(static_cast<unsigned char>(c))) form.push_back(c);
    else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(c));
      form += hex;
    }
  }
  auto deleted = f.call(service_fixture::query(form));
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 200U) << deleted->body;
  EXPECT_NE(deleted->body.find("<DeleteMessageResponse"), std::string::npos);
}

TEST(SqsQueryService, ErrorsAreXml) {
  service_fixture f;
  auto unknown = f.call(service_fixture::query("Action=Frobnicate"));
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400U);
  EXPECT_NE(unknown->body.find("<Code>InvalidAction</Code>"), std::string::npos);
  auto missing = f.call(service_fixture::query("Action=SendMessage&QueueUrl=http%3A%2F%2Fh%2F000000000000%2Fnope&MessageBody=x"));
  ASSERT_TRUE(missing);
  EXPECT_NE(missing->body.find("<Code>AWS.SimpleQueueService.NonExistentQueue</Code>"), std::string::npos);
  auto malformed = f.call(service_fixture::query("Action=ListQueues&x=%zz"));
  ASSERT_TRUE(malformed);
  EXPECT_NE(malformed->body.find("<Code>MalformedQueryString</Code>"), std::string::npos);
  f.create("q");
  auto bad_int = f.call(service_fixture::query("Action=ReceiveMessage&QueueUrl=q&MaxNumberOfMessages=ten"));
  ASSERT_TRUE(bad_int);
  EXPECT_NE(bad_int->body.find("<Code>InvalidParameterValue</Code>"), std::string::npos);
  auto no_url = f.call(service_fixture::query("Action=SendMessage&MessageBody=x"));
  ASSERT_TRUE(no_url);
  EXPECT_NE(no_url->body.find("<Code>MissingParameter</Code><Message>The request must contain the parameter QueueUrl."),
            std::string::npos)
      << no_url->body;
}

TEST(SqsQueryService, BatchesAnswerPerEntry) {
  service_fixture f;
  f.create("q");
  auto sent = f.call(service_fixture::query(
      "Action=SendMessageBatch&QueueUrl=q&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x"
      "&SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=y"
      "&SendMessageBatchRequestEntry.2.DelaySeconds=1000"));
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->status, 200U) << sent->body;
  EXPECT_NE(sent->body.find("<SendMessageBatchResult><SendMessageBatchResultEntry><Id>a</Id>"), std::string::npos) << sent->body;
  EXPECT_NE(sent->body.find("<BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault><Code>InvalidParameterValue</Code>"),
            std::string::npos)
      << sent->body;
  auto empty = f.call(service_fixture::query("Action=DeleteMessageBatch&QueueUrl=q&DeleteMessageBatchRequestEntry="));
  ASSERT_TRUE(empty);
  EXPECT_NE(empty->body.find("<Code>AWS.SimpleQueueService.EmptyBatchRequest</Code>"), std::string::npos);
  auto vis = f.call(service_fixture::query(
      "Action=ChangeMessageVisibilityBatch&QueueUrl=q&ChangeMessageVisibilityBatchRequestEntry.1.Id=c"
      "&ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle=nope"
      "&ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout=5"));
  ASSERT_TRUE(vis);
  EXPECT_NE(vis->body.find("<ChangeMessageVisibilityBatchResult><BatchResultErrorEntry><Id>c</Id>"), std::string::npos)
      << vis->body;
}

TEST(SqsQueryService, ReceiveWaitsTheQueuesDefaultWaitTime) {
  service_fixture f;
  f.create("q", {{"ReceiveMessageWaitTimeSeconds", "4"}});
  auto got = f.call(service_fixture::query("Action=ReceiveMessage&QueueUrl=q"));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200U);
  EXPECT_NE(got->body.find("<ReceiveMessageResult/>"), std::string::npos);
  EXPECT_EQ(f.clk.now_ms(), testing::start_ms + 4000);
  auto now = f.call(service_fixture::query("Action=ReceiveMessage&QueueUrl=q&WaitTimeSeconds=0"));
  ASSERT_TRUE(now);
  EXPECT_EQ(f.clk.now_ms(), testing::start_ms + 4000);
}

} // namespace
} // namespace lemu::sqs
