#pragma once
// The Runtime API's request parser: Beast's basic_parser (framing, chunked bodies and trailers, keep-alive)
// with lemu's own storage. It keeps the request line, the few header (or trailer) fields the server reads,
// and at most `body_cap` bytes of the body while counting all of it. Any other field, however long, is
// skipped without being stored: Go sends Lambda-Runtime-Function-Xray-Error-Cause values up to 1 MiB in
// one line, beyond what Beast's own field container can hold (65533 bytes).

#include <lemu/net/capped_body.hpp>

#include <boost/beast/http/basic_parser.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lemu::runtime_api {

class request_parser : public boost::beast::http::basic_parser<true> {
public:
  explicit request_parser(std::size_t body_cap) { m_body.cap = body_cap; }

  const std::string& method() const { return m_method; }
  const std::string& target() const { return m_target; }
  const std::string& content_type() const { return m_content_type; }
  const std::string& error_type() const { return m_error_type; }   // Lambda-Runtime-Function-Error-Type
  // A streamed response (PROTOCOL.md §1.9): Lambda-Runtime-Function-Response-Mode: streaming, and the
  // error body trailer (base64 JSON), at most 1 MiB kept.
  bool streaming() const { return m_streaming; }
  const std::string& error_body() const { return m_error_body; }
  // Streams the body: every byte goes to body() (no cap), which the server empties after each read. A chunk
  // that begins with "Lambda-Runtime-Function-Error-Type: " is not body but the error trailers written into
  // the body, as the Rust runtime client does (at most 1 MiB of it is kept): in_body_trailers() holds it.
  void stream_body() { m_stream_body = true; }
  const std::string& in_body_trailers() const { return m_in_body_trailers; }
  // The Extensions API's headers (PROTOCOL.md §2.1), when the request has them.
  const std::optional<std::string>& extension_name() const { return m_extension_name; }
  const std::optional<std::string>& extension_identifier() const { return m_extension_identifier; }
  const std::optional<std::string>& extension_accept_feature() const { return m_extension_accept_feature; }
  const std::optional<std::string>& extension_error_type() const { return m_extension_error_type; }
  // Transfer-Encoding as sent, when the request has one.
  const std::optional<std::string>& transfer_encoding() const { return m_transfer_encoding; }

  std::string& body() { return m_body.data; }                // the first body_cap bytes
  std::uint64_t body_bytes() const { return m_body.total; }  // every body byte received

private:
  void on_request_impl(boost::beast::http::verb, boost::beast::string_view method, boost::beast::string_view target,
                       int version, boost::beast::error_code& ec) override;
  void on_response_impl(int, boost::beast::string_view, int, boost::beast::error_code& ec) override;
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, boost::beast::error_code& ec) override;
  void on_header_impl(boost::beast::error_code& ec) override { ec = {}; }
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, boost::beast::error_code& ec) override;
  std::size_t on_body_impl(boost::beast::string_view body, boost::beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, boost::beast::error_code& ec) override {
    ec = {};
    m_chunk_begins = true;
  }
  std::size_t on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view body, boost::beast::error_code& ec) override;
  void on_finish_impl(boost::beast::error_code& ec) override { ec = {}; }

  std::string m_method, m_target, m_content_type, m_error_type, m_error_body, m_in_body_trailers;
  bool m_streaming = false, m_stream_body = false, m_chunk_begins = false, m_in_trailer_chunk = false;
  std::optional<std::string> m_transfer_encoding;
  std::optional<std::string> m_extension_name, m_extension_identifier, m_extension_accept_feature, m_extension_error_type;
  net::capped_body::value_type m_body;
};

} // namespace lemu::runtime_api
