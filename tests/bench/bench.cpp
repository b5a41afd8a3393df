// lemu_bench: the DESIGN.md §5 warm-invoke benchmark, lemu against a baseline measured in the same run.
//
//   baseline  two raw HTTP/1.1 keep-alive round trips between two processes on loopback (GET the event,
//             POST it back): the floor of one warm invoke. The server is this program re-executed with
//             --serve; it reports its port on a pipe, so nothing waits by sleeping.
//   lemu      `lemu run <echo> --event <event> --repeat N`, stdout and stderr to /dev/null, wall-clock
//             timed for a small and a big N; (N_big - N_small) / (t_big - t_small) cancels process start,
//             init and shutdown. Best (least time) of several rounds, interleaved with the baseline rounds.
//             One more run with --json gives lemu's own warm duration_ms percentiles.
//
// The table goes to stdout, progress to stderr; --json OUT writes the figures. Exit status: 0 when the
// benchmark ran (whatever the ratios, unless --check), 1 when a target is missed under --check, 2 on error.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

using clock_type = std::chrono::steady_clock;

// DESIGN.md §5 targets.
constexpr double target_throughput_ratio = 0.50; // lemu rate >= 0.5 x baseline pair rate
constexpr double target_p50_ratio = 2.0;         // lemu added latency p50 <= 2 x baseline pair p50
constexpr double target_p99_ratio = 4.0;         // lemu added latency p99 <= 4 x baseline pair p99

[[noreturn]] void fail_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A file descriptor closed on scope exit.
class fd_guard {
public:
  explicit fd_guard(int fd = -1) noexcept : m_fd(fd) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  fd_guard(fd_guard&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  fd_guard& operator=(fd_guard&& other) noexcept {
    if (this != &other) {
      reset();
      m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
  }
  ~fd_guard() { reset(); }
  int get() const noexcept { return m_fd; }
  void reset() noexcept {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = -1;
  }

private:
  int m_fd;
};

void set_nodelay(int fd) {
  int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) fail_errno("setsockopt(TCP_NODELAY)");
}

// Writes a whole message with one send() (looping only if the kernel takes part of it).
void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno("send");
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// One parsed HTTP/1.1 message head: the start line and the headers the benchmark needs.
struct message_head {
  std::string start_line;
  std::size_t content_length = 0;
  std::string request_id; // Lambda-Runtime-Aws-Request-Id, when present
};

// Buffered reader of HTTP/1.1 messages (head + Content-Length body) from a blocking socket.
class http_reader {
public:
  explicit http_reader(int fd) : m_fd(fd) { m_buf.reserve(64 * 1024); }

  // Reads one message head; false on a clean end of stream before any byte of it.
  bool read_head(message_head& head) {
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
      const std::string_view value = trim(line.substr(colon + 1));
      if (iequals(name, "Content-Length")) {
        const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), head.content_length);
        if (ec != std::errc{} || ptr != value.data() + value.size()) throw std::runtime_error("bad Content-Length");
      } else if (iequals(name, "Transfer-Encoding")) {
        throw std::runtime_error("unexpected Transfer-Encoding");
      } else if (iequals(name, "Lambda-Runtime-Aws-Request-Id")) {
        head.request_id = std::string(value);
      }
    }
    return true;
  }

  // Reads the body of the message whose head was just read.
  void read_body(std::size_t length, std::string& body) {
    while (m_buf.size() - m_pos < length) {
      if (!fill()) throw std::runtime_error("connection closed inside a message body");
    }
    body.assign(m_buf, m_pos, length);
    m_pos += length;
  }

private:
  bool fill() {
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

  int m_fd;
  std::string m_buf;
  std::size_t m_pos = 0;
};

// ---------------------------------------------------------------------------------------------------
// --serve: the baseline's server, a minimal HTTP/1.1 keep-alive Runtime API stand-in.

constexpr std::string_view fixed_request_id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

