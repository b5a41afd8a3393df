#pragma once
// The local queues: SQS's data model and rules (PROTOCOL.md §11, §5.3), with no wire protocol and no I/O
// but the journal. Every call is synchronous and takes the time from the `clock`; long polling, the wire
// protocols and the event source mapping are built on it (service.hpp, app/sqs_mapping.hpp).
//
// Rules kept here, as SQS has them:
//   - queue names: 1-80 of [A-Za-z0-9_-], FIFO ones end in ".fifo" and need FifoQueue=true (and back);
//     CreateQueue of an existing name with the same attributes returns its URL, with different ones
//     QueueAlreadyExists (QueueNameExists in the JSON protocol's __type: see errors in service.hpp);
//   - attributes: VisibilityTimeout 0-43200 (30), MessageRetentionPeriod 60-1209600 (345600),
//     DelaySeconds 0-900 (0), ReceiveMessageWaitTimeSeconds 0-20 (0), MaximumMessageSize 1024-1048576
//     (262144), RedrivePolicy {"deadLetterTargetArn":ARN,"maxReceiveCount":1-1000} (the DLQ must exist and
//     be of the same type), FifoQueue, ContentBasedDeduplication, and for reading: QueueArn,
//     ApproximateNumberOfMessages, ApproximateNumberOfMessagesNotVisible, ApproximateNumberOfMessagesDelayed,
//     CreatedTimestamp, LastModifiedTimestamp (epoch seconds). Anything else: InvalidAttributeName;
//   - a message: body 1..MaximumMessageSize bytes (with its attributes' names, types and values counted),
//     only the XML characters #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF; at most 10 message
//     attributes, names [A-Za-z0-9_.-] up to 256, not starting with AWS./Amazon., no "..", types String,
//     Number, Binary with an optional ".custom" suffix;
//   - receive: at most 10 (MaxNumberOfMessages 1-10), each becomes invisible for the visibility timeout
//     (the queue's or the request's), ApproximateReceiveCount goes up by one, a fresh receipt handle each
//     time (only the newest one of a message works for delete/change visibility... SQS accepts the older
//     ones for delete too: lemu accepts any of the 64 newest receipt handles the message was given while it exists; a
//     well-formed handle of a message that is gone deletes nothing and succeeds, as in SQS);
//   - redrive: a message whose receive count already reached maxReceiveCount is moved to the DLQ instead
//     of being received again (keeping its id, body, attributes, SentTimestamp; its count starts over);
//   - FIFO: a group with a message in flight gives nothing more until it is deleted or visible again;
//     messages in a group come in send order; MessageGroupId required; MessageDeduplicationId or
//     ContentBasedDeduplication (SHA-256 of the body) required, and a duplicate within 5 minutes is
//     accepted but not enqueued (the answer repeats the first message's id and sequence number);
//     sequence numbers are 20-digit, increasing per queue; DelaySeconds per message is refused
//     (InvalidParameterValue), the queue's applies;
//   - retention: a message older than MessageRetentionPeriod is dropped (at the next call that looks at it);
//   - delay: a message is invisible for DelaySeconds (message's, else the queue's) after it is sent.

#include <lemu/sqs/clock.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace lemu::sqs {

class journal;

// An SQS error, protocol-neutral: the code as the Query protocol names it ("AWS.SimpleQueueService.
// NonExistentQueue", "InvalidParameterValue", "InvalidAttributeName", "QueueAlreadyExists",
// "ReceiptHandleIsInvalid", "MissingParameter", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", ...);
// service.hpp maps it to the JSON protocol's __type.
struct error {
  std::string code;
  std::string message;
  unsigned http_status = 400;
  bool sender_fault = true; // <Type>Sender</Type> (else Receiver)
};

template <class T>
struct result {
  std::variant<T, error> v;
  result(T t) : v(std::move(t)) {}       // NOLINT
  result(error e) : v(std::move(e)) {}   // NOLINT
  bool ok() const { return v.index() == 0; }
  T& value() { return std::get<0>(v); }
  const T& value() const { return std::get<0>(v); }
  const error& err() const { return std::get<1>(v); }
};
using status = std::optional<error>; // nullopt: done

// A message attribute as SQS holds it: Binary values as raw bytes (the protocols base64 them).
struct attribute_value {
  std::string data_type; // "String", "Number", "Binary", or one of them + ".custom"
  std::string string_value;
  std::string binary_value;
  bool is_binary() const { return data_type.rfind("Binary", 0) == 0; }
};
using attribute_map = std::map<std::string, attribute_value>;

// md5OfMessageAttributes over `attributes` (PROTOCOL.md §5.1's algorithm; "" for none).
std::string attributes_md5(const attribute_map& attributes);

