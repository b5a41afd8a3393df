#include <lemu/events/checksums.hpp>
#include <lemu/events/generators.hpp>
#include <lemu/sqs/clock.hpp>
#include <lemu/sqs/store.hpp>

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace lemu::sqs;

constexpr std::int64_t start_ms = 1'700'000'000'000;

struct fixture : ::testing::Test {
  boost::asio::io_context io;
  virtual_clock clk{io.get_executor(), start_ms};
  store s{clk, store_options{}};

  void run() {
    io.restart();
    io.poll();
  }
  // Moves the virtual clock to `ms` (never backwards).
  void at(std::int64_t ms) {
    clk.at(ms, [] {});
    while (clk.now_ms() < ms && clk.advance()) run();
    run();
  }
  void later(std::int64_t ms) { at(clk.now_ms() + ms); }

  std::string create(const std::string& name, std::map<std::string, std::string> attributes = {}) {
    auto r = s.create_queue(name, attributes);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().code + ": " + r.err().message);
    return r.ok() ? r.value() : "";
  }
  sent send(const std::string& q, const std::string& body, const std::string& group = "", const std::string& dedup = "") {
    send_entry e;
    e.body = body;
    e.group_id = group;
    e.deduplication_id = dedup;
    auto r = s.send(q, e);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().code + ": " + r.err().message);
    if (!r.ok()) return sent{};
    return std::move(r.value());
  }
  std::vector<received_message> receive(const std::string& q, int max = 10, std::optional<int> vis = std::nullopt) {
    receive_request r;
    r.max_messages = max;
    r.visibility_timeout = vis;
    auto got = s.receive(q, r);
    EXPECT_TRUE(got.ok()) << (got.ok() ? "" : got.err().code + ": " + got.err().message);
    if (!got.ok()) return {};
    return std::move(got.value());
  }
  std::string attribute(const std::string& q, const std::string& name) {
    auto r = s.get_attributes(q, {name});
    if (!r.ok()) return "error " + r.err().code;
    const auto it = r.value().find(name);
    return it == r.value().end() ? "(none)" : it->second;
  }
};

std::vector<std::string> bodies(const std::vector<received_message>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m.body);
  return out;
}

TEST_F(fixture, CreateQueueGivesUrlArnAndDefaults) {
  EXPECT_EQ(create("orders"), "http://127.0.0.1:9324/000000000000/orders");
  EXPECT_EQ(s.queue_arn("orders"), "arn:aws:sqs:us-east-1:000000000000:orders");
  auto all = s.get_attributes("orders", {"All"});
  ASSERT_TRUE(all.ok());
  const auto& a = all.value();
  EXPECT_EQ(a.at("VisibilityTimeout"), "30");
  EXPECT_EQ(a.at("MessageRetentionPeriod"), "345600");
  EXPECT_EQ(a.at("DelaySeconds"), "0");
  EXPECT_EQ(a.at("ReceiveMessageWaitTimeSeconds"), "0");
  EXPECT_EQ(a.at("MaximumMessageSize"), "262144");
  EXPECT_EQ(a.at("QueueArn"), "arn:aws:sqs:us-east-1:000000000000:orders");
  EXPECT_EQ(a.at("ApproximateNumberOfMessages"), "0");
  EXPECT_EQ(a.at("ApproximateNumberOfMessagesNotVisible"), "0");
  EXPECT_EQ(a.at("ApproximateNumberOfMessagesDelayed"), "0");
  EXPECT_EQ(a.at("CreatedTimestamp"), std::to_string(start_ms / 1000));
  EXPECT_EQ(a.at("LastModifiedTimestamp"), std::to_string(start_ms / 1000));
  EXPECT_EQ(a.count("FifoQueue"), 0U);
  EXPECT_EQ(a.count("RedrivePolicy"), 0U);

  // The same attributes again: the same URL; different ones: QueueAlreadyExists.
  EXPECT_EQ(create("orders"), "http://127.0.0.1:9324/000000000000/orders");
  EXPECT_EQ(create("orders", {{"VisibilityTimeout", "30"}}), "http://127.0.0.1:9324/000000000000/orders");
  auto again = s.create_queue("orders", {{"VisibilityTimeout", "60"}});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.err().code, "QueueAlreadyExists");
  EXPECT_NE(again.err().message.find("VisibilityTimeout"), std::string::npos);

  EXPECT_EQ(s.list_queues(""), std::vector<std::string>{"http://127.0.0.1:9324/000000000000/orders"});
  EXPECT_TRUE(s.list_queues("x").empty());
  EXPECT_EQ(s.queue_from_url("http://localhost:4566/000000000000/orders"), "orders");
  EXPECT_EQ(s.queue_from_url("orders"), "orders");
  EXPECT_EQ(s.queue_from_url("http://localhost:4566/111111111111/orders"), std::nullopt);
  EXPECT_EQ(s.queue_from_url("nothere"), std::nullopt);
}

