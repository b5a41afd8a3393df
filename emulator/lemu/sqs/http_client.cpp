#include <lemu/sqs/http_client.hpp>

// GCC 12 reports coroutine frames, allocated and freed by Asio's awaitable_frame_base operator new/delete
// pair, as "mismatched" (a false positive of -Wmismatched-new-delete on coroutines, fixed in later GCC).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <lemu/util/text.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/url/parse.hpp>

#include <spdlog/spdlog.h>

#include <array>
#include <map>

namespace lemu::sqs {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto client_use_tuple = asio::as_tuple(asio::use_awaitable);

error request_error(std::string message) { return error{"RequestError", std::move(message), 0, false}; }
error cancelled_error() { return error{"RequestCancelled", "the request was cancelled", 0, false}; }

struct client_connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<ssl::stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return tls ? tls->next_layer() : *plain; }
  void close() {
    boost::system::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }
};

std::string seconds_text(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

bool stale_connection_error(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated;
}

} // namespace

result<http_endpoint> parse_endpoint(std::string_view url) {
  const auto invalid = [&](const std::string& why) {
    return error{"InvalidEndpoint", "the endpoint URL '" + std::string(url) + "' " + why, 0, true};
  };
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return invalid("is not a URL (expected http://HOST[:PORT] or https://HOST[:PORT])");
  const auto& u = *parsed;
  http_endpoint ep;
  const std::string scheme = util::to_lower(u.scheme());
  if (scheme == "https") {
    ep.tls = true;
  } else if (scheme != "http") {
    return invalid("has the scheme '" + scheme + "': only http:// and https:// are supported");
  }
  if (u.has_userinfo()) return invalid("holds a user name or password: credentials come from the environment or ~/.aws");
  if (u.has_query() || u.has_fragment()) return invalid("has a query or a fragment");
  std::string host(u.encoded_host());
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) return invalid("has no host");
  ep.host = util::to_lower(host);
  ep.port = u.has_port() && !u.port().empty() ? std::string(u.port()) : (ep.tls ? "443" : "80");
  ep.host_header = util::to_lower(u.encoded_host_and_port());
  ep.path = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
  return ep;
}

std::string http_reply::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (util::iequals(n, name)) return v;
  }
  return "";
}

struct http_client::state : std::enable_shared_from_this<http_client::state> {
  struct request_state {
    std::shared_ptr<client_connection> conn;
    bool cancelled = false;
  };

  asio::any_io_executor ex;
  http_endpoint ep;
  http_client_options o;
  std::unique_ptr<ssl::context> tls_context;
  std::string tls_setup_error; // why https cannot work ("" when it can)
  std::vector<std::shared_ptr<client_connection>> idle;
  std::map<request_id, std::shared_ptr<request_state>> in_flight;
  request_id next_id = 1;
  bool dropped = false; // the client is gone: no more completions

  state(asio::any_io_executor executor, http_endpoint p, http_client_options opts)
      : ex(std::move(executor)), ep(std::move(p)), o(std::move(opts)) {
    if (!ep.tls) return;
    try {
      tls_context = std::make_unique<ssl::context>(ssl::context::tls_client);
      tls_context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                               ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
      if (o.ca_file.empty()) {
        tls_context->set_default_verify_paths(); // Debian: /usr/lib/ssl/certs -> /etc/ssl/certs
      } else {
        tls_context->load_verify_file(o.ca_file);
      }
      tls_context->set_verify_mode(ssl::verify_peer);
    } catch (const std::exception& e) {
      tls_setup_error = std::string("cannot set up TLS: ") + e.what();
      tls_context.reset();
    }
  }

  void close_all() {
    for (auto& c : idle) c->close();
    idle.clear();
    for (auto& [id, r] : in_flight) {
      r->cancelled = true;
      if (r->conn) r->conn->close();
    }
  }

  std::shared_ptr<client_connection> take_idle() {
    while (!idle.empty()) {
      auto c = std::move(idle.back());
      idle.pop_back();
      if (c->lowest().socket().is_open()) return c;
    }
    return nullptr;
  }

