#pragma once
// One synchronous HTTP/1.1 client connection to the Lambda APIs at AWS_LAMBDA_RUNTIME_API (host:port),
// shared by the samples' Runtime API and Extensions API clients.
//
// It keeps one persistent keep-alive TCP connection (TCP_NODELAY, see PROTOCOL.md §8.14), reconnects when
// the server closed it, and resends a GET once when a kept-alive connection broke before any reply byte.
// Failures are returned as exchange_status values; nothing is thrown for them.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace lemu_sample_http {

namespace http = boost::beast::http;

// The request types the clients send: bodiless (GET) and a body written from where it lies (POST, PUT).
using empty_request = http::request<http::empty_body>;
using span_request = http::request<http::span_body<const char>>;
using string_reply = http::response<http::string_body>;

// Outcome of one exchange: the reply's HTTP status, or (http_status 0) why no reply was had.
struct exchange_status {
  int http_status = 0;
  std::string error;
};

// The value of AWS_LAMBDA_RUNTIME_API, or "" when it is not set.
std::string endpoint_from_environment();

class connection {
public:
  // `endpoint` is host:port; `api_name` ("Runtime API", "Extensions API") starts transport error texts.
  // A malformed endpoint makes every exchange fail with a text saying so.
  connection(std::string endpoint, std::string api_name);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  const std::string& endpoint() const { return m_endpoint; }
  // Makes every later exchange fail with `error` (e.g. "AWS_LAMBDA_RUNTIME_API is not set").
  void set_config_error(std::string error) { m_config_error = std::move(error); }

  // A request for `target` with Host and User-Agent set; the caller adds the rest.
  empty_request make_get(const std::string& target, const char* user_agent) const;
  span_request make_request(http::verb method, const std::string& target, const char* user_agent) const;

  // Sends `request` and reads the whole reply into `reply`.
  exchange_status round_trip(const empty_request& request, string_reply& reply);
  exchange_status round_trip(const span_request& request, string_reply& reply);

  // A request whose body goes out in pieces as it is produced (chunked transfer coding): begin_chunked()
  // sends the head (the request's own fields, plus Transfer-Encoding: chunked), write_chunk() one chunk
  // each, end_chunked() the last chunk with `trailers` (complete "Name: value\r\n" lines, or "") and reads
  // the reply. close() instead drops the connection mid-body.
  exchange_status begin_chunked(const span_request& head);
  exchange_status write_chunk(std::string_view bytes);
  exchange_status end_chunked(const std::string& trailers, string_reply& reply);
  void close() { disconnect(); }

private:
  template <class Request>
  exchange_status round_trip_any(const Request& request, string_reply& reply);
  template <class Request>
  void exchange(const Request& request, string_reply& reply, boost::beast::error_code& ec, bool& got_reply_bytes);
  bool connection_is_dead();
  void connect(boost::beast::error_code& ec);
  void disconnect();

  std::string m_endpoint; // host:port, also the Host header
  std::string m_api_name;
  std::string m_host;
  std::string m_port;
  std::string m_config_error; // why the endpoint cannot be used; empty when it can
  boost::asio::io_context m_io;
  boost::asio::ip::tcp::socket m_socket{m_io};
  boost::beast::flat_buffer m_buffer;
  std::optional<boost::asio::ip::tcp::resolver::results_type> m_addresses; // resolved on the first connect
};

} // namespace lemu_sample_http
