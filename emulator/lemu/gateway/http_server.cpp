#include <lemu/gateway/http_server.hpp>

// GCC 12 reports coroutine frames, allocated and freed by Asio's awaitable_frame_base operator new/delete
// pair, as "mismatched" (a false positive of -Wmismatched-new-delete on coroutines, fixed in later GCC).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <lemu/net/capped_body.hpp>
#include <lemu/net/listener.hpp>
#include <lemu/net/response_head.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <spdlog/spdlog.h>

#include <array>
#include <optional>
#include <system_error>

namespace lemu::gateway {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// A chunked body beyond the limit is read and dropped up to this size, then the connection closes.
constexpr std::uint64_t drain_limit = std::uint64_t{1} << 30;
// After refusing a body announced too large, what the client still sends is dropped up to this much (so
// that it reads the 413 instead of a reset connection), then the connection closes.
constexpr std::size_t linger_limit = std::size_t{16} << 20;

// The handler's answer, filled in whenever it comes; `wake` is cancelled then. Shared with the responder,
// which may outlive the session (a connection that closes while its invocation runs).
struct pending_answer {
  explicit pending_answer(const asio::any_io_executor& ex) : wake(ex, asio::steady_timer::time_point::max()) {}
  std::optional<http_response> answer;
  asio::steady_timer wake;
};

bool ends_quietly(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
         ec == asio::error::eof || ec == asio::error::bad_descriptor;
}

http_request head_of(const http::request_parser<net::capped_body>& parser, const std::string& source_ip) {
  const auto& msg = parser.get();
  http_request r;
  r.method = std::string(msg.method_string());
  r.target = std::string(msg.target());
  for (const auto& field : msg) r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  r.source_ip = source_ip;
  return r;
}

} // namespace

http_response plain_error_page(unsigned status, const http_request*) {
  return http_response{status, {{"Content-Type", "application/json"}},
                       "{\"message\":\"" + std::string(net::reason_phrase(status)) + "\"}"};
}

void format_response_head(std::string& out, const http_response& r, bool keep_alive) {
  net::begin_head(out, r.status);
  for (const auto& [name, value] : r.headers) net::add_header(out, name, value);
  net::end_head(out, r.body.size(), keep_alive);
}

namespace {

// The listener; a port in use names the option that picks another one.
asio::ip::tcp::acceptor listen_for(const asio::any_io_executor& ex, const http_server_options& o) {
  try {
    return net::listen_on(ex, o.host, o.port);
  } catch (const std::system_error& e) {
    if (o.port_option.empty() || e.code() != std::errc::address_in_use) throw;
    throw std::runtime_error(std::string(e.what()) + "; pass " + o.port_option + " 0 (any free port) or another port");
  }
}

} // namespace

std::shared_ptr<http_server> http_server::create(asio::any_io_executor ex, handler h, const http_server_options& o) {
  return std::make_shared<http_server>(std::move(ex), std::move(h), o);
}

http_server::http_server(asio::any_io_executor ex, handler h, const http_server_options& o)
    : m_handler(std::move(h)), m_acceptor(listen_for(ex, o)), m_options(o),
      m_timeouts(net::connection_timeouts::create(ex, o.timeouts)) {
  m_port = m_acceptor.local_endpoint().port();
}

void http_server::start() {
  asio::co_spawn(
      m_acceptor.get_executor(),
      [self = shared_from_this()] {
        return net::accept_connections(self->m_acceptor, self->m_stopped,
                                       net::accept_options{self->m_options.name, self->m_options.max_connections},
                                       [self](tcp::socket s) { return self->session(std::move(s)); });
      },
      asio::detached);
}

void http_server::stop() {
  if (m_stopped) return;
  m_stopped = true;
  m_timeouts->stop();
  boost::system::error_code ignored;
  m_acceptor.close(ignored);
  for (auto& [socket, busy] : m_sockets) {
    if (!busy) socket->close(ignored);
  }
}

