#include "bench/baseline.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <system_error>

extern char** environ;

namespace lemu::bench {

namespace {
constexpr std::string_view fixed_request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";
constexpr std::string_view get_request = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n"
                                         "Host: 127.0.0.1\r\n\r\n";
} // namespace

int serve(const std::string& event_path, int port_fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlive the client
  const std::string event = read_file(event_path);

  unsigned port = 0;
  fd_guard listener = listen_loopback(1, port);
  {
    const std::string text = std::to_string(port) + "\n";
    if (::write(port_fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) fail_errno("write(port)");
    ::close(port_fd);
  }

  fd_guard conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (conn.get() < 0) fail_errno("accept");
  listener.reset();
  set_nodelay(conn.get());

  // Responses are built once; each is written with one send().
  const std::string next_response = "HTTP/1.1 200 OK\r\n"
                                    "Content-Type: application/json\r\n"
                                    "Lambda-Runtime-Aws-Request-Id: " +
                                    std::string(fixed_request_id) +
                                    "\r\n"
                                    "Lambda-Runtime-Deadline-Ms: 4102444800000\r\n"
                                    "Content-Length: " +
                                    std::to_string(event.size()) + "\r\n\r\n" + event;
  const std::string accepted_body = R"({"status":"OK"})";
  const std::string accepted_response = "HTTP/1.1 202 Accepted\r\n"
                                        "Content-Type: application/json\r\n"
                                        "Content-Length: " +
                                        std::to_string(accepted_body.size()) + "\r\n\r\n" + accepted_body;

  http_reader reader(conn.get());
  message_head head;
  std::string body;
  while (reader.read_head(head)) {
    reader.read_body(head.content_length, body);
    if (head.start_line.starts_with("GET ")) {
      send_all(conn.get(), next_response);
    } else if (head.start_line.starts_with("POST ")) {
      send_all(conn.get(), accepted_response);
    } else {
      throw std::runtime_error("unexpected request: " + head.start_line);
    }
  }
  return 0;
}

baseline_server start_baseline_server(const std::string& self, const std::string& event_path) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) fail_errno("pipe2");
  fd_guard read_end(pipe_fds[0]);
  fd_guard write_end(pipe_fds[1]);
  // The child keeps only the write end: clear its close-on-exec flag (no other thread runs while servers
  // start, so no other child can inherit it).
  if (::fcntl(write_end.get(), F_SETFD, 0) != 0) fail_errno("fcntl");

  const std::string fd_arg = std::to_string(write_end.get());
  std::vector<std::string> args{self, "--serve", event_path, "--port-fd", fd_arg};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  baseline_server server;
  const int rc = ::posix_spawn(&server.pid, self.c_str(), nullptr, nullptr, argv.data(), environ);
  if (rc != 0) {
    errno = rc;
    fail_errno("posix_spawn " + self);
  }
  write_end.reset();

  // The port arrives on the pipe, then end of file; no sleeping.
  std::string text;
  char buf[64];
  for (;;) {
    const ssize_t n = ::read(read_end.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("read(port)");
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  unsigned port = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (ec != std::errc{} || port == 0 || port > 65535) throw std::runtime_error("baseline server gave no port");
  server.conn = connect_loopback(port);
  return server;
}

void stop_baseline_server(baseline_server& server) {
  server.conn.reset(); // end of stream: the server exits
  if (const int status = wait_child(server.pid); status != 0) {
    throw std::runtime_error("baseline server exited with status " + std::to_string(status));
  }
}

void baseline_client::get(std::string& body) {
  send_all(m_fd, get_request);
  if (!m_reader.read_head(m_head)) throw std::runtime_error("baseline server closed the connection");
  if (!m_head.start_line.starts_with("HTTP/1.1 200")) throw std::runtime_error("baseline GET: " + m_head.start_line);
  m_reader.read_body(m_head.content_length, body);
}

void baseline_client::pair() {
  get(m_body);
  // Echo the event back, as the echo function does, in one send.
  m_post.clear();
  m_post += "POST /2018-06-01/runtime/invocation/";
  m_post += m_head.request_id;
  m_post += "/response HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ";
  m_post += std::to_string(m_body.size());
  m_post += "\r\n\r\n";
  m_post += m_body;
  send_all(m_fd, m_post);
  if (!m_reader.read_head(m_head)) throw std::runtime_error("baseline server closed the connection");
  if (!m_head.start_line.starts_with("HTTP/1.1 202")) throw std::runtime_error("baseline POST: " + m_head.start_line);
  m_reader.read_body(m_head.content_length, m_ack);
}

const std::string& baseline_client::fetch() {
  get(m_fetched);
  return m_fetched;
}

parallel_timing aggregate(const std::vector<client_timing>& results, const char* what) {
  for (const auto& res : results) {
    if (res.error) std::rethrow_exception(res.error);
  }
  std::vector<double> lat_us;
  auto first_start = results.front().start;
  auto last_end = results.front().end;
  for (const auto& res : results) {
    lat_us.insert(lat_us.end(), res.lat_us.begin(), res.lat_us.end());
    first_start = std::min(first_start, res.start);
    last_end = std::max(last_end, res.end);
  }
  const double span_s = std::chrono::duration<double>(last_end - first_start).count();
  if (lat_us.empty() || span_s <= 0) throw std::runtime_error(std::string(what) + " timed nothing");
  std::sort(lat_us.begin(), lat_us.end());
  parallel_timing t;
  t.count = lat_us.size();
  t.span_s = span_s;
  t.per_s = static_cast<double>(lat_us.size()) / span_s;
  t.mean_us = span_s * 1e6 * static_cast<double>(results.size()) / static_cast<double>(lat_us.size());
  t.p50_us = percentile(lat_us, 0.50);
  t.p99_us = percentile(lat_us, 0.99);
  return t;
}

baseline_round run_baseline_round(int fd, const std::string& event, int warmup, int pairs) {
  baseline_client client(fd);
  std::vector<double> lat_us;
  lat_us.reserve(static_cast<std::size_t>(pairs));

  for (int i = 0; i < warmup; ++i) client.pair();
  if (client.last_event() != event) throw std::runtime_error("baseline server returned a different event");

  const auto start = clock_type::now();
  auto prev = start;
  for (int i = 0; i < pairs; ++i) {
    client.pair();
    const auto now = clock_type::now();
    lat_us.push_back(std::chrono::duration<double, std::micro>(now - prev).count());
    prev = now;
  }
  const double total_s = std::chrono::duration<double>(prev - start).count();

  std::sort(lat_us.begin(), lat_us.end());
  baseline_round r;
  r.pairs_per_s = pairs / total_s;
  r.mean_us = total_s * 1e6 / pairs;
  r.p50_us = percentile(lat_us, 0.50);
  r.p99_us = percentile(lat_us, 0.99);
  return r;
}

baseline_round run_baseline_parallel(const std::vector<int>& fds, const std::string& event, int warmup, int pairs) {
  std::vector<baseline_client> clients;
  clients.reserve(fds.size());
  for (const int fd : fds) clients.emplace_back(fd);
  const parallel_timing t = run_parallel(
      clients.size(), warmup, [&](std::size_t i) { clients[i].pair(); },
      [&](std::size_t i) {
        if (clients[i].last_event() != event) throw std::runtime_error("baseline server returned a different event");
      },
      pairs, 0, "parallel baseline round");
  baseline_round r;
  r.pairs_per_s = t.per_s;
  r.mean_us = t.mean_us;
  r.p50_us = t.p50_us;
  r.p99_us = t.p99_us;
  return r;
}

} // namespace lemu::bench
