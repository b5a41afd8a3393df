#pragma once
// What Lambda's event source mapping needs from a queue, whichever it is: a local queue of lemu's own
// store (local_queue), or a queue of an SQS-compatible endpoint the user named (remote_client.hpp, over
// HTTP with SigV4). The mapping (app/sqs_mapping.hpp) is written against this interface only.
// Every callback is posted to the executor, never run inside the call.

#include <lemu/sqs/store.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace lemu::sqs {

class poller;

struct queue_info {
  std::string name;
  std::string url;
  std::string arn;
  std::string region;
  bool fifo = false;
  int visibility_timeout_s = 30;
};

class queue_client {
public:
  virtual ~queue_client() = default;
  virtual const queue_info& info() const = 0;
  using received = std::function<void(result<std::vector<received_message>>)>;
  // ReceiveMessage with every attribute (AttributeNames=All, MessageAttributeNames=All): at most `max`
  // (1-10), waiting up to `wait_ms` (long polling, at most 20 s) when nothing is there.
  virtual void receive(int max, std::int64_t wait_ms, received done) = 0;
  // DeleteMessageBatch in chunks of 10; `done` gets the first error (entries that failed are logged).
  virtual void delete_messages(std::vector<std::string> receipt_handles, std::function<void(status)> done) = 0;
  // ChangeMessageVisibility of one message (the mapping does not use it for failures: they reappear after
  // the visibility timeout, as in Lambda).
  virtual void change_visibility(const std::string& receipt_handle, int seconds, std::function<void(status)> done) = 0;
  // Ends waiting receives (they complete with nothing).
  virtual void stop() = 0;
};

// A queue of the local store, long-polled through `p`. The queue must exist.
std::unique_ptr<queue_client> local_queue(boost::asio::any_io_executor ex, store& s, poller& p, const std::string& name);

} // namespace lemu::sqs
