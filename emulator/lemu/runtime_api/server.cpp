#include <lemu/runtime_api/server.hpp>

// GCC 12 reports coroutine frames, allocated and freed by Asio's awaitable_frame_base operator new/delete
// pair, as "mismatched" (a false positive of -Wmismatched-new-delete on coroutines, fixed in later GCC).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <lemu/core/errors.hpp>
#include <lemu/runtime_api/capped_body.hpp>
#include <lemu/runtime_api/headers.hpp>
#include <lemu/runtime_api/routes.hpp>

#include <lemu/runtime_api/listener.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>

#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <array>
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

// The request parser: Beast's, except that it keeps only the two header (or trailer) fields the server
// reads. That saves an allocation per header on every request, and a value longer than Beast 1.81 can
// store (65533 bytes: it keeps field lengths in 16 bits and throws beyond) never reaches it: Go sends
// Lambda-Runtime-Function-Xray-Error-Cause values up to 1 MiB. Keep-alive and framing are tracked by the
// parser itself, not through the stored fields.
class request_parser : public http::request_parser<capped_body> {
  static constexpr std::size_t max_value = 65533;

  void on_field_impl(http::field name, boost::beast::string_view name_string, boost::beast::string_view value,
                     boost::beast::error_code& ec) override {
    ec = {};
    if (name == http::field::content_type || boost::beast::iequals(name_string, headers::function_error_type)) {
      get().insert(name, name_string, value.substr(0, max_value));
    }
  }
};

// "HTTP/1.1 <status> <reason>\r\n" + extra header lines + Content-Type, Content-Length and, when the
// connection ends, Connection: close; into `out`, whose capacity is reused from response to response.
void format_head(std::string& out, unsigned status, bool keep_alive, std::size_t content_length) {
  out.clear();
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  const auto reason = http::obsolete_reason(static_cast<http::status>(status));
  out.append(reason.data(), reason.size());
  out += "\r\nContent-Type: application/json\r\nContent-Length: ";
  out += std::to_string(content_length);
  if (!keep_alive) out += "\r\nConnection: close";
  out += "\r\n";
}

void add_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out += ": ";
  out.append(value);
  out += "\r\n";
}

// A head and a body, sent with one gathered write.
std::array<net::const_buffer, 2> message(const std::string& head, std::string_view body) {
  return {net::buffer(head), net::buffer(body.data(), body.size())};
}

// Formats the head of a reply (the body is r.body).
void prepare_reply(std::string& head, const reply& r, bool keep_alive) {
  format_head(head, r.status, keep_alive, r.body.size());
  head += "\r\n";
}

// Formats the head of the answer to GET /next, with the invocation's headers (PROTOCOL.md §1.2); the
// body is the payload itself, not a copy.
void prepare_delivery(std::string& head, const delivery& d, bool keep_alive) {
  const core::invocation& inv = *d.inv;
  format_head(head, 200, keep_alive, inv.payload.size());
  add_header(head, headers::request_id, inv.request_id);
  add_header(head, headers::deadline_ms, std::to_string(d.deadline_ms));
  add_header(head, headers::invoked_function_arn, inv.function_arn);
  if (!inv.trace_id.empty()) add_header(head, headers::trace_id, inv.trace_id);
  if (!inv.client_context.empty()) add_header(head, headers::client_context, inv.client_context);
  if (!inv.cognito_identity.empty()) add_header(head, headers::cognito_identity, inv.cognito_identity);
  head += "\r\n";
}

} // namespace

std::shared_ptr<server> server::create(net::any_io_executor ex, broker::listener l, const server_options& options) {
  return std::make_shared<server>(std::move(ex), std::move(l), options);
}

server::server(net::any_io_executor ex, broker::listener l, const server_options& options)
    : m_broker(std::move(l)), m_acceptor(runtime_api::listen_on(ex, options.host, options.port)), m_options(options) {
  m_port = m_acceptor.local_endpoint().port();
}

void server::start() {
  net::co_spawn(m_acceptor.get_executor(), [self = shared_from_this()] {
        return runtime_api::accept_connections(self->m_acceptor, self->m_stopped, "runtime api",
                                               [self](tcp::socket s) { return self->session(std::move(s)); });
      },
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
  buffer.reserve(64 * 1024);
  std::string head; // response heads, formatted in place
  head.reserve(1024); // Beast reads into what is free (512 bytes at first): a request in one recv

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
      prepare_reply(head, r, false);
      co_await net::async_write(socket, message(head, r.body), use_tuple);
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }

    auto& req = parser.get();
    const bool keep_alive = parser.keep_alive(); // from the parser: the message keeps no Connection field
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
        prepare_reply(head, *refused, keep_alive);
        auto [ec, n] = co_await net::async_write(socket, message(head, refused->body), use_tuple);
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
      prepare_delivery(head, out, keep_alive);
      auto [ec, n] = co_await net::async_write(socket, message(head, out.inv->payload), use_tuple);
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
      prepare_reply(head, r, keep_alive);
      auto [ec, n] = co_await net::async_write(socket, message(head, r.body), use_tuple);
      if (ec) co_return;
    }
    if (!keep_alive) {
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
  }
}

} // namespace lemu::runtime_api
