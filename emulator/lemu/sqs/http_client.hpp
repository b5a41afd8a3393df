#pragma once
// A small HTTP/1.1 client for one endpoint (the SQS endpoint the user named): POST requests over kept-alive
// connections (a few idle ones are kept for the next requests; concurrent requests get a connection each),
// http:// or https:// (TLS through OpenSSL, the server's certificate checked against the system's trusted
// certificates and the host name). Each request has a deadline for the whole exchange (connect, TLS
// handshake, write, read) and the answer's body a bound. Completions are posted to the executor, never run
// inside the call; after the client is destroyed, none is called.

#include <lemu/sqs/store.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lemu::sqs {

struct http_endpoint {
  bool tls = false;
  std::string host;        // name or address, without brackets
  std::string port;        // "80" / "443" when the URL has none
  std::string host_header; // the Host header: host[:port] as the URL spells it
  std::string path = "/";  // the URL's path ("/" when none)
  std::string url() const { return (tls ? "https://" : "http://") + host_header + path; }
};

// "http://host[:port][/path]" or "https://…"; an error ("InvalidEndpoint") for any other scheme, a user
// name or password, a query or a fragment.
result<http_endpoint> parse_endpoint(std::string_view url);

struct http_reply {
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first header of that name (case-insensitive), "" when none.
  std::string header(std::string_view name) const;
};

struct http_client_options {
  std::size_t body_limit = 16 * 1024 * 1024; // a larger answer fails its request
  std::size_t header_limit = 64 * 1024;
  std::size_t max_idle = 4;                  // idle kept-alive connections kept
  // https: certificates to trust instead of the system's (a PEM file; tests use it).
  std::string ca_file;
};

class http_client {
public:
  http_client(boost::asio::any_io_executor ex, http_endpoint ep, http_client_options o = {});
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  const http_endpoint& endpoint() const;
  using request_id = std::uint64_t;
  // POSTs `body` to `target` with `headers` (Host, Content-Length are added). `timeout` bounds the whole
  // exchange. Transport failures are errors with code "RequestError" and a message saying what failed.
  request_id post(std::string target, std::vector<std::pair<std::string, std::string>> headers, std::string body,
                  std::chrono::milliseconds timeout, std::function<void(result<http_reply>)> done);
  // Ends a request in flight (it completes with an error, code "RequestCancelled"); nothing when it ended.
  void cancel(request_id id);
  // Ends every request and connection (each request completes with "RequestCancelled").
  void close();

private:
  struct state;
  std::shared_ptr<state> m_state;
};

} // namespace lemu::sqs