TEST_F(fixture, QueueNamesAndAttributeRangesAreChecked) {
  for (const std::string& bad : std::vector<std::string>{"", "has space", std::string(81, 'a'), "dot.name", "x.fifo"}) {
    auto r = s.create_queue(bad, {});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.err().code == "InvalidParameterValue" || r.err().code == "MissingParameter") << bad;
  }
  auto standard_named_fifo = s.create_queue("plain", {{"FifoQueue", "true"}});
  ASSERT_FALSE(standard_named_fifo.ok());
  EXPECT_EQ(standard_named_fifo.err().code, "InvalidParameterValue");
  EXPECT_TRUE(s.create_queue(std::string(80, 'a'), {}).ok());

  const std::vector<std::pair<std::string, std::string>> invalid = {
      {"VisibilityTimeout", "43201"}, {"VisibilityTimeout", "-1"},     {"VisibilityTimeout", "ten"},
      {"MessageRetentionPeriod", "59"}, {"MessageRetentionPeriod", "1209601"}, {"DelaySeconds", "901"},
      {"ReceiveMessageWaitTimeSeconds", "21"}, {"MaximumMessageSize", "1023"}, {"MaximumMessageSize", "1048577"}};
  for (const auto& [name, value] : invalid) {
    auto r = s.create_queue("q", {{name, value}});
    ASSERT_FALSE(r.ok()) << name << "=" << value;
    EXPECT_EQ(r.err().code, "InvalidAttributeValue") << name << "=" << value;
  }
  auto unknown = s.create_queue("q", {{"Colour", "blue"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.err().code, "InvalidAttributeName");
  EXPECT_EQ(unknown.err().message, "Unknown Attribute Colour.");
  auto cbd = s.create_queue("q", {{"ContentBasedDeduplication", "true"}});
  ASSERT_FALSE(cbd.ok());
  EXPECT_EQ(cbd.err().code, "InvalidAttributeName");
  EXPECT_FALSE(s.exists("q"));

  create("q", {{"VisibilityTimeout", "43200"}, {"MessageRetentionPeriod", "60"}, {"MaximumMessageSize", "1048576"},
               {"DelaySeconds", "900"}, {"ReceiveMessageWaitTimeSeconds", "20"}});
  EXPECT_EQ(attribute("q", "VisibilityTimeout"), "43200");
  EXPECT_EQ(s.visibility_timeout("q"), 43200);
  EXPECT_EQ(attribute("q", "MaximumMessageSize"), "1048576");
  EXPECT_EQ(attribute("q", "NoSuchThing"), "error InvalidAttributeName");
  later(5000);
  ASSERT_FALSE(s.set_attributes("q", {{"VisibilityTimeout", "45"}}));
  EXPECT_EQ(attribute("q", "VisibilityTimeout"), "45");
  EXPECT_EQ(attribute("q", "LastModifiedTimestamp"), std::to_string(start_ms / 1000 + 5));
  EXPECT_EQ(attribute("q", "CreatedTimestamp"), std::to_string(start_ms / 1000));
  auto bad_set = s.set_attributes("q", {{"VisibilityTimeout", "99999"}});
  ASSERT_TRUE(bad_set);
  EXPECT_EQ(bad_set->code, "InvalidAttributeValue");
  EXPECT_EQ(attribute("q", "VisibilityTimeout"), "45");

  auto missing = s.get_attributes("nope", {"All"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.err().code, "AWS.SimpleQueueService.NonExistentQueue");
  EXPECT_EQ(missing.err().http_status, 400U);
  EXPECT_FALSE(s.send("nope", send_entry{"x", {}, {}, {}, "", ""}).ok());
  EXPECT_TRUE(s.delete_queue("q") == std::nullopt);
  EXPECT_FALSE(s.exists("q"));
  EXPECT_EQ(s.delete_queue("q")->code, "AWS.SimpleQueueService.NonExistentQueue");
}

TEST_F(fixture, SendReceiveDeleteWithVisibilityTimeout) {
  create("q", {{"VisibilityTimeout", "30"}});
  const sent a = send("q", "Test message.");
  EXPECT_EQ(a.md5_of_body, "e4e68fb7bd0e697a0ae8f1bb342846b3");
  EXPECT_EQ(a.md5_of_attributes, "");
  EXPECT_EQ(a.message_id.size(), 36U);
  EXPECT_EQ(a.message_id[14], '4'); // UUID v4
  EXPECT_TRUE(a.sequence_number.empty());

  later(7);
  auto first = receive("q");
  ASSERT_EQ(first.size(), 1U);
  EXPECT_EQ(first[0].message_id, a.message_id);
  EXPECT_EQ(first[0].body, "Test message.");
  EXPECT_EQ(first[0].receive_count, 1U);
  EXPECT_EQ(first[0].system.at("ApproximateReceiveCount"), "1");
  EXPECT_EQ(first[0].system.at("SentTimestamp"), std::to_string(start_ms));
  EXPECT_EQ(first[0].system.at("ApproximateFirstReceiveTimestamp"), std::to_string(start_ms + 7));
  EXPECT_EQ(first[0].system.at("SenderId"), "AIDAIENQZJOLO23YVJ4VO");
  EXPECT_EQ(first[0].receipt_handle.rfind("AQEB", 0), 0U);
  EXPECT_EQ(attribute("q", "ApproximateNumberOfMessagesNotVisible"), "1");
  EXPECT_EQ(attribute("q", "ApproximateNumberOfMessages"), "0");

  EXPECT_TRUE(receive("q").empty()); // in flight
  EXPECT_EQ(s.next_change("q"), start_ms + 7 + 30000);
  later(29999);
  EXPECT_TRUE(receive("q").empty());
  later(1);
  auto second = receive("q");
  ASSERT_EQ(second.size(), 1U);
  EXPECT_EQ(second[0].receive_count, 2U);
  EXPECT_EQ(second[0].system.at("ApproximateFirstReceiveTimestamp"), std::to_string(start_ms + 7));
  EXPECT_NE(second[0].receipt_handle, first[0].receipt_handle);

  // Any receipt handle the message was given deletes it; a well-formed unknown one is accepted, a malformed
  // one is not.
  EXPECT_EQ(s.delete_message("q", first[0].receipt_handle), std::nullopt);
  EXPECT_EQ(attribute("q", "ApproximateNumberOfMessagesNotVisible"), "0");
  EXPECT_EQ(s.delete_message("q", second[0].receipt_handle), std::nullopt);
  auto bad = s.delete_message("q", "not-a-receipt");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->code, "ReceiptHandleIsInvalid");
  later(60000);
  EXPECT_TRUE(receive("q").empty());
  EXPECT_EQ(s.next_change("q"), -1);
}

TEST_F(fixture, ReceiveTakesAtMostTenAndTheRequestsVisibilityTimeout) {
  create("q");
  for (int i = 0; i < 15; ++i) send("q", "m" + std::to_string(i));
  receive_request r;
  r.max_messages = 11;
  auto too_many = s.receive("q", r);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.err().code, "InvalidParameterValue");
  r.max_messages = 0;
  EXPECT_FALSE(s.receive("q", r).ok());
  EXPECT_EQ(receive("q", 10, 5).size(), 10U);
  EXPECT_EQ(attribute("q", "ApproximateNumberOfMessages"), "5");
  EXPECT_EQ(attribute("q", "ApproximateNumberOfMessagesNotVisible"), "10");
  EXPECT_EQ(receive("q", 10).size(), 5U);
  later(5000); // the first ten come back after the request's 5 s
  EXPECT_EQ(receive("q", 10).size(), 10U);
}

