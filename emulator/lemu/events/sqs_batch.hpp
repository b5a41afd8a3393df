#pragma once
// SQS partial batch responses (PROTOCOL.md §5.2): which messages of an SQS event failed, from the
// function's outcome, as Lambda's event source mapping decides it:
//   - success with {"batchItemFailures":[{"itemIdentifier":"id"}, ...]}: those messages failed;
//   - an empty or null list, an empty or null response, or a response without the key: all succeeded;
//   - a response that is not JSON, an item whose itemIdentifier is empty, null, missing, or not a message
//     of the batch: the whole batch failed;
//   - a function error (or any failed invocation): the whole batch failed.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lemu::events {

// The message ids of an SQS event (Records[].messageId where eventSource is "aws:sqs"), or nullopt when
// the event is not an SQS event. Cheap for other events: they are not parsed unless they mention aws:sqs.
std::optional<std::vector<std::string>> sqs_message_ids(std::string_view event);

struct batch_result {
  std::size_t messages = 0;
  std::vector<std::string> failed; // message ids, in batch order
  std::string whole_batch_reason;  // why every message failed, "" when the response was per item
};

// `invocation_succeeded` is false for function errors, timeouts, crashes; `response` is the payload.
batch_result evaluate_sqs_batch(const std::vector<std::string>& message_ids, bool invocation_succeeded,
                                std::string_view response);

} // namespace lemu::events