int serve(const std::string& event_path, int port_fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlive the client
  const std::string event = read_file(event_path);

  fd_guard listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listener.get() < 0) fail_errno("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) fail_errno("bind");
  if (::listen(listener.get(), 1) != 0) fail_errno("listen");
  socklen_t len = sizeof addr;
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) fail_errno("getsockname");
  {
    const std::string port = std::to_string(ntohs(addr.sin_port)) + "\n";
    if (::write(port_fd, port.data(), port.size()) != static_cast<ssize_t>(port.size())) fail_errno("write(port)");
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

// ---------------------------------------------------------------------------------------------------
// Statistics.

// Nearest-rank percentile of an ascending-sorted sample, p in (0, 1].
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return std::nan("");
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

// ---------------------------------------------------------------------------------------------------
// Baseline client.

struct baseline_server {
  pid_t pid = -1;
  fd_guard conn;
};

baseline_server start_baseline_server(const std::string& self, const std::string& event_path) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) fail_errno("pipe2");
  fd_guard read_end(pipe_fds[0]);
  fd_guard write_end(pipe_fds[1]);
  // The child keeps only the write end: clear its close-on-exec flag (single-threaded, so no race).
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

  server.conn = fd_guard(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (server.conn.get() < 0) fail_errno("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(server.conn.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) fail_errno("connect");
  set_nodelay(server.conn.get());
  return server;
}

int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) fail_errno("waitpid");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

struct baseline_round {
  double pairs_per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
  double mean_us = 0;
};