TEST_F(fixture, ChangeVisibility) {
  create("q");
  send("q", "a");
  auto got = receive("q");
  ASSERT_EQ(got.size(), 1U);
  const std::string rh = got[0].receipt_handle;
  EXPECT_EQ(s.change_visibility("q", rh, 43201)->code, "InvalidParameterValue");
  EXPECT_EQ(s.change_visibility("q", rh, 100), std::nullopt);
  later(30000);
  EXPECT_TRUE(receive("q").empty());
  EXPECT_EQ(s.change_visibility("q", rh, 0), std::nullopt);
  auto again = receive("q");
  ASSERT_EQ(again.size(), 1U);
  EXPECT_EQ(again[0].receive_count, 2U);
  // Visible again and not received: not in flight.
  ASSERT_EQ(s.change_visibility("q", again[0].receipt_handle, 0), std::nullopt);
  auto not_in_flight = s.change_visibility("q", again[0].receipt_handle, 10);
  ASSERT_TRUE(not_in_flight);
  EXPECT_EQ(not_in_flight->code, "AWS.SimpleQueueService.MessageNotInflight");
  EXPECT_EQ(s.change_visibility("q", "junk", 10)->code, "ReceiptHandleIsInvalid");
}

TEST_F(fixture, DeadLetterQueueAfterMaxReceiveCount) {
  create("dlq");
  auto bad = s.create_queue("src", {{"RedrivePolicy", R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:missing","maxReceiveCount":3})"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.err().code, "InvalidParameterValue");
  auto zero = s.create_queue("src", {{"RedrivePolicy", R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":0})"}});
  ASSERT_FALSE(zero.ok());
  create("src", {{"VisibilityTimeout", "10"},
                 {"RedrivePolicy", R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"3"})"}});
  EXPECT_EQ(attribute("src", "RedrivePolicy"),
            R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":3})");
  std::vector<message_event> events;
  s.observer([&](const message_event& e) { events.push_back(e); });

  send_entry e;
  e.body = "poison";
  e.attributes["Author"] = attribute_value{"String", "John Grisham", ""};
  auto sent_r = s.send("src", e);
  ASSERT_TRUE(sent_r.ok());
  const std::string id = sent_r.value().message_id;
  for (std::uint32_t count = 1; count <= 3; ++count) {
    auto got = receive("src");
    ASSERT_EQ(got.size(), 1U) << count;
    EXPECT_EQ(got[0].receive_count, count);
    later(10000);
  }
  EXPECT_TRUE(receive("src").empty()); // moved instead of a fourth receive
  EXPECT_EQ(attribute("src", "ApproximateNumberOfMessages"), "0");
  EXPECT_EQ(attribute("dlq", "ApproximateNumberOfMessages"), "1");
  auto dead = receive("dlq");
  ASSERT_EQ(dead.size(), 1U);
  EXPECT_EQ(dead[0].message_id, id);
  EXPECT_EQ(dead[0].body, "poison");
  EXPECT_EQ(dead[0].attributes.at("Author").string_value, "John Grisham");
  EXPECT_EQ(dead[0].receive_count, 1U);
  EXPECT_EQ(dead[0].system.at("SentTimestamp"), std::to_string(start_ms));
  EXPECT_EQ(dead[0].system.at("DeadLetterQueueSourceArn"), "arn:aws:sqs:us-east-1:000000000000:src");

  std::vector<message_event::kind_t> kinds;
  for (const auto& ev : events) kinds.push_back(ev.kind);
  EXPECT_EQ(kinds, (std::vector<message_event::kind_t>{message_event::sent, message_event::received, message_event::received,
                                                       message_event::received, message_event::moved_to_dead_letter,
                                                       message_event::received}));
  EXPECT_EQ(events[4].queue, "src");
  EXPECT_EQ(events[4].detail, "dlq");
  EXPECT_EQ(events[4].receive_count, 3U);
  EXPECT_EQ(events[4].message_id, id);

  // A FIFO queue's DLQ must be FIFO.
  auto mixed = s.create_queue("f.fifo", {{"FifoQueue", "true"},
                                         {"RedrivePolicy", R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":3})"}});
  ASSERT_FALSE(mixed.ok());
  // Removing the policy.
  EXPECT_EQ(s.set_attributes("src", {{"RedrivePolicy", ""}}), std::nullopt);
  EXPECT_EQ(attribute("src", "RedrivePolicy"), "(none)");
}

TEST_F(fixture, FifoOrderGroupsAndDeduplication) {
  create("f.fifo", {{"FifoQueue", "true"}});
  EXPECT_TRUE(s.is_fifo("f.fifo"));
  EXPECT_EQ(attribute("f.fifo", "ContentBasedDeduplication"), "false");
  send_entry no_group;
  no_group.body = "x";
  no_group.deduplication_id = "d";
  EXPECT_EQ(s.send("f.fifo", no_group).err().code, "MissingParameter");
  send_entry no_dedup;
  no_dedup.body = "x";
  no_dedup.group_id = "g";
  EXPECT_EQ(s.send("f.fifo", no_dedup).err().code, "InvalidParameterValue");
  send_entry delayed = no_dedup;
  delayed.deduplication_id = "d";
  delayed.delay_seconds = 5;
  EXPECT_EQ(s.send("f.fifo", delayed).err().code, "InvalidParameterValue");

  const sent a1 = send("f.fifo", "a1", "A", "1");
  const sent b1 = send("f.fifo", "b1", "B", "2");
  const sent a2 = send("f.fifo", "a2", "A", "3");
  const sent a3 = send("f.fifo", "a3", "A", "4");
  EXPECT_EQ(a1.sequence_number.size(), 20U);
  EXPECT_LT(a1.sequence_number, b1.sequence_number);
  EXPECT_LT(b1.sequence_number, a2.sequence_number);
  // A duplicate within 5 minutes: accepted, the first one's id and sequence number, not enqueued.
  const sent dup = send("f.fifo", "a1 again", "A", "1");
  EXPECT_EQ(dup.message_id, a1.message_id);
  EXPECT_EQ(dup.sequence_number, a1.sequence_number);
  EXPECT_EQ(attribute("f.fifo", "ApproximateNumberOfMessages"), "4");

  // One receive may take several of a group, in order; then the group is blocked while they are in flight.
  auto first = receive("f.fifo", 2);
  EXPECT_EQ(bodies(first), (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(first[0].system.at("MessageGroupId"), "A");
  EXPECT_EQ(first[0].system.at("MessageDeduplicationId"), "1");
  EXPECT_EQ(first[0].system.at("SequenceNumber"), a1.sequence_number);
  auto second = receive("f.fifo");
  EXPECT_EQ(bodies(second), std::vector<std::string>{"b1"});
  EXPECT_TRUE(receive("f.fifo").empty()); // A has a1, a2 in flight; B has b1
  EXPECT_EQ(s.delete_message("f.fifo", first[0].receipt_handle), std::nullopt);
  EXPECT_TRUE(receive("f.fifo").empty()); // a2 still in flight
  EXPECT_EQ(s.delete_message("f.fifo", first[1].receipt_handle), std::nullopt);
  EXPECT_EQ(bodies(receive("f.fifo")), std::vector<std::string>{"a3"});

  // After 5 minutes the same deduplication id enqueues again.
  later(5 * 60 * 1000);
  const sent late = send("f.fifo", "a1 later", "A", "1");
  EXPECT_NE(late.message_id, a1.message_id);
  EXPECT_GT(late.sequence_number, a3.sequence_number);
}

TEST_F(fixture, FifoGroupComesBackInOrderAfterVisibilityTimeout) {
  create("f.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}, {"VisibilityTimeout", "5"}});
  for (const std::string b : {"1", "2", "3"}) send("f.fifo", b, "G");
  EXPECT_EQ(send("f.fifo", "1", "G").message_id, receive("f.fifo", 1)[0].message_id); // content-based dedup
  EXPECT_TRUE(receive("f.fifo").empty());
  later(5000);
  auto again = receive("f.fifo", 10);
  EXPECT_EQ(bodies(again), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(again[0].receive_count, 2U);
  EXPECT_EQ(again[0].system.at("MessageDeduplicationId"), lemu::events::sha256_hex("1"));
}

TEST_F(fixture, DelaysRetentionAndPurge) {
  create("q", {{"DelaySeconds", "10"}, {"MessageRetentionPeriod", "60"}});
  send("q", "queue delay");
  send_entry e;
  e.body = "own delay";
  e.delay_seconds = 2;
  ASSERT_TRUE(s.send("q", e).ok());
  e.delay_seconds = 901;
  EXPECT_EQ(s.send("q", e).err().code, "InvalidParameterValue");
  EXPECT_EQ(attribute("q", "ApproximateNumberOfMessagesDelayed"), "2");
  EXPECT_TRUE(receive("q").empty());
  EXPECT_EQ(s.next_change("q"), start_ms + 2000);
  later(2000);
  EXPECT_EQ(bodies(receive("q")), std::vector<std::string>{"own delay"});
  later(8000);
  EXPECT_EQ(bodies(receive("q")), std::vector<std::string>{"queue delay"});

  // Retention: 60 s after sending, both are gone (even the ones in flight).
  std::vector<message_event> events;
  s.observer([&](const message_event& ev) { events.push_back(ev); });
  at(start_ms + 60000);
  EXPECT_EQ(attribute("q", "ApproximateNumberOfMessagesNotVisible"), "0");
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].kind, message_event::expired);

  ASSERT_FALSE(s.set_attributes("q", {{"DelaySeconds", "0"}}));
  for (int i = 0; i < 3; ++i) send("q", "p");
  receive("q", 1);
  EXPECT_EQ(s.purge("q"), std::nullopt);
  EXPECT_EQ(attribute("q", "ApproximateNumberOfMessages"), "0");
  EXPECT_EQ(attribute("q", "ApproximateNumberOfMessagesNotVisible"), "0");
  EXPECT_TRUE(receive("q").empty());
  EXPECT_EQ(events.back().kind, message_event::purged);
}

TEST_F(fixture, MessageSizesCountAttributes) {
  create("small");
  send_entry e;
  e.body = std::string(262144, 'x');
  EXPECT_TRUE(s.send("small", e).ok());
  e.body.push_back('x');
  auto too_long = s.send("small", e);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.err().code, "InvalidParameterValue");
  EXPECT_EQ(too_long.err().message, "One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.");

  create("big", {{"MaximumMessageSize", "1048576"}});
  // name "A" (1) + type "String" (6) + value (9) = 16 bytes of attributes.
  e.attributes["A"] = attribute_value{"String", "123456789", ""};
  e.body = std::string(1048576 - 16, 'y');
  EXPECT_TRUE(s.send("big", e).ok());
  e.body.push_back('y');
  EXPECT_FALSE(s.send("big", e).ok());
  auto got = receive("big", 1);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].body.size(), 1048576U - 16);

  send_entry empty;
  EXPECT_EQ(s.send("small", empty).err().code, "MissingParameter");
}

TEST_F(fixture, BodyAndAttributeCharactersAndAttributeRules) {
  create("q");
  send_entry e;
  e.body = std::string("nul\0here", 8);
  auto nul = s.send("q", e);
  ASSERT_FALSE(nul.ok());
  EXPECT_EQ(nul.err().code, "InvalidMessageContents");
  EXPECT_NE(nul.err().message.find("#x0"), std::string::npos);
  e.body = "\xEF\xBF\xBE"; // U+FFFE
  EXPECT_FALSE(s.send("q", e).ok());
  e.body = "\xC3\x28"; // not UTF-8
  EXPECT_FALSE(s.send("q", e).ok());
  e.body = "tab\t nl\n cr\r \xF0\x9F\x98\x80 \xEE\x80\x80";
  EXPECT_TRUE(s.send("q", e).ok());

  const auto attribute_error = [&](const std::string& name, attribute_value v) {
    send_entry a;
    a.body = "b";
    a.attributes[name] = std::move(v);
    auto r = s.send("q", a);
    return r.ok() ? std::string("ok") : r.err().code;
  };
  EXPECT_EQ(attribute_error("ok.name-1_x", {"String", "v", ""}), "ok");
  EXPECT_EQ(attribute_error("n", {"Number.float", "-1.5e3", ""}), "ok");
  EXPECT_EQ(attribute_error("n", {"Number", "abc", ""}), "InvalidParameterValue");
  EXPECT_EQ(attribute_error("b", {"Binary", "", std::string("\0\1\2", 3)}), "ok");
  EXPECT_EQ(attribute_error("b", {"Binary", "", ""}), "InvalidParameterValue");
  EXPECT_EQ(attribute_error("s", {"String", "", ""}), "InvalidParameterValue");
  EXPECT_EQ(attribute_error("t", {"Text", "v", ""}), "InvalidParameterValue");
  EXPECT_EQ(attribute_error("AWS.x", {"String", "v", ""}), "InvalidParameterValue");
  EXPECT_EQ(attribute_error("amazon.x", {"String", "v", ""}), "InvalidParameterValue");
  EXPECT_EQ(attribute_error("a..b", {"String", "v", ""}), "InvalidParameterValue");
  EXPECT_EQ(attribute_error("sp ace", {"String", "v", ""}), "InvalidParameterValue");
  EXPECT_EQ(attribute_error(std::string(257, 'a'), {"String", "v", ""}), "InvalidParameterValue");
  send_entry eleven;
  eleven.body = "b";
  for (int i = 0; i < 11; ++i) eleven.attributes["a" + std::to_string(i)] = {"String", "v", ""};
  EXPECT_EQ(s.send("q", eleven).err().code, "InvalidParameterValue");
  eleven.attributes.erase("a0");
  EXPECT_TRUE(s.send("q", eleven).ok());

  send_entry traced;
  traced.body = "b";
  traced.system_attributes["AWSTraceHeader"] = {"String", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1", ""};
  auto t = s.send("q", traced);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t.value().md5_of_system_attributes.size(), 32U);
  traced.system_attributes["Other"] = {"String", "x", ""};
  EXPECT_FALSE(s.send("q", traced).ok());
  ASSERT_EQ(s.purge("q"), std::nullopt);
  send_entry only_traced;
  only_traced.body = "traced";
  only_traced.system_attributes["AWSTraceHeader"] = {"String", "Root=1-2-3", ""};
  ASSERT_TRUE(s.send("q", only_traced).ok());
  auto got = receive("q");
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].system.at("AWSTraceHeader"), "Root=1-2-3");
}

