#include <lemu/runtime_api/server.hpp>

// GCC 12 reports coroutine frames, allocated and freed by Asio's awaitable_frame_base operator new/delete
// pair, as "mismatched" (a false positive of -Wmismatched-new-delete on coroutines, fixed in later GCC).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <lemu/core/errors.hpp>
#include <lemu/net/listener.hpp>
#include <lemu/net/response_head.hpp>
#include <lemu/runtime_api/headers.hpp>
#include <lemu/runtime_api/request_parser.hpp>
#include <lemu/runtime_api/routes.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>

#include <nlohmann/json.hpp>

#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cerrno>
#include <system_error>

namespace lemu::runtime_api {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Bodies beyond the 413 limit are read and dropped up to this size, so the runtime sees the answer; a body
// announced (or sent) beyond it is answered at once and the connection closed.
constexpr std::uint64_t drain_limit = std::uint64_t{1} << 30;

// A head and a body, sent with one gathered write.
std::array<asio::const_buffer, 2> message(const std::string& head, std::string_view body) {
  return {asio::buffer(head), asio::buffer(body.data(), body.size())};
}

// Formats the head of a reply (the body is r.body).
void prepare_reply(std::string& head, const reply& r, bool keep_alive) {
  net::begin_head(head, r.status);
  net::add_header(head, "Content-Type", "application/json");
  net::end_head(head, r.body.size(), keep_alive);
}

// The same for an Extensions API reply, with its identifier header when it has one.
void prepare_reply(std::string& head, const extensions::reply& r, bool keep_alive) {
  net::begin_head(head, r.status);
  if (r.header_name) net::add_header(head, r.header_name, r.header_value);
  net::add_header(head, "Content-Type", "application/json");
  net::end_head(head, r.body.size(), keep_alive);
}

std::optional<std::string_view> view(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return std::string_view(*s);
}

bool extension_call(route_kind k) {
  return k == route_kind::extension_register || k == route_kind::extension_init_error ||
         k == route_kind::extension_exit_error || k == route_kind::telemetry_subscribe || k == route_kind::logs_subscribe;
}

// Formats the head of the answer to GET /next, with the invocation's headers (PROTOCOL.md §1.2); the
// body is the payload itself, not a copy.
void prepare_delivery(std::string& head, const delivery& d, bool keep_alive) {
  const core::invocation& inv = *d.inv;
  net::begin_head(head, 200);
  net::add_header(head, "Content-Type", "application/json");
  net::add_header(head, headers::request_id, inv.request_id);
  char deadline[24];
  const auto [end, ec] = std::to_chars(deadline, deadline + sizeof deadline, d.deadline_ms);
  net::add_header(head, headers::deadline_ms, std::string_view(deadline, static_cast<std::size_t>(end - deadline)));
  net::add_header(head, headers::invoked_function_arn, inv.function_arn);
  if (!inv.trace_id.empty()) net::add_header(head, headers::trace_id, inv.trace_id);
  if (!inv.client_context.empty()) net::add_header(head, headers::client_context, inv.client_context);
  if (!inv.cognito_identity.empty()) net::add_header(head, headers::cognito_identity, inv.cognito_identity);
  if (!inv.tenant_id.empty()) net::add_header(head, headers::tenant_id, inv.tenant_id);
  net::end_head(head, inv.payload.size(), keep_alive);
}

bool ends_quietly(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
         ec == asio::error::eof || ec == asio::error::bad_descriptor;
}

// The error trailers a Rust runtime writes into the body ("Name: value\r\n" lines): the value of `name`.
std::string in_body_trailer(std::string_view text, std::string_view name) {
  while (!text.empty()) {
    const auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > name.size() + 1 && line.substr(0, name.size()) == name && line[name.size()] == ':') {
      line.remove_prefix(name.size() + 1);
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      return std::string(line);
    }
  }
  return {};
}

// A request whose body the broker takes (and limits).
bool posts_a_body(route_kind k) { return k == route_kind::response || k == route_kind::error || k == route_kind::init_error; }

} // namespace

std::shared_ptr<server> server::create(asio::any_io_executor ex, broker::callbacks l, const server_options& options) {
  return std::make_shared<server>(std::move(ex), std::move(l), options);
}

server::server(asio::any_io_executor ex, broker::callbacks l, const server_options& options)
    : m_broker(std::move(l), options.streaming.max_bytes, std::max<std::uint32_t>(1, options.max_concurrency)), m_registry(options.extensions.metadata, options.extensions.changed),
      m_subscribe(options.extensions.subscribe), m_acceptor(net::listen_on(ex, options.host, options.port)),
      m_options(options) {
  m_port = m_acceptor.local_endpoint().port();
}