// One round: `warmup` untimed pairs, then `pairs` timed GET + POST pairs over the keep-alive connection.
baseline_round run_baseline_round(int fd, const std::string& event, int warmup, int pairs) {
  http_reader reader(fd);
  const std::string get_request = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n"
                                  "Host: 127.0.0.1\r\n\r\n";
  std::string post_request;
  message_head head;
  std::string body;
  std::string ack;
  std::vector<double> lat_us;
  lat_us.reserve(static_cast<std::size_t>(pairs));

  auto one_pair = [&] {
    send_all(fd, get_request);
    if (!reader.read_head(head)) throw std::runtime_error("baseline server closed the connection");
    if (!head.start_line.starts_with("HTTP/1.1 200")) throw std::runtime_error("baseline GET: " + head.start_line);
    reader.read_body(head.content_length, body);
    // Echo the event back, as the echo function does, in one send.
    post_request.clear();
    post_request += "POST /2018-06-01/runtime/invocation/";
    post_request += head.request_id;
    post_request += "/response HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ";
    post_request += std::to_string(body.size());
    post_request += "\r\n\r\n";
    post_request += body;
    send_all(fd, post_request);
    if (!reader.read_head(head)) throw std::runtime_error("baseline server closed the connection");
    if (!head.start_line.starts_with("HTTP/1.1 202")) throw std::runtime_error("baseline POST: " + head.start_line);
    reader.read_body(head.content_length, ack);
  };

  for (int i = 0; i < warmup; ++i) one_pair();
  if (body != event) throw std::runtime_error("baseline server returned a different event");

  const auto start = clock_type::now();
  auto prev = start;
  for (int i = 0; i < pairs; ++i) {
    one_pair();
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

// ---------------------------------------------------------------------------------------------------
// lemu runs.

// Runs `lemu run <echo> --event <event> --repeat n [--json file]` with stdin, stdout and stderr on
// /dev/null; returns the wall-clock seconds from spawn to exit. Throws when lemu does not exit 0.
double time_lemu(const std::string& lemu, const std::string& echo, const std::string& event_path, int n,
                 const std::string& json_file = {}) {
  std::vector<std::string> args{lemu, "run", echo, "--event", event_path, "--repeat", std::to_string(n)};
  if (!json_file.empty()) {
    args.emplace_back("--json");
    args.push_back(json_file);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  fd_guard null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  fd_guard null_out(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  if (null_in.get() < 0 || null_out.get() < 0) fail_errno("open /dev/null");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, null_in.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, null_out.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, null_out.get(), STDERR_FILENO);

  pid_t pid = -1;
  const auto start = clock_type::now();
  const int rc = ::posix_spawn(&pid, lemu.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    errno = rc;
    fail_errno("posix_spawn " + lemu);
  }
  const int status = wait_child(pid);
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  if (status != 0) {
    throw std::runtime_error("lemu run --repeat " + std::to_string(n) + " exited with status " +
                             std::to_string(status) + " (run it by hand to see why)");
  }
  return seconds;
}

struct lemu_durations {
  std::size_t warm = 0;
  double p50_us = 0;
  double p99_us = 0;
};

lemu_durations read_lemu_json(const std::string& path, int expected) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("lemu wrote no " + path);
  std::vector<double> warm_us;
  std::string line;
  int records = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    ++records;
    if (j.at("status").get<std::string>() != "success") {
      throw std::runtime_error("lemu invocation " + j.at("index").dump() + " was not a success");
    }
    if (!j.at("cold").get<bool>()) warm_us.push_back(j.at("duration_ms").get<double>() * 1000.0);
  }
  if (records != expected) {
    throw std::runtime_error("lemu --json wrote " + std::to_string(records) + " records, expected " +
                             std::to_string(expected));
  }
  std::sort(warm_us.begin(), warm_us.end());
  return {warm_us.size(), percentile(warm_us, 0.50), percentile(warm_us, 0.99)};
}

// ---------------------------------------------------------------------------------------------------
// Command line.

struct options {
  std::string lemu;
  std::string echo;
  std::string event;
  std::string json_out;
  int pairs = 20000;
  int warmup = 1000;
  int n_small = 1000;
  int n_big = 21000;
  int n_json = 10000;
  int rounds = 3;
  bool check = false;
  // --serve mode
  bool serve = false;
  int port_fd = -1;
};

void usage(std::ostream& out) {
  out << "usage: lemu_bench --lemu PATH --echo PATH --event FILE [--json OUT] [--check]\n"
         "                  [--pairs N] [--warmup N] [--small N] [--big N] [--json-n N] [--rounds N]\n"
         "  --lemu PATH    the lemu CLI\n"
         "  --echo PATH    the C++ echo bootstrap\n"
         "  --event FILE   the event (one JSON document), e.g. events/sqs/single-message.json\n"
         "  --json OUT     also write the figures as JSON to OUT\n"
         "  --check        exit 1 when a DESIGN.md §5 target is missed\n"
         "  --pairs N      timed baseline pairs per round (default 20000)\n"
         "  --warmup N     untimed baseline pairs before each round (default 1000)\n"
         "  --small N      lemu --repeat for the short run (default 1000)\n"
         "  --big N        lemu --repeat for the long run (default 21000)\n"
         "  --json-n N     lemu --repeat for the --json run (default 10000)\n"
         "  --rounds N     rounds of each measurement, the best is kept (default 3)\n";
}

int to_int(const std::string& flag, const std::string& value, int min) {
  int v = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc{} || ptr != value.data() + value.size() || v < min) {
    throw std::invalid_argument(flag + " needs an integer >= " + std::to_string(min));
  }
  return v;
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--lemu") o.lemu = value();
    else if (flag == "--echo") o.echo = value();
    else if (flag == "--event") o.event = value();
    else if (flag == "--json") o.json_out = value();
    else if (flag == "--check") o.check = true;
    else if (flag == "--pairs") o.pairs = to_int(flag, value(), 1);
    else if (flag == "--warmup") o.warmup = to_int(flag, value(), 1);
    else if (flag == "--small") o.n_small = to_int(flag, value(), 1);
    else if (flag == "--big") o.n_big = to_int(flag, value(), 2);
    else if (flag == "--json-n") o.n_json = to_int(flag, value(), 2);
    else if (flag == "--rounds") o.rounds = to_int(flag, value(), 1);
    else if (flag == "--serve") {
      o.serve = true;
      o.event = value();
    } else if (flag == "--port-fd") o.port_fd = to_int(flag, value(), 0);
    else if (flag == "-h" || flag == "--help") {
      usage(std::cout);
      std::exit(0);
    } else throw std::invalid_argument("unknown option " + flag);
  }
  if (o.serve) {
    if (o.port_fd < 0) throw std::invalid_argument("--serve needs --port-fd");
    return o;
  }
  if (o.lemu.empty() || o.echo.empty() || o.event.empty()) throw std::invalid_argument("--lemu, --echo and --event are required");
  if (o.n_big <= o.n_small) throw std::invalid_argument("--big must be larger than --small");
  return o;
}

