#include <lemu/runtime_api/request_parser.hpp>

#include <lemu/extensions/registry.hpp>
#include <lemu/runtime_api/headers.hpp>

#include <boost/beast/core/string.hpp>

#include <algorithm>

namespace lemu::runtime_api {

namespace http = boost::beast::http;
using boost::beast::error_code;
using boost::beast::string_view;

void request_parser::on_request_impl(http::verb, string_view method, string_view target, int, error_code& ec) {
  ec = {};
  m_method.assign(method.data(), method.size());
  m_target.assign(target.data(), target.size());
}

void request_parser::on_response_impl(int, string_view, int, error_code& ec) {
  ec = http::error::bad_method; // a request parser never parses a response
}

namespace {
// A header lemu keeps is kept up to this many bytes (the rest of it is skipped).
constexpr std::size_t field_cap = 64 * 1024;
constexpr std::size_t error_body_cap = 1024 * 1024;
constexpr std::string_view in_body_trailer_start = "Lambda-Runtime-Function-Error-Type: ";
} // namespace

void request_parser::on_field_impl(http::field name, string_view name_string, string_view value, error_code& ec) {
  ec = {};
  if (name == http::field::content_type) {
    m_content_type.assign(value.data(), value.size());
  } else if (name == http::field::transfer_encoding) {
    if (m_transfer_encoding) {
      *m_transfer_encoding += ", "; // a repeated field is one comma-separated list
      m_transfer_encoding->append(value.data(), value.size());
    } else {
      m_transfer_encoding.emplace(value.data(), value.size());
    }
  } else if (boost::beast::iequals(name_string, headers::function_error_type)) {
    m_error_type.assign(value.data(), std::min<std::size_t>(value.size(), field_cap));
  } else if (boost::beast::iequals(name_string, headers::function_error_body)) {
    m_error_body.assign(value.data(), std::min<std::size_t>(value.size(), error_body_cap));
  } else if (boost::beast::iequals(name_string, headers::response_mode)) {
    m_streaming = boost::beast::iequals(value, "streaming");
  } else if (name_string.size() > 17 && boost::beast::iequals(name_string.substr(0, 17), "Lambda-Extension-")) {
    std::optional<std::string>* slot = nullptr;
    if (boost::beast::iequals(name_string, extensions::headers::name)) slot = &m_extension_name;
    else if (boost::beast::iequals(name_string, extensions::headers::identifier)) slot = &m_extension_identifier;
    else if (boost::beast::iequals(name_string, extensions::headers::accept_feature)) slot = &m_extension_accept_feature;
    else if (boost::beast::iequals(name_string, extensions::headers::function_error_type)) slot = &m_extension_error_type;
    if (slot) slot->emplace(value.data(), std::min<std::size_t>(value.size(), field_cap));
  }
}

void request_parser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length, error_code& ec) {
  ec = {};
  if (content_length) {
    m_body.data.reserve(static_cast<std::size_t>(
        std::min<std::uint64_t>({*content_length, m_body.cap, net::capped_body::initial_reserve})));
  }
}

std::size_t request_parser::on_body_impl(string_view body, error_code& ec) {
  ec = {};
  if (m_stream_body) {
    m_body.data.append(body.data(), body.size());
    m_body.total += body.size();
  } else {
    net::capped_body::append_capped(m_body, body.data(), body.size());
  }
  return body.size();
}

std::size_t request_parser::on_chunk_body_impl(std::uint64_t remain, string_view body, error_code& ec) {
  if (!m_stream_body) return on_body_impl(body, ec);
  if (m_chunk_begins) {
    m_chunk_begins = false;
    m_in_trailer_chunk = std::string_view(body.data(), body.size()).starts_with(in_body_trailer_start);
  }
  if (!m_in_trailer_chunk) return on_body_impl(body, ec);
  ec = {};
  const std::size_t room = error_body_cap - std::min(error_body_cap, m_in_body_trailers.size());
  m_in_body_trailers.append(body.data(), std::min(room, body.size()));
  if (body.size() >= remain) m_in_trailer_chunk = false; // the chunk ends here
  return body.size();
}

} // namespace lemu::runtime_api