  void give_back(std::shared_ptr<client_connection> c) {
    if (dropped || idle.size() >= o.max_idle) {
      c->close();
      return;
    }
    c->lowest().expires_never();
    idle.push_back(std::move(c));
  }

  // A new connection (and TLS session), within the deadline.
  asio::awaitable<result<std::shared_ptr<client_connection>>> open(request_state& r, steady::time_point deadline,
                                                            std::chrono::milliseconds timeout) {
    const std::string where = ep.host_header;
    if (ep.tls && !tls_context) co_return request_error(tls_setup_error);
    tcp::resolver resolver(ex);
    auto [rec, endpoints] = co_await resolver.async_resolve(ep.host, ep.port, client_use_tuple);
    if (r.cancelled) co_return cancelled_error();
    if (rec) co_return request_error("cannot resolve " + ep.host + ": " + rec.message());
    auto c = std::make_shared<client_connection>();
    if (ep.tls) {
      c->tls = std::make_unique<ssl::stream<beast::tcp_stream>>(beast::tcp_stream(ex), *tls_context);
    } else {
      c->plain = std::make_unique<beast::tcp_stream>(ex);
    }
    r.conn = c;
    c->lowest().expires_at(deadline);
    auto [cec, connected] = co_await c->lowest().async_connect(endpoints, client_use_tuple);
    if (r.cancelled) co_return cancelled_error();
    if (cec == beast::error::timeout) co_return request_error("cannot connect to " + where + " within " + seconds_text(timeout));
    if (cec) co_return request_error("cannot connect to " + where + ": " + cec.message());
    boost::system::error_code ignored;
    c->lowest().socket().set_option(tcp::no_delay(true), ignored);
    if (c->tls) {
      boost::system::error_code ip_ec;
      (void)asio::ip::make_address(ep.host, ip_ec);
      if (ip_ec && !SSL_set_tlsext_host_name(c->tls->native_handle(), ep.host.c_str())) {
        co_return request_error("cannot set the TLS server name " + ep.host);
      }
      c->tls->set_verify_callback(ssl::host_name_verification(ep.host));
      auto [hec] = co_await c->tls->async_handshake(ssl::stream_base::client, client_use_tuple);
      if (r.cancelled) co_return cancelled_error();
      if (hec == beast::error::timeout) co_return request_error("no TLS handshake with " + where + " within " + seconds_text(timeout));
      if (hec) co_return request_error("TLS handshake with " + where + " failed: " + hec.message());
    }
    co_return c;
  }

  template <class Stream>
  static asio::awaitable<std::pair<boost::system::error_code, bool>> exchange(Stream& s, beast::flat_buffer& buffer,
                                                                              const std::string& head,
                                                                              const std::string& body,
                                                                              http::response_parser<http::string_body>& parser) {
    const std::array<asio::const_buffer, 2> request{asio::buffer(head), asio::buffer(body)};
    auto [wec, written] = co_await asio::async_write(s, request, client_use_tuple);
    if (wec) co_return std::pair{wec, false};
    auto [rec, read] = co_await http::async_read(s, buffer, parser, client_use_tuple);
    co_return std::pair{rec, parser.got_some() || read > 0};
  }