std::string self_path() {
  std::string path(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", path.data(), path.size());
  if (n <= 0 || static_cast<std::size_t>(n) >= path.size()) fail_errno("readlink /proc/self/exe");
  path.resize(static_cast<std::size_t>(n));
  return path;
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string row(std::string_view name, const std::string& lemu, const std::string& base, const std::string& ratio,
                 std::string_view note) {
  // Column widths count code points, so "µ" and "→" do not shift the columns.
  auto pad = [](std::string_view s, std::size_t width) {
    std::size_t cps = 0;
    for (const char c : s) cps += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    std::string out(s);
    if (cps < width) out.append(width - cps, ' ');
    return out;
  };
  std::string line = pad(name, 39) + pad(lemu, 14) + pad(base, 15) + pad(ratio, 7) + std::string(note);
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

int run_bench(const options& o) {
  const std::string event = read_file(o.event);
  const std::string self = self_path();

  std::cerr << "lemu_bench: event " << o.event << " (" << event.size() << " bytes), " << o.rounds
            << " rounds: baseline " << o.warmup << " + " << o.pairs << " pairs, lemu --repeat " << o.n_small
            << " and " << o.n_big << "; then lemu --repeat " << o.n_json << " --json\n";

  baseline_server server = start_baseline_server(self, o.event);

  std::vector<baseline_round> base_rounds;
  std::vector<double> t_small;
  std::vector<double> t_big;
  for (int r = 0; r < o.rounds; ++r) {
    base_rounds.push_back(run_baseline_round(server.conn.get(), event, o.warmup, o.pairs));
    t_small.push_back(time_lemu(o.lemu, o.echo, o.event, o.n_small));
    t_big.push_back(time_lemu(o.lemu, o.echo, o.event, o.n_big));
    std::cerr << "  round " << r + 1 << ": baseline " << fmt("%.0f", base_rounds.back().pairs_per_s)
              << " pairs/s (p50 " << fmt("%.1f", base_rounds.back().p50_us) << " µs, p99 "
              << fmt("%.1f", base_rounds.back().p99_us) << " µs); lemu --repeat " << o.n_small << " "
              << fmt("%.3f", t_small.back()) << " s, --repeat " << o.n_big << " " << fmt("%.3f", t_big.back())
              << " s\n";
  }
  server.conn.reset(); // end of stream: the server exits
  if (const int status = wait_child(server.pid); status != 0) {
    throw std::runtime_error("baseline server exited with status " + std::to_string(status));
  }

  // lemu's own view of each warm invoke.
  char tmpl[] = "/tmp/lemu_bench_XXXXXX";
  const int tmp_fd = ::mkstemp(tmpl);
  if (tmp_fd < 0) fail_errno("mkstemp");
  ::close(tmp_fd);
  const std::string json_file = tmpl;
  lemu_durations durations;
  try {
    time_lemu(o.lemu, o.echo, o.event, o.n_json, json_file);
    durations = read_lemu_json(json_file, o.n_json);
  } catch (...) {
    ::unlink(json_file.c_str());
    throw;
  }
  ::unlink(json_file.c_str());

  // Figures: the best baseline round (highest rate; its percentiles), the least lemu times.
  const baseline_round base = *std::max_element(
      base_rounds.begin(), base_rounds.end(), [](const auto& a, const auto& b) { return a.pairs_per_s < b.pairs_per_s; });
  const double best_small = *std::min_element(t_small.begin(), t_small.end());
  const double best_big = *std::min_element(t_big.begin(), t_big.end());
  const double dt = best_big - best_small;
  if (dt <= 0) throw std::runtime_error("lemu's long run was not slower than its short run; raise --big");
  const double lemu_rate = (o.n_big - o.n_small) / dt;
  const double lemu_added_us = 1e6 / lemu_rate;

  const double ratio_rate = lemu_rate / base.pairs_per_s;
  const double ratio_latency = lemu_added_us / base.p50_us;
  const double ratio_inner_p50 = durations.p50_us / base.p50_us;
  const double ratio_inner_p99 = durations.p99_us / base.p99_us;
  const bool rate_ok = ratio_rate >= target_throughput_ratio;
  const bool latency_ok = ratio_latency <= target_p50_ratio;

  auto verdict = [](bool ok) { return ok ? "ok" : "MISSED"; };
  std::cout << row("benchmark", "lemu", "baseline", "ratio", "") << '\n'
            << row("warm invokes/s (C++ echo, --repeat)", fmt("%.0f/s", lemu_rate), fmt("%.0f/s", base.pairs_per_s),
                   fmt("%.2f", ratio_rate),
                   fmt("(target >= %.2f) ", target_throughput_ratio) + verdict(rate_ok))
            << '\n'
            << row("warm invoke added latency p50 (µs)", fmt("%.1f", lemu_added_us), fmt("%.1f", base.p50_us),
                   fmt("%.2f", ratio_latency),
                   fmt("(target <= %.2f) ", target_p50_ratio) + verdict(latency_ok) +
                       "  lemu: 1e6 / rate; baseline: pair p50")
            << '\n'
            << row("  baseline pair p50 / p99 (µs)", "", fmt("%.1f", base.p50_us) + fmt(" / %.1f", base.p99_us), "",
                   "")
            << '\n'
            << row("  duration inside lemu p50 (µs)", fmt("%.1f", durations.p50_us), fmt("%.1f", base.p50_us),
                   fmt("%.2f", ratio_inner_p50), "info: event delivered → response received")
            << '\n'
            << row("  duration inside lemu p99 (µs)", fmt("%.1f", durations.p99_us), fmt("%.1f", base.p99_us),
                   fmt("%.2f", ratio_inner_p99), fmt("info: vs baseline pair p99 (§5 p99 target <= %.2f)", target_p99_ratio))
            << '\n';
  std::cout.flush();

  if (!o.json_out.empty()) {
    nlohmann::json j;
    j["event"] = o.event;
    j["event_bytes"] = event.size();
    j["parameters"] = {{"rounds", o.rounds},   {"baseline_pairs", o.pairs}, {"baseline_warmup", o.warmup},
                       {"n_small", o.n_small}, {"n_big", o.n_big},          {"n_json", o.n_json}};
    nlohmann::json rounds = nlohmann::json::array();
    for (const auto& r : base_rounds) {
      rounds.push_back({{"pairs_per_s", r.pairs_per_s}, {"p50_us", r.p50_us}, {"p99_us", r.p99_us}, {"mean_us", r.mean_us}});
    }
    j["baseline"] = {{"pairs_per_s", base.pairs_per_s},
                     {"pair_p50_us", base.p50_us},
                     {"pair_p99_us", base.p99_us},
                     {"pair_mean_us", base.mean_us},
                     {"rounds", rounds}};
    j["lemu"] = {{"warm_invokes_per_s", lemu_rate},
                 {"added_latency_us", lemu_added_us},
                 {"t_small_s", t_small},
                 {"t_big_s", t_big},
                 {"warm_records", durations.warm},
                 {"duration_p50_us", durations.p50_us},
                 {"duration_p99_us", durations.p99_us}};
    j["ratios"] = {{"throughput", ratio_rate},
                   {"latency_p50", ratio_latency},
                   {"duration_p50_vs_pair_p50", ratio_inner_p50},
                   {"duration_p99_vs_pair_p99", ratio_inner_p99}};
    j["targets"] = {{"throughput_min", target_throughput_ratio},
                    {"latency_p50_max", target_p50_ratio},
                    {"latency_p99_max", target_p99_ratio},
                    {"throughput_ok", rate_ok},
                    {"latency_p50_ok", latency_ok}};
    std::ofstream out(o.json_out);
    out << j.dump(2) << '\n';
    if (!out) throw std::runtime_error("cannot write " + o.json_out);
  }

  return o.check && !(rate_ok && latency_ok) ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
  try {
    const options o = parse(argc, argv);
    if (o.serve) return serve(o.event, o.port_fd);
    ::signal(SIGPIPE, SIG_IGN);
    return run_bench(o);
  } catch (const std::invalid_argument& e) {
    std::cerr << "lemu_bench: " << e.what() << '\n';
    usage(std::cerr);
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "lemu_bench: " << e.what() << '\n';
    return 2;
  }
}
