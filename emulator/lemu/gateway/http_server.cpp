#include <lemu/gateway/http_server.hpp>

// GCC 12 reports coroutine frames, allocated and freed by Asio's awaitable_frame_base operator new/delete
// pair, as "mismatched" (a false positive of -Wmismatched-new-delete on coroutines, fixed in later GCC).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <lemu/runtime_api/capped_body.hpp>

#include <lemu/runtime_api/listener.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>

#include <spdlog/spdlog.h>

#include <array>
#include <optional>
#include <system_error>

namespace lemu::gateway {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::uint64_t drain_limit = std::uint64_t{1} << 30;

http_response plain_error(unsigned status, std::string message) {
  return http_response{status, {{"Content-Type", "application/json"}}, "{\"message\":\"" + message + "\"}"};
}

// The handler's answer, filled in whenever it comes; `wake` is cancelled then.
struct pending_answer {
  explicit pending_answer(const net::any_io_executor& ex) : wake(ex, net::steady_timer::time_point::max()) {}
  std::optional<http_response> answer;
  net::steady_timer wake;
};

} // namespace

void format_response_head(std::string& out, const http_response& r, bool keep_alive) {
  out.clear();
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  const auto reason = http::obsolete_reason(static_cast<http::status>(r.status));
  out.append(reason.data(), reason.size());
  out += "\r\n";
  for (const auto& [name, value] : r.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "Content-Length: ";
  out += std::to_string(r.body.size());
  out += "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
}

std::shared_ptr<http_server> http_server::create(net::any_io_executor ex, handler h, const http_server_options& o) {
  return std::make_shared<http_server>(std::move(ex), std::move(h), o);
}

http_server::http_server(net::any_io_executor ex, handler h, const http_server_options& o)
    : m_handler(std::move(h)), m_acceptor(runtime_api::listen_on(ex, o.host, o.port)), m_options(o) {
  m_port = m_acceptor.local_endpoint().port();
}

void http_server::start() {
  net::co_spawn(m_acceptor.get_executor(), [self = shared_from_this()] {
        return runtime_api::accept_connections(self->m_acceptor, self->m_stopped, "serve",
                                               [self](tcp::socket s) { return self->session(std::move(s)); });
      }, net::detached);
}

void http_server::stop() {
  if (m_stopped) return;
  m_stopped = true;
  boost::system::error_code ignored;
  m_acceptor.close(ignored);
  for (auto& [socket, busy] : m_sockets) {
    if (!busy) socket->close(ignored);
  }
}

net::awaitable<void> http_server::session(tcp::socket socket) {
  if (m_stopped) co_return;
  m_sockets.emplace(&socket, false);
  struct unregister {
    http_server& srv;
    tcp::socket& s;
    ~unregister() { srv.m_sockets.erase(&s); }
  } guard{*this, socket};

  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::string source_ip = "127.0.0.1";
  if (const auto peer = socket.remote_endpoint(ignored); !ignored) source_ip = peer.address().to_string();
  boost::beast::flat_buffer buffer;
  std::string head;

  for (;;) {
    http::request_parser<runtime_api::capped_body> parser;
    parser.header_limit(m_options.header_limit);
    parser.body_limit(drain_limit);
    parser.get().body().cap = m_options.body_limit;

    auto [read_ec, read_n] = co_await http::async_read(socket, buffer, parser, use_tuple);
    if (read_ec) {
      if (read_ec == http::error::end_of_stream || read_ec == net::error::operation_aborted ||
          read_ec == net::error::connection_reset || read_ec == net::error::eof || m_stopped) {
        co_return;
      }
      const http_response r = read_ec == http::error::header_limit ? plain_error(431, "Request Header Fields Too Large")
                              : read_ec == http::error::body_limit ? plain_error(413, "Request Entity Too Large")
                                                                   : plain_error(400, "Bad Request");
      spdlog::debug("serve: bad request: {}", read_ec.message());
      format_response_head(head, r, false);
      co_await net::async_write(socket, std::array<net::const_buffer, 2>{net::buffer(head), net::buffer(r.body)}, use_tuple);
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }

    auto& msg = parser.get();
    const bool keep_alive = parser.keep_alive();
    received_request in;
    in.request.method = std::string(msg.method_string());
    in.request.target = std::string(msg.target());
    for (const auto& field : msg) in.request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    in.body_bytes = msg.body().total;
    in.request.body = std::move(msg.body().data);
    in.request.source_ip = source_ip;
    const bool head_request = in.request.method == "HEAD";

    // Busy from here until the answer is written: stop() leaves this connection to close itself then.
    m_sockets[&socket] = true;
    auto pending = std::make_shared<pending_answer>(socket.get_executor());
    try {
      m_handler(std::move(in), [pending](http_response r) {
        pending->answer = std::move(r);
        pending->wake.cancel();
      });
    } catch (const std::exception& e) {
      spdlog::error("serve: request handler failed: {}", e.what());
      if (!pending->answer) pending->answer = plain_error(500, "Internal Server Error");
    }
    if (!pending->answer) co_await pending->wake.async_wait(use_tuple);

    const http_response& r = *pending->answer;
    const bool keep = keep_alive && !m_stopped;
    format_response_head(head, r, keep);
    std::array<net::const_buffer, 2> out{net::buffer(head), net::buffer(r.body)};
    if (head_request) out[1] = net::const_buffer();
    auto [write_ec, written] = co_await net::async_write(socket, out, use_tuple);
    m_sockets[&socket] = false;
    if (write_ec) co_return;
    if (!keep || m_stopped) { // stop() may have come while the answer was being written
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
  }
}

} // namespace lemu::gateway
