// Stream-record events: DynamoDB streams and Kinesis.
#include <lemu/events/generator_common.hpp>

#include <cstdio>

namespace lemu::events {

namespace {

using detail::fail;
using detail::json;

// A decimal counter of `width` digits, zero-padded (for long sequence numbers built as text).
std::string padded(std::uint64_t n, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llu", width, static_cast<unsigned long long>(n));
  return buf;
}

// DynamoDB JSON of a plain JSON value.
json marshal(const json& v) {
  switch (v.type()) {
  case json::value_t::string: return json{{"S", v.get<std::string>()}};
  case json::value_t::boolean: return json{{"BOOL", v.get<bool>()}};
  case json::value_t::null: return json{{"NULL", true}};
  case json::value_t::number_integer:
  case json::value_t::number_unsigned:
  case json::value_t::number_float: return json{{"N", v.dump()}};
  case json::value_t::array: {
    json list = json::array();
    for (const json& e : v) list.push_back(marshal(e));
    return json{{"L", std::move(list)}};
  }
  case json::value_t::object: {
    json map = json::object();
    for (const auto& [k, e] : v.items()) map[k] = marshal(e);
    return json{{"M", std::move(map)}};
  }
  default: fail("dynamodb: cannot store a binary JSON value");
  }
}

// Roughly DynamoDB's item size rules: names and strings by UTF-8 length, numbers by about half their digits,
// booleans and nulls one byte, lists and maps 3 bytes plus their elements.
std::uint64_t item_size(const json& plain) {
  switch (plain.type()) {
  case json::value_t::string: return plain.get<std::string>().size();
  case json::value_t::number_integer:
  case json::value_t::number_unsigned:
  case json::value_t::number_float: return (plain.dump().size() + 1) / 2 + 1;
  case json::value_t::array: {
    std::uint64_t n = 3;
    for (const json& e : plain) n += 1 + item_size(e);
    return n;
  }
  case json::value_t::object: {
    std::uint64_t n = 3;
    for (const auto& [k, e] : plain.items()) n += 1 + k.size() + item_size(e);
    return n;
  }
  default: return 1;
  }
}

} // namespace

namespace detail {

json make_dynamodb(context& c) {
  const generator_options& o = c.opt;
  std::vector<json> items;
  if (!o.bodies.empty()) {
    record_bodies(o, "dynamodb", 10000, "");
    for (const std::string& b : o.bodies) {
      json item = json::parse(b, nullptr, false);
      if (item.is_discarded() || !item.is_object() || item.empty())
        fail("dynamodb: each body must be a non-empty JSON object (the new item), got '" + b + "'");
      items.push_back(std::move(item));
    }
  } else if (o.body) {
    json item = json::parse(*o.body, nullptr, false);
    if (item.is_discarded() || !item.is_object() || item.empty())
      fail("dynamodb: the body must be a non-empty JSON object (the new item), got '" + *o.body + "'");
    const std::size_t n = record_bodies(o, "dynamodb", 10000, "").size();
    for (std::size_t i = 0; i < n; ++i) items.push_back(item);
  } else {
    const std::vector<std::string> messages = record_bodies(o, "dynamodb", 10000, "Hello from DynamoDB!");
    for (const std::string& m : messages) items.push_back(json{{"id", c.uuid_v4()}, {"message", m}});
  }
  const std::int64_t day_ms = 86400000;
  const std::int64_t stream_created = (c.now_ms() / day_ms - 1 - static_cast<std::int64_t>(c.below(30))) * day_ms +
                                      static_cast<std::int64_t>(c.below(static_cast<std::uint64_t>(day_ms)));
  const std::string stream_arn = "arn:aws:dynamodb:" + o.region + ":" + o.account_id + ":table/example-table/stream/" +
                                 stream_label(stream_created);
  const std::string sequence_prefix = c.digits(6);
  std::uint64_t sequence = 1000000000000000000ULL + c.below(1000000000000000000ULL);
  json records = json::array();
  for (const json& item : items) {
    const std::string key_name = item.contains("id") ? "id" : item.begin().key();
    const json& key_value = item.at(key_name);
    if (!key_value.is_string() && !key_value.is_number())
      fail("dynamodb: the key attribute '" + key_name + "' must be a string or a number");
    json keys = json::object();
    keys[key_name] = marshal(key_value);
    json image = json::object();
    for (const auto& [k, v] : item.items()) image[k] = marshal(v);

    json stream = json::object();
    stream["ApproximateCreationDateTime"] = c.now_ms() / 1000;
    stream["Keys"] = std::move(keys);
    stream["NewImage"] = std::move(image);
    stream["SequenceNumber"] = sequence_prefix + padded(sequence, 19);
    sequence += 1 + c.below(1000);
    stream["SizeBytes"] = item_size(item) + key_name.size() + item_size(key_value);
    stream["StreamViewType"] = "NEW_AND_OLD_IMAGES";

    json r = json::object();
    r["eventID"] = c.hex(32);
    r["eventName"] = "INSERT";
    r["eventVersion"] = "1.1";
    r["eventSource"] = "aws:dynamodb";
    r["awsRegion"] = o.region;
    r["dynamodb"] = std::move(stream);
    r["eventSourceARN"] = stream_arn;
    records.push_back(std::move(r));
  }
  return json{{"Records", std::move(records)}};
}

json make_kinesis(context& c) {
  const generator_options& o = c.opt;
  const std::vector<std::string> bodies = record_bodies(o, "kinesis", 10000, "Hello from Kinesis!");
  const std::string stream_arn = "arn:aws:kinesis:" + o.region + ":" + o.account_id + ":stream/example-stream";
  const std::string role = "arn:aws:iam::" + o.account_id + ":role/lambda-kinesis-role";
  const std::string sequence_prefix = "49" + c.digits(35);
  std::uint64_t sequence = 1000000000000000000ULL + c.below(1000000000000000000ULL);
  const std::size_t n = bodies.size();
  json records = json::array();
  for (std::size_t i = 0; i < n; ++i) {
    const std::string seq = sequence_prefix + padded(sequence, 19);
    sequence += 1 + c.below(1U << 20U);
    const std::int64_t arrival = c.now_ms() - 200 - 3 * static_cast<std::int64_t>(n - 1 - i);
    json k = json::object();
    k["kinesisSchemaVersion"] = "1.0";
    k["partitionKey"] = "partition-key-" + std::to_string(i + 1);
    k["sequenceNumber"] = seq;
    k["data"] = base64_encode(bodies[i]);
    k["approximateArrivalTimestamp"] = static_cast<double>(arrival) / 1000.0;
    json r = json::object();
    r["kinesis"] = std::move(k);
    r["eventSource"] = "aws:kinesis";
    r["eventVersion"] = "1.0";
    r["eventID"] = "shardId-000000000000:" + seq;
    r["eventName"] = "aws:kinesis:record";
    r["invokeIdentityArn"] = role;
    r["awsRegion"] = o.region;
    r["eventSourceARN"] = stream_arn;
    records.push_back(std::move(r));
  }
  return json{{"Records", std::move(records)}};
}

} // namespace detail

} // namespace lemu::events
