#include <lemu/runtime_api/server.hpp>

#include <lemu/core/errors.hpp>
#include <lemu/runtime_api/capped_body.hpp>
#include <lemu/runtime_api/headers.hpp>
#include <lemu/runtime_api/routes.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <cerrno>
#include <system_error>

namespace lemu::runtime_api {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
// Bodies beyond the 413 limit are read and dropped up to this size, then the connection is closed.
constexpr std::uint64_t drain_limit = std::uint64_t{1} << 30;

http::response<http::string_body> to_response(const reply& r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::content_type, "application/json");
  res.body() = r.body;
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

http::response<http::span_body<const char>> to_response(const delivery& d, unsigned version, bool keep_alive) {
  const core::invocation& inv = *d.inv;
  http::response<http::span_body<const char>> res{http::status::ok, version};
  res.set(http::field::content_type, "application/json");
  res.set(headers::request_id, inv.request_id);
  res.set(headers::deadline_ms, std::to_string(d.deadline_ms));
  res.set(headers::invoked_function_arn, inv.function_arn);
  if (!inv.trace_id.empty()) res.set(headers::trace_id, inv.trace_id);
  if (!inv.client_context.empty()) res.set(headers::client_context, inv.client_context);
  if (!inv.cognito_identity.empty()) res.set(headers::cognito_identity, inv.cognito_identity);
  res.body() = boost::beast::span<const char>(inv.payload.data(), inv.payload.size());
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

// The request parser: Beast's, except that a header (or trailer) value longer than Beast 1.81 can store
// (65533 bytes: it keeps field lengths in 16 bits and throws beyond) is cropped instead of failing the
// read. Go sends Lambda-Runtime-Function-Xray-Error-Cause values up to 1 MiB; RIE crops the cause to 64 KiB.
class request_parser : public http::request_parser<capped_body> {
  static constexpr std::size_t max_value = 65533;

  void on_field_impl(http::field name, boost::beast::string_view name_string, boost::beast::string_view value,
                     boost::beast::error_code& ec) override {
    ec = {};
    if (name_string.size() > max_value) return; // no such header exists: drop it
    get().insert(name, name_string, value.substr(0, max_value));
  }
};

} // namespace

std::shared_ptr<server> server::create(net::any_io_executor ex, broker::listener l, const server_options& options) {
  return std::make_shared<server>(std::move(ex), std::move(l), options);
}

server::server(net::any_io_executor ex, broker::listener l, const server_options& options)
    : m_broker(std::move(l)), m_acceptor(ex), m_options(options) {
  boost::system::error_code ec;
  const auto address = net::ip::make_address(options.host, ec);
  if (ec) throw std::system_error(ec, "invalid listen address " + options.host);
  const tcp::endpoint endpoint{address, options.port};
  const auto where = options.host + ":" + std::to_string(options.port);
  m_acceptor.open(endpoint.protocol(), ec);
  if (!ec) m_acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) m_acceptor.bind(endpoint, ec);
  if (!ec) m_acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::system_error(ec, "cannot listen on " + where);
  m_port = m_acceptor.local_endpoint().port();
}

void server::start() {
  net::co_spawn(m_acceptor.get_executor(), [self = shared_from_this()] { return self->accept_loop(); },
                net::detached);
}

void server::stop() {
  if (m_stopped) return;
  m_stopped = true;
  m_broker.close();
  boost::system::error_code ignored;
  m_acceptor.close(ignored);
  for (auto* s : m_sockets) s->close(ignored);
}

net::awaitable<void> server::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await m_acceptor.async_accept(use_tuple);
    if (ec) {
      if (ec == net::error::operation_aborted || m_stopped) co_return;
      spdlog::debug("runtime api: accept failed: {}", ec.message());
      continue;
    }
    net::co_spawn(
        m_acceptor.get_executor(),
        [self = shared_from_this(), s = std::move(socket)]() mutable { return self->session(std::move(s)); },
        [](std::exception_ptr e) {
          if (!e) return;
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            spdlog::error("runtime api: connection failed: {}", ex.what());
          }
        });
  }
}

