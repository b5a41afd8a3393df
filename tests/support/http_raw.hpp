#pragma once
// A small raw-socket HTTP/1.1 client for tests. Requests go out byte for byte as the test writes them
// (chunked bodies with trailers, lowercase header names, huge header lines, garbage), so tests can send
// exactly what real runtime clients send. Every wait has a deadline (poll on the socket); nothing sleeps.
// Loopback only: connects to 127.0.0.1.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lemu::test::http_raw {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct response {
  std::string version; // "HTTP/1.1"
  int status = 0;
  std::string reason;
  header_list headers; // in order, names as received
  std::string body;    // decoded (Content-Length, chunked, or up to the close)
  std::string raw;     // the whole message as it came off the wire

  // The first value of header `name` (case-insensitive), if present.
  std::optional<std::string> header(std::string_view name) const;
  // How many times header `name` appears (case-insensitive).
  std::size_t count(std::string_view name) const;
};

enum class read_status {
  ok,        // a whole response was read
  timeout,   // the deadline passed first (any partial bytes stay buffered)
  closed,    // the peer closed (or reset) before a whole response arrived
  malformed, // the bytes are not an HTTP/1.1 response
};

const char* to_string(read_status s);

struct read_result {
  read_status status = read_status::timeout;
  response res;
  std::string error; // what went wrong, for test messages

  bool ok() const { return status == read_status::ok; }
};

class connection {
public:
  // Connects to 127.0.0.1:port; throws std::runtime_error if that fails within `timeout`. A non-zero
  // `receive_buffer` sets SO_RCVBUF first (a slow reader: the server's writes then stay pending).
  explicit connection(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5),
                      int receive_buffer = 0);
  ~connection();
  connection(connection&& other) noexcept;
  connection& operator=(connection&& other) noexcept;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  std::uint16_t port() const { return m_port; }
  bool is_open() const { return m_fd >= 0; }

  // Sends every byte within `timeout`. False if the peer went away or the deadline passed.
  bool send(std::string_view bytes, std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // Reads one whole response; bytes after it stay buffered for the next call.
  read_result read_response(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // send() then read_response().
  read_result roundtrip(std::string_view request, std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // True if bytes (or end of stream) are already buffered or arrive within `timeout`. Consumes nothing.
  bool readable_within(std::chrono::milliseconds timeout);

  // Waits up to `timeout` for the peer to close (end of stream or reset). Bytes that arrive meanwhile
  // are kept in buffered(). True if the connection was closed by the peer.
  bool wait_closed(std::chrono::milliseconds timeout);

  // Bytes received but not yet consumed by read_response().
  const std::string& buffered() const { return m_buffer; }

  // recv() calls that returned data during the last read_response() (1: the message arrived in one piece).
  std::size_t last_read_segments() const { return m_last_segments; }

  void shutdown_write();
  void close();

private:
  enum class fill { data, timeout, closed };
  fill fill_once(std::chrono::steady_clock::time_point deadline);

  int m_fd = -1;
  std::uint16_t m_port = 0;
  bool m_peer_closed = false;
  std::string m_buffer;
  std::size_t m_last_segments = 0;
};

// Parses one response from the start of `bytes`. Returns the bytes it used, 0 if more are needed (or,
// when `at_eof`, if the bytes end before the message does); sets `error` when the bytes are malformed.
// A response with neither Content-Length nor chunked encoding runs to the end of the stream (`at_eof`).
std::size_t parse_response(std::string_view bytes, bool at_eof, response& out, std::string& error);

// "METHOD target HTTP/1.1\r\n", a Host header (unless `headers` has one), `headers` verbatim and in
// order, Content-Length (for a body, or any POST/PUT; unless `headers` has one), a blank line, the body.
std::string request(std::string_view method, std::string_view target, const header_list& headers = {},
                    std::string_view body = {});

// A chunked request as Go's net/http writes it: `headers` (add Transfer-Encoding and Trailer yourself, so
// the test shows exactly what goes out), each chunk as "<hex size>\r\n<data>\r\n", the last chunk
// "0\r\n", the trailer lines "<name>: <value>\r\n", and the final "\r\n".
std::string chunked_request(std::string_view method, std::string_view target, const header_list& headers,
                            const std::vector<std::string>& chunks, const header_list& trailers = {});

} // namespace lemu::test::http_raw
