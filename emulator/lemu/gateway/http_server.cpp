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
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <spdlog/spdlog.h>

#include <array>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <system_error>

namespace lemu::gateway {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace detail {

// The handler's answer, filled in whenever it comes; `wake` is cancelled at every change. Shared with the
// responder and the writer, which may outlive the session (a connection that closes while its invocation
// runs). io_context thread only.
struct exchange {
  explicit exchange(const asio::any_io_executor& e) : ex(e), wake(e, asio::steady_timer::time_point::max()) {}
  asio::any_io_executor ex;
  std::optional<http_response> answer; // the response, or the head of a streamed one
  bool streaming = false;
  // The streamed body: at most one piece waits.
  std::optional<std::string> piece;
  std::function<void()> piece_done;
  bool writing = false; // the session is writing a piece (it is no longer in `piece`)
  bool finished = false, aborted = false;
  bool gone = false; // the client went away or the session ended: writes complete at once
  std::function<void()> on_gone;
  asio::steady_timer wake;

  void changed() { wake.cancel(); }
  // Runs `f` soon, on the io_context, never inside the caller; an exception from it is logged.
  void later(std::function<void()> f) {
    if (!f) return;
    asio::post(ex, [f = std::move(f)] {
      try {
        f();
      } catch (const std::exception& e) {
        spdlog::error("serve: streamed response callback failed: {}", e.what());
      }
    });
  }
  // The session can no longer write: the pending piece and every later one complete at once.
  void lose_client() {
    if (gone) return;
    gone = true;
    piece.reset();
    later(std::move(piece_done));
    piece_done = nullptr;
    later(std::move(on_gone));
    on_gone = nullptr;
  }
};

} // namespace detail

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// A chunked body beyond the limit is read and dropped up to this size, then the connection closes.
constexpr std::uint64_t drain_limit = std::uint64_t{1} << 30;
// After refusing a body announced too large, what the client still sends is dropped up to this much (so
// that it reads the 413 instead of a reset connection), then the connection closes.
constexpr std::size_t linger_limit = std::size_t{16} << 20;

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

void format_chunked_head(std::string& out, const http_response& r, bool keep_alive) {
  net::begin_head(out, r.status);
  for (const auto& [name, value] : r.headers) {
    if (boost::beast::iequals(name, "Content-Length") || boost::beast::iequals(name, "Transfer-Encoding")) continue;
    net::add_header(out, name, value);
  }
  net::add_header(out, "Transfer-Encoding", "chunked");
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
}

// ---- answers -------------------------------------------------------------------------------------------

void http_server::responder::operator()(http_response r) const {
  if (!m_x || m_x->answer) return;
  m_x->answer = std::move(r);
  m_x->changed();
}

std::shared_ptr<response_writer> http_server::responder::stream(unsigned status, header_list headers) const {
  if (!m_x || m_x->answer) { // answered already: a writer whose writes go nowhere
    if (!m_x) throw std::logic_error("stream() on an empty responder");
    auto orphan = std::make_shared<detail::exchange>(m_x->ex);
    orphan->gone = true;
    orphan->streaming = true;
    return std::make_shared<response_writer>(std::move(orphan));
  }
  m_x->answer = http_response{status, std::move(headers), {}};
  m_x->streaming = true;
  m_x->changed();
  return std::make_shared<response_writer>(m_x);
}

response_writer::~response_writer() {
  if (!m_x->finished && !m_x->aborted) abort();
}

void response_writer::write(std::string bytes, std::function<void()> done) {
  if (m_x->piece || m_x->writing) { // a caller that ignored backpressure: the bound holds, the bytes are lost
    spdlog::error("serve: a streamed answer's piece of {} bytes came while the previous one was still being written: "
                  "dropped", bytes.size());
    return m_x->later(std::move(done));
  }
  if (m_x->gone || m_x->finished || m_x->aborted || bytes.empty()) return m_x->later(std::move(done));
  m_x->piece = std::move(bytes);
  m_x->piece_done = std::move(done);
  m_x->changed();
}

void response_writer::finish() {
  if (m_x->finished || m_x->aborted) return;
  m_x->finished = true;
  m_x->changed();
}

void response_writer::abort() {
  if (m_x->finished || m_x->aborted) return;
  m_x->aborted = true;
  m_x->piece.reset();
  m_x->later(std::move(m_x->piece_done));
  m_x->piece_done = nullptr;
  m_x->changed();
}

bool response_writer::client_gone() const { return m_x->gone; }

void response_writer::on_client_gone(std::function<void()> f) {
  if (m_x->gone) return m_x->later(std::move(f));
  m_x->on_gone = std::move(f);
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
    auto x = std::make_shared<detail::exchange>(socket.get_executor());
    try {
      m_handler(std::move(in), responder(x));
    } catch (const std::exception& e) {
      spdlog::error("{}: request handler failed: {}", m_options.name, e.what());
      if (!x->answer) x->answer = m_options.error_page(500, nullptr);
    }
    while (!x->answer) co_await x->wake.async_wait(use_tuple);

    const bool keep = keep_alive && !m_stopped;
    if (x->streaming) {
      const bool ok = co_await stream_answer(socket, *x, keep, head_request);
      m_sockets[&socket] = false;
      if (!ok) co_return;
    } else {
      const http_response& r = *x->answer;
      format_response_head(head, r, keep);
      std::array<asio::const_buffer, 2> out{asio::buffer(head), asio::buffer(r.body)};
      if (head_request) out[1] = asio::const_buffer();
      auto [write_ec, written] = co_await asio::async_write(socket, out, use_tuple);
      m_sockets[&socket] = false;
      if (write_ec) co_return;
    }
    if (!keep || m_stopped) { // stop() may have come while the answer was being written
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
  }
}

asio::awaitable<bool> http_server::stream_answer(tcp::socket& socket, detail::exchange& x, bool keep, bool head_request) {
  // Unless it is finished, however this ends, the client is lost: later writes complete at once.
  struct lose {
    detail::exchange& x;
    bool finished = false;
    ~lose() {
      if (!finished) x.lose_client();
    }
  } guard{x};
  boost::system::error_code ignored;
  std::string head;
  format_chunked_head(head, *x.answer, keep);
  if (auto [ec, n] = co_await asio::async_write(socket, asio::buffer(head), use_tuple); ec) {
    spdlog::debug("{}: client gone before a streamed answer's head: {}", m_options.name, ec.message());
    co_return false;
  }
  char size_line[24];
  for (;;) {
    if (x.piece) {
      const std::string piece = std::move(*x.piece);
      x.piece.reset();
      auto done = std::move(x.piece_done);
      x.piece_done = nullptr;
      if (!head_request) {
        x.writing = true;
        const int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", piece.size());
        static constexpr std::string_view crlf = "\r\n";
        const std::array<asio::const_buffer, 3> out{asio::buffer(size_line, static_cast<std::size_t>(n)),
                                                    asio::buffer(piece), asio::buffer(crlf.data(), crlf.size())};
        auto [ec, written] = co_await asio::async_write(socket, out, use_tuple);
        x.writing = false;
        if (ec) {
          spdlog::debug("{}: client gone during a streamed answer: {}", m_options.name, ec.message());
          x.later(std::move(done));
          co_return false;
        }
      }
      x.later(std::move(done));
    } else if (x.aborted) {
      socket.shutdown(tcp::socket::shutdown_both, ignored);
      socket.close(ignored);
      co_return false;
    } else if (x.finished) {
      guard.finished = true;
      if (head_request) co_return true;
      static constexpr std::string_view last = "0\r\n\r\n";
      auto [ec, n] = co_await asio::async_write(socket, asio::buffer(last.data(), last.size()), use_tuple);
      guard.finished = !ec;
      co_return !ec;
    } else {
      co_await x.wake.async_wait(use_tuple);
    }
  }
}

} // namespace lemu::gateway
