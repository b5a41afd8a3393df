#pragma once
// The SQS endpoint of `lemu serve --sqs-port`: both wire protocols over one store, with long polling.
//
//   - Query: POST / or /<account>/<queue> with Content-Type application/x-www-form-urlencoded
//     (Action=SendMessage&QueueUrl=…&MessageBody=…&Version=2012-11-05; also GET with the query string),
//     XML answers in the namespace http://queue.amazonaws.com/doc/2012-11-05/ (<SendMessageResponse>
//     <SendMessageResult>…</SendMessageResult><ResponseMetadata><RequestId>…</RequestId>
//     </ResponseMetadata></SendMessageResponse>), errors as <ErrorResponse><Error><Type>Sender</Type>
//     <Code>…</Code><Message>…</Message><Detail/></Error><RequestId>…</RequestId></ErrorResponse>.
//     Lists as the AWS CLI sends them: Attribute.1.Name/Attribute.1.Value, MessageAttribute.1.Name/
//     .Value.DataType/.Value.StringValue/.Value.BinaryValue, AttributeName.1, MessageAttributeName.1,
//     SendMessageBatchRequestEntry.1.Id/…, DeleteMessageBatchRequestEntry.1.Id/.ReceiptHandle, …
//   - JSON: POST / with Content-Type application/x-amz-json-1.0 and X-Amz-Target AmazonSQS.<Action>,
//     JSON bodies and answers; errors as {"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":…}
//     with header x-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender.
//
// Actions: CreateQueue, GetQueueUrl, ListQueues, DeleteQueue, GetQueueAttributes, SetQueueAttributes,
// SendMessage, SendMessageBatch, ReceiveMessage (WaitTimeSeconds 0-20: the answer waits until a message
// can be received or the time is up; the queue's ReceiveMessageWaitTimeSeconds when not given),
// DeleteMessage, DeleteMessageBatch, ChangeMessageVisibility, ChangeMessageVisibilityBatch, PurgeQueue,
// ListQueueTags/TagQueue/UntagQueue (kept, not used). Anything else: InvalidAction (400). Batches: 1-10
// entries with distinct ids ([A-Za-z0-9_-], ≤ 80), a SendMessageBatch of more than 262,144 bytes in all
// (or the queue's MaximumMessageSize when larger) is BatchRequestTooLong; per-entry failures go in
// Failed/BatchResultErrorEntry with SenderFault.

#include <lemu/gateway/http_message.hpp>
#include <lemu/sqs/store.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lemu::sqs {

// The JSON protocol's __type suffix for a Query error code ("AWS.SimpleQueueService.NonExistentQueue" ->
// "QueueDoesNotExist", "QueueAlreadyExists" -> "QueueNameExists", …; most codes are the same).
std::string json_error_type(const std::string& query_code);

// Long polling over a store: receive() answers at once when something can be received, else when a
// message is sent to the queue or becomes visible, or when `wait_ms` has passed (then with nothing).
// Used by the wire protocols and by the local event source mapping alike. Callbacks are posted.
class poller {
public:
  poller(boost::asio::any_io_executor ex, store& s, clock& c);
  ~poller();
  using received = std::function<void(result<std::vector<received_message>>)>;
  void receive(const std::string& queue, receive_request r, std::int64_t wait_ms, received done);
  // Ends every waiting receive now (with nothing): lemu is stopping. Later receives do not wait.
  void stop();
  // Ends the waiting receives of one queue now (with nothing); later ones wait again (a mapping stopping).
  void stop(const std::string& queue);
  std::size_t waiting() const;

private:
  struct state;
  std::shared_ptr<state> m_state;
};

class service {
public:
  service(boost::asio::any_io_executor ex, store& s, clock& c);
  ~service();
  // One HTTP request of either protocol; `answer` is called exactly once (later for a long poll).
  void handle(const gateway::http_request& request, std::function<void(gateway::http_response)> answer);
  void stop(); // ends long polls
  poller& receiver();

private:
  struct state;
  std::shared_ptr<state> m_state;
};

} // namespace lemu::sqs
