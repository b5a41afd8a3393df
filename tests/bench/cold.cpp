#include "bench/cold.hpp"

#include <filesystem>

#include "bench/core.hpp"
#include "bench/http_reader.hpp"
#include "bench/lemu_runs.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <iostream>
#include <stdexcept>

namespace lemu::bench {

namespace {

struct cold_sample {
  double init_ms = 0;  // posix_spawn -> the first GET /next read whole
  double cycle_ms = 0; // posix_spawn -> event answered, response taken, child killed and reaped
};

// The baseline's minimal Runtime API server, in this process, and the spawns of the bootstrap.
class cold_baseline {
public:
  cold_baseline(std::string bootstrap, std::string event) : m_bootstrap(std::move(bootstrap)), m_event(std::move(event)) {
    unsigned port = 0;
    m_listener = listen_loopback(16, port);
    // The echo bootstrap reads only AWS_LAMBDA_RUNTIME_API.
    m_env.push_back("AWS_LAMBDA_RUNTIME_API=127.0.0.1:" + std::to_string(port));
    const std::string accepted_body = R"({"status":"OK"})";
    m_accepted = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: " +
                 std::to_string(accepted_body.size()) + "\r\n\r\n" + accepted_body;
  }

  cold_sample spawn_once(int serial) {
    // The /next answer is built before the clock starts.
    const auto deadline_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch() + std::chrono::seconds(3))
                                 .count();
    char request_id[40];
    std::snprintf(request_id, sizeof request_id, "c01d57a1-0000-4000-8000-%012d", serial);
    const std::string next_response = "HTTP/1.1 200 OK\r\n"
                                      "Content-Type: application/json\r\n"
                                      "Lambda-Runtime-Aws-Request-Id: " +
                                      std::string(request_id) +
                                      "\r\n"
                                      "Lambda-Runtime-Deadline-Ms: " +
                                      std::to_string(deadline_ms) +
                                      "\r\n"
                                      "Lambda-Runtime-Invoked-Function-Arn: "
                                      "arn:aws:lambda:us-east-1:123456789012:function:bootstrap\r\n"
                                      "Content-Length: " +
                                      std::to_string(m_event.size()) + "\r\n\r\n" + m_event;
    std::vector<char*> envp;
    for (auto& e : m_env) envp.push_back(e.data());
    envp.push_back(nullptr);

    clock_type::time_point t0;
    // The child is killed and reaped however this ends.
    child_guard child{spawn_quiet({m_bootstrap}, envp.data(), t0)};

