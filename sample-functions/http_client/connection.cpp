// The samples' shared HTTP/1.1 client connection over Boost.Beast: synchronous, one keep-alive connection.

#include <lemu_sample_http/connection.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include <poll.h>

namespace lemu_sample_http {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

constexpr unsigned http_version = 11;
// Beast's default 8 KiB header limit is too small for large client-context headers.
constexpr std::uint32_t reply_header_limit = 1024 * 1024;

} // namespace

std::string endpoint_from_environment() {
  const char* value = std::getenv("AWS_LAMBDA_RUNTIME_API");
  return value ? value : "";
}

connection::connection(std::string endpoint, std::string api_name)
    : m_endpoint(std::move(endpoint)), m_api_name(std::move(api_name)) {
  // host:port, split at the last colon; no scheme, no path (PROTOCOL.md §1.1).
  const auto colon = m_endpoint.rfind(':');
  if (colon != std::string::npos) {
    m_host = m_endpoint.substr(0, colon);
    m_port = m_endpoint.substr(colon + 1);
  }
  if (m_host.empty() || m_port.empty() || m_port.find_first_not_of("0123456789") != std::string::npos) {
    m_config_error = "invalid " + m_api_name + " endpoint '" + m_endpoint + "' (expected host:port)";
  }
}

empty_request connection::make_get(const std::string& target, const char* user_agent) const {
  empty_request request{http::verb::get, target, http_version};
  request.set(http::field::host, m_endpoint);
  request.set(http::field::user_agent, user_agent);
  return request;
}

span_request connection::make_request(http::verb method, const std::string& target, const char* user_agent) const {
  span_request request{method, target, http_version};
  request.set(http::field::host, m_endpoint);
  request.set(http::field::user_agent, user_agent);
  return request;
}

void connection::connect(beast::error_code& ec) {
  if (!m_addresses) {
    tcp::resolver resolver(m_io);
    auto results = resolver.resolve(m_host, m_port, ec);
    if (ec) {
      return;
    }
    m_addresses = std::move(results);
  }
  net::connect(m_socket, *m_addresses, ec);
  if (!ec) {
    m_socket.set_option(tcp::no_delay(true), ec);
  }
}

void connection::disconnect() {
  beast::error_code ignored;
  m_socket.close(ignored);
  m_buffer.clear();
}

exchange_status connection::round_trip(const empty_request& request, string_reply& reply) {
  return round_trip_any(request, reply);
}

exchange_status connection::round_trip(const span_request& request, string_reply& reply) {
  return round_trip_any(request, reply);
}

// Sends `request` and reads the whole reply, on the kept-alive connection unless it has gone bad.
template <class Request>
exchange_status connection::round_trip_any(const Request& request, string_reply& reply) {
  if (!m_config_error.empty()) {
    return {0, m_config_error};
  }
  for (bool retried = false;; retried = true) {
    beast::error_code ec;
    const bool reused = !connection_is_dead();
    if (!reused) {
      disconnect();
      connect(ec);
    }
    bool got_reply_bytes = false;
    if (!ec) {
      exchange(request, reply, ec, got_reply_bytes);
    }
    if (!ec) {
      return {static_cast<int>(reply.result_int()), {}};
    }
    disconnect();
    // The server may close a kept-alive connection just as we send on it (idle timeout). A GET that got
    // no reply at all is safe to send again, once, on a new connection; a POST is never sent twice.
    if (!reused || retried || got_reply_bytes || request.method() != http::verb::get) {
      return {0, m_api_name + " " + m_endpoint + ": " + ec.message()};
    }
  }
}

// One request and its reply on the open connection. Closes it when the reply asks for that.
template <class Request>
void connection::exchange(const Request& request, string_reply& reply, beast::error_code& ec, bool& got_reply_bytes) {
  http::write(m_socket, request, ec);
  // A server may answer before reading the whole body and then close (e.g. 413 for a huge response), so
  // the write fails while the reply is already waiting to be read: try to read it in that case too.
  if (ec && ec != net::error::broken_pipe && ec != net::error::connection_reset) {
    return;
  }
  const beast::error_code write_ec = ec;
  http::response_parser<http::string_body> parser;
  parser.header_limit(reply_header_limit);
  parser.body_limit(boost::none); // events and error bodies are bounded by the server, not by us
  http::read(m_socket, m_buffer, parser, ec);
  got_reply_bytes = parser.got_some();
  if (ec) {
    if (write_ec) {
      ec = write_ec; // report why the exchange broke first
    }
    return;
  }
  reply = parser.release();
  if (write_ec || !reply.keep_alive()) {
    disconnect();
  }
}

exchange_status connection::begin_chunked(const span_request& head) {
  if (!m_config_error.empty()) return {0, m_config_error};
  beast::error_code ec;
  if (connection_is_dead()) {
    disconnect();
    connect(ec);
    if (ec) return {0, m_api_name + " " + m_endpoint + ": " + ec.message()};
  }
  std::string text = std::string(head.method_string()) + " " + std::string(head.target()) + " HTTP/1.1\r\n";
  for (const auto& field : head) {
    text += std::string(field.name_string()) + ": " + std::string(field.value()) + "\r\n";
  }
  text += "Transfer-Encoding: chunked\r\n\r\n";
  net::write(m_socket, net::buffer(text), ec);
  if (ec) return {0, m_api_name + " " + m_endpoint + ": " + ec.message()};
  return {200, {}};
}

exchange_status connection::write_chunk(std::string_view bytes) {
  if (bytes.empty()) return {200, {}}; // an empty chunk would end the body
  char size[32];
  const int n = std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
  const std::array<net::const_buffer, 3> pieces{net::buffer(size, static_cast<std::size_t>(n)),
                                                net::buffer(bytes.data(), bytes.size()), net::buffer("\r\n", 2)};
  beast::error_code ec;
  net::write(m_socket, pieces, ec);
  if (ec) return {0, m_api_name + " " + m_endpoint + ": " + ec.message()};
  return {200, {}};
}

exchange_status connection::end_chunked(const std::string& trailers, string_reply& reply) {
  const std::string last = "0\r\n" + trailers + "\r\n";
  beast::error_code ec;
  net::write(m_socket, net::buffer(last), ec);
  const beast::error_code write_ec = ec;
  http::response_parser<http::string_body> parser;
  parser.header_limit(reply_header_limit);
  parser.body_limit(boost::none);
  http::read(m_socket, m_buffer, parser, ec); // a server that refused the body early answered already
  if (ec) {
    disconnect();
    return {0, m_api_name + " " + m_endpoint + ": " + (write_ec ? write_ec : ec).message()};
  }
  reply = parser.release();
  if (!reply.keep_alive()) disconnect();
  return {static_cast<int>(reply.result_int()), {}};
}

// An idle keep-alive connection is usable only while nothing arrives on it: a server that closed it
// (idle timeout, restart) leaves it readable at EOF or with an error.
bool connection::connection_is_dead() {
  if (!m_socket.is_open()) {
    return true;
  }
  pollfd idle{m_socket.native_handle(), POLLIN, 0};
  return ::poll(&idle, 1, 0) != 0 || m_buffer.size() != 0;
}

} // namespace lemu_sample_http