TEST_F(fixture, AttributesMd5MatchesTheEventGenerators) {
  attribute_map author;
  author["Author"] = attribute_value{"String", "John Grisham", ""};
  const std::string md5 = attributes_md5(author);
  EXPECT_EQ(md5, lemu::events::sqs_message_attributes_md5({{"Author", "String", "John Grisham"}}));
  EXPECT_EQ(md5.substr(0, 8), "589fd905");
  EXPECT_EQ(md5, "589fd905f137a025c02575957adcd9b1");
  // The SQS docs' three attributes: the digest of PROTOCOL's example event.
  attribute_map three = author;
  three["Title"] = attribute_value{"String", "The Whistler", ""};
  three["WeeksOn"] = attribute_value{"Number", "6", ""};
  EXPECT_EQ(attributes_md5(three), "d25a6aea97eb8f585bfa92d314504a92");
  attribute_map binary;
  binary["B"] = attribute_value{"Binary", "", std::string("\x01\x02\xff", 3)};
  EXPECT_EQ(attributes_md5(binary), lemu::events::sqs_message_attributes_md5({{"B", "Binary", lemu::events::base64_encode(std::string("\x01\x02\xff", 3))}}));
  EXPECT_EQ(attributes_md5({}), "");

  create("q");
  send_entry e;
  e.body = "Test message.";
  e.attributes = author;
  auto r = s.send("q", e);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().md5_of_attributes, md5);
  auto got = receive("q");
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].md5_of_attributes, md5);
  EXPECT_EQ(got[0].md5_of_body, "e4e68fb7bd0e697a0ae8f1bb342846b3");
}

