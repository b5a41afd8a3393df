#pragma once
// `lemu serve --sqs-port`: a local SQS endpoint beside the Invoke API. It owns the journal (--sqs-state),
// the store (sqs/store.hpp) on the real clock, the service (both wire protocols, long polling) and an
// HTTP server on its own port. Queue URLs are http://HOST:PORT/000000000000/NAME with the host clients
// reach (127.0.0.1 for a wildcard --host) and the bound port (also for --sqs-port 0).
//
// The event source mapping (app/sqs_mapping.hpp) uses the same store, poller and clock: store(),
// poller(), clock().

#include <lemu/net/connection_timeouts.hpp>
#include <lemu/sqs/journal.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace lemu::gateway {
class http_server;
}
namespace lemu::sqs {
class clock;
class poller;
class service;
class store;
} // namespace lemu::sqs

namespace lemu::app {

// One --sqs-queue NAME[:k=v,...]: the queue's attributes (SQS's names: VisibilityTimeout=5,
// DelaySeconds=0, MaximumMessageSize=1048576, RedrivePolicy={"deadLetterTargetArn":…,"maxReceiveCount":3},
// FifoQueue=true, …), or the friendlier deadLetterQueue=NAME with maxReceiveCount=N (default 5) for a
// RedrivePolicy to the queue NAME of this endpoint. A value that starts with '{' runs to its matching '}'
// (so a RedrivePolicy's commas stay in it). A NAME ending in .fifo gets FifoQueue=true.
struct sqs_queue_spec {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::string dead_letter_queue; // deadLetterQueue=NAME
  std::string max_receive_count; // maxReceiveCount=N
};
// Throws core::usage_error naming --sqs-queue.
sqs_queue_spec parse_sqs_queue(const std::string& text);
// Creates the queues (or, kept by the journal from an earlier run, sets the attributes given), then their
// redrive policies; a deadLetterQueue no spec declares is created with the defaults. Throws
// core::usage_error with SQS's message.
void create_sqs_queues(sqs::store& store, const std::vector<sqs_queue_spec>& queues);

// $XDG_STATE_HOME/lemu/sqs, else ~/.local/state/lemu/sqs (relative to the working folder without HOME).
std::string default_sqs_state_dir();
// AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1.
std::string sqs_region_from_environment();

// The bytes of one request body the endpoint reads: a batch of 1 MiB (the largest MaximumMessageSize)
// form-encoded, where a byte may take three (%XX), with room for the rest of the request.
inline constexpr std::size_t sqs_body_limit = 3 * 1024 * 1024 + 256 * 1024;

struct sqs_endpoint_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;                    // 0: an ephemeral port
  std::vector<sqs_queue_spec> queues;        // created (or updated) at start
  std::string state_dir;                     // "": memory only (--sqs-state none)
  sqs::fsync_policy fsync = sqs::fsync_policy::interval;
  std::string region = "us-east-1";
  std::size_t max_connections = 256;
  net::timeout_limits timeouts;
};

class sqs_endpoint {
public:
  // Binds the port, opens and replays the journal, creates the queues. Throws core::usage_error for a
  // --sqs-state folder that cannot be used (in use by another lemu, I/O error) or a bad --sqs-queue, and
  // std::system_error when the port cannot be bound.
  sqs_endpoint(boost::asio::any_io_executor ex, const sqs_endpoint_options& o);
  ~sqs_endpoint();
  sqs_endpoint(const sqs_endpoint&) = delete;
  sqs_endpoint& operator=(const sqs_endpoint&) = delete;

  void start();
  // Ends the long polls (they answer with no message), stops the listener, syncs the journal.
  void stop();

  std::uint16_t port() const;
  std::string url() const; // http://127.0.0.1:PORT
  // The lines `lemu serve` prints at start: the endpoint and its queues.
  std::vector<std::string> describe() const;

  sqs::store& store();
  sqs::poller& poller();
  sqs::clock& clock();

private:
  sqs_endpoint_options m_options;
  std::unique_ptr<sqs::clock> m_clock;
  std::unique_ptr<sqs::journal> m_journal;
  std::unique_ptr<sqs::store> m_store;
  std::unique_ptr<sqs::service> m_service;
  std::shared_ptr<gateway::http_server> m_server;
  std::string m_url;
  bool m_stopped = false;
};

} // namespace lemu::app