void server::start() {
  asio::co_spawn(
      m_acceptor.get_executor(),
      [self = shared_from_this()] {
        return net::accept_connections(self->m_acceptor, self->m_stopped, net::accept_options{"runtime api", 0},
                                       [self](tcp::socket s) { return self->session(std::move(s)); });
      },
      asio::detached);
}

void server::stop() {
  if (m_stopped) return;
  m_stopped = true;
  m_broker.close();
  m_registry.close();
  boost::system::error_code ignored;
  m_acceptor.close(ignored);
  for (auto* s : m_sockets) s->close(ignored);
}

reply server::dispatch(const route& rt, request_parser& parser, std::uint64_t body_bytes) {
  switch (rt.kind) {
  case route_kind::response:
    return m_broker.response(rt.request_id, std::move(parser.body()), parser.content_type(), body_bytes);
  case route_kind::error: return m_broker.error(rt.request_id, std::move(parser.body()), parser.error_type(), body_bytes);
  case route_kind::init_error: return m_broker.init_error(std::move(parser.body()), parser.error_type(), body_bytes);
  case route_kind::method_not_allowed: return replies::method_not_allowed();
  default: return replies::not_found();
  }
}

asio::awaitable<bool> server::stream_response(tcp::socket& socket, boost::beast::flat_buffer& buffer,
                                              request_parser& parser, const route& rt, std::string& head, bool keep_alive) {
  const std::string id = rt.request_id;
  const auto answer = [&](const reply& r, bool keep) -> asio::awaitable<bool> {
    prepare_reply(head, r, keep);
    auto [ec, n] = co_await asio::async_write(socket, message(head, r.body), use_tuple);
    if (!ec && !keep) {
      boost::system::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_send, ignored);
    }
    co_return !ec && keep;
  };
  if (auto refused = m_broker.stream_begin(id, parser.content_type())) {
    // Not the invocation in flight: the body is read as any other (capped) and the refusal answered.
    if (!parser.is_done()) {
      auto [ec, n] = co_await http::async_read(socket, buffer, parser, use_tuple);
      if (ec) co_return false;
    }
    const reply r = *refused;
    co_return co_await answer(r, keep_alive);
  }
  parser.stream_body();
  parser.body_limit(boost::none); // the broker limits the stream
  // The gate opens when the response_stream took a piece; the timer also paces the bandwidth model.
  struct gate_state {
    explicit gate_state(const asio::any_io_executor& ex) : timer(ex, asio::steady_timer::time_point::max()) {}
    asio::steady_timer timer;
    bool open = true;
  };
  const auto gate = std::make_shared<gate_state>(socket.get_executor());
  // Waits for the gate (or a deadline); false when the connection closed meanwhile (the environment ended).
  const auto wait = [&](asio::steady_timer::time_point until) -> asio::awaitable<bool> {
    gate->timer.expires_at(until);
    auto result = co_await (gate->timer.async_wait(use_tuple) || socket.async_wait(tcp::socket::wait_error, use_tuple));
    co_return result.index() == 0 && socket.is_open() && !m_stopped;
  };
  const core::stream_limits& limits = m_options.streaming;
  std::uint64_t seen = 0;
  clock::time_point paced_from{};
  while (!parser.is_done()) {
    auto [ec, n] = co_await http::async_read_some(socket, buffer, parser, use_tuple);
    if (ec) {
      if (!m_stopped) m_broker.stream_cut(id); // the runtime closed or broke its connection mid-stream
      co_return false;
    }
    std::string& bytes = parser.body();
    if (bytes.empty()) continue;
    seen += bytes.size();
    gate->open = false;
    auto refused = m_broker.stream_data(id, bytes, [weak = std::weak_ptr<gate_state>(gate)] {
      if (auto g = weak.lock()) {
        g->open = true;
        g->timer.cancel();
      }
    });
    bytes.clear();
    if (refused) {
      const reply r = *refused;
      co_await answer(r, false);
      co_return false;
    }
    while (!gate->open) {
      if (!co_await wait(asio::steady_timer::time_point::max()) && !gate->open) co_return false;
    }
    // Lambda's bandwidth: the first burst_bytes as fast as they come, the rest at rate_bytes_per_second.
    if (limits.rate_bytes_per_second != 0 && seen > limits.burst_bytes) {
      const auto now = clock::now();
      if (paced_from == clock::time_point{}) paced_from = now;
      const auto due = paced_from + std::chrono::nanoseconds(static_cast<std::int64_t>(
                                        static_cast<double>(seen - limits.burst_bytes) * 1e9 /
                                        static_cast<double>(limits.rate_bytes_per_second)));
      if (due > now && !co_await wait(due) && !socket.is_open()) co_return false;
    }
  }
  std::string type = parser.error_type(), body = parser.error_body();
  if (type.empty() && body.empty() && !parser.in_body_trailers().empty()) { // the Rust client's form
    type = in_body_trailer(parser.in_body_trailers(), headers::function_error_type);
    body = in_body_trailer(parser.in_body_trailers(), headers::function_error_body);
  }
  const reply r = m_broker.stream_end(id, type, body);
  co_return co_await answer(r, keep_alive);
}