asio::awaitable<void> http_server::session(tcp::socket socket) {
  if (m_stopped) co_return;
  boost::beast::flat_buffer buffer;
  m_sockets.emplace(&socket, false);
  const auto timing = m_timeouts->add(socket, buffer);
  struct unregister {
    http_server& srv;
    tcp::socket& s;
    net::connection_timeouts::handle t;
    ~unregister() {
      srv.m_sockets.erase(&s);
      srv.m_timeouts->remove(t);
    }
  } guard{*this, socket, timing};
  using phase = net::connection_timeouts::phase;

  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::string source_ip = "127.0.0.1";
  if (const auto peer = socket.remote_endpoint(ignored); !ignored) source_ip = peer.address().to_string();
  std::string head;

  // Answers with one of the server's own error pages and closes the connection.
  const auto refuse = [&](unsigned status, const http_request* request) -> asio::awaitable<void> {
    const http_response r = m_options.error_page(status, request);
    format_response_head(head, r, false);
    co_await asio::async_write(socket, std::array<asio::const_buffer, 2>{asio::buffer(head), asio::buffer(r.body)},
                               use_tuple);
    socket.shutdown(tcp::socket::shutdown_send, ignored);
  };

  for (;;) {
    m_timeouts->set_phase(timing, phase::waiting);
    http::request_parser<net::capped_body> parser;
    parser.header_limit(m_options.header_limit);
    parser.body_limit(drain_limit);
    parser.get().body().cap = m_options.body_limit;

    auto [header_ec, header_n] = co_await http::async_read_header(socket, buffer, parser, use_tuple);
    if (header_ec) {
      if (ends_quietly(header_ec) || m_stopped) co_return;
      spdlog::debug("{}: bad request: {}", m_options.name, header_ec.message());
      co_await refuse(header_ec == http::error::header_limit ? 431 : 400, nullptr);
      co_return;
    }
    const auto& msg = parser.get();
    if (const auto te = msg.find(http::field::transfer_encoding);
        te != msg.end() && !net::supported_transfer_encoding(te->value())) {
      spdlog::debug("{}: unsupported Transfer-Encoding: {}", m_options.name, std::string(te->value()));
      const http_request request = head_of(parser, source_ip);
      co_await refuse(501, &request);
      co_return;
    }
    if (const auto length = parser.content_length(); length && *length > m_options.body_limit) {
      // Refused before any of it is stored; what the client still sends is dropped for a while.
      const http_request request = head_of(parser, source_ip);
      co_await refuse(413, &request);
      m_timeouts->set_phase(timing, phase::body);
      std::array<char, 64 * 1024> scratch;
      std::size_t dropped = buffer.size();
      while (dropped < linger_limit && dropped < *length) {
        auto [ec, n] = co_await socket.async_read_some(asio::buffer(scratch), use_tuple);
        if (ec) break;
        dropped += n;
      }
      co_return;
    }
    if (const auto expect = msg.find(http::field::expect);
        expect != msg.end() && boost::beast::iequals(expect->value(), "100-continue") && !parser.is_done()) {
      static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [ec, n] = co_await asio::async_write(socket, asio::buffer(go_on.data(), go_on.size()), use_tuple);
      if (ec) co_return;
    }
    if (!parser.is_done()) {
      m_timeouts->set_phase(timing, phase::body);
      auto [body_ec, body_n] = co_await http::async_read(socket, buffer, parser, use_tuple);
      if (body_ec) {
        if (ends_quietly(body_ec) || m_stopped) co_return;
        spdlog::debug("{}: bad request body: {}", m_options.name, body_ec.message());
        const http_request request = head_of(parser, source_ip);
        co_await refuse(body_ec == http::error::body_limit ? 413 : 400, &request);
        co_return;
      }
    }
    m_timeouts->set_phase(timing, phase::busy);

    const bool keep_alive = parser.keep_alive();
    received_request in;
    in.request = head_of(parser, source_ip);
    in.body_bytes = parser.get().body().total;
    in.request.body = std::move(parser.get().body().data);
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
      spdlog::error("{}: request handler failed: {}", m_options.name, e.what());
      if (!pending->answer) pending->answer = m_options.error_page(500, nullptr);
    }
    if (!pending->answer) co_await pending->wake.async_wait(use_tuple);

    const http_response& r = *pending->answer;
    const bool keep = keep_alive && !m_stopped;
    format_response_head(head, r, keep);
    std::array<asio::const_buffer, 2> out{asio::buffer(head), asio::buffer(r.body)};
    if (head_request) out[1] = asio::const_buffer();
    auto [write_ec, written] = co_await asio::async_write(socket, out, use_tuple);
    m_sockets[&socket] = false;
    if (write_ec) co_return;
    if (!keep || m_stopped) { // stop() may have come while the answer was being written
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
  }
}

} // namespace lemu::gateway
