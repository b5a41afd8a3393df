#pragma once
// The HTTP/1.1 server of `lemu serve` (the Invoke API and the front door): a listener and one coroutine
// per connection on the io_context's thread, keep-alive, bodies read whole (Content-Length or chunked).
// Each request goes to a handler that answers once, now or later (an invocation takes as long as it
// takes); the connection waits for that answer before it reads the next request.
//
//   auto srv = http_server::create(ex, [](http_request req, http_server::responder respond) {
//     respond(http_response{200, {{"Content-Type", "text/plain"}}, "hello"});
//   }, {.port = 3001});
//   srv->start();
//
// Bodies beyond `body_limit` are read and dropped (up to 1 GiB, then the connection closes): the handler
// gets the first `body_limit` bytes and body_bytes says how many came, so it can answer 413 itself.
// Malformed requests get 400, headers over the limit 431; both close the connection.

#include <lemu/gateway/http_message.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace lemu::gateway {

struct http_server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;                    // 0: an ephemeral port
  std::size_t body_limit = 6291456 + 1;      // bytes of a request body kept for the handler
  std::uint32_t header_limit = 64 * 1024;    // bytes of request header (API Gateway allows 10 KB)
};

// A request as handed to the handler: the message, and how many body bytes the client sent (more than
// body.size() when the body went over the limit).
struct received_request {
  http_request request;
  std::size_t body_bytes = 0;
};

class http_server : public std::enable_shared_from_this<http_server> {
public:
  using responder = std::function<void(http_response)>; // call exactly once
  using handler = std::function<void(received_request, responder)>;

  // Binds and listens at once. Throws std::system_error (address in use, bad host) naming the address.
  static std::shared_ptr<http_server> create(boost::asio::any_io_executor ex, handler h, const http_server_options& o);
  http_server(boost::asio::any_io_executor ex, handler h, const http_server_options& o);

  std::uint16_t port() const { return m_port; }
  const std::string& host() const { return m_options.host; }
  void start();
  // Stops accepting and closes idle connections; a connection waiting for its answer closes once the
  // answer is written.
  void stop();

private:
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);

  handler m_handler;
  boost::asio::ip::tcp::acceptor m_acceptor;
  http_server_options m_options;
  std::uint16_t m_port = 0;
  std::map<boost::asio::ip::tcp::socket*, bool> m_sockets; // open connections -> busy (answer pending)
  bool m_stopped = false;
};

// "HTTP/1.1 <status> <reason>\r\n<headers>Content-Length: <n>\r\n[Connection: close\r\n]\r\n" into `out`.
void format_response_head(std::string& out, const http_response& r, bool keep_alive);

} // namespace lemu::gateway
