#include "support/http_raw.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace lemu::test::http_raw {

namespace {

using steady = std::chrono::steady_clock;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool contains_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

int poll_ms(steady::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()).count();
  if (left <= 0) return 0;
  return static_cast<int>(std::min<long long>(left, 60'000));
}

// Waits for `events` on fd until the deadline. True if they came.
bool wait_for(int fd, short events, steady::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, poll_ms(deadline));
    if (n > 0) return true;
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 && steady::now() < deadline) continue; // poll_ms capped the wait
    return false;
  }
}

bool has_header(const header_list& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); });
}

void append_headers(std::string& out, const header_list& headers) {
  for (const auto& [name, value] : headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
}

std::string request_line(std::string_view method, std::string_view target, const header_list& headers) {
  std::string out;
  out += method;
  out += ' ';
  out += target;
  out += " HTTP/1.1\r\n";
  if (!has_header(headers, "Host")) out += "Host: 127.0.0.1\r\n";
  return out;
}

// Decodes a chunked body starting at `pos`. Returns the position after the message, 0 if more is needed.
std::size_t parse_chunked(std::string_view bytes, std::size_t pos, std::string& body, std::string& error) {
  for (;;) {
    const auto eol = bytes.find("\r\n", pos);
    if (eol == std::string_view::npos) return 0;
    std::string_view size_line = bytes.substr(pos, eol - pos);
    size_line = size_line.substr(0, size_line.find(';'));
    size_line = trim(size_line);
    std::size_t size = 0;
    const auto [end, ec] = std::from_chars(size_line.data(), size_line.data() + size_line.size(), size, 16);
    if (ec != std::errc{} || end != size_line.data() + size_line.size() || size_line.empty()) {
      error = "bad chunk size line: " + std::string(bytes.substr(pos, eol - pos));
      return 0;
    }
    pos = eol + 2;
    if (size == 0) {
      // Trailer fields, then an empty line.
      for (;;) {
        const auto line_end = bytes.find("\r\n", pos);
        if (line_end == std::string_view::npos) return 0;
        const bool empty = line_end == pos;
        pos = line_end + 2;
        if (empty) return pos;
      }
    }
    if (bytes.size() < pos + size + 2) return 0;
    body.append(bytes.substr(pos, size));
    if (bytes.substr(pos + size, 2) != "\r\n") {
      error = "chunk data not followed by CRLF";
      return 0;
    }
    pos += size + 2;
  }
}

} // namespace

std::optional<std::string> response::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (iequals(n, name)) return v;
  }
  return std::nullopt;
}

std::size_t response::count(std::string_view name) const {
  return static_cast<std::size_t>(
      std::count_if(headers.begin(), headers.end(), [&](const auto& h) { return iequals(h.first, name); }));
}

const char* to_string(read_status s) {
  switch (s) {
  case read_status::ok: return "ok";
  case read_status::timeout: return "timeout";
  case read_status::closed: return "closed";
  case read_status::malformed: return "malformed";
  }
  return "?";
}

std::size_t parse_response(std::string_view bytes, bool at_eof, response& out, std::string& error) {
  const auto head_end = bytes.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return 0;
  response r;
  std::string_view head = bytes.substr(0, head_end + 2);

  const auto status_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, status_end);
  const auto sp1 = status_line.find(' ');
  if (sp1 == std::string_view::npos || status_line.substr(0, 5) != "HTTP/") {
    error = "bad status line: " + std::string(status_line);
    return 0;
  }
  r.version = std::string(status_line.substr(0, sp1));
  const auto rest = status_line.substr(sp1 + 1);
  const auto sp2 = rest.find(' ');
  const auto code = rest.substr(0, sp2);
  const auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), r.status);
  if (ec != std::errc{} || end != code.data() + code.size() || code.size() != 3) {
    error = "bad status code: " + std::string(status_line);
    return 0;
  }
  if (sp2 != std::string_view::npos) r.reason = std::string(rest.substr(sp2 + 1));

  head.remove_prefix(status_end + 2);
  while (!head.empty()) {
    const auto eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      error = "bad header line: " + std::string(line);
      return 0;
    }
    r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(trim(line.substr(colon + 1))));
  }

  std::size_t pos = head_end + 4;
  const auto te = r.header("Transfer-Encoding");
  const auto cl = r.header("Content-Length");
  if (r.status / 100 == 1 || r.status == 204 || r.status == 304) {
    // no body
  } else if (te && contains_token(*te, "chunked")) {
    pos = parse_chunked(bytes, pos, r.body, error);
    if (pos == 0) return 0;
  } else if (cl) {
    std::size_t length = 0;
    const auto [e, c] = std::from_chars(cl->data(), cl->data() + cl->size(), length);
    if (c != std::errc{} || e != cl->data() + cl->size()) {
      error = "bad Content-Length: " + *cl;
      return 0;
    }
    if (bytes.size() < pos + length) return 0;
    r.body = std::string(bytes.substr(pos, length));
    pos += length;
  } else {
    if (!at_eof) return 0;
    r.body = std::string(bytes.substr(pos));
    pos = bytes.size();
  }
  r.raw = std::string(bytes.substr(0, pos));
  out = std::move(r);
  return pos;
}

