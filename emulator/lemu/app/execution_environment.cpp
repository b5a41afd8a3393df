#include <lemu/app/execution_environment.hpp>

#include <lemu/core/errors.hpp>
#include <lemu/process/environment.hpp>
#include <lemu/process/memory.hpp>
#include <lemu/util/text.hpp>

#include <boost/asio/post.hpp>

#include <csignal>

#include <random>

namespace lemu::app {

namespace net = boost::asio;

namespace {

double ms_between(execution_environment::clock::time_point a, execution_environment::clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout[\tError Type: <type>]
std::string init_report_line(double init_ms, std::string_view status, std::string_view error_type) {
  std::string line = "INIT_REPORT Init Duration: " + util::fixed2(init_ms) + " ms\tPhase: init\tStatus: " +
                     std::string(status);
  if (!error_type.empty()) line += "\tError Type: " + std::string(error_type);
  return line;
}

} // namespace

execution_environment::execution_environment(net::any_io_executor ex, const core::function_config& fn,
                                             std::uint32_t id, output& out)
    : m_ex(ex), m_fn(fn), m_id(id), m_out(out), m_timer(ex) {}

execution_environment::~execution_environment() {
  if (m_server) m_server->stop();
}

runtime_api::broker::listener execution_environment::make_listener() {
  runtime_api::broker::listener l;
  l.init_done = [this](clock::time_point t) { on_init_done(t); };
  l.delivered = [this](clock::time_point t) { on_delivered(t); };
  l.completed = [this](core::outcome o, clock::time_point t) { on_completed(std::move(o), t); };
  l.init_error = [this](core::outcome o) { on_init_error(std::move(o)); };
  return l;
}

void execution_environment::start() {
  // The listener is up before the runtime starts: clients give up at once when nothing listens (PROTOCOL.md §8.1).
  m_server = runtime_api::server::create(m_ex, make_listener());
  m_server->start();

  std::random_device rd;
  const std::uint64_t hi = (std::uint64_t{rd()} << 32) | rd(), lo = (std::uint64_t{rd()} << 32) | rd();
  const auto env = process::build_environment(m_fn, m_server->port(), process::make_log_stream_name(m_fn.version, hi, lo),
                                              process::host_environment::from_current_process());
  process::spawn_request req{m_fn.bootstrap, m_fn.task_root(), process::to_envp(env)};
  // The function's lines go to stderr as they come; once the environment is dead (killed after a timeout,
  // or at the end of the run) what a dying runtime still prints is dropped, as Lambda drops it.
  m_child = process::child::spawn(m_ex, req, [weak = weak_from_this()](process::stream, std::string_view line) {
    if (auto self = weak.lock(); self && self->m_state != state::dead) self->m_out.log_line(line);
  });
  m_started_at = m_child->started_at();
  m_child->on_exit([weak = weak_from_this()](core::process_exit e) {
    if (auto self = weak.lock()) self->on_exit(e);
  });
  m_timer.expires_at(m_started_at + init_limit);
  m_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->on_init_timer();
  });
}

void execution_environment::invoke(core::invocation inv, std::function<void(invoke_result)> done) {
  m_done = std::move(done);
  m_request_id = inv.request_id;
  m_delivered = false;
  m_server->broker().submit(std::move(inv)); // delivered now if the runtime is parked on /next
}

void execution_environment::on_init_done(clock::time_point t) {
  if (!m_suppressed_init) {
    m_init_ms = ms_between(m_started_at, t);
    m_timer.cancel();
  }
  m_state = state::ready;
  sample_memory(true);
}

void execution_environment::on_delivered(clock::time_point t) {
  m_state = state::invoking;
  m_delivered = true;
  m_out.log_line("START RequestId: " + m_request_id + " Version: " + m_fn.version);
  if (m_suppressed_init) return; // the clock started when init went past its limit
  m_invoke_start = t;
  m_timer.expires_at(t + m_fn.timeout);
  m_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->on_timeout();
  });
}

