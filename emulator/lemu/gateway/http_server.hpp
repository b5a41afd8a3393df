#pragma once
// The HTTP/1.1 server of `lemu serve` (the Invoke API and the front door): a listener and one coroutine
// per connection on the io_context's thread, keep-alive, bodies read whole (Content-Length or chunked).
// Each request goes to a handler that answers once, now or later (an invocation takes as long as it
// takes); the connection waits for that answer before it reads the next request.
//
// An answer is either one response (responder(http_response)) or a streamed one (responder.stream(...)):
// the head goes out with Transfer-Encoding: chunked, each write() becomes one chunk, and finish() sends
// the last (0-length) chunk, after which the connection serves its next request as usual; abort() closes
// the connection without it, so the client sees an incomplete body. Backpressure: write()'s callback runs
// once the bytes are written to the socket, and at most one piece is pending per connection. A client
// that went away (a write failed, or the server stopped the connection) makes every write complete at
// once, its bytes dropped, and the writer says so (client_gone(), on_client_gone()). lemu does not read
// the socket while it streams, so a client that leaves is noticed at the next write.
//
//   auto srv = http_server::create(ex, [](received_request in, http_server::responder respond) {
//     respond(http_response{200, {{"Content-Type", "text/plain"}}, "hello"});
//   }, {.port = 3001});
//   srv->start();
//
// Bounds, for a server open to clients: the request header is read first (at most header_limit bytes,
// else 431); a body announced beyond body_limit is refused with 413 before any of it is stored (the
// client's bytes are read and dropped a little while, so that it reads the answer); a chunked body beyond
// body_limit is read and dropped up to 1 GiB, and the handler gets the first body_limit bytes with
// body_bytes saying how many came, so it can answer 413 itself. `Expect: 100-continue` is answered. A
// transfer coding other than chunked gets 501. Malformed requests get 400. Header, body and idle timeouts
// (net::connection_timeouts) close slow or silent connections, and at most max_connections are open at
// once. Error answers come from `error_page`, so each API answers in its own format.

#include <lemu/gateway/http_message.hpp>
#include <lemu/net/connection_timeouts.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace lemu::gateway {

// The answer to a request the server itself refuses (400, 413, 431, 501). `head` is the request as far as
// it was read: nullptr when its header could not be read.
using error_page = std::function<http_response(unsigned status, const http_request* head)>;

namespace detail {
struct exchange; // one request's answer, shared by the session, the responder and the writer
}

// A streamed answer in progress (http_server::responder::stream). Used on the io_context's thread only.
class response_writer {
public:
  explicit response_writer(std::shared_ptr<detail::exchange> x) : m_x(std::move(x)) {}
  // A stream that was neither finished nor aborted is aborted.
  ~response_writer();
  response_writer(const response_writer&) = delete;
  response_writer& operator=(const response_writer&) = delete;

  // Sends `bytes` as one chunk (nothing is sent for empty bytes); `done` runs once they are written to the
  // socket, or soon after the call (posted, never inside it) when the client is gone or the stream has
  // ended. At most one piece may wait: a write() while one does is a caller's bug, logged, its bytes dropped.
  void write(std::string bytes, std::function<void()> done);
  // The last chunk, after the pending piece; the connection then serves its next request (keep-alive).
  void finish();
  // Closes the connection without the last chunk (a pending piece is dropped, its callback runs).
  void abort();
  bool client_gone() const;
  // `f` runs once (posted) when the client is found gone; at once when it already is.
  void on_client_gone(std::function<void()> f);

private:
  std::shared_ptr<detail::exchange> m_x;
};

// {"message":"<reason phrase>"} with Content-Type: application/json (API Gateway's shape).
http_response plain_error_page(unsigned status, const http_request* head);

struct http_server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;                    // 0: an ephemeral port
  std::size_t body_limit = 6291456 + 1;      // bytes of a request body kept for the handler
  std::uint32_t header_limit = 64 * 1024;    // bytes of request header (API Gateway allows 10 KB)
  std::size_t max_connections = 256;         // open at once; 0: no cap
  net::timeout_limits timeouts;              // header, body and idle
  gateway::error_page error_page = plain_error_page;
  std::string name = "serve";                // in log lines
  std::string port_option;                   // the option that sets `port`: a port in use names it ("--port 0")
};

// A request as handed to the handler: the message, and how many body bytes the client sent (more than
// body.size() when the body went over the limit).
struct received_request {
  http_request request;
  std::size_t body_bytes = 0;
};

class http_server : public std::enable_shared_from_this<http_server> {
public:
  // The handler's way to answer: call it once with a response, or stream() once. Copyable; what comes
  // after the first answer is ignored.
  class responder {
  public:
    explicit responder(std::shared_ptr<detail::exchange> x) : m_x(std::move(x)) {}
    responder(std::nullptr_t = nullptr) {} // NOLINT: an empty responder, as a std::function can be
    explicit operator bool() const { return m_x != nullptr; }
    void operator()(http_response r) const; // an empty responder does nothing
    // Sends the head (status, headers; Content-Length and Transfer-Encoding among them are dropped, the
    // server frames the body as chunked) as soon as the connection can, and returns the writer for the body.
    std::shared_ptr<response_writer> stream(unsigned status, header_list headers) const;

  private:
    std::shared_ptr<detail::exchange> m_x;
  };
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
  // Connections closed because a timeout passed (for tests and the soak check).
  std::size_t timed_out() const { return m_timeouts->closed_by_timeout(); }

private:
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);
  // Writes a streamed answer; false when the connection must close (aborted, or the client is gone).
  boost::asio::awaitable<bool> stream_answer(boost::asio::ip::tcp::socket& socket, detail::exchange& x, bool keep,
                                             bool head_request);

  handler m_handler;
  boost::asio::ip::tcp::acceptor m_acceptor;
  http_server_options m_options;
  std::uint16_t m_port = 0;
  std::shared_ptr<net::connection_timeouts> m_timeouts;
  std::map<boost::asio::ip::tcp::socket*, bool> m_sockets; // open connections -> busy (answer pending)
  bool m_stopped = false;
};

// "HTTP/1.1 <status> <reason>\r\n<headers>Content-Length: <n>\r\n[Connection: close\r\n]\r\n" into `out`.
void format_response_head(std::string& out, const http_response& r, bool keep_alive);
// The same with "Transfer-Encoding: chunked" instead of Content-Length (the body is r.body's length: unused).
void format_chunked_head(std::string& out, const http_response& r, bool keep_alive);

} // namespace lemu::gateway
