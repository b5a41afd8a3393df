#include "bench/serve.hpp"

#include "bench/baseline.hpp"
#include "bench/core.hpp"
#include "bench/http_reader.hpp"
#include "bench/lemu_runs.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <thread>
#include <utility>

extern char** environ;

namespace lemu::bench {

namespace {

constexpr std::string_view serve_function_name = "echo";

// The baseline's invoke: three round trips with one --serve server.
class baseline_invoke_client {
public:
  baseline_invoke_client(int fd, const std::string& event) : m_client(fd), m_event(event) {}

  void invoke() {
    if (m_client.fetch() != m_event) throw std::runtime_error("baseline server returned a different event");
    m_client.pair();
  }

private:
  baseline_client m_client;
  const std::string& m_event;
};

// An Invoke API client: one keep-alive connection to lemu serve, one synchronous invoke at a time.
class invoke_api_client {
public:
  invoke_api_client(unsigned port, const std::string& event)
      : m_fd(connect_loopback(port)), m_reader(m_fd.get()), m_event(event) {
    // A hung lemu fails the benchmark instead of hanging it (its --timeout is 10 s).
    timeval tv{};
    tv.tv_sec = 30;
    if (::setsockopt(m_fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) fail_errno("setsockopt(SO_RCVTIMEO)");
    m_request = "POST /2015-03-31/functions/" + std::string(serve_function_name) +
                "/invocations HTTP/1.1\r\n"
                "Host: 127.0.0.1\r\n"
                "Content-Type: application/json\r\n"
                "Content-Length: " +
                std::to_string(event.size()) + "\r\n\r\n" + event;
  }

  void invoke() {
    send_all(m_fd.get(), m_request);
    if (!m_reader.read_head(m_head)) throw std::runtime_error("lemu serve closed the connection");
    m_reader.read_body(m_head.content_length, m_body);
    if (!m_head.start_line.starts_with("HTTP/1.1 200 ")) {
      throw std::runtime_error("lemu serve answered an invoke with " + m_head.start_line + ": " + m_body);
    }
    // The echo's answer is the event, byte for byte; a function error would be its error JSON.
    if (m_body != m_event) throw std::runtime_error("lemu serve's answer is not the event: " + m_body.substr(0, 200));
  }

private:
  fd_guard m_fd;
  http_reader m_reader;
  const std::string& m_event;
  std::string m_request;
  message_head m_head;
  std::string m_body;
};

// Runs clients[i]->invoke() on one thread per client: `warmup` untimed invokes each, then all start
// together and run until `seconds` have passed.
template <class Client>
invoke_round run_invoke_clients(const std::vector<std::unique_ptr<Client>>& clients, int warmup, double seconds) {
  const parallel_timing t = run_parallel(
      clients.size(), warmup, [&](std::size_t i) { clients[i]->invoke(); }, [](std::size_t) {}, 0, seconds,
      "an invoke round");
  invoke_round r;
  r.invokes = t.count;
  r.span_s = t.span_s;
  r.invokes_per_s = t.per_s;
  r.mean_us = t.mean_us;
  r.p50_us = t.p50_us;
  r.p99_us = t.p99_us;
  return r;
}

// `lemu serve <echo> --port 0 --api none --concurrency C ...`: stdin and stdout on /dev/null, stderr on a
// pipe read until "lemu: ready", then drained by a thread that keeps only its tail (for error messages), so
// lemu never blocks on it. stop() is Ctrl-C; the destructor SIGKILLs a lemu that was not stopped.
// Not tests/support's background_process: that keeps all the output, and lemu serve's START/END/REPORT
// lines are tens of MB a round; this process's RSS would grow by that, and Linux folds a posix_spawn()ing
// parent's RSS into the child's ru_maxrss at exec (vfork), which is what the replay's peak RSS reads.
class lemu_serve_process {
public:
  lemu_serve_process(const std::string& lemu, const std::string& echo, int concurrency)
      : lemu_serve_process(lemu, {echo, "--port", "0", "--api", "none", "--concurrency", std::to_string(concurrency),
                                  "--function-name", std::string(serve_function_name), "--timeout", "10"}) {}

