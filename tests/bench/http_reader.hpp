#pragma once
// A minimal buffered reader of HTTP/1.1 messages (head + Content-Length body) on a blocking socket: what the
// baseline's server and clients speak, and the Invoke API client's reader. It is on every timed path, so it
// does one recv() per fill and nothing else (tests/support/http_raw polls with a deadline before each read,
// one more system call per message on the thing being measured).

#include <cstddef>
#include <string>

namespace lemu::bench {

// One parsed HTTP/1.1 message head: the start line and the headers the benchmark needs.
struct message_head {
  std::string start_line;
  std::size_t content_length = 0;
  std::string request_id; // Lambda-Runtime-Aws-Request-Id, when present
};

class http_reader {
public:
  explicit http_reader(int fd) : m_fd(fd) { m_buf.reserve(64 * 1024); }

  // Reads one message head; false on a clean end of stream before any byte of it.
  bool read_head(message_head& head);

  // Reads the body of the message whose head was just read.
  void read_body(std::size_t length, std::string& body);

private:
  bool fill();

  int m_fd;
  std::string m_buf;
  std::size_t m_pos = 0;
};

} // namespace lemu::bench
