// SQS partial batch responses, decided as PROTOCOL.md §5.2 says Lambda's event source mapping does.

#include <lemu/events/sqs_batch.hpp>

#include <gtest/gtest.h>

using lemu::events::evaluate_sqs_batch;
using lemu::events::sqs_message_ids;

namespace {
const std::vector<std::string> ids{"id1", "id2", "id3"};
const std::string sqs_event =
    R"({"Records":[{"messageId":"id1","eventSource":"aws:sqs","body":"a"},{"messageId":"id2","eventSource":"aws:sqs","body":"b"},{"messageId":"id3","eventSource":"aws:sqs","body":"c"}]})";
} // namespace

TEST(sqs_message_ids, only_for_sqs_events) {
  EXPECT_EQ(sqs_message_ids(sqs_event), ids);
  EXPECT_FALSE(sqs_message_ids(R"({"Records":[{"eventSource":"aws:sns"}]})"));
  EXPECT_FALSE(sqs_message_ids(R"({"httpMethod":"GET"})"));
  EXPECT_FALSE(sqs_message_ids(R"({"Records":[]})"));
  EXPECT_FALSE(sqs_message_ids(R"("aws:sqs")"));
}

TEST(sqs_batch, partial_failures_name_the_ids_in_batch_order) {
  const auto r = evaluate_sqs_batch(ids, true, R"({"batchItemFailures":[{"itemIdentifier":"id3"},{"itemIdentifier":"id1"}]})");
  EXPECT_EQ(r.messages, 3u);
  EXPECT_EQ(r.failed, (std::vector<std::string>{"id1", "id3"}));
  EXPECT_EQ(r.whole_batch_reason, "");
}

TEST(sqs_batch, complete_success) {
  for (const char* response : {R"({"batchItemFailures":[]})", R"({"batchItemFailures":null})", "", "null", "{}",
                               R"("ok")", R"({"other":1})"}) {
    const auto r = evaluate_sqs_batch(ids, true, response);
    EXPECT_TRUE(r.failed.empty()) << response;
  }
}

TEST(sqs_batch, whole_batch_fails) {
  for (const char* response : {"not json", R"({"batchItemFailures":[{"itemIdentifier":""}]})",
                               R"({"batchItemFailures":[{"itemIdentifier":null}]})",
                               R"({"batchItemFailures":[{"itemId":"id1"}]})",
                               R"({"batchItemFailures":[{"itemIdentifier":"nope"}]})",
                               R"({"batchItemFailures":"id1"})"}) {
    const auto r = evaluate_sqs_batch(ids, true, response);
    EXPECT_EQ(r.failed, ids) << response;
    EXPECT_FALSE(r.whole_batch_reason.empty()) << response;
  }
  EXPECT_EQ(evaluate_sqs_batch(ids, true, R"({"batchItemFailures":[{"itemIdentifier":"nope"}]})").whole_batch_reason,
            "itemIdentifier nope is not a message of the batch");
}

TEST(sqs_batch, a_failed_invocation_fails_the_whole_batch) {
  const auto r = evaluate_sqs_batch(ids, false, R"({"errorMessage":"x","errorType":"E"})");
  EXPECT_EQ(r.failed, ids);
  EXPECT_EQ(r.whole_batch_reason, "the invocation failed");
}