struct send_entry {
  std::string body;
  attribute_map attributes;
  attribute_map system_attributes; // only AWSTraceHeader
  std::optional<int> delay_seconds;
  std::string group_id;            // FIFO
  std::string deduplication_id;    // FIFO
};

struct sent {
  std::string message_id;
  std::string md5_of_body;
  std::string md5_of_attributes;        // "" when none
  std::string md5_of_system_attributes; // "" when none
  std::string sequence_number;          // FIFO only
};

struct receive_request {
  int max_messages = 1;                 // 1-10
  std::optional<int> visibility_timeout; // else the queue's
};

// A message as a receive hands it out. `system` holds every system attribute SQS returns for
// AttributeNames=All: ApproximateReceiveCount, SentTimestamp, SenderId, ApproximateFirstReceiveTimestamp,
// and for FIFO SequenceNumber, MessageGroupId, MessageDeduplicationId; AWSTraceHeader when sent. The
// protocols filter them by the request's AttributeNames / MessageAttributeNames.
struct received_message {
  std::string message_id;
  std::string receipt_handle;
  std::string body;
  std::string md5_of_body;
  std::string md5_of_attributes; // of all its attributes ("" when none)
  attribute_map attributes;
  std::map<std::string, std::string> system;
  std::uint32_t receive_count = 0;
};

struct store_options {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  std::string url_base = "http://127.0.0.1:9324"; // queue URL = url_base + "/" + account + "/" + name
  std::string sender_id = "AIDAIENQZJOLO23YVJ4VO";
};

// What happened to a message, for the mapping's summary and --sqs-simulate's history (observer()).
struct message_event {
  enum kind_t { sent, received, deleted, moved_to_dead_letter, expired, purged } kind;
  std::string queue;
  std::string message_id;
  std::int64_t at_ms = 0;
  std::uint32_t receive_count = 0;
  std::string detail; // moved_to_dead_letter: the DLQ's name
};

class store {
public:
  // `j` may be nullptr (memory only); else the constructor replays the journal's records into the store
  // (and writes a snapshot when the journal asks for one: journal.hpp), and every change is journalled
  // before the call returns. The journal must outlive the store.
  store(clock& c, store_options o, journal* j = nullptr);
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  const store_options& options() const { return m_options; }
  std::string queue_url(const std::string& name) const;
  std::string queue_arn(const std::string& name) const;
  // The queue named by a URL (any host; the path's last segment, with the account before it when there is
  // one) or by a bare name, if it exists.
  std::optional<std::string> queue_from_url(const std::string& url_or_name) const;

  result<std::string> create_queue(const std::string& name, const std::map<std::string, std::string>& attributes);
  result<std::string> get_queue_url(const std::string& name) const;
  std::vector<std::string> list_queues(const std::string& prefix) const; // URLs, sorted by name
  status delete_queue(const std::string& name);
  // names may hold "All"; unknown names: InvalidAttributeName.
  result<std::map<std::string, std::string>> get_attributes(const std::string& name,
                                                             const std::vector<std::string>& names) const;
  status set_attributes(const std::string& name, const std::map<std::string, std::string>& attributes);

  result<sent> send(const std::string& name, const send_entry& e);
  // Non-blocking: what is visible now (possibly nothing). Long polling is service.hpp's.
  result<std::vector<received_message>> receive(const std::string& name, const receive_request& r);
  status delete_message(const std::string& name, const std::string& receipt_handle);
  status change_visibility(const std::string& name, const std::string& receipt_handle, int seconds);
  status purge(const std::string& name);

  // The earliest time (epoch ms) something in the queue becomes visible (a delay or a visibility timeout
  // ends) or expires, or -1 when nothing is waiting. Long polls and the virtual clock wait for it.
  std::int64_t next_change(const std::string& name) const;
  bool exists(const std::string& name) const;
  bool is_fifo(const std::string& name) const;
  int visibility_timeout(const std::string& name) const; // seconds; 0 for an unknown queue

  // Called when a message becomes receivable other than by the clock (for long pollers): a send without a
  // delay, a move to this dead-letter queue, a visibility changed to 0, a delete that frees a FIFO group.
  // The queue's name; called inside the store's call, so a caller that receives in it should post first.
  // (What the clock makes receivable — delays and visibility timeouts ending — is next_change()'s.)
  void on_send(std::function<void(const std::string& queue)> f);
  // Called for every message_event (summary and simulation history).
  void observer(std::function<void(const message_event&)> f);

  // The store's state (store.cpp); the journal's replay goes through the constructor.
  struct impl;
  impl& internals() { return *m_impl; }

private:
  clock& m_clock;
  store_options m_options;
  journal* m_journal;
  std::unique_ptr<impl> m_impl;
};

} // namespace lemu::sqs