net::awaitable<void> server::session(tcp::socket socket) {
  if (m_stopped) co_return;
  m_sockets.insert(&socket);
  struct unregister {
    server& srv;
    tcp::socket& s;
    ~unregister() { srv.m_sockets.erase(&s); }
  } guard{*this, socket};

  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  boost::beast::flat_buffer buffer;
  buffer.reserve(64 * 1024); // Beast reads into what is free (512 bytes at first): a request in one recv

  for (;;) {
    request_parser parser;
    parser.header_limit(m_options.header_limit);
    parser.body_limit(drain_limit);
    parser.get().body().cap = core::max_response_bytes;

    auto [read_ec, read_n] = co_await http::async_read(socket, buffer, parser, use_tuple);
    if (read_ec) {
      if (read_ec == http::error::end_of_stream || read_ec == net::error::operation_aborted ||
          read_ec == net::error::connection_reset || read_ec == net::error::eof || m_stopped) {
        co_return;
      }
      // Malformed HTTP (or a body beyond the drain limit): answer 400/413 and close this connection only.
      const reply r = read_ec == http::error::body_limit ? replies::too_large() : replies::bad_request(read_ec.message());
      spdlog::debug("runtime api: bad request: {}", read_ec.message());
      auto res = to_response(r, 11, false);
      co_await http::async_write(socket, res, use_tuple);
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }

    auto& req = parser.get();
    const bool keep_alive = req.keep_alive();
    const route rt = match_route(req.method_string(), req.target());

    if (rt.kind == route_kind::next) {
      std::optional<reply> refused;
      delivery parked;
      net::steady_timer wake(socket.get_executor(), net::steady_timer::time_point::max());
      auto now = m_broker.next(
          [&parked, &wake](delivery d) {
            parked = d;
            wake.cancel();
          },
          refused);
      if (refused) {
        auto res = to_response(*refused, req.version(), keep_alive);
        auto [ec, n] = co_await http::async_write(socket, res, use_tuple);
        if (ec || !keep_alive) co_return;
        continue;
      }
      if (!now) {
        // Parked until the broker wakes us (a delivery, or closing). Meanwhile watch the connection: a
        // runtime that went away must not keep the parked /next, or the next event would be written to
        // a dead socket.
        bool watching = true;
        while (!parked.inv) {
          if (!watching) {
            co_await wake.async_wait(use_tuple);
            break;
          }
          auto result = co_await (wake.async_wait(use_tuple) || socket.async_wait(tcp::socket::wait_read, use_tuple));
          if (result.index() == 0 || parked.inv) break; // the broker woke us
          char probe;
          const auto peeked = ::recv(socket.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
          if (peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            m_broker.cancel_next(); // end of stream: the waiter refers to this frame, which is ending
            co_return;
          }
          watching = peeked < 0; // data sent while parked: stop watching, it is read after the delivery
        }
        if (!parked.inv) co_return; // the broker closed
        now = std::move(parked);
      }
      const delivery out = std::move(*now); // holds the payload until the write is done
      auto res = to_response(out, req.version(), keep_alive);
      auto [ec, n] = co_await http::async_write(socket, res, use_tuple);
      if (ec) {
        m_broker.delivery_failed(out.inv->request_id);
        co_return;
      }
    } else {
      reply r;
      auto& body = req.body();
      switch (rt.kind) {
      case route_kind::response:
        r = m_broker.response(rt.request_id, std::move(body.data), std::string(req[http::field::content_type]),
                              body.total);
        break;
      case route_kind::error:
        r = m_broker.error(rt.request_id, std::move(body.data), req[headers::function_error_type]);
        break;
      case route_kind::init_error:
        r = m_broker.init_error(std::move(body.data), req[headers::function_error_type]);
        break;
      case route_kind::method_not_allowed: r = replies::method_not_allowed(); break;
      default: r = replies::not_found(); break;
      }
      auto res = to_response(r, req.version(), keep_alive);
      auto [ec, n] = co_await http::async_write(socket, res, use_tuple);
      if (ec) co_return;
    }
    if (!keep_alive) {
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
  }
}

} // namespace lemu::runtime_api