asio::awaitable<bool> server::park(tcp::socket& socket, asio::steady_timer& wake, const bool& woken) {
  // Parked until the owner wakes us (`woken`, and `wake` cancelled). Meanwhile watch the connection: a client
  // that went away must not keep its parked call, or the next event would be written to a dead socket.
  bool watching = true;
  while (!woken) {
    if (!watching) {
      co_await wake.async_wait(use_tuple);
      break;
    }
    auto result = co_await (wake.async_wait(use_tuple) || socket.async_wait(tcp::socket::wait_read, use_tuple));
    if (result.index() == 0 || woken) break; // woken
    char probe;
    const auto peeked = ::recv(socket.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    if (peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) co_return false; // end of stream
    watching = peeked < 0; // data sent while parked: stop watching, it is read after the answer
  }
  co_return true;
}

extensions::reply server::dispatch_extension(const route& rt, request_parser& parser) {
  switch (rt.kind) {
  case route_kind::extension_register:
    return m_registry.register_extension(parser.extension_name().value_or(""), parser.extension_accept_feature().value_or(""),
                                         parser.body());
  case route_kind::extension_init_error:
    return m_registry.init_error(view(parser.extension_identifier()), view(parser.extension_error_type()));
  case route_kind::extension_exit_error:
    return m_registry.exit_error(view(parser.extension_identifier()), view(parser.extension_error_type()));
  default: break;
  }
  // A subscription: from a registered extension (the Telemetry API requires its identifier, as RIE does).
  const bool logs = rt.kind == route_kind::logs_subscribe;
  std::string name;
  const auto id = view(parser.extension_identifier());
  if (!id || id->empty()) {
    nlohmann::ordered_json body;
    body["errorMessage"] = "Missing Lambda-Extension-Identifier header";
    body["errorType"] = "Extension.MissingExtensionIdentifier";
    return extensions::reply{403, body.dump() + "\n", nullptr, {}};
  }
  for (const auto& x : m_registry.list()) {
    if (x.id == *id) name = x.name;
  }
  if (name.empty()) {
    nlohmann::ordered_json body;
    body["errorMessage"] = "Unknown extension " + std::string(*id);
    body["errorType"] = "Extension.UnknownExtensionIdentifier";
    return extensions::reply{403, body.dump() + "\n", nullptr, {}};
  }
  if (!m_subscribe) return extensions::reply{202, "{\"errorType\":\"Telemetry.NotSupported\"}\n", nullptr, {}};
  const reply r = m_subscribe(subscription_request{logs, name, parser.body()});
  return extensions::reply{r.status, r.body, nullptr, {}};
}

asio::awaitable<void> server::session(tcp::socket socket) {
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
  std::string head;   // response heads, formatted in place
  head.reserve(1024); // Beast reads into what is free (512 bytes at first): a request in one recv

  const auto answer_and_close = [&](const reply& r) -> asio::awaitable<void> {
    prepare_reply(head, r, false);
    co_await asio::async_write(socket, message(head, r.body), use_tuple);
    socket.shutdown(tcp::socket::shutdown_send, ignored);
  };

  for (;;) {
    request_parser parser(core::max_response_bytes);
    parser.header_limit(m_options.header_limit);
    parser.body_limit(drain_limit);

    auto [header_ec, header_n] = co_await http::async_read_header(socket, buffer, parser, use_tuple);
    if (header_ec == http::error::body_limit) {
      // The header announces a body beyond what lemu drains: too large already, whatever comes next. The
      // broker ends the invocation with Function.ResponseSizeTooLarge, and the runtime gets its 413 now.
      const route rt = match_route(parser.method(), parser.target());
      const reply r = posts_a_body(rt.kind) ? dispatch(rt, parser, drain_limit + 1) : replies::too_large();
      co_await answer_and_close(r); // (a named reply: GCC 12 destroys temporaries of a co_await expression twice)
      co_return;
    }
    if (header_ec) {
      if (ends_quietly(header_ec) || m_stopped) co_return;
      // Malformed HTTP: answer 400 and close this connection only.
      spdlog::debug("runtime api: bad request: {}", header_ec.message());
      const reply r = replies::bad_request(header_ec.message());
      co_await answer_and_close(r);
      co_return;
    }
    if (parser.transfer_encoding() && !net::supported_transfer_encoding(*parser.transfer_encoding())) {
      spdlog::debug("runtime api: unsupported Transfer-Encoding: {}", *parser.transfer_encoding());
      const std::string answer = net::unsupported_transfer_encoding_response();
      co_await asio::async_write(socket, asio::buffer(answer), use_tuple);
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    const bool keep_alive = parser.keep_alive();
    const route rt = match_route(parser.method(), parser.target());
    if (rt.kind == route_kind::response && parser.streaming()) {
      if (!co_await stream_response(socket, buffer, parser, rt, head, keep_alive)) co_return;
      continue;
    }

    if (!parser.is_done()) {
      auto [body_ec, body_n] = co_await http::async_read(socket, buffer, parser, use_tuple);
      if (body_ec && body_ec != http::error::body_limit) {
        if (ends_quietly(body_ec) || m_stopped) co_return;
        spdlog::debug("runtime api: bad request body: {}", body_ec.message());
        const reply r = replies::bad_request(body_ec.message());
        co_await answer_and_close(r);
        co_return;
      }
      if (body_ec == http::error::body_limit) {
        // A chunked body past the drain limit: too large whatever comes next.
        const reply r = posts_a_body(rt.kind) ? dispatch(rt, parser, drain_limit + 1) : replies::too_large();
        co_await answer_and_close(r);
        co_return;
      }
    }
    if (extension_call(rt.kind)) {
      const extensions::reply r = dispatch_extension(rt, parser);
      prepare_reply(head, r, keep_alive);
      auto [ec, n] = co_await asio::async_write(socket, message(head, r.body), use_tuple);
      if (ec) co_return;
    } else if (rt.kind == route_kind::extension_next) {
      std::optional<extensions::reply> refused, event;
      bool released = false;
      asio::steady_timer wake(socket.get_executor(), asio::steady_timer::time_point::max());
      const std::string id = parser.extension_identifier().value_or("");
      auto now = m_registry.next(
          view(parser.extension_identifier()),
          [&event, &released, &wake](std::optional<extensions::reply> e) {
            event = std::move(e);
            released = true;
            wake.cancel();
          },
          refused);
      if (refused) {
        prepare_reply(head, *refused, keep_alive);
        auto [ec, n] = co_await asio::async_write(socket, message(head, refused->body), use_tuple);
        if (ec || !keep_alive) co_return;
        continue;
      }
      if (!now) {
        if (!co_await park(socket, wake, released)) {
          m_registry.cancel_next(id); // the waiter refers to this frame, which is ending
          co_return;
        }
        if (!event) co_return; // released without an event: the environment is going away
        now = std::move(event);
      }
      prepare_reply(head, *now, keep_alive);
      auto [ec, n] = co_await asio::async_write(socket, message(head, now->body), use_tuple);
      if (ec) co_return;
    } else if (rt.kind == route_kind::next) {
      std::optional<reply> refused;
      delivery parked;
      bool woken = false;
      asio::steady_timer wake(socket.get_executor(), asio::steady_timer::time_point::max());
      std::uint64_t ticket = 0;
      bool provisional = false;
      auto now = m_broker.next(
          [&parked, &woken, &wake](delivery d) {
            parked = d;
            woken = true;
            wake.cancel();
          },
          refused, &ticket, &provisional);
      // Held (the invocation in flight is answered on another connection, maybe not read yet): refused
      // once next_grace passes without that answer.
      asio::steady_timer grace(socket.get_executor());
      if (provisional) {
        grace.expires_after(next_grace);
        grace.async_wait([this, ticket, &refused, &woken, &wake](boost::system::error_code ec) {
          if (ec) return; // cancelled: this frame may be gone
          if (auto r = m_broker.refuse_if_provisional(ticket)) {
            refused = std::move(r);
            woken = true;
            wake.cancel();
          }
        });
      }
      if (!now && !refused) {
        if (!co_await park(socket, wake, woken)) {
          grace.cancel();
          m_broker.cancel_next(ticket); // end of stream: the waiter refers to this frame, which is ending
          co_return;
        }
        grace.cancel();
        if (!refused && !parked.inv) co_return; // the broker closed
        if (!refused) now = std::move(parked);
      }
      if (refused) {
        prepare_reply(head, *refused, keep_alive);
        auto [ec, n] = co_await asio::async_write(socket, message(head, refused->body), use_tuple);
        if (ec || !keep_alive) co_return;
        continue;
      }
      const delivery out = std::move(*now); // holds the payload until the write is done
      prepare_delivery(head, out, keep_alive);
      auto [ec, n] = co_await asio::async_write(socket, message(head, out.inv->payload), use_tuple);
      if (ec) {
        m_broker.delivery_failed(out.inv->request_id);
        co_return;
      }
    } else {
      const reply r = dispatch(rt, parser, parser.body_bytes());
      prepare_reply(head, r, keep_alive);
      auto [ec, n] = co_await asio::async_write(socket, message(head, r.body), use_tuple);
      if (ec) co_return;
    }
    if (!keep_alive) {
      socket.shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
  }
}

} // namespace lemu::runtime_api