  // `lemu serve ARGS...`
  lemu_serve_process(const std::string& lemu, std::vector<std::string> serve_args) {
    std::vector<std::string> args{lemu, "serve"};
    args.insert(args.end(), serve_args.begin(), serve_args.end());
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
      m_command += (m_command.empty() ? "" : " ") + a;
    }
    argv.push_back(nullptr);

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) fail_errno("pipe2");
    m_err = fd_guard(pipe_fds[0]);
    fd_guard write_end(pipe_fds[1]);
    fd_guard null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    fd_guard null_out(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    if (null_in.get() < 0 || null_out.get() < 0) fail_errno("open /dev/null");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, null_in.get(), STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, null_out.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDERR_FILENO);
    // Ctrl-C must reach lemu even when this benchmark was started with SIGINT ignored (a background job).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    const int rc = ::posix_spawn(&m_child.pid, lemu.c_str(), &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
      m_child.pid = -1;
      errno = rc;
      fail_errno("posix_spawn " + lemu);
    }
    write_end.reset();

    // Until "ready" (or 30 s, or lemu's end), then the Invoke API port from its announcement.
    std::string text;
    const auto deadline = clock_type::now() + std::chrono::seconds(30);
    while (text.find("lemu: ready") == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
      if (left <= 0) throw std::runtime_error("`" + m_command + "` was not ready within 30 s:\n" + text);
      pollfd p{m_err.get(), POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) < 0) {
        if (errno == EINTR) continue;
        fail_errno("poll");
      }
      char buf[4096];
      const ssize_t n = ::read(m_err.get(), buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        fail_errno("read(lemu stderr)");
      }
      if (n == 0) {
        const int status = wait_child(std::exchange(m_child.pid, -1));
        throw std::runtime_error("`" + m_command + "` exited with status " + std::to_string(status) +
                                 " before it was ready:\n" + text);
      }
      text.append(buf, static_cast<std::size_t>(n));
    }
    constexpr std::string_view announce = "lemu: Invoke API on http://";
    const std::size_t at = text.find(announce);
    const std::size_t colon = at == std::string::npos ? at : text.find(':', at + announce.size());
    if (colon != std::string::npos) {
      const auto [ptr, ec] = std::from_chars(text.data() + colon + 1, text.data() + text.size(), m_port);
      if (ec != std::errc{}) m_port = 0;
    }
    if (m_port == 0 || m_port > 65535) throw std::runtime_error("no Invoke API port in lemu serve's output:\n" + text);
    constexpr std::string_view front = "lemu: HTTP front door (";
    if (const std::size_t f = text.find(front); f != std::string::npos) {
      const std::size_t c = text.find("http://", f);
      const std::size_t pc = c == std::string::npos ? c : text.find(':', c + 7);
      if (pc != std::string::npos) std::from_chars(text.data() + pc + 1, text.data() + text.size(), m_api_port);
    }

    constexpr std::string_view sqs = "lemu: SQS on http://";
    if (const std::size_t q = text.find(sqs); q != std::string::npos) {
      const std::size_t pc = text.find(':', q + sqs.size());
      if (pc != std::string::npos) std::from_chars(text.data() + pc + 1, text.data() + text.size(), m_sqs_port);
    }

    m_drain = std::jthread([this] {
      char buf[64 * 1024];
      for (;;) {
        const ssize_t n = ::read(m_err.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        m_tail.append(buf, static_cast<std::size_t>(n));
        if (m_tail.size() > 16 * 1024) m_tail.erase(0, m_tail.size() - 4 * 1024);
      }
    });
  }

  lemu_serve_process(const lemu_serve_process&) = delete;
  lemu_serve_process& operator=(const lemu_serve_process&) = delete;

  ~lemu_serve_process() {
    m_child.kill();
    // m_drain is joined by its destructor: the pipe ends with lemu.
  }

