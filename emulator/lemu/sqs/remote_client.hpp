#pragma once
// A queue of an SQS-compatible endpoint the user named (`lemu serve --sqs-endpoint URL`: ElasticMQ,
// LocalStack, or AWS itself with the user's credentials), behind queue_client.hpp: SQS's JSON protocol
// (POST / with Content-Type application/x-amz-json-1.0 and X-Amz-Target AmazonSQS.<Action>) signed with
// SigV4 (service "sqs"), over http_client.hpp (http:// or https://).
//
// It only ever connects to the endpoint URL (or, without one, to the queue URL's own scheme, host and
// port): the queue URL goes in the requests' bodies, nothing else is looked up or contacted.
//
// Actions: GetQueueAttributes (QueueArn, VisibilityTimeout, FifoQueue) when opened, ReceiveMessage (every
// attribute and message attribute), DeleteMessageBatch (in chunks of 10), ChangeMessageVisibility.
// The endpoint's errors ({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":…}, and the Query
// protocol's code from the x-amzn-query-error header when there is one) become sqs::errors with the
// Query code (as store.hpp's errors have); transport failures have the code "RequestError" and say what
// failed.

#include <lemu/sqs/queue_client.hpp>
#include <lemu/sqs/sigv4.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace lemu::sqs {

struct remote_options {
  std::string endpoint;  // "http://localhost:9324", "https://sqs.eu-west-1.amazonaws.com"; "" = the queue URL's
  std::string queue_url; // "http://localhost:9324/000000000000/orders"
  std::string region;    // "" = sigv4::find_region (environment, then the queue URL's host, then us-east-1)
  std::optional<sigv4::credentials> credentials; // nullopt = sigv4::find_credentials (environment, ~/.aws)
  std::size_t body_limit = 16 * 1024 * 1024;     // the most of an answer read (10 messages of 1 MiB fit)
  std::chrono::milliseconds timeout_margin{10000}; // a request's deadline: its WaitTimeSeconds + this
  std::string ca_file;                            // https: trust these certificates instead of the system's
  std::function<std::int64_t()> now_ms;           // the signing time; util::epoch_ms when not set
};

// The options made whole: the region and credentials found (errors: MissingCredentials, InvalidEndpoint,
// InvalidQueueUrl), without contacting anything.
result<remote_options> resolve_remote_options(remote_options o, const sigv4::env_lookup& env);

// A client whose info() is what the queue URL tells (name, URL, region, an ARN made of the URL's account
// and name, FIFO by the ".fifo" suffix, visibility timeout 30 s): nothing is contacted. Throws
// std::invalid_argument with the reason for options resolve_remote_options refuses.
std::unique_ptr<queue_client> remote_queue(boost::asio::any_io_executor ex, remote_options o);

// The same, then GetQueueAttributes for the queue's real ARN, visibility timeout and type: `done` gets the
// client once they are known, or the endpoint's error (a queue that does not exist, refused credentials,
// nothing listening, …). Posted.
void open_remote_queue(boost::asio::any_io_executor ex, remote_options o,
                       std::function<void(result<std::unique_ptr<queue_client>>)> done);

} // namespace lemu::sqs