TEST_F(fixture, OnSendNotifiesForReceivableMessagesOnly) {
  create("q");
  std::vector<std::string> notified;
  s.on_send([&](const std::string& q) { notified.push_back(q); });
  send("q", "now");
  send_entry e;
  e.body = "later";
  e.delay_seconds = 5;
  ASSERT_TRUE(s.send("q", e).ok());
  EXPECT_EQ(notified, std::vector<std::string>{"q"});
}

// 10,000 messages per queue, four consumers taking turns receiving and deleting: every message is received
// once and deleted, nothing is left. (How fast: make bench's SQS rows, not a timed test.)
TEST_F(fixture, TenThousandMessagesReceiveAndDeleteWithFourConsumers) {
  create("q");
  create("f.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}});
  for (int i = 0; i < 10000; ++i) {
    send("q", "m" + std::to_string(i));
    send("f.fifo", "m" + std::to_string(i), "G" + std::to_string(i % 2));
  }
  std::set<std::string> seen;
  for (const std::string q : {"q", "f.fifo"}) {
    int consumer = 0;
    std::size_t received = 0;
    std::vector<std::vector<received_message>> held(4);
    while (received < 10000) {
      // Consumer n deletes what it held, then receives again; one FIFO group is always held by someone.
      for (const auto& m : held[consumer]) ASSERT_EQ(s.delete_message(q, m.receipt_handle), std::nullopt);
      held[consumer] = receive(q, 10);
      received += held[consumer].size();
      for (const auto& m : held[consumer]) seen.insert(q + m.body);
      consumer = (consumer + 1) % 4;
    }
    for (auto& h : held)
      for (const auto& m : h) ASSERT_EQ(s.delete_message(q, m.receipt_handle), std::nullopt);
    EXPECT_EQ(attribute(q, "ApproximateNumberOfMessages"), "0");
    EXPECT_EQ(attribute(q, "ApproximateNumberOfMessagesNotVisible"), "0");
  }
  EXPECT_EQ(seen.size(), 20000U);
}

} // namespace
