// Event generators: checksums (MD5, SHA-256, base64), SQS's md5OfMessageAttributes, and per-kind content:
// ids, timestamps, ARNs, FIFO fields, base64 bodies, multi-value headers and query, option errors, determinism.
// The structure of every kind against the real fixtures is in test_generators_shape.cpp.
#include <lemu/events/generators.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace lemu::events {
namespace {

using json = nlohmann::ordered_json;

const std::regex uuid_v4_re("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
const std::regex
    clf_time_re(R"(^\d{2}/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\d{4}:\d{2}:\d{2}:\d{2} \+0000$)");
const std::regex iso_ms_re(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");

bool matches(const json& value, const std::regex& re) {
  return value.is_string() && std::regex_match(value.get<std::string>(), re);
}

std::int64_t as_ms(const json& value) { return std::stoll(value.get<std::string>()); }

// The message of the std::invalid_argument make_event throws ("(no error)" when it does not throw).
std::string error_of(std::string_view kind, const generator_options& o) {
  try {
    make_event(kind, o);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<std::string> keys_of(const json& object) {
  std::vector<std::string> out;
  for (const auto& [k, v] : object.items()) out.push_back(k);
  return out;
}

generator_options seeded(std::uint64_t seed = 7) {
  generator_options o;
  o.seed = seed;
  o.now_ms = 1732606401000;
  return o;
}

// ---------------------------------------------------------------------------------------------------------
// Checksums

TEST(Checksums, Md5MatchesRfc1321TestSuite) {
  EXPECT_EQ(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex("a"), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5_hex("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(md5_hex("abcdefghijklmnopqrstuvwxyz"), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(md5_hex("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
            "d174ab98d277d9f5a5611c2c9f419d9f");
  EXPECT_EQ(md5_hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Checksums, Md5AroundBlockBoundariesAndLargeInput) {
  // Reference digests from Python's hashlib.
  EXPECT_EQ(md5_hex(std::string(55, 'a')), "ef1772b6dff9a122358552954ad0df65");
  EXPECT_EQ(md5_hex(std::string(56, 'a')), "3b0c8ac703f828b04c6c197006d17218");
  EXPECT_EQ(md5_hex(std::string(63, 'a')), "b06521f39153d618550606be297466d5");
  EXPECT_EQ(md5_hex(std::string(64, 'a')), "014842d480b571495a4a0363793f7367");
  EXPECT_EQ(md5_hex(std::string(65, 'a')), "c743a45e0d2e6a95cb859adae0248435");
  EXPECT_EQ(md5_hex(std::string(1000000, 'a')), "7707d6ae4e027c70eea2a935c2296f21");
}

TEST(Checksums, Md5OfBodyMatchesRecordedSqsValues) {
  EXPECT_EQ(md5_hex("Test message."), "e4e68fb7bd0e697a0ae8f1bb342846b3"); // PROTOCOL.md §5.1 (AWS-recorded)
  EXPECT_EQ(md5_hex("Message Body"), "77a3cf88eba293be44f5fd5c61835a43");
  EXPECT_EQ(md5_hex("Information about current NY Times fiction bestseller for week of 12/11/2016."),
            "bbdc5fdb8be7251f5c910905db994bab"); // the SQS developer guide's SendMessage example
  EXPECT_EQ(md5_hex(std::string("\0\xff", 2)), "d07d34efac6328007ad67c7e0a985e00");
}

TEST(Checksums, Sha256MatchesFips180Examples) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(55, 'a')), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(sha256_hex(std::string(64, 'a')), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
  EXPECT_EQ(sha256_hex(std::string(120, 'a')), "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c");
}

TEST(Checksums, Base64MatchesRfc4648AndRejectsMalformedText) {
  const std::vector<std::pair<std::string, std::string>> vectors = {{"", ""},
                                                                    {"f", "Zg=="},
                                                                    {"fo", "Zm8="},
                                                                    {"foo", "Zm9v"},
                                                                    {"foob", "Zm9vYg=="},
                                                                    {"fooba", "Zm9vYmE="},
                                                                    {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), plain);
  }
  const std::string all_bytes = [] {
    std::string s;
    for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
    return s;
  }();
  EXPECT_EQ(base64_decode(base64_encode(all_bytes)), all_bytes);
  for (const char* bad : {"Zg=", "Z===", "Zm9v!A==", "=Zg=", "Zg==Zg==", "Zm 9v", "Zm9v\n"})
    EXPECT_EQ(base64_decode(bad), std::nullopt) << bad;
}

// ---------------------------------------------------------------------------------------------------------
// md5OfMessageAttributes

TEST(SqsMessageAttributesMd5, ReproducesTheAwsDocumentedValue) {
  // The SQS developer guide's SendMessage example; SQS answered MD5OfMessageAttributes
  // d25a6aea97eb8f585bfa92d314504a92 for these three attributes (PROTOCOL.md §5.1 shows the same digest with
  // only the first attribute: that record is abridged, the digest is of all three).
  const std::vector<message_attribute> attributes = {
      {"Author", "String", "John Grisham"}, {"Title", "String", "The Whistler"}, {"WeeksOn", "Number", "6"}};
  EXPECT_EQ(sqs_message_attributes_md5(attributes), "d25a6aea97eb8f585bfa92d314504a92");
  // Order of the input does not matter: SQS sorts by name.
  const std::vector<message_attribute> shuffled = {attributes[2], attributes[0], attributes[1]};
  EXPECT_EQ(sqs_message_attributes_md5(shuffled), "d25a6aea97eb8f585bfa92d314504a92");
}

TEST(SqsMessageAttributesMd5, SingleAttributeBinaryAndCustomTypes) {
  // Reference values from an independent Python implementation of the same algorithm.
  EXPECT_EQ(sqs_message_attributes_md5({{"Author", "String", "John Grisham"}}), "589fd905f137a025c02575957adcd9b1");
  // Binary: transport byte 2 and the decoded bytes (AAEC/w== is 00 01 02 ff).
  EXPECT_EQ(sqs_message_attributes_md5({{"Author", "String", "John Grisham"}, {"Blob", "Binary", "AAEC/w=="}}),
            "757edf163d1516f6247a09008e064536");
  // The custom type is hashed in full; its base type picks the transport byte.
  EXPECT_NE(sqs_message_attributes_md5({{"a", "String.xyz", "v"}}), sqs_message_attributes_md5({{"a", "String", "v"}}));
  EXPECT_EQ(sqs_message_attributes_md5({}), "");
}

TEST(SqsMessageAttributesMd5, RejectsBadTypesValuesAndNames) {
  const std::vector<std::vector<message_attribute>> bad = {
      {{"a", "string", "v"}},          {{"a", "Strin", "v"}},
      {{"a", "String.", "v"}},         {{"a", "", "v"}},
      {{"a", "Binary", "not base64"}}, {{"a", "Number", "12abc"}},
      {{"a", "String", ""}},           {{"AWS.x", "String", "v"}},
      {{"a b", "String", "v"}},        {{"a", "String", "1"}, {"a", "String", "2"}}};
  for (const auto& attributes : bad) EXPECT_THROW(sqs_message_attributes_md5(attributes), std::invalid_argument);
  EXPECT_NO_THROW(sqs_message_attributes_md5({{"n", "Number", "-1.5e3"}, {"b", "Binary.png", "iVBORw=="}}));
}

// ---------------------------------------------------------------------------------------------------------
// Kinds

TEST(EventKinds, ListsEveryRequiredKindAndRejectsUnknownOnes) {
  std::set<std::string> names;
  for (const kind_info& k : event_kinds()) {
    names.insert(k.name);
    EXPECT_FALSE(k.description.empty()) << k.name;
    EXPECT_NO_THROW(make_event(k.name, {})) << k.name;
  }
  for (const char* required :
       {"sqs", "apigw-rest", "apigw-http", "function-url", "alb", "sns", "s3", "eventbridge", "dynamodb", "kinesis"})
    EXPECT_TRUE(names.count(required)) << required;
  const std::string error = error_of("sqs-fifo", {});
  EXPECT_NE(error.find("unknown event kind 'sqs-fifo'"), std::string::npos) << error;
  EXPECT_NE(error.find("apigw-rest"), std::string::npos) << error;
}

TEST(EventKinds, RejectsBadRegionAndAccount) {
  generator_options o;
  o.region = "US_EAST";
  EXPECT_NE(error_of("sqs", o).find("bad region"), std::string::npos);
  o = {};
  o.account_id = "1234";
  EXPECT_NE(error_of("s3", o).find("bad account id"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------------------
// SQS

TEST(SqsEvent, OneRecordPerBodyWithCorrectMd5AndFreshIds) {
  generator_options o;
  o.bodies = {"first", "{\"orderId\":\"1042\",\"status\":\"paid\"}", ""};
  const json e = make_event("sqs", o);
  ASSERT_EQ(e["Records"].size(), 3U);
  std::set<std::string> ids, handles;
  for (std::size_t i = 0; i < 3; ++i) {
    const json& r = e["Records"][i];
    EXPECT_EQ(r["body"], o.bodies[i]);
    EXPECT_EQ(r["md5OfBody"], md5_hex(o.bodies[i]));
    EXPECT_TRUE(matches(r["messageId"], uuid_v4_re)) << r["messageId"];
    ids.insert(r["messageId"].get<std::string>());
    handles.insert(r["receiptHandle"].get<std::string>());
    EXPECT_EQ(r["eventSource"], "aws:sqs");
    EXPECT_EQ(r["eventSourceARN"], "arn:aws:sqs:us-east-1:123456789012:my-queue");
    EXPECT_EQ(r["awsRegion"], "us-east-1");
    EXPECT_EQ(r["messageAttributes"], json::object());
    EXPECT_FALSE(r.contains("md5OfMessageAttributes"));
    EXPECT_EQ(keys_of(r["attributes"]), (std::vector<std::string>{"ApproximateReceiveCount", "SentTimestamp",
                                                                  "SenderId", "ApproximateFirstReceiveTimestamp"}));
  }
  EXPECT_EQ(ids.size(), 3U);
  EXPECT_EQ(handles.size(), 3U);
  EXPECT_EQ(e["Records"][1]["md5OfBody"], "08c0be5da3f370e86967c4914a05d821");
  EXPECT_EQ(e["Records"][2]["md5OfBody"], "d41d8cd98f00b204e9800998ecf8427e");
}

TEST(SqsEvent, CountRecordsWithDefaultOrGivenBody) {
  generator_options o;
  o.count = 3;
  const json e = make_event("sqs", o);
  ASSERT_EQ(e["Records"].size(), 3U);
  EXPECT_EQ(e["Records"][0]["body"], "Hello from SQS! (1/3)");
  EXPECT_EQ(e["Records"][2]["md5OfBody"], md5_hex("Hello from SQS! (3/3)"));
  o.body = "same";
  const json same = make_event("sqs", o);
  for (const json& r : same["Records"]) EXPECT_EQ(r["body"], "same");
  o = {};
  EXPECT_EQ(make_event("sqs", o)["Records"][0]["body"], "Hello from SQS!");
  o.count = 0;
  EXPECT_NE(error_of("sqs", o).find("count must be at least 1"), std::string::npos);
  o.count = 10001;
  EXPECT_NE(error_of("sqs", o).find("batch limit"), std::string::npos);
}

TEST(SqsEvent, TimestampsAreConsistent) {
  generator_options o = seeded();
  o.count = 5;
  const json e = make_event("sqs", o);
  std::int64_t previous_sent = 0;
  for (const json& r : e["Records"]) {
    const std::int64_t sent = as_ms(r["attributes"]["SentTimestamp"]);
    const std::int64_t received = as_ms(r["attributes"]["ApproximateFirstReceiveTimestamp"]);
    EXPECT_LE(sent, received);
    EXPECT_LE(received, *o.now_ms);
    EXPECT_GT(sent, *o.now_ms - 60000);
    EXPECT_GE(sent, previous_sent); // sent in order
    previous_sent = sent;
    EXPECT_EQ(r["attributes"]["ApproximateReceiveCount"], "1");
  }
}

TEST(SqsEvent, MessageAttributesOfEveryTypeWithMd5PlacedAsAwsRecordsIt) {
  generator_options o;
  o.attributes = {
      {"Author", "String", "John Grisham"}, {"Title", "String", "The Whistler"}, {"WeeksOn", "Number", "6"}};
  json r = make_event("sqs", o)["Records"][0];
  EXPECT_EQ(r["md5OfMessageAttributes"], "d25a6aea97eb8f585bfa92d314504a92");
  EXPECT_EQ(keys_of(r), (std::vector<std::string>{"messageId", "receiptHandle", "body", "attributes",
                                                  "messageAttributes", "md5OfMessageAttributes", "md5OfBody",
                                                  "eventSource", "eventSourceARN", "awsRegion"}));
  EXPECT_EQ(
      r["messageAttributes"]["Author"],
      json::parse(R"({"stringValue":"John Grisham","stringListValues":[],"binaryListValues":[],"dataType":"String"})"));

  o.attributes = {{"Blob", "Binary", "AAEC/w=="}, {"Kind", "String.xyz", "custom"}, {"N", "Number.int", "42"}};
  r = make_event("sqs", o)["Records"][0];
  EXPECT_EQ(
      r["messageAttributes"]["Blob"],
      json::parse(R"({"binaryValue":"AAEC/w==","stringListValues":[],"binaryListValues":[],"dataType":"Binary"})"));
  EXPECT_EQ(r["messageAttributes"]["Kind"]["dataType"], "String.xyz");
  EXPECT_EQ(r["messageAttributes"]["N"]["stringValue"], "42");
  EXPECT_EQ(r["md5OfMessageAttributes"], sqs_message_attributes_md5(o.attributes));

  o.attributes = {{"Bad", "Blob", "x"}};
  const std::string error = error_of("sqs", o);
  EXPECT_NE(error.find("bad data type 'Blob'"), std::string::npos) << error;
}

TEST(SqsEvent, FifoAddsSequenceGroupAndDeduplication) {
  generator_options o = seeded();
  o.fifo = true;
  o.group_id = "orders-42";
  o.bodies = {"a", "b", "c"};
  const json e = make_event("sqs", o);
  std::string previous_sequence;
  for (std::size_t i = 0; i < 3; ++i) {
    const json& r = e["Records"][i];
    const json& a = r["attributes"];
    EXPECT_EQ(keys_of(a),
              (std::vector<std::string>{"ApproximateReceiveCount", "SentTimestamp", "SequenceNumber", "MessageGroupId",
                                        "SenderId", "MessageDeduplicationId", "ApproximateFirstReceiveTimestamp"}));
    EXPECT_EQ(a["MessageGroupId"], "orders-42");
    EXPECT_EQ(a["MessageDeduplicationId"], sha256_hex(o.bodies[i])); // content-based deduplication
    const std::string sequence = a["SequenceNumber"].get<std::string>();
    EXPECT_EQ(sequence.size(), 20U);
    EXPECT_TRUE(std::all_of(sequence.begin(), sequence.end(), [](char c) { return c >= '0' && c <= '9'; }));
    if (!previous_sequence.empty()) {
      EXPECT_GT(sequence, previous_sequence); // same length: text order is numeric order
    }
    previous_sequence = sequence;
    EXPECT_EQ(r["eventSourceARN"], "arn:aws:sqs:us-east-1:123456789012:my-queue.fifo");
  }
  o.group_id.clear();
  EXPECT_EQ(make_event("sqs", o)["Records"][0]["attributes"]["MessageGroupId"], "default");
}

TEST(SqsEvent, QueueArnSetsRegionAndIsChecked) {
  generator_options o;
  o.queue_arn = "arn:aws:sqs:eu-west-1:210987654321:orders";
  const json r = make_event("sqs", o)["Records"][0];
  EXPECT_EQ(r["eventSourceARN"], o.queue_arn);
  EXPECT_EQ(r["awsRegion"], "eu-west-1");

  o.fifo = true;
  EXPECT_NE(error_of("sqs", o).find("must end in .fifo"), std::string::npos);
  o.fifo = false;
  o.queue_arn = "arn:aws:sqs:eu-west-1:210987654321:orders.fifo";
  EXPECT_NE(error_of("sqs", o).find("is a FIFO queue"), std::string::npos);
  o.fifo = true;
  EXPECT_EQ(error_of("sqs", o), "(no error)");
  o.count = 11;
  EXPECT_NE(error_of("sqs", o).find("batch limit of 10"), std::string::npos);
  o = {};
  o.queue_arn = "arn:aws:sns:eu-west-1:210987654321:orders";
  EXPECT_NE(error_of("sqs", o).find("bad queue ARN"), std::string::npos);
  o.queue_arn = "arn:aws:sqs:eu-west-1:2109:orders";
  EXPECT_NE(error_of("sqs", o).find("bad queue ARN"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------------------
// API Gateway REST (payload 1.0)

TEST(ApigwRestEvent, MultiValueHeadersAndQueryFromRepeatedNames) {
  generator_options o = seeded();
  o.method = "get";
  o.path = "/hello/world";
  o.query = "a=1&b=x%20y&a=3&flag";
  o.headers = {{"X-Multi", "1"}, {"Accept", "application/json"}, {"x-multi", "2"}};
  const json e = make_event("apigw-rest", o);
  EXPECT_EQ(e["httpMethod"], "GET");
  EXPECT_EQ(e["headers"]["X-Multi"], "2");
  EXPECT_EQ(e["multiValueHeaders"]["X-Multi"], json::array({"1", "2"}));
  EXPECT_EQ(e["headers"]["Accept"], "application/json"); // the user's header, not the default
  EXPECT_EQ(e["multiValueHeaders"]["Accept"], json::array({"application/json"}));
  EXPECT_EQ(e["queryStringParameters"], json::parse(R"({"a":"3","b":"x y","flag":""})"));
  EXPECT_EQ(e["multiValueQueryStringParameters"], json::parse(R"({"a":["1","3"],"b":["x y"],"flag":[""]})"));
  EXPECT_EQ(e["resource"], "/{proxy+}");
  EXPECT_EQ(e["pathParameters"], json::parse(R"({"proxy":"hello/world"})"));
  EXPECT_EQ(e["body"], nullptr);
  EXPECT_EQ(e["isBase64Encoded"], false);
}

TEST(ApigwRestEvent, RequestContextIsConsistent) {
  generator_options o = seeded();
  o.now_ms = 1589522469693;
  o.path = "/items?id=7";
  const json e = make_event("apigw-rest", o);
  const json& ctx = e["requestContext"];
  EXPECT_EQ(ctx["requestTime"], "15/May/2020:06:01:09 +0000");
  EXPECT_EQ(ctx["requestTimeEpoch"], 1589522469693);
  EXPECT_EQ(ctx["stage"], "prod");
  EXPECT_EQ(ctx["path"], "/prod/items");
  EXPECT_EQ(e["path"], "/items");
  EXPECT_EQ(e["queryStringParameters"]["id"], "7");
  EXPECT_EQ(ctx["httpMethod"], "GET");
  EXPECT_EQ(ctx["resourcePath"], e["resource"]);
  EXPECT_EQ(ctx["accountId"], "123456789012");
  EXPECT_TRUE(matches(ctx["requestId"], uuid_v4_re));
  EXPECT_EQ(ctx["domainName"], ctx["apiId"].get<std::string>() + ".execute-api.us-east-1.amazonaws.com");
  EXPECT_EQ(ctx["domainPrefix"], ctx["apiId"]);
  EXPECT_EQ(e["headers"]["Host"], ctx["domainName"]);
  EXPECT_EQ(ctx["identity"]["sourceIp"], e["headers"]["X-Forwarded-For"]);
  EXPECT_EQ(ctx["identity"]["userAgent"], e["headers"]["User-Agent"]);
  EXPECT_FALSE(ctx.contains("authorizer"));
  EXPECT_EQ(e["queryStringParameters"].size(), 1U);

  o = seeded();
  o.stage = "dev";
  EXPECT_EQ(make_event("apigw-rest", o)["requestContext"]["path"], "/dev/");
  const json root = make_event("apigw-rest", o);
  EXPECT_EQ(root["resource"], "/");
  EXPECT_EQ(root["pathParameters"], nullptr);
  EXPECT_EQ(root["queryStringParameters"], nullptr);
  EXPECT_EQ(root["multiValueQueryStringParameters"], nullptr);
}

TEST(ApigwRestEvent, Base64Body) {
  generator_options o;
  o.method = "POST";
  o.body = std::string("\x89PNG\r\n\x1a\n\0\xff", 10);
  o.base64 = true;
  const json e = make_event("apigw-rest", o);
  EXPECT_EQ(e["isBase64Encoded"], true);
  EXPECT_EQ(e["body"], base64_encode(*o.body));
  EXPECT_EQ(base64_decode(e["body"].get<std::string>()), o.body);
  o.base64 = false;
  o.body = "{\"a\":1}";
  EXPECT_EQ(make_event("apigw-rest", o)["body"], "{\"a\":1}");
  o.body.reset();
  o.base64 = true;
  EXPECT_NE(error_of("apigw-rest", o).find("base64 needs a body"), std::string::npos);
}

TEST(ApigwRestEvent, RejectsBadMethodPathHeaderAndStage) {
  generator_options o;
  o.method = "FETCH";
  EXPECT_NE(error_of("apigw-rest", o).find("bad method 'FETCH'"), std::string::npos);
  o = {};
  o.path = "items";
  EXPECT_NE(error_of("apigw-rest", o).find("must start with '/'"), std::string::npos);
  o = {};
  o.path = "/a?x=1";
  o.query = "y=2";
  EXPECT_NE(error_of("apigw-rest", o).find("query is also given"), std::string::npos);
  o = {};
  o.headers = {{"Bad Name", "v"}};
  EXPECT_NE(error_of("apigw-rest", o).find("bad header name"), std::string::npos);
  o = {};
  o.headers = {{"X", "a\r\nb"}};
  EXPECT_NE(error_of("apigw-rest", o).find("line break"), std::string::npos);
  o = {};
  o.stage = "$default";
  EXPECT_NE(error_of("apigw-rest", o).find("no $default stage"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------------------
// HTTP API (payload 2.0) and function URLs

TEST(ApigwHttpEvent, HeadersLowercasedJoinedCookiesAndQuery) {
  generator_options o = seeded();
  o.now_ms = 1587481701067;
  o.method = "POST";
  o.path = "/my/path";
  o.query = "parameter1=value1&parameter1=value2&parameter2=v%2Fw";
  o.headers = {{"Header2", "value1"}, {"Cookie", "cookie1=a; cookie2=b"}, {"header2", "value2"}, {"Cookie", "c3=x"}};
  o.body = "Hello from client!";
  const json e = make_event("apigw-http", o);
  EXPECT_EQ(e["version"], "2.0");
  EXPECT_EQ(e["routeKey"], "$default");
  EXPECT_EQ(e["rawPath"], "/my/path");
  EXPECT_EQ(e["rawQueryString"], "parameter1=value1&parameter1=value2&parameter2=v%2Fw");
  EXPECT_EQ(e["cookies"], json::array({"cookie1=a", "cookie2=b", "c3=x"}));
  EXPECT_EQ(e["headers"]["header2"], "value1,value2");
  EXPECT_FALSE(e["headers"].contains("cookie"));
  for (const auto& item : e["headers"].items()) {
    std::string lower = item.key();
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    EXPECT_EQ(item.key(), lower);
  }
  EXPECT_EQ(e["headers"]["content-length"], "18");
  EXPECT_EQ(e["queryStringParameters"], json::parse(R"({"parameter1":"value1,value2","parameter2":"v/w"})"));
  const json& ctx = e["requestContext"];
  EXPECT_EQ(ctx["routeKey"], "$default");
  EXPECT_EQ(ctx["stage"], "$default");
  EXPECT_EQ(ctx["time"], "21/Apr/2020:15:08:21 +0000");
  EXPECT_EQ(ctx["timeEpoch"], 1587481701067);
  EXPECT_EQ(ctx["http"]["method"], "POST");
  EXPECT_EQ(ctx["http"]["path"], "/my/path");
  EXPECT_EQ(ctx["http"]["sourceIp"], e["headers"]["x-forwarded-for"]);
  EXPECT_EQ(ctx["http"]["userAgent"], e["headers"]["user-agent"]);
  EXPECT_EQ(ctx["domainName"], ctx["apiId"].get<std::string>() + ".execute-api.us-east-1.amazonaws.com");
  EXPECT_FALSE(ctx.contains("authorizer"));
  EXPECT_FALSE(ctx.contains("authentication"));
  EXPECT_FALSE(e.contains("multiValueHeaders"));
  EXPECT_EQ(e["body"], "Hello from client!");
  EXPECT_EQ(e["isBase64Encoded"], false);
}

TEST(ApigwHttpEvent, GetWithoutBodyQueryOrCookiesAndNamedStage) {
  generator_options o;
  const json e = make_event("apigw-http", o);
  EXPECT_FALSE(e.contains("body"));
  EXPECT_FALSE(e.contains("cookies"));
  EXPECT_FALSE(e.contains("queryStringParameters"));
  EXPECT_EQ(e["rawQueryString"], "");
  EXPECT_FALSE(e["headers"].contains("content-length"));
  o.stage = "dev";
  o.path = "/orders";
  const json staged = make_event("apigw-http", o);
  EXPECT_EQ(staged["rawPath"], "/dev/orders");
  EXPECT_EQ(staged["requestContext"]["stage"], "dev");
  EXPECT_EQ(staged["requestContext"]["http"]["path"], "/dev/orders");
}

TEST(FunctionUrlEvent, DomainIdsAndNoAuthorizer) {
  generator_options o = seeded();
  o.method = "POST";
  o.body = std::string("\x01\x02", 2);
  o.base64 = true;
  o.region = "eu-central-1";
  const json e = make_event("function-url", o);
  const json& ctx = e["requestContext"];
  const std::string url_id = ctx["apiId"].get<std::string>();
  EXPECT_TRUE(std::regex_match(url_id, std::regex("^[a-z0-9]{32}$"))) << url_id;
  EXPECT_EQ(ctx["domainName"], url_id + ".lambda-url.eu-central-1.on.aws");
  EXPECT_EQ(ctx["domainPrefix"], url_id);
  EXPECT_EQ(e["headers"]["host"], ctx["domainName"]);
  EXPECT_EQ(ctx["accountId"], "anonymous");
  EXPECT_EQ(ctx["routeKey"], "$default");
  EXPECT_EQ(ctx["stage"], "$default");
  EXPECT_TRUE(matches(ctx["requestId"], uuid_v4_re));
  EXPECT_TRUE(matches(ctx["time"], clf_time_re));
  EXPECT_FALSE(ctx.contains("authorizer"));
  EXPECT_FALSE(ctx.contains("authentication"));
  EXPECT_FALSE(e.contains("pathParameters"));
  EXPECT_FALSE(e.contains("stageVariables"));
  EXPECT_EQ(e["body"], "AQI=");
  EXPECT_EQ(e["isBase64Encoded"], true);
  o.stage = "prod";
  EXPECT_NE(error_of("function-url", o).find("no stages"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------------------
// ALB

TEST(AlbEvent, LastValueWithoutMultiValueAllValuesWithIt) {
  generator_options o = seeded();
  o.query = "key=a%20b&key=c";
  o.headers = {{"X-MyHeader", "1"}, {"x-myheader", "2"}};
  const json single = make_event("alb", o);
  EXPECT_EQ(single["queryStringParameters"], json::parse(R"({"key":"c"})"));
  EXPECT_EQ(single["headers"]["x-myheader"], "2");
  EXPECT_EQ(single["body"], "");
  EXPECT_EQ(single["isBase64Encoded"], false);
  EXPECT_FALSE(single.contains("multiValueHeaders"));
  const std::string arn = single["requestContext"]["elb"]["targetGroupArn"].get<std::string>();
  EXPECT_TRUE(std::regex_match(
      arn,
      std::regex(R"(^arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/lambda-target/[0-9a-f]{16}$)")))
      << arn;

  const json multi = make_event("alb-multivalue", o);
  EXPECT_EQ(multi["multiValueQueryStringParameters"], json::parse(R"({"key":["a%20b","c"]})")); // not decoded
  EXPECT_EQ(multi["multiValueHeaders"]["x-myheader"], json::array({"1", "2"}));
  EXPECT_FALSE(multi.contains("headers"));
  EXPECT_FALSE(multi.contains("queryStringParameters"));
  EXPECT_EQ(make_event("alb", {})["queryStringParameters"], json::object());
}

// ---------------------------------------------------------------------------------------------------------
// SNS, S3, EventBridge, DynamoDB, Kinesis

TEST(SnsEvent, NotificationWithSubjectAttributesAndArns) {
  generator_options o = seeded();
  o.body = "{\"k\":1}";
  o.subject = "Order update";
  o.attributes = {{"kind", "String", "order"}, {"blob", "Binary", "AAEC/w=="}};
  const json r = make_event("sns", o)["Records"][0];
  const json& sns = r["Sns"];
  EXPECT_EQ(r["EventSource"], "aws:sns");
  EXPECT_EQ(sns["Type"], "Notification");
  EXPECT_EQ(sns["Message"], "{\"k\":1}");
  EXPECT_EQ(sns["Subject"], "Order update");
  EXPECT_EQ(sns["TopicArn"], "arn:aws:sns:us-east-1:123456789012:example-topic");
  EXPECT_EQ(r["EventSubscriptionArn"].get<std::string>().rfind("arn:aws:sns:us-east-1:123456789012:example-topic:", 0),
            0U);
  EXPECT_TRUE(matches(sns["MessageId"], uuid_v4_re));
  EXPECT_TRUE(matches(sns["Timestamp"], iso_ms_re)) << sns["Timestamp"];
  EXPECT_LE(sns["Timestamp"].get<std::string>(), "2024-11-26T07:33:21.000Z"); // not after now_ms
  EXPECT_EQ(sns["MessageAttributes"]["blob"], json::parse(R"({"Type":"Binary","Value":"AAEC/w=="})"));
  EXPECT_TRUE(base64_decode(sns["Signature"].get<std::string>()).has_value());

  o.subject.clear();
  EXPECT_EQ(make_event("sns", o)["Records"][0]["Sns"]["Subject"], nullptr);
  o.attributes = {{"x", "String.xyz", "v"}};
  EXPECT_NE(error_of("sns", o).find("bad data type"), std::string::npos);
}

TEST(S3Event, PutWithEtagOfTheBodyAndEncodedKey) {
  generator_options o = seeded();
  o.bucket = "my-bucket";
  o.key = "photos/Happy Face+1.jpg";
  o.body = "hello";
  const json r = make_event("s3", o)["Records"][0];
  EXPECT_EQ(r["eventName"], "ObjectCreated:Put");
  EXPECT_EQ(r["eventSource"], "aws:s3");
  EXPECT_TRUE(matches(r["eventTime"], iso_ms_re)) << r["eventTime"];
  EXPECT_LE(r["eventTime"].get<std::string>(), "2024-11-26T07:33:21.000Z");
  EXPECT_EQ(r["s3"]["bucket"]["name"], "my-bucket");
  EXPECT_EQ(r["s3"]["bucket"]["arn"], "arn:aws:s3:::my-bucket");
  EXPECT_EQ(r["s3"]["object"]["key"], "photos/Happy+Face%2B1.jpg");
  EXPECT_EQ(r["s3"]["object"]["size"], 5);
  EXPECT_EQ(r["s3"]["object"]["eTag"], md5_hex("hello"));
  o.body.reset();
  o.size = 4096;
  EXPECT_EQ(make_event("s3", o)["Records"][0]["s3"]["object"]["size"], 4096);
  o.bucket = "Bad_Bucket";
  EXPECT_NE(error_of("s3", o).find("bad bucket name"), std::string::npos);
}

TEST(EventBridgeEvent, ScheduledOnTheMinuteAndCustomDetail) {
  generator_options o = seeded();
  o.now_ms = 1444323186789; // 2015-10-08T16:53:06.789Z
  json e = make_event("eventbridge", o);
  EXPECT_EQ(e["time"], "2015-10-08T16:53:00Z");
  EXPECT_EQ(e["resources"], json::array({"arn:aws:events:us-east-1:123456789012:rule/my-schedule"}));
  EXPECT_EQ(e["detail"], json::object());
  EXPECT_EQ(e["account"], "123456789012");
  EXPECT_TRUE(matches(e["id"], uuid_v4_re));
  o.source = "com.example.orders";
  o.detail_type = "Order Placed";
  o.detail = R"({"orderId":"1042","items":[1,2]})";
  e = make_event("eventbridge", o);
  EXPECT_EQ(e["time"], "2015-10-08T16:53:06Z");
  EXPECT_EQ(e["resources"], json::array());
  EXPECT_EQ(e["detail"], json::parse(o.detail));
  EXPECT_EQ(e["detail-type"], "Order Placed");
  o.detail = "[1]";
  EXPECT_NE(error_of("eventbridge", o).find("detail must be a JSON object"), std::string::npos);
}

TEST(DynamodbEvent, InsertRecordsWithMarshalledImages) {
  generator_options o = seeded();
  o.bodies = {R"({"id":"o-1","n":3.5,"ok":true,"none":null,"tags":["a",1],"addr":{"city":"Oslo"}})", R"({"pk":7})"};
  const json e = make_event("dynamodb", o);
  ASSERT_EQ(e["Records"].size(), 2U);
  const json& first = e["Records"][0];
  EXPECT_EQ(first["eventName"], "INSERT");
  EXPECT_EQ(first["dynamodb"]["Keys"], json::parse(R"({"id":{"S":"o-1"}})"));
  EXPECT_EQ(first["dynamodb"]["NewImage"],
            json::parse(R"({"id":{"S":"o-1"},"n":{"N":"3.5"},"ok":{"BOOL":true},"none":{"NULL":true},)"
                        R"("tags":{"L":[{"S":"a"},{"N":"1"}]},"addr":{"M":{"city":{"S":"Oslo"}}}})"));
  EXPECT_EQ(first["dynamodb"]["ApproximateCreationDateTime"], 1732606401);
  EXPECT_EQ(e["Records"][1]["dynamodb"]["Keys"], json::parse(R"({"pk":{"N":"7"}})"));
  EXPECT_LT(first["dynamodb"]["SequenceNumber"].get<std::string>(),
            e["Records"][1]["dynamodb"]["SequenceNumber"].get<std::string>());
  EXPECT_TRUE(std::regex_match(
      first["eventSourceARN"].get<std::string>(),
      std::regex(R"(^arn:aws:dynamodb:us-east-1:123456789012:table/example-table/stream/)"
                 R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$)")));
  o.bodies = {"[1]"};
  EXPECT_NE(error_of("dynamodb", o).find("JSON object"), std::string::npos);
}

TEST(KinesisEvent, Base64DataAndIncreasingSequenceNumbers) {
  generator_options o = seeded();
  o.bodies = {"Hello World", std::string("\0\x01", 2)};
  const json e = make_event("kinesis", o);
  ASSERT_EQ(e["Records"].size(), 2U);
  EXPECT_EQ(e["Records"][0]["kinesis"]["data"], "SGVsbG8gV29ybGQ=");
  EXPECT_EQ(base64_decode(e["Records"][1]["kinesis"]["data"].get<std::string>()), o.bodies[1]);
  const std::string s0 = e["Records"][0]["kinesis"]["sequenceNumber"].get<std::string>();
  const std::string s1 = e["Records"][1]["kinesis"]["sequenceNumber"].get<std::string>();
  EXPECT_EQ(s0.size(), 56U);
  EXPECT_LT(s0, s1);
  EXPECT_EQ(e["Records"][0]["eventID"], "shardId-000000000000:" + s0);
  const double arrival = e["Records"][1]["kinesis"]["approximateArrivalTimestamp"].get<double>();
  EXPECT_LE(arrival, 1732606401.0);
  EXPECT_GT(arrival, 1732606400.0);
  EXPECT_EQ(e["Records"][0]["eventSourceARN"], "arn:aws:kinesis:us-east-1:123456789012:stream/example-stream");
}

// ---------------------------------------------------------------------------------------------------------
// Determinism

TEST(Determinism, SameSeedSameEventDifferentSeedDifferentIds) {
  for (const kind_info& k : event_kinds()) {
    generator_options o;
    o.seed = 42;
    const std::string a = make_event(k.name, o).dump();
    EXPECT_EQ(make_event(k.name, o).dump(), a) << k.name;
    o.seed = 43;
    EXPECT_NE(make_event(k.name, o).dump(), a) << k.name;
  }
}

TEST(Determinism, SeedAloneFixesTheClockAndNoSeedGivesFreshIds) {
  generator_options o;
  o.seed = 1;
  EXPECT_EQ(make_event("apigw-rest", o)["requestContext"]["requestTimeEpoch"], 1735689600000); // 2025-01-01
  o.now_ms = 1583348638390;
  EXPECT_EQ(make_event("apigw-http", o)["requestContext"]["time"], "04/Mar/2020:19:03:58 +0000");
  const generator_options fresh;
  EXPECT_NE(make_event("sqs", fresh)["Records"][0]["messageId"], make_event("sqs", fresh)["Records"][0]["messageId"]);
  const std::int64_t now = make_event("apigw-rest", fresh)["requestContext"]["requestTimeEpoch"].get<std::int64_t>();
  EXPECT_GT(now, 1735689600000); // the real clock
}

} // namespace
} // namespace lemu::events