    // Wait for the connection, or for the child to exit without making one.
    fd_guard pidfd(pidfd_open(child.pid));
    if (pidfd.get() < 0) fail_errno("pidfd_open");
    pollfd fds[2] = {{m_listener.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
    for (;;) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        fail_errno("poll");
      }
      break;
    }
    if ((fds[0].revents & POLLIN) == 0) throw std::runtime_error(m_bootstrap + " exited before connecting");
    fd_guard conn(::accept4(m_listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (conn.get() < 0) fail_errno("accept");
    http_reader reader(conn.get());
    message_head head;
    if (!reader.read_head(head)) throw std::runtime_error(m_bootstrap + " closed its connection without a request");
    const auto t1 = clock_type::now();
    if (!head.start_line.starts_with("GET /2018-06-01/runtime/invocation/next ")) {
      throw std::runtime_error("cold baseline: unexpected first request: " + head.start_line);
    }
    set_nodelay(conn.get());
    std::string body;
    reader.read_body(head.content_length, body);
    send_all(conn.get(), next_response);
    if (!reader.read_head(head)) throw std::runtime_error(m_bootstrap + " closed its connection before responding");
    reader.read_body(head.content_length, body);
    if (head.start_line != "POST /2018-06-01/runtime/invocation/" + std::string(request_id) + "/response HTTP/1.1") {
      throw std::runtime_error("cold baseline: unexpected response: " + head.start_line);
    }
    if (body != m_event) throw std::runtime_error("cold baseline: the echo returned a different payload");
    send_all(conn.get(), m_accepted);
    child.kill();
    const auto t2 = clock_type::now();
    return {std::chrono::duration<double, std::milli>(t1 - t0).count(),
            std::chrono::duration<double, std::milli>(t2 - t0).count()};
  }

private:
  std::string m_bootstrap;
  std::string m_event;
  std::vector<std::string> m_env;
  fd_guard m_listener;
  std::string m_accepted;
};

} // namespace

cold_result measure_cold(const options& o, const std::string& event) {
  cold_result c;
  cold_baseline base(o.echo, event);
  for (int i = 0; i < 5; ++i) base.spawn_once(-1 - i); // warm the page cache and the listener; untimed
  int serial = 0;
  for (int r = 0; r < o.rounds; ++r) {
    double cycle_total = 0;
    std::vector<double> round_init;
    for (int i = 0; i < o.cold_n; ++i) {
      const cold_sample s = base.spawn_once(serial++);
      round_init.push_back(s.init_ms);
      cycle_total += s.cycle_ms;
    }
    c.base_cycle_mean_ms.push_back(cycle_total / o.cold_n);
    c.base_init_ms.insert(c.base_init_ms.end(), round_init.begin(), round_init.end());

    double t_big = 0;
    const lemu_records rec = lemu_json_run(o.lemu, o.echo, o.event, o.cold_n, 1, true, &t_big);
    if (rec.init_ms.size() != static_cast<std::size_t>(o.cold_n)) {
      throw std::runtime_error("lemu --cold --repeat " + std::to_string(o.cold_n) + " reported " +
                               std::to_string(rec.init_ms.size()) + " Init Durations");
    }
    c.lemu_init_ms.insert(c.lemu_init_ms.end(), rec.init_ms.begin(), rec.init_ms.end());
    c.runtime_max_memory_mb = std::max(c.runtime_max_memory_mb, rec.max_memory_used_mb);
    c.t_big.push_back(t_big);
    c.t_small.push_back(run_lemu(o.lemu, o.echo, repeat_args(o.event, o.cold_small, 1, true)).seconds);

    std::sort(round_init.begin(), round_init.end());
    std::cerr << "  cold round " << r + 1 << ": baseline init p50 " << fmt("%.3f", percentile(round_init, 0.5))
              << " ms (cycle mean " << fmt("%.3f", c.base_cycle_mean_ms.back()) << " ms); lemu init p50 "
              << fmt("%.3f", percentile(rec.init_ms, 0.5)) << " ms, --cold --repeat " << o.cold_n << " "
              << fmt("%.3f", t_big) << " s, --repeat " << o.cold_small << " " << fmt("%.3f", c.t_small.back())
              << " s\n";
  }
  std::sort(c.base_init_ms.begin(), c.base_init_ms.end());
  std::sort(c.lemu_init_ms.begin(), c.lemu_init_ms.end());
  c.base_p50 = percentile(c.base_init_ms, 0.50);
  c.base_p90 = percentile(c.base_init_ms, 0.90);
  c.lemu_p50 = percentile(c.lemu_init_ms, 0.50);
  c.lemu_p90 = percentile(c.lemu_init_ms, 0.90);
  c.base_cycle_ms = *std::min_element(c.base_cycle_mean_ms.begin(), c.base_cycle_mean_ms.end());
  const double dt = *std::min_element(c.t_big.begin(), c.t_big.end()) - *std::min_element(c.t_small.begin(), c.t_small.end());
  if (dt <= 0) throw std::runtime_error("lemu's long --cold run was not slower than its short one; raise --cold-n");
  c.lemu_wall_ms = dt * 1e3 / (o.cold_n - o.cold_small);
  c.ratio_p50 = c.lemu_p50 / c.base_p50;
  c.ratio_p90 = c.lemu_p90 / c.base_p90;
  c.ratio_wall = c.lemu_wall_ms / c.base_cycle_ms;
  c.ok = c.ratio_p50 <= target_cold_ratio;
  // The sandbox's cost, and an arm64 function's cold start through qemu, beside the native one.
  auto p50_of = [&](const std::string& bootstrap, const std::vector<std::string>& extra) {
    lemu_records rec = lemu_json_run(o.lemu, bootstrap, o.event, o.cold_n, 1, true, nullptr, extra);
    std::sort(rec.init_ms.begin(), rec.init_ms.end());
    return percentile(rec.init_ms, 0.50);
  };
  c.no_sandbox_p50 = p50_of(o.echo, {"--no-sandbox"});
  std::error_code ec;
  if (!o.echo_arm64.empty() && std::filesystem::exists(o.echo_arm64, ec)) c.arm64_p50 = p50_of(o.echo_arm64, {});
  return c;
}

nlohmann::json cold_json(const cold_result& c) {
  return {{"baseline",
           {{"init_p50_ms", c.base_p50},
            {"init_p90_ms", c.base_p90},
            {"samples", c.base_init_ms.size()},
            {"cycle_mean_ms", c.base_cycle_ms},
            {"cycle_mean_ms_rounds", c.base_cycle_mean_ms}}},
          {"lemu",
           {{"init_p50_ms", c.lemu_p50},
            {"init_p90_ms", c.lemu_p90},
            {"samples", c.lemu_init_ms.size()},
            {"wall_per_cold_invocation_ms", c.lemu_wall_ms},
            {"t_big_s", c.t_big},
            {"t_small_s", c.t_small},
            {"runtime_max_memory_used_mb", c.runtime_max_memory_mb}}},
          {"ratios", {{"init_p50", c.ratio_p50}, {"init_p90", c.ratio_p90}, {"wall", c.ratio_wall}}},
          {"no_sandbox_init_p50_ms", c.no_sandbox_p50},
          {"arm64_qemu_init_p50_ms", c.arm64_p50 ? nlohmann::json(*c.arm64_p50) : nlohmann::json()}};
}

void print_cold_rows(std::ostream& out, const options& o, const cold_result& c) {
  out << row("cold start Init Duration p50 (ms)", fmt("%.3f", c.lemu_p50), fmt("%.3f", c.base_p50),
             fmt("%.2f", c.ratio_p50),
             fmt("(target <= %.2f) ", target_cold_ratio) + verdict(c.ok) + "  baseline: posix_spawn → first GET /next")
      << '\n'
      << row("  cold start Init Duration p90 (ms)", fmt("%.3f", c.lemu_p90), fmt("%.3f", c.base_p90),
             fmt("%.2f", c.ratio_p90), "info")
      << '\n'
      << row("  wall time per cold invocation (ms)", fmt("%.3f", c.lemu_wall_ms), fmt("%.3f", c.base_cycle_ms),
             fmt("%.2f", c.ratio_wall),
             "info: lemu (t(" + std::to_string(o.cold_n) + ") − t(" + std::to_string(o.cold_small) + ")) / " +
                 std::to_string(o.cold_n - o.cold_small) + "; baseline spawn → reaped")
      << '\n'
      << row("  cold start p50, sandbox vs --no-sandbox (ms)", fmt("%.3f", c.lemu_p50), fmt("%.3f", c.no_sandbox_p50),
             fmt("%.2f", c.lemu_p50 / c.no_sandbox_p50), "info: Lambda's filesystem (user + mount namespaces)")
      << '\n';
  if (c.arm64_p50) {
    out << row("  cold start p50, arm64 echo through qemu (ms)", fmt("%.3f", *c.arm64_p50), fmt("%.3f", c.lemu_p50),
               fmt("%.2f", *c.arm64_p50 / c.lemu_p50), "info: vs the native echo, both in the sandbox")
        << '\n';
  }
}

} // namespace lemu::bench
