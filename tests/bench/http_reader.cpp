#include "bench/http_reader.hpp"

#include "bench/core.hpp"

#include <lemu/util/text.hpp>

#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <stdexcept>
#include <string_view>

namespace lemu::bench {

bool http_reader::read_head(message_head& head) {
  std::size_t end;
  while ((end = m_buf.find("\r\n\r\n", m_pos)) == std::string::npos) {
    if (!fill()) {
      if (m_pos == m_buf.size()) return false;
      throw std::runtime_error("connection closed inside a message head");
    }
  }
  std::string_view text(m_buf.data() + m_pos, end - m_pos);
  m_pos = end + 4;
  head = message_head{};
  std::size_t eol = text.find("\r\n");
  head.start_line = std::string(text.substr(0, eol));
  while (eol != std::string_view::npos) {
    text.remove_prefix(eol + 2);
    eol = text.find("\r\n");
    const std::string_view line = text.substr(0, eol);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) throw std::runtime_error("malformed header line");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = util::trim_ows(line.substr(colon + 1));
    if (util::iequals(name, "Content-Length")) {
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), head.content_length);
      if (ec != std::errc{} || ptr != value.data() + value.size()) throw std::runtime_error("bad Content-Length");
    } else if (util::iequals(name, "Transfer-Encoding")) {
      throw std::runtime_error("unexpected Transfer-Encoding");
    } else if (util::iequals(name, "Lambda-Runtime-Aws-Request-Id")) {
      head.request_id = std::string(value);
    }
  }
  return true;
}

void http_reader::read_body(std::size_t length, std::string& body) {
  while (m_buf.size() - m_pos < length) {
    if (!fill()) throw std::runtime_error("connection closed inside a message body");
  }
  body.assign(m_buf, m_pos, length);
  m_pos += length;
}

bool http_reader::fill() {
  if (m_pos > 0 && m_pos == m_buf.size()) {
    m_buf.clear();
    m_pos = 0;
  } else if (m_pos > 32 * 1024) {
    m_buf.erase(0, m_pos);
    m_pos = 0;
  }
  char chunk[16 * 1024];
  for (;;) {
    const ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("recv");
    }
    if (n == 0) return false;
    m_buf.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

} // namespace lemu::bench