  unsigned port() const { return m_port; }
  unsigned api_port() const { return m_api_port; } // 0 without a front door
  unsigned sqs_port() const { return m_sqs_port; } // 0 without --sqs-port

  // Ctrl-C, then waits (at most 30 s) for lemu's exit; throws unless it exits 0.
  void stop() {
    if (::kill(m_child.pid, SIGINT) != 0) fail_errno("kill(SIGINT)");
    fd_guard pidfd(pidfd_open(m_child.pid));
    if (pidfd.get() < 0) fail_errno("pidfd_open");
    pollfd p{pidfd.get(), POLLIN, 0};
    int ready = 0;
    while ((ready = ::poll(&p, 1, 30000)) < 0) {
      if (errno != EINTR) fail_errno("poll");
    }
    if (ready == 0) throw std::runtime_error("`" + m_command + "` did not exit within 30 s of SIGINT");
    const int status = wait_child(std::exchange(m_child.pid, -1));
    if (m_drain.joinable()) m_drain.join();
    if (status != 0) {
      throw std::runtime_error("`" + m_command + "` exited with status " + std::to_string(status) +
                               " after SIGINT; the end of its stderr:\n" + m_tail);
    }
  }

private:
  std::string m_command;
  child_guard m_child; // SIGKILLs and reaps a lemu that was not stopped, also when the constructor throws
  fd_guard m_err;
  unsigned m_port = 0, m_api_port = 0, m_sqs_port = 0;
  std::string m_tail; // written by m_drain only, read after it is joined
  std::jthread m_drain;
};

// One round against a fresh lemu serve at one concurrency.
invoke_round serve_lemu_round(const options& o, const std::string& event, int concurrency) {
  lemu_serve_process lemu(o.lemu, o.echo, concurrency);
  invoke_round r;
  {
    std::vector<std::unique_ptr<invoke_api_client>> clients;
    for (int i = 0; i < o.serve_clients; ++i) {
      clients.push_back(std::make_unique<invoke_api_client>(lemu.port(), event));
    }
    r = run_invoke_clients(clients, o.serve_warmup, o.serve_seconds);
  } // connections closed: nothing in flight when lemu stops
  lemu.stop();
  return r;
}

// One streamed answer read off a keep-alive connection: a chunked response whose first chunk holds the
// function's "t=<CLOCK_MONOTONIC ns>\n" (the front door's body, or inside the Invoke API's first PayloadChunk
// frame). Returns the ns from that write to the moment the chunk was received here.
class stream_client {
public:
  stream_client(unsigned port, std::string request) : m_fd(connect_loopback(port)), m_request(std::move(request)) {
    timeval tv{};
    tv.tv_sec = 30;
    if (::setsockopt(m_fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) fail_errno("setsockopt(SO_RCVTIMEO)");
  }

  double invoke_ns() {
    send_all(m_fd.get(), m_request);
    const std::size_t head_end = until("\r\n\r\n");
    if (m_buf.compare(m_pos, 13, "HTTP/1.1 200 ") != 0) {
      throw std::runtime_error("lemu serve answered a streamed invoke with " + m_buf.substr(m_pos, m_buf.find('\r', m_pos) - m_pos));
    }
    m_pos = head_end + 4;
    std::int64_t sent = -1, received = -1;
    for (;;) {
      const std::size_t line_end = until("\r\n");
      const std::size_t size = std::stoul(m_buf.substr(m_pos, line_end - m_pos), nullptr, 16);
      m_pos = line_end + 2;
      while (m_buf.size() < m_pos + size + 2) fill();
      if (sent < 0) {
        received = now_ns();
        const std::size_t t = m_buf.find("t=", m_pos);
        if (t == std::string::npos || t >= m_pos + size) throw std::runtime_error("the first chunk holds no t=<ns>");
        sent = std::stoll(m_buf.substr(t + 2, 20));
      }
      m_pos += size + 2;
      if (size == 0) break;
    }
    m_buf.erase(0, m_pos);
    m_pos = 0;
    return static_cast<double>(received - sent);
  }

private:
  static std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
  }
  void fill() {
    char buf[64 * 1024];
    for (;;) {
      const ssize_t n = ::recv(m_fd.get(), buf, sizeof buf, 0);
      if (n > 0) {
        m_buf.append(buf, static_cast<std::size_t>(n));
        return;
      }
      if (n < 0 && errno == EINTR) continue;
      throw std::runtime_error(n == 0 ? "lemu serve closed a streaming connection" : "recv failed on a streaming connection");
    }
  }
  std::size_t until(std::string_view marker) {
    std::size_t at;
    while ((at = m_buf.find(marker, m_pos)) == std::string::npos) fill();
    return at;
  }