void execution_environment::on_completed(core::outcome o, clock::time_point t) { finish(std::move(o), t); }

void execution_environment::on_init_error(core::outcome o) {
  const auto now = clock::now();
  m_out.log_line(init_report_line(ms_between(m_started_at, now), "error", o.error_type));
  m_init_failure = o;
  if (m_done) finish(std::move(o), now);
  die(); // "Runtime should exit after reporting the error" (PROTOCOL.md §1.5): make sure it does
}

void execution_environment::on_exit(const core::process_exit& e) {
  if (m_state == state::dead) return;
  const auto now = clock::now();
  if (m_done) {
    core::outcome o = core::runtime_exit_outcome(m_request_id, e);
    if (!m_delivered) m_out.log_line(init_report_line(ms_between(m_started_at, now), "error", o.error_type));
    // Lambda's fault line: the message, then the error type.
    m_out.log_line(core::fault_log_line(o));
    finish(std::move(o), now);
  }
  die();
}

void execution_environment::on_init_timer() {
  if (m_state != state::starting) return;
  // Init went past 10 s: it goes on as a suppressed init within the first invocation's timeout
  // (PROTOCOL.md §4.1); that time counts as the invocation's Duration and no Init Duration is reported.
  m_out.log_line(init_report_line(ms_between(m_started_at, clock::now()), "timeout", {}));
  m_suppressed_init = true;
  m_invoke_start = clock::now();
  m_timer.expires_at(m_invoke_start + m_fn.timeout);
  m_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec) self->on_timeout();
  });
}

void execution_environment::on_timeout() {
  if (!m_done) return;
  core::outcome o = core::timeout_outcome(m_request_id, m_fn.timeout);
  m_out.log_line(core::fault_log_line(o));
  sample_memory(true);
  finish(std::move(o), clock::now());
  die();
}

void execution_environment::finish(core::outcome o, clock::time_point end) {
  m_timer.cancel();
  sample_memory(m_cold || !o.ok());
  invoke_result r;
  r.request_id = m_request_id;
  r.environment_id = m_id;
  r.cold = m_cold;
  if (m_cold && !m_suppressed_init) r.init_ms = m_init_ms;
  r.duration_ms = (m_delivered || m_suppressed_init) ? ms_between(m_invoke_start, end) : 0.0;
  r.max_memory_bytes = m_max_memory_bytes;
  r.outcome = std::move(o);
  m_cold = false;
  m_suppressed_init = false;
  if (m_state != state::dead) m_state = state::ready;
  net::post(m_ex, [done = std::move(m_done), r = std::move(r)]() mutable { done(std::move(r)); });
  m_done = nullptr;
}

void execution_environment::die() {
  m_state = state::dead;
  m_timer.cancel();
  // Signal the runtime before its connections close, so it does not see a refused /next first.
  if (m_child) m_child->terminate(kill_grace);
  if (m_server) m_server->stop();
}

void execution_environment::shutdown() {
  if (m_done) {
    // The run is stopping with an invocation in flight: it ends as the runtime does, killed.
    core::process_exit killed{true, 0, SIGKILL};
    finish(core::runtime_exit_outcome(m_request_id, killed), clock::now());
  }
  die();
}

void execution_environment::sample_memory(bool force) {
  if (!m_child || !m_child->running()) return;
  const auto now = clock::now();
  // /proc reads cost tens of microseconds: on the warm path sample at most every 10 ms. VmHWM is a
  // high-water mark, so a skipped sample loses nothing of a process that is still alive.
  if (!force && now - m_memory_sampled_at < std::chrono::milliseconds(10)) return;
  m_memory_sampled_at = now;
  m_max_memory_bytes = std::max(m_max_memory_bytes, process::tree_peak_rss_bytes(m_child->pid()));
}

} // namespace lemu::app
