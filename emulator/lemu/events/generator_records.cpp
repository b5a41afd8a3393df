// Record-style events: SQS, SNS, S3, EventBridge (the stream records, DynamoDB and Kinesis, are in
// generator_streams.cpp).
#include <lemu/events/generator_common.hpp>
#include <lemu/util/text.hpp>

#include <boost/url/encode.hpp>
#include <boost/url/grammar/lut_chars.hpp>

#include <algorithm>
#include <cstdio>
#include <set>

namespace lemu::events {

namespace {

using detail::fail;
using detail::json;

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The data type without its custom suffix ("String.xyz" -> "String"), or "" when the type is not valid for SQS.
std::string sqs_base_type(std::string_view type) {
  const auto dot = type.find('.');
  const std::string_view base = type.substr(0, dot);
  if (base != "String" && base != "Number" && base != "Binary") return "";
  if (dot != std::string_view::npos) {
    const std::string_view custom = type.substr(dot + 1);
    if (custom.empty()) return "";
    for (const char c : custom)
      if (!is_alnum(c) && c != '_' && c != '-' && c != '.') return "";
  }
  if (type.size() > 256) return "";
  return std::string(base);
}

// SQS's number format: an optional sign, digits with an optional fraction, an optional exponent.
bool is_number_text(std::string_view v) {
  std::size_t i = 0;
  if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < v.size() && is_digit(v[i])) ++i, ++digits;
  if (i < v.size() && v[i] == '.') {
    ++i;
    while (i < v.size() && is_digit(v[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
    ++i;
    if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
    std::size_t exp_digits = 0;
    while (i < v.size() && is_digit(v[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == v.size();
}

void check_attribute_name(const std::string& name, std::string_view service) {
  const std::string where = std::string(service) + ": message attribute name '" + name + "'";
  if (name.empty() || name.size() > 256) fail(where + ": must be 1 to 256 characters");
  for (const char c : name)
    if (!is_alnum(c) && c != '_' && c != '-' && c != '.') fail(where + ": may hold only A-Z a-z 0-9 _ - .");
  if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string::npos)
    fail(where + ": must not start or end with '.' or hold '..'");
  if (util::istarts_with(name, "AWS.") || util::istarts_with(name, "Amazon."))
    fail(where + ": 'AWS.' and 'Amazon.' are reserved");
}

// Validates SQS message attributes (names, types, values); returns each one's base type.
std::vector<std::string> check_sqs_attributes(const std::vector<message_attribute>& attributes) {
  if (attributes.size() > 10)
    fail("sqs: at most 10 message attributes per message, got " + std::to_string(attributes.size()));
  std::set<std::string> seen;
  std::vector<std::string> bases;
  for (const message_attribute& a : attributes) {
    check_attribute_name(a.name, "sqs");
    if (!seen.insert(a.name).second) fail("sqs: message attribute '" + a.name + "' given twice");
    std::string base = sqs_base_type(a.type);
    if (base.empty())
      fail("sqs: message attribute '" + a.name + "' has bad data type '" + a.type +
           "': expected String, Number or Binary, optionally with a custom suffix (String.xyz)");
    if (a.value.empty()) fail("sqs: message attribute '" + a.name + "' needs a non-empty value");
    if (base == "Number" && !is_number_text(a.value))
      fail("sqs: message attribute '" + a.name + "' of type " + a.type + " has value '" + a.value + "', not a number");
    if (base == "Binary") {
      const auto decoded = base64_decode(a.value);
      if (!decoded || decoded->empty())
        fail("sqs: message attribute '" + a.name + "' of type " + a.type + " needs a base64 value, got '" + a.value +
             "'");
    }
    bases.push_back(std::move(base));
  }
  return bases;
}

struct queue {
  std::string arn, region, name;
};

queue parse_queue(const generator_options& o) {
  if (o.queue_arn.empty()) {
    const std::string name = o.fifo ? "my-queue.fifo" : "my-queue";
    return {"arn:aws:sqs:" + o.region + ":" + o.account_id + ":" + name, o.region, name};
  }
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto colon = o.queue_arn.find(':', start);
    parts.push_back(o.queue_arn.substr(start, colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  const std::string bad = "sqs: bad queue ARN '" + o.queue_arn + "': expected arn:aws:sqs:REGION:ACCOUNT:QUEUE";
  if (parts.size() != 6 || parts[0] != "arn" || parts[1].rfind("aws", 0) != 0 || parts[2] != "sqs" || parts[3].empty())
    fail(bad);
  if (parts[4].size() != 12 || !std::all_of(parts[4].begin(), parts[4].end(), is_digit)) fail(bad);
  const std::string& name = parts[5];
  const bool fifo_name = name.size() > 5 && name.compare(name.size() - 5, 5, ".fifo") == 0;
  const std::string stem = fifo_name ? name.substr(0, name.size() - 5) : name;
  if (name.empty() || name.size() > 80 || stem.empty() ||
      !std::all_of(stem.begin(), stem.end(), [](char c) { return is_alnum(c) || c == '-' || c == '_'; }))
    fail("sqs: bad queue name '" + name + "': 1 to 80 characters of A-Z a-z 0-9 - _ (and .fifo for FIFO queues)");
  if (o.fifo && !fifo_name) fail("sqs: a FIFO queue's name must end in .fifo, got '" + name + "'");
  if (!o.fifo && fifo_name) fail("sqs: queue '" + name + "' is a FIFO queue (its name ends in .fifo) but fifo is off");
  return {o.queue_arn, parts[3], name};
}

// S3 event keys are URL-encoded as a form value (Java's URLEncoder): space as '+', letters, digits, "-_.*"
// and '/' kept, every other byte %XX.
std::string s3_key_encode(std::string_view key) {
  static constexpr boost::urls::grammar::lut_chars kept =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.*/";
  boost::urls::encoding_opts opts;
  opts.space_as_plus = true;
  return boost::urls::encode(key, kept, opts);
}

} // namespace

std::string sqs_message_attributes_md5(const std::vector<message_attribute>& attributes) {
  if (attributes.empty()) return "";
  const std::vector<std::string> bases = check_sqs_attributes(attributes);
  std::vector<std::string> decoded(attributes.size());
  std::vector<digest_attribute> digested;
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    const message_attribute& a = attributes[i];
    const bool binary = bases[i] == "Binary";
    if (binary) decoded[i] = *base64_decode(a.value);
    digested.push_back({a.name, a.type, binary, binary ? std::string_view(decoded[i]) : std::string_view(a.value)});
  }
  return sqs_attributes_md5(std::move(digested));
}

namespace detail {

json make_sqs(context& c) {
  const generator_options& o = c.opt;
  const queue q = parse_queue(o);
  const std::vector<std::string> bodies = record_bodies(o, "sqs", o.fifo ? 10 : 10000, "Hello from SQS!");
  const std::vector<std::string> bases = check_sqs_attributes(o.attributes);
  const std::string attributes_md5 = sqs_message_attributes_md5(o.attributes);
  json message_attributes = json::object();
  for (std::size_t i = 0; i < o.attributes.size(); ++i) {
    const message_attribute& a = o.attributes[i];
    json entry = json::object();
    entry[bases[i] == "Binary" ? "binaryValue" : "stringValue"] = a.value;
    entry["stringListValues"] = json::array();
    entry["binaryListValues"] = json::array();
    entry["dataType"] = a.type;
    message_attributes[a.name] = std::move(entry);
  }
  if (o.fifo && o.group_id.size() > 128) fail("sqs: MessageGroupId is at most 128 characters");
  const std::string group = o.group_id.empty() ? "default" : o.group_id;
  const std::string sender = "AIDA" + c.upper_alnum(17);
  const std::size_t n = bodies.size();
  // Messages were sent a few milliseconds apart, in order, and received together just now.
  const std::int64_t received = c.now_ms() - static_cast<std::int64_t>(c.below(10));
  std::uint64_t sequence = 18000000000000000000ULL + c.below(400000000000000000ULL);
  json records = json::array();
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t sent = received - 40 - 5 * static_cast<std::int64_t>(n - 1 - i);
    json attributes = json::object();
    attributes["ApproximateReceiveCount"] = "1";
    attributes["SentTimestamp"] = std::to_string(sent);
    if (o.fifo) {
      attributes["SequenceNumber"] = std::to_string(sequence);
      sequence += 1 + c.below(1U << 16U);
      attributes["MessageGroupId"] = group;
    }
    attributes["SenderId"] = sender;
    if (o.fifo) attributes["MessageDeduplicationId"] = sha256_hex(bodies[i]); // content-based deduplication
    attributes["ApproximateFirstReceiveTimestamp"] = std::to_string(received);

    json r = json::object();
    r["messageId"] = c.uuid_v4();
    r["receiptHandle"] = "AQEB" + base64_encode(c.random_bytes(228));
    r["body"] = bodies[i];
    r["attributes"] = std::move(attributes);
    r["messageAttributes"] = message_attributes;
    if (!attributes_md5.empty()) r["md5OfMessageAttributes"] = attributes_md5;
    r["md5OfBody"] = md5_hex(bodies[i]);
    r["eventSource"] = "aws:sqs";
    r["eventSourceARN"] = q.arn;
    r["awsRegion"] = q.region;
    records.push_back(std::move(r));
  }
  return json{{"Records", std::move(records)}};
}

json make_sns(context& c) {
  const generator_options& o = c.opt;
  if (o.bodies.size() > 1)
    fail("sns: SNS delivers one message per event, got " + std::to_string(o.bodies.size()) + " bodies");
  const std::string message = o.body ? *o.body : !o.bodies.empty() ? o.bodies.front() : "Hello from SNS!";
  json message_attributes = json::object();
  std::set<std::string> seen;
  for (const message_attribute& a : o.attributes) {
    check_attribute_name(a.name, "sns");
    if (!seen.insert(a.name).second) fail("sns: message attribute '" + a.name + "' given twice");
    if (a.type != "String" && a.type != "String.Array" && a.type != "Number" && a.type != "Binary")
      fail("sns: message attribute '" + a.name + "' has bad data type '" + a.type +
           "': expected String, String.Array, Number or Binary");
    if (a.type == "Binary" && !base64_decode(a.value))
      fail("sns: message attribute '" + a.name + "' of type Binary needs a base64 value, got '" + a.value + "'");
    if (a.type == "Number" && !is_number_text(a.value))
      fail("sns: message attribute '" + a.name + "' of type Number has value '" + a.value + "', not a number");
    message_attributes[a.name] = json{{"Type", a.type}, {"Value", a.value}};
  }
  const std::string topic = "arn:aws:sns:" + o.region + ":" + o.account_id + ":example-topic";
  const std::string subscription = topic + ":" + c.uuid_v4();
  json sns = json::object();
  sns["Type"] = "Notification";
  sns["MessageId"] = c.uuid_v4();
  sns["TopicArn"] = topic;
  sns["Subject"] = o.subject.empty() ? json(nullptr) : json(o.subject);
  sns["Message"] = message;
  sns["Timestamp"] = iso_time_ms(c.now_ms() - 20 - static_cast<std::int64_t>(c.below(30)));
  sns["SignatureVersion"] = "1";
  sns["Signature"] = base64_encode(c.random_bytes(256));
  sns["SigningCertUrl"] = "https://sns." + o.region + ".amazonaws.com/SimpleNotificationService-" + c.hex(32) + ".pem";
  sns["UnsubscribeUrl"] =
      "https://sns." + o.region + ".amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + subscription;
  sns["MessageAttributes"] = std::move(message_attributes);
  json record = json::object();
  record["EventSource"] = "aws:sns";
  record["EventVersion"] = "1.0";
  record["EventSubscriptionArn"] = subscription;
  record["Sns"] = std::move(sns);
  return json{{"Records", json::array({std::move(record)})}};
}

json make_s3(context& c) {
  const generator_options& o = c.opt;
  const std::string& b = o.bucket;
  bool bucket_ok = b.size() >= 3 && b.size() <= 63 && is_alnum(b.front()) && is_alnum(b.back());
  for (const char ch : b) bucket_ok = bucket_ok && ((ch >= 'a' && ch <= 'z') || is_digit(ch) || ch == '.' || ch == '-');
  if (!bucket_ok)
    fail("s3: bad bucket name '" + b +
         "': 3 to 63 characters of a-z 0-9 . -, starting and ending with a letter or digit");
  if (o.key.empty() || o.key.size() > 1024) fail("s3: the object key must be 1 to 1024 bytes");
  if (o.body && o.size && *o.size != o.body->size())
    fail("s3: size " + std::to_string(*o.size) + " disagrees with the body's " + std::to_string(o.body->size()) +
         " bytes");
  const std::uint64_t size = o.body ? o.body->size() : o.size.value_or(1024);
  // A single-part upload's ETag is the MD5 of the content; without the content, any MD5-like value.
  const std::string etag = o.body ? md5_hex(*o.body) : c.hex(32);
  const std::string principal = "AWS:AIDA" + c.upper_alnum(17);

  json object = json::object();
  object["key"] = s3_key_encode(o.key);
  object["size"] = size;
  object["eTag"] = etag;
  object["sequencer"] = "00" + c.upper_hex(16);
  json bucket = json::object();
  bucket["name"] = b;
  bucket["ownerIdentity"] = json{{"principalId", 'A' + c.upper_alnum(13)}};
  bucket["arn"] = "arn:aws:s3:::" + b;
  json s3 = json::object();
  s3["s3SchemaVersion"] = "1.0";
  s3["configurationId"] = "lemu-object-created";
  s3["bucket"] = std::move(bucket);
  s3["object"] = std::move(object);

  json record = json::object();
  record["eventVersion"] = "2.1";
  record["eventSource"] = "aws:s3";
  record["awsRegion"] = o.region;
  record["eventTime"] = iso_time_ms(c.now_ms() - 100 - static_cast<std::int64_t>(c.below(400)));
  record["eventName"] = "ObjectCreated:Put";
  record["userIdentity"] = json{{"principalId", principal}};
  record["requestParameters"] = json{{"sourceIPAddress", c.source_ip()}};
  record["responseElements"] =
      json{{"x-amz-request-id", c.upper_hex(16)}, {"x-amz-id-2", base64_encode(c.random_bytes(57))}};
  record["s3"] = std::move(s3);
  return json{{"Records", json::array({std::move(record)})}};
}

json make_eventbridge(context& c) {
  const generator_options& o = c.opt;
  if (o.source.empty()) fail("eventbridge: source must not be empty");
  if (o.detail_type.empty()) fail("eventbridge: detail-type must not be empty");
  json detail = json::parse(o.detail, nullptr, false);
  if (detail.is_discarded() || !detail.is_object())
    fail("eventbridge: detail must be a JSON object, got '" + o.detail + "'");
  const bool scheduled = o.source == "aws.events" && o.detail_type == "Scheduled Event";
  // A schedule fires on the minute.
  const std::int64_t time = scheduled ? c.now_ms() / 60000 * 60000 : c.now_ms();
  json resources = json::array();
  if (scheduled) resources.push_back("arn:aws:events:" + o.region + ":" + o.account_id + ":rule/my-schedule");
  json e = json::object();
  e["version"] = "0";
  e["id"] = c.uuid_v4();
  e["detail-type"] = o.detail_type;
  e["source"] = o.source;
  e["account"] = o.account_id;
  e["time"] = iso_time_s(time);
  e["region"] = o.region;
  e["resources"] = std::move(resources);
  e["detail"] = std::move(detail);
  return e;
}

} // namespace detail

} // namespace lemu::events