  fd_guard m_fd;
  std::string m_request;
  std::string m_buf;
  std::size_t m_pos = 0;
};

stream_route measure_stream_route(stream_client& client, int n) {
  for (int i = 0; i < 20; ++i) client.invoke_ns(); // the cold start and a warm-up
  std::vector<double> ms;
  ms.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) ms.push_back(client.invoke_ns() / 1e6);
  std::sort(ms.begin(), ms.end());
  stream_route r;
  r.n = n;
  r.p50_ms = percentile(ms, 0.50);
  r.p99_ms = percentile(ms, 0.99);
  return r;
}

} // namespace

stream_result measure_stream(const options& o) {
  stream_result s;
  if (o.fake.empty()) return s;
  lemu_serve_process lemu(o.lemu, {o.fake, "--port", "0", "--api-port", "0", "--api", "url", "--invoke-mode",
                                   "RESPONSE_STREAM", "--handler", "stream", "--function-name", "stream", "--env",
                                   "FAKE_STREAM_TIMESTAMP=1", "--env", "FAKE_STREAM_CHUNKS=1", "--timeout", "10"});
  {
    stream_client door(lemu.api_port(), "GET /ttfb HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    s.front_door = measure_stream_route(door, o.stream_n);
    stream_client api(lemu.port(), "POST /2021-11-15/functions/stream/response-streaming-invocations HTTP/1.1\r\n"
                                   "Host: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}");
    s.invoke_api = measure_stream_route(api, o.stream_n);
  }
  lemu.stop();
  s.measured = true;
  s.ok = s.front_door.p50_ms <= target_stream_ttfb_ms && s.invoke_api.p50_ms <= target_stream_ttfb_ms;
  std::cerr << "  stream ttfb: front door p50 " << fmt("%.3f", s.front_door.p50_ms) << " ms, p99 "
            << fmt("%.3f", s.front_door.p99_ms) << " ms; Invoke API p50 " << fmt("%.3f", s.invoke_api.p50_ms)
            << " ms, p99 " << fmt("%.3f", s.invoke_api.p99_ms) << " ms\n";
  return s;
}

nlohmann::json stream_json(const stream_result& s) {
  if (!s.measured) return nullptr;
  const auto route = [](const stream_route& r) { return nlohmann::json{{"n", r.n}, {"p50_ms", r.p50_ms}, {"p99_ms", r.p99_ms}}; };
  return {{"what", "the function's first write (CLOCK_MONOTONIC in the chunk) -> the client has that chunk"},
          {"front_door", route(s.front_door)},
          {"invoke_api", route(s.invoke_api)},
          {"target_p50_max_ms", target_stream_ttfb_ms},
          {"ok", s.ok}};
}

void print_stream_rows(std::ostream& out, const stream_result& s) {
  if (!s.measured) return;
  const auto line = [&](const std::string& name, const stream_route& r) {
    out << row(name, fmt("%.3f", r.p50_ms) + fmt(" / %.3f", r.p99_ms), "-", "-",
               fmt("(target p50 <= %.1f ms) ", target_stream_ttfb_ms) + verdict(r.p50_ms <= target_stream_ttfb_ms) +
                   "  n=" + std::to_string(r.n))
        << '\n';
  };
  line("stream ttfb p50 / p99, front door (ms)", s.front_door);
  line("stream ttfb p50 / p99, Invoke API (ms)", s.invoke_api);
}

serve_result measure_serve(const options& o, const std::string& self, const std::string& event) {
  serve_result s;
  s.clients = o.serve_clients;
  std::vector<int> concurrencies{serve_acceptance_concurrency};
  if (o.serve_clients != serve_acceptance_concurrency) concurrencies.push_back(o.serve_clients);
  for (const int c : concurrencies) {
    serve_lemu_result l;
    l.concurrency = c;
    s.lemu.push_back(l);
  }

  // The baseline servers start before any other thread runs (start_baseline_server needs that).
  std::vector<baseline_server> servers;
  for (int i = 0; i < o.serve_clients; ++i) servers.push_back(start_baseline_server(self, o.event));
  {
    std::vector<std::unique_ptr<baseline_invoke_client>> clients;
    for (const auto& server : servers) {
      clients.push_back(std::make_unique<baseline_invoke_client>(server.conn.get(), event));
    }
    for (int r = 0; r < o.serve_rounds; ++r) {
      s.base_rounds.push_back(run_invoke_clients(clients, o.serve_warmup, o.serve_seconds));
      const auto& b = s.base_rounds.back();
      std::string line = "  serve round " + std::to_string(r + 1) + ": baseline " + fmt("%.0f", b.invokes_per_s) +
                         " invokes/s (p50 " + fmt("%.1f", b.p50_us) + " µs, p99 " + fmt("%.1f", b.p99_us) + " µs)";
      for (auto& l : s.lemu) {
        l.rounds.push_back(serve_lemu_round(o, event, l.concurrency));
        const auto& x = l.rounds.back();
        line += "; lemu -c " + std::to_string(l.concurrency) + " " + fmt("%.0f", x.invokes_per_s) + " invokes/s (p50 " +
                fmt("%.1f", x.p50_us) + " µs, p99 " + fmt("%.1f", x.p99_us) + " µs)";
      }
      std::cerr << line << "\n";
    }
  }
  for (auto& server : servers) stop_baseline_server(server);

  const auto by_rate = [](const invoke_round& a, const invoke_round& b) { return a.invokes_per_s < b.invokes_per_s; };
  s.base = *std::max_element(s.base_rounds.begin(), s.base_rounds.end(), by_rate);
  for (auto& l : s.lemu) {
    l.best = *std::max_element(l.rounds.begin(), l.rounds.end(), by_rate);
    l.ratio_rate = l.best.invokes_per_s / s.base.invokes_per_s;
    l.ratio_p50 = l.best.p50_us / s.base.p50_us;
    l.ratio_p99 = l.best.p99_us / s.base.p99_us;
  }
  s.ok = s.lemu.back().ratio_rate >= target_serve_ratio;
  return s;
}

nlohmann::json serve_json(const options& o, const serve_result& s) {
  auto round_json = [](const invoke_round& r) {
    return nlohmann::json{{"invokes_per_s", r.invokes_per_s},
                          {"p50_us", r.p50_us},
                          {"p99_us", r.p99_us},
                          {"mean_us", r.mean_us},
                          {"invokes", r.invokes},
                          {"span_s", r.span_s}};
  };
  nlohmann::json base_rounds = nlohmann::json::array();
  for (const auto& r : s.base_rounds) base_rounds.push_back(round_json(r));
  nlohmann::json base = round_json(s.base);
  base["rounds"] = base_rounds;
  base["what"] = "per client, three sequential keep-alive round trips (GET the event, GET + POST) with its own "
                 "server process";
  nlohmann::json lemu = nlohmann::json::array();
  for (const auto& l : s.lemu) {
    nlohmann::json rounds = nlohmann::json::array();
    for (const auto& r : l.rounds) rounds.push_back(round_json(r));
    nlohmann::json x = round_json(l.best);
    x["concurrency"] = l.concurrency;
    x["rounds"] = rounds;
    x["ratio_throughput"] = l.ratio_rate;
    x["ratio_p50"] = l.ratio_p50;
    x["ratio_p99"] = l.ratio_p99;
    lemu.push_back(x);
  }
  return {{"clients", s.clients},
          {"seconds_per_round", o.serve_seconds},
          {"warmup_per_client", o.serve_warmup},
          {"baseline", base},
          {"lemu", lemu},
          {"target_throughput_min", target_serve_ratio},
          {"target_applies_to_concurrency", s.lemu.back().concurrency},
          {"throughput_ok", s.ok}};
}

void print_serve_rows(std::ostream& out, const serve_result& s) {
  const std::string clients = std::to_string(s.clients);
  for (std::size_t i = s.lemu.size(); i-- > 0;) {
    const auto& l = s.lemu[i];
    const std::string c = std::to_string(l.concurrency);
    const bool targeted = i + 1 == s.lemu.size();
    const std::string note =
        targeted ? fmt("(target >= %.2f) ", target_serve_ratio) + verdict(s.ok) + "  baseline: " + clients +
                       " chains of 3 round trips"
                 : fmt("info (target %.2f applies to -c ", target_serve_ratio) + clients + ")";
    out << row("serve Invoke API " + clients + " clients -c " + c, fmt("%.0f/s", l.best.invokes_per_s),
               fmt("%.0f/s", s.base.invokes_per_s), fmt("%.2f", l.ratio_rate), note)
        << '\n'
        << row("  invoke p50 / p99, -c " + c + " (µs)", fmt("%.1f", l.best.p50_us) + fmt(" / %.1f", l.best.p99_us),
               fmt("%.1f", s.base.p50_us) + fmt(" / %.1f", s.base.p99_us), fmt("%.2f", l.ratio_p50),
               "info: as a client sees it; ratio p50" + fmt(" (p99 %.2f)", l.ratio_p99))
        << '\n';
  }
}

} // namespace lemu::bench