connection::connection(std::uint16_t port, std::chrono::milliseconds timeout, int receive_buffer) : m_port(port) {
  m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (m_fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (receive_buffer > 0) ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(m_fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) {
      const std::string why = std::strerror(errno);
      close();
      throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " + why);
    }
    if (!wait_for(m_fd, POLLOUT, steady::now() + timeout)) {
      close();
      throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": timed out");
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      close();
      throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(err));
    }
  }
}

connection::~connection() { close(); }

connection::connection(connection&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_port(other.m_port), m_peer_closed(other.m_peer_closed),
      m_buffer(std::move(other.m_buffer)), m_last_segments(other.m_last_segments) {}

connection& connection::operator=(connection&& other) noexcept {
  if (this != &other) {
    close();
    m_fd = std::exchange(other.m_fd, -1);
    m_port = other.m_port;
    m_peer_closed = other.m_peer_closed;
    m_buffer = std::move(other.m_buffer);
    m_last_segments = other.m_last_segments;
  }
  return *this;
}

void connection::close() {
  if (m_fd >= 0) ::close(m_fd);
  m_fd = -1;
}

void connection::shutdown_write() {
  if (m_fd >= 0) ::shutdown(m_fd, SHUT_WR);
}

bool connection::send(std::string_view bytes, std::chrono::milliseconds timeout) {
  if (m_fd < 0) return false;
  const auto deadline = steady::now() + timeout;
  while (!bytes.empty()) {
    const auto n = ::send(m_fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(m_fd, POLLOUT, deadline)) return false;
      continue;
    }
    return false;
  }
  return true;
}

connection::fill connection::fill_once(steady::time_point deadline) {
  if (m_fd < 0 || m_peer_closed) return fill::closed;
  for (;;) {
    if (!wait_for(m_fd, POLLIN, deadline)) return fill::timeout;
    char buf[256 * 1024];
    const auto n = ::recv(m_fd, buf, sizeof buf, 0);
    if (n > 0) {
      m_buffer.append(buf, static_cast<std::size_t>(n));
      return fill::data;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    m_peer_closed = true; // 0: end of stream; <0: reset
    return fill::closed;
  }
}

read_result connection::read_response(std::chrono::milliseconds timeout) {
  const auto deadline = steady::now() + timeout;
  read_result result;
  m_last_segments = 0;
  for (;;) {
    const std::size_t used = parse_response(m_buffer, m_peer_closed, result.res, result.error);
    if (used > 0) {
      m_buffer.erase(0, used);
      result.status = read_status::ok;
      return result;
    }
    if (!result.error.empty()) {
      result.status = read_status::malformed;
      return result;
    }
    if (m_peer_closed || m_fd < 0) {
      result.status = read_status::closed;
      result.error = "connection closed with " + std::to_string(m_buffer.size()) + " bytes of a partial response";
      return result;
    }
    switch (fill_once(deadline)) {
    case fill::data: ++m_last_segments; break;
    case fill::closed: break;
    case fill::timeout:
      result.status = read_status::timeout;
      result.error = "no whole response within the deadline (" + std::to_string(m_buffer.size()) + " bytes buffered)";
      return result;
    }
  }
}

read_result connection::roundtrip(std::string_view request_bytes, std::chrono::milliseconds timeout) {
  const auto deadline = steady::now() + timeout;
  if (!send(request_bytes, timeout)) {
    read_result r;
    r.status = read_status::closed;
    r.error = "could not send the request";
    return r;
  }
  return read_response(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now()));
}

bool connection::readable_within(std::chrono::milliseconds timeout) {
  if (!m_buffer.empty() || m_peer_closed || m_fd < 0) return true;
  return wait_for(m_fd, POLLIN, steady::now() + timeout);
}

bool connection::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = steady::now() + timeout;
  for (;;) {
    switch (fill_once(deadline)) {
    case fill::data: break;
    case fill::closed: return true;
    case fill::timeout: return false;
    }
  }
}

std::string request(std::string_view method, std::string_view target, const header_list& headers,
                    std::string_view body) {
  std::string out = request_line(method, target, headers);
  append_headers(out, headers);
  const bool wants_length = !body.empty() || method == "POST" || method == "PUT";
  if (wants_length && !has_header(headers, "Content-Length") && !has_header(headers, "Transfer-Encoding")) {
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  out += "\r\n";
  out += body;
  return out;
}

std::string chunked_request(std::string_view method, std::string_view target, const header_list& headers,
                            const std::vector<std::string>& chunks, const header_list& trailers) {
  std::string out = request_line(method, target, headers);
  append_headers(out, headers);
  out += "\r\n";
  for (const auto& chunk : chunks) {
    if (chunk.empty()) continue; // an empty chunk would end the body
    char size[32];
    const auto [end, ec] = std::to_chars(size, size + sizeof size, chunk.size(), 16);
    (void)ec;
    out.append(size, end);
    out += "\r\n";
    out += chunk;
    out += "\r\n";
  }
  out += "0\r\n";
  append_headers(out, trailers);
  out += "\r\n";
  return out;
}

} // namespace lemu::test::http_raw
