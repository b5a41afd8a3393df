#include <lemu/net/response_head.hpp>

#include <ostream> // boost/core/detail/string_view.hpp needs it whole

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>

#include <charconv>

namespace lemu::net {

namespace http = boost::beast::http;

namespace {

void append_number(std::string& out, std::size_t n) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
  out.append(digits, end);
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

} // namespace

std::string_view reason_phrase(unsigned status) {
  const auto reason = http::obsolete_reason(static_cast<http::status>(status));
  return {reason.data(), reason.size()};
}

void begin_head(std::string& out, unsigned status) {
  out.clear();
  out += "HTTP/1.1 ";
  append_number(out, status);
  out += ' ';
  out += reason_phrase(status);
  out += "\r\n";
}

void add_header(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

void end_head(std::string& out, std::size_t content_length, bool keep_alive) {
  out += "Content-Length: ";
  append_number(out, content_length);
  out += "\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
}

bool supported_transfer_encoding(std::string_view value) {
  return boost::beast::iequals(trim_spaces(value), "chunked");
}

std::string unsupported_transfer_encoding_response() {
  return "HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
         "Unsupported transfer encoding";
}

} // namespace lemu::net