namespace lemu::bench {

namespace {

// One SQS JSON-protocol call on a keep-alive connection; the answer's body.
std::string sqs_call(int fd, http_reader& reader, const std::string& action, const std::string& body) {
  send_all(fd, "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AmazonSQS." +
                   action + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  message_head head;
  if (!reader.read_head(head)) throw std::runtime_error("sqs: the connection closed during " + action);
  std::string answer;
  reader.read_body(head.content_length, answer);
  if (head.start_line.find(" 200 ") == std::string::npos) throw std::runtime_error("sqs: " + action + ": " + head.start_line + " " + answer);
  return answer;
}

// 1,000 SendMessageBatch of 10 on one connection; the seconds they took.
double send_messages(int fd, http_reader& reader, int batches) {
  const auto start = clock_type::now();
  for (int b = 0; b < batches; ++b) {
    nlohmann::json entries = nlohmann::json::array();
    for (int i = 0; i < 10; ++i) entries.push_back({{"Id", "e" + std::to_string(i)}, {"MessageBody", "message " + std::to_string(b * 10 + i)}});
    sqs_call(fd, reader, "SendMessageBatch", nlohmann::json{{"QueueUrl", "bench"}, {"Entries", entries}}.dump());
  }
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

} // namespace

sqs_result measure_sqs(const options& o) {
  sqs_result r;
  constexpr int batches = sqs_messages / 10;
  // Baseline: the same 10,000 messages as 1,000 ten-record SQS events through lemu run -c 4 (no queue).
  {
    temp_dir dir("lemu-bench-sqs");
    const nlohmann::json one = nlohmann::json::parse(read_file(o.event));
    nlohmann::json event{{"Records", nlohmann::json::array()}};
    for (int i = 0; i < 10; ++i) event["Records"].push_back(one["Records"][0]);
    const std::string line = event.dump() + "\n";
    const std::string file = dir.file("batches.jsonl");
    {
      std::ofstream out(file);
      for (int b = 0; b < batches; ++b) out << line;
    }
    const lemu_run run = run_lemu(o.lemu, o.echo, {"--event", file, "--concurrency", std::to_string(sqs_concurrency), "--quiet"});
    r.run_messages_per_s = sqs_messages / run.seconds;
  }
  // lemu: sent to a local queue over the JSON protocol, delivered by the mapping, deleted: sent -> drained.
  for (const bool journal : {false, true}) {
    temp_dir state("lemu-bench-sqs-state");
    lemu_serve_process lemu(o.lemu, {o.echo, "--port", "0", "--api", "none", "--concurrency", std::to_string(sqs_concurrency),
                                     "--sqs-port", "0", "--sqs-state", journal ? state.file("sqs") : std::string("none"),
                                     "--sqs-queue", "bench:VisibilityTimeout=300", "--sqs-trigger",
                                     "bench:batch=10,max-concurrency=" + std::to_string(sqs_concurrency)});
    fd_guard fd = connect_loopback(lemu.sqs_port());
    http_reader reader(fd.get());
    const auto start = clock_type::now();
    const double sent = send_messages(fd.get(), reader, batches);
    for (;;) {
      const auto a = nlohmann::json::parse(sqs_call(fd.get(), reader, "GetQueueAttributes",
                                                    R"({"QueueUrl":"bench","AttributeNames":["All"]})"))["Attributes"];
      if (a["ApproximateNumberOfMessages"] == "0" && a["ApproximateNumberOfMessagesNotVisible"] == "0") break;
      if (clock_type::now() - start > std::chrono::seconds(120)) throw std::runtime_error("sqs: the mapping did not drain the queue in 120 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const double total = std::chrono::duration<double>(clock_type::now() - start).count();
    lemu.stop();
    (journal ? r.journal_send_per_s : r.send_per_s) = sqs_messages / sent;
    (journal ? r.journal_mapping_per_s : r.mapping_per_s) = sqs_messages / total;
  }
  r.measured = true;
  std::cerr << "  sqs: send " << fmt("%.0f", r.send_per_s) << " msg/s (journal " << fmt("%.0f", r.journal_send_per_s)
            << "), send+deliver+delete " << fmt("%.0f", r.mapping_per_s) << " msg/s (journal " << fmt("%.0f", r.journal_mapping_per_s)
            << "), lemu run of the same batches " << fmt("%.0f", r.run_messages_per_s) << " msg/s\n";
  return r;
}

nlohmann::json sqs_json(const sqs_result& r) {
  if (!r.measured) return nullptr;
  return {{"messages", sqs_messages},
          {"batch", 10},
          {"concurrency", sqs_concurrency},
          {"send_messages_per_s", r.send_per_s},
          {"send_messages_per_s_journal", r.journal_send_per_s},
          {"mapping_messages_per_s", r.mapping_per_s},
          {"mapping_messages_per_s_journal", r.journal_mapping_per_s},
          {"baseline_run_messages_per_s", r.run_messages_per_s},
          {"mapping_vs_run", r.mapping_per_s / r.run_messages_per_s}};
}

void print_sqs_rows(std::ostream& out, const sqs_result& r) {
  if (!r.measured) return;
  out << row("sqs send+deliver+delete msg/s", fmt("%.0f", r.mapping_per_s), fmt("%.0f", r.run_messages_per_s),
             fmt("%.2f", r.mapping_per_s / r.run_messages_per_s), "")
      << '\n';
  out << row("  with the journal", fmt("%.0f", r.journal_mapping_per_s), fmt("%.0f", r.run_messages_per_s),
             fmt("%.2f", r.journal_mapping_per_s / r.run_messages_per_s), "")
      << '\n';
  out << row("sqs SendMessageBatch msg/s", fmt("%.0f", r.send_per_s), "-", "-", "") << '\n';
  out << row("  with the journal", fmt("%.0f", r.journal_send_per_s), "-", "-", "") << '\n';
}

} // namespace lemu::bench
