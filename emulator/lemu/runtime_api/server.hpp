#pragma once
// The Runtime API HTTP/1.1 server of one execution environment (PROTOCOL.md §1, §8): a listener on
// 127.0.0.1 and one coroutine per connection, answering through the broker it owns.
//
// Per request: a fresh parser; the header first (up to 4 MiB: Go sends X-Ray causes up to 1 MiB in one
// header line), then the body, Content-Length or chunked with trailers, kept up to 6291556 bytes and
// drained beyond, up to 1 GiB, so the runtime reads its 413 (a body announced beyond 1 GiB is answered at
// once, and the connection closed). A transfer coding other than `chunked` gets Go's 501. Keep-alive on
// any number of connections (aws-lambda-ric keeps a pool). A streamed /response (PROTOCOL.md §1.9) is read
// piece by piece instead (at most one read, 64 KiB, held at a time) and handed to the broker as it comes: the
// next read waits until the invocation's response_stream took the piece, and for Lambda's bandwidth model. TCP_NODELAY, and each response goes out as one
// gathered write. No timeouts: a parked GET /next waits as long as it takes (Lambda's clients set none),
// and the only client is the environment's own runtime. Everything runs on the io_context's one thread.

#include <lemu/core/response_stream.hpp>
#include <lemu/extensions/registry.hpp>
#include <lemu/runtime_api/broker.hpp>
#include <lemu/runtime_api/routes.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>

namespace lemu::runtime_api {

class request_parser;

// A PUT /2022-07-01/telemetry (logs_api false) or /2020-08-15/logs (true) from a registered extension.
struct subscription_request {
  bool logs_api = false;
  std::string extension_name;
  std::string body;
};

// The Extensions, Telemetry and Logs APIs (PROTOCOL.md §2) of the environment: what register answers with,
// who hears of a change of the extensions' states, and who answers subscriptions (without one: 202
// {"errorType":"Telemetry.NotSupported"}, RIE's answer).
struct extension_setup {
  extensions::function_metadata metadata;
  extensions::registry::changed_callback changed;
  std::function<reply(const subscription_request&)> subscribe;
};

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;                       // 0: an ephemeral port
  std::uint32_t header_limit = 4 * 1024 * 1024; // bytes of request header
  core::stream_limits streaming;                // a streamed /response's size and bandwidth (PROTOCOL.md §9.3)
  std::uint32_t max_concurrency = 1;            // invocations in flight at once (Lambda Managed Instances: N)
  extension_setup extensions;
};

class server : public std::enable_shared_from_this<server> {
public:
  // How long a GET /next that comes while every place is an invocation in flight is held for that
  // invocation's answer (sent on another connection, maybe not read yet) before it is refused with 403.
  static constexpr auto next_grace = std::chrono::milliseconds(200);

  // Binds and listens at once, so the port is ready before any runtime starts. Throws
  // std::system_error (e.g. address in use) with the address in the message.
  static std::shared_ptr<server> create(boost::asio::any_io_executor ex, broker::callbacks l,
                                        const server_options& options = {});

  std::uint16_t port() const { return m_port; }
  runtime_api::broker& broker() { return m_broker; }
  extensions::registry& extensions() { return m_registry; }

  // Starts accepting connections.
  void start();
  // Closes the broker (releasing a parked /next), the listener and every connection.
  void stop();

  server(boost::asio::any_io_executor ex, broker::callbacks l, const server_options& options);

private:
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);
  // Waits for a parked call's wake-up; false when the connection ended first.
  boost::asio::awaitable<bool> park(boost::asio::ip::tcp::socket& socket, boost::asio::steady_timer& wake, const bool& woken);
  // The broker's answer to a request that posts a body, of `body_bytes` in all.
  reply dispatch(const route& rt, request_parser& parser, std::uint64_t body_bytes);
  // Reads a streamed /response into the broker; false when the connection is to close.
  boost::asio::awaitable<bool> stream_response(boost::asio::ip::tcp::socket& socket, boost::beast::flat_buffer& buffer,
                                               request_parser& parser, const route& rt, std::string& head, bool keep_alive);
  // The Extensions API's calls other than /event/next, and the subscriptions.
  extensions::reply dispatch_extension(const route& rt, request_parser& parser);

  runtime_api::broker m_broker;
  extensions::registry m_registry;
  std::function<reply(const subscription_request&)> m_subscribe;
  boost::asio::ip::tcp::acceptor m_acceptor;
  server_options m_options;
  std::uint16_t m_port = 0;
  std::set<boost::asio::ip::tcp::socket*> m_sockets; // open connections, closed by stop()
  bool m_stopped = false;
};

} // namespace lemu::runtime_api
