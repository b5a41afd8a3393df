#include "bench/serve.hpp"

#include "bench/baseline.hpp"
#include "bench/core.hpp"
#include "bench/http_reader.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
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
  lemu_serve_process(const std::string& lemu, const std::string& echo, int concurrency) {
    std::vector<std::string> args{lemu, "serve", echo, "--port", "0", "--api", "none", "--concurrency",
                                  std::to_string(concurrency), "--function-name", std::string(serve_function_name),
                                  "--timeout", "10"};
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
  unsigned m_port = 0;
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

} // namespace

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