  asio::awaitable<result<http_reply>> attempt_all(std::shared_ptr<request_state> r, const std::string& target,
                                                  const std::vector<std::pair<std::string, std::string>>& headers,
                                                  const std::string& body, std::chrono::milliseconds timeout) {
    const auto deadline = steady::now() + timeout;
    std::string head = "POST " + target + " HTTP/1.1\r\nHost: " + ep.host_header + "\r\n";
    for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
    head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    const std::string what = "POST " + ep.url();
    for (int attempt = 0;; ++attempt) {
      if (r->cancelled) co_return cancelled_error();
      std::shared_ptr<client_connection> c = take_idle();
      const bool reused = c != nullptr;
      if (!c) {
        auto opened = co_await open(*r, deadline, timeout);
        if (!opened.ok()) {
          if (r->conn) r->conn->close();
          r->conn.reset();
          co_return opened.err();
        }
        c = std::move(opened.value());
      }
      r->conn = c;
      c->lowest().expires_at(deadline);
      c->buffer.clear();
      http::response_parser<http::string_body> parser;
      parser.body_limit(o.body_limit);
      parser.header_limit(static_cast<std::uint32_t>(o.header_limit));
      auto [ec, got_some] = c->tls ? co_await exchange(*c->tls, c->buffer, head, body, parser)
                                   : co_await exchange(*c->plain, c->buffer, head, body, parser);
      r->conn.reset();
      if (r->cancelled) {
        c->close();
        co_return cancelled_error();
      }
      if (ec) {
        c->close();
        // A kept-alive connection the server closed meanwhile: nothing was answered, try once on a new one.
        // The other idle ones are likely closed too (a restarted server): they go, the retry connects anew.
        if (reused && !got_some && attempt == 0 && stale_connection_error(ec) && steady::now() < deadline) {
          for (auto& other : idle) other->close();
          idle.clear();
          continue;
        }
        if (ec == beast::error::timeout) co_return request_error(what + ": no answer within " + seconds_text(timeout));
        if (ec == http::error::body_limit) {
          co_return request_error(what + ": the answer is larger than " + std::to_string(o.body_limit) + " bytes");
        }
        if (ec == http::error::header_limit) {
          co_return request_error(what + ": the answer's header is larger than " + std::to_string(o.header_limit) + " bytes");
        }
        co_return request_error(what + " failed: " + ec.message());
      }
      auto& msg = parser.get();
      http_reply reply;
      reply.status = msg.result_int();
      for (const auto& field : msg) reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      const bool keep = msg.keep_alive();
      reply.body = std::move(msg.body());
      if (keep) {
        give_back(std::move(c));
      } else {
        c->close();
      }
      co_return reply;
    }
  }
  static asio::awaitable<void> run(std::shared_ptr<state> s, request_id id, std::shared_ptr<request_state> r,
                                   std::string target, std::vector<std::pair<std::string, std::string>> headers,
                                   std::string body, std::chrono::milliseconds timeout,
                                   std::function<void(result<http_reply>)> done) {
    co_await asio::post(s->ex, asio::use_awaitable); // never complete inside post()
    result<http_reply> out = cancelled_error();
    try {
      out = co_await s->attempt_all(r, target, headers, body, timeout);
    } catch (const std::exception& e) {
      out = request_error("POST " + s->ep.url() + " failed: " + e.what());
    }
    s->in_flight.erase(id);
    if (s->dropped) co_return;
    try {
      done(std::move(out));
    } catch (const std::exception& e) {
      spdlog::error("sqs: a request's completion failed: {}", e.what());
    }
  }
};

http_client::http_client(asio::any_io_executor ex, http_endpoint ep, http_client_options o)
    : m_state(std::make_shared<state>(std::move(ex), std::move(ep), std::move(o))) {}

http_client::~http_client() {
  m_state->dropped = true;
  m_state->close_all();
}

const http_endpoint& http_client::endpoint() const { return m_state->ep; }

http_client::request_id http_client::post(std::string target, std::vector<std::pair<std::string, std::string>> headers,
                                          std::string body, std::chrono::milliseconds timeout,
                                          std::function<void(result<http_reply>)> done) {
  const request_id id = m_state->next_id++;
  auto r = std::make_shared<state::request_state>();
  m_state->in_flight.emplace(id, r);
  asio::co_spawn(m_state->ex,
                 state::run(m_state, id, std::move(r), std::move(target), std::move(headers), std::move(body), timeout,
                     std::move(done)),
                 [](std::exception_ptr e) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& x) {
                     spdlog::error("sqs: HTTP request ended by an exception: {}", x.what());
                   } catch (...) {
                     spdlog::error("sqs: HTTP request ended by an exception");
                   }
                 });
  return id;
}

void http_client::cancel(request_id id) {
  const auto it = m_state->in_flight.find(id);
  if (it == m_state->in_flight.end()) return;
  it->second->cancelled = true;
  if (it->second->conn) it->second->conn->close();
}

void http_client::close() { m_state->close_all(); }

} // namespace lemu::sqs
