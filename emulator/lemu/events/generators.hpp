#pragma once
// Event generators (`lemu event KIND`): real-shaped Lambda events with fresh ids, correct checksums,
// consistent timestamps and ARNs for the region and account given. Each kind has the structure of the
// real fixtures in fixtures/events/ (PROTOCOL.md §5); the differences that are correct by design are listed
// in events/README.md and pinned by tests/unit/events/test_generators_shape.cpp.
//
//   auto event = lemu::events::make_event("sqs", {.bodies = {"a", "b"}});
//   std::cout << event.dump(2);
//
// Pure: no I/O. Random ids come from core::id_generator, seeded from the system (core::random_seed) or from
// `seed` (then every id and, unless `now_ms` is set, every time is reproducible).

#include <lemu/events/checksums.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lemu::events {

// An SQS (or SNS) message attribute. `type` is String, Number, Binary, or one of those with a custom
// suffix ("String.xyz", "Number.float", "Binary.png"); SNS accepts String, String.Array, Number, Binary.
// Binary values are given base64-encoded (as they appear in the event).
struct message_attribute {
  std::string name, type, value;
};

struct generator_options {
  std::string region = "us-east-1", account_id = "123456789012";

  // sqs (bodies/count also: kinesis records, dynamodb items as JSON objects; attributes also: sns)
  std::vector<std::string> bodies; // one record per body; empty: `count` records of `body`, or of a default body
  std::size_t count = 1;
  bool fifo = false;
  std::string group_id;  // FIFO MessageGroupId; default "default"
  std::string queue_arn; // default arn:aws:sqs:REGION:ACCOUNT:my-queue (my-queue.fifo when fifo)
  std::vector<message_attribute> attributes;

  // apigw-rest, apigw-http, function-url, alb, alb-multivalue
  std::string method = "GET", path = "/", query;            // query raw: "a=1&b=2&a=3" (a leading '?' is dropped)
  std::vector<std::pair<std::string, std::string>> headers; // repeated names allowed
  std::optional<std::string> body;                          // also: the SNS message, the S3 object's content
  bool base64 = false; // the body is binary: sent base64-encoded with isBase64Encoded true
  // The client's address (requestContext sourceIp / identity.sourceIp, the default X-Forwarded-For; also the
  // S3 event's sourceIPAddress); default: a random 203.0.113.x (TEST-NET-3). No spaces or control characters.
  std::optional<std::string> source_ip;
  std::string stage; // default "prod" for apigw-rest, "$default" for apigw-http (function URLs have none)

  // sns: subject / message (body); s3: bucket, key, size; eventbridge: source, detail_type, detail (JSON text)
  std::string subject, bucket = "example-bucket", key = "example.txt", source = "aws.events",
                       detail_type = "Scheduled Event", detail = "{}";
  std::optional<std::uint64_t> size; // s3 object size; default: the body's length when given, else 1024

  std::optional<std::uint64_t> seed;  // deterministic ids and times for tests when set
  std::optional<std::int64_t> now_ms; // the clock (epoch ms) when set; with only `seed` set, a fixed clock
};

struct kind_info {
  std::string name, description;
};

// Every kind make_event knows, in a stable order: sqs, apigw-rest, apigw-http, function-url, alb,
// alb-multivalue, sns, s3, eventbridge, dynamodb, kinesis.
const std::vector<kind_info>& event_kinds();

// A fresh event of the kind. Throws std::invalid_argument with a message ready to print for an unknown kind
// or a bad option (bad attribute type or name, bad base64, malformed ARN, path without '/', ...).
nlohmann::ordered_json make_event(std::string_view kind, const generator_options& o);

// md5OfMessageAttributes as SQS computes it: attributes sorted by name; for each, the 4-byte big-endian length
// and bytes of the name, of the data type, one transport byte (1 String/Number, 2 Binary), then the length and
// bytes of the value (Binary: the decoded bytes); the MD5 of it all, lowercase hex. "" for no attributes.
// Throws std::invalid_argument for a bad type or a Binary value that is not base64.
std::string sqs_message_attributes_md5(const std::vector<message_attribute>& attributes);

// One record of an SQS event as Lambda's event source mapping builds it (PROTOCOL.md §5.1), the one shape
// `lemu event sqs` and the mapping (lemu serve --sqs-trigger, lemu run --sqs-simulate) both give.
// `attributes` are the system attributes, in the order given (sqs_attribute_order() is Lambda's);
// `message_attributes` are {name, type, value} with Binary values base64-encoded; md5OfMessageAttributes is
// written when `md5_of_attributes` is not empty.
struct sqs_record_fields {
  std::string message_id, receipt_handle, body;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<message_attribute> message_attributes;
  std::string md5_of_attributes, md5_of_body;
  std::string queue_arn, region;
};
nlohmann::ordered_json sqs_record(const sqs_record_fields& f);
// The order of the system attributes in a record: ApproximateReceiveCount, SentTimestamp, SequenceNumber,
// MessageGroupId, SenderId, MessageDeduplicationId, ApproximateFirstReceiveTimestamp, AWSTraceHeader.
const std::vector<std::string>& sqs_attribute_order();

} // namespace lemu::events
