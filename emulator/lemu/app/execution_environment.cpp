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
                                             std::uint32_t id, output& out, environment_options options)
    : m_ex(ex), m_fn(fn), m_id(id), m_out(out), m_options(options), m_timer(ex), m_memory_timer(ex) {}

execution_environment::~execution_environment() { retire(); }

template <class Handler>
void execution_environment::arm(net::steady_timer& timer, clock::time_point at, Handler h) {
  timer.expires_at(at);
  timer.async_wait([weak = weak_from_this(), h](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec) ((*self).*h)();
  });
}

runtime_api::broker::listener execution_environment::make_listener() {
  runtime_api::broker::listener l;
  l.init_done = [this](clock::time_point t) { on_init_done(t); };
  l.delivered = [this](clock::time_point t) { on_delivered(t); };
  // The runtime answered: the environment stays usable, so the caller may go on at once (no post).
  l.completed = [this](core::outcome o, clock::time_point t) { finish(std::move(o), t, completion::direct); };
  l.init_error = [this](core::outcome o) { on_init_error(std::move(o)); };
  return l;
}

void execution_environment::start() {
  launch();
  arm(m_timer, m_started_at + m_fn.init_timeout, &execution_environment::on_init_timer);
  arm(m_memory_timer, m_started_at + memory_tick, &execution_environment::on_memory_tick);
}

void execution_environment::launch() {
  // The listener is up before the runtime starts: clients give up at once when nothing listens (PROTOCOL.md §8.1).
  runtime_api::server_options server_options;
  server_options.port = m_options.runtime_api_port;
  m_server = runtime_api::server::create(m_ex, make_listener(), server_options);
  m_server->start();

  std::random_device rd;
  const std::uint64_t hi = (std::uint64_t{rd()} << 32) | rd(), lo = (std::uint64_t{rd()} << 32) | rd();
  const auto env = process::build_environment(m_fn, m_server->port(), process::make_log_stream_name(m_fn.version, hi, lo),
                                              process::host_environment::from_current_process());
  const process::spawn_request req{m_fn.bootstrap, m_fn.task_root(), process::to_envp(env), m_fn.args};
  // The function's lines go to stderr as they come; once the environment is dead (killed after a timeout,
  // or at the end of the run) what a dying runtime still prints is dropped, as Lambda drops it.
  m_child = process::child::spawn(m_ex, req, [weak = weak_from_this()](process::stream, std::string_view line) {
    if (auto self = weak.lock(); self && self->m_state != state::dead) self->log(line);
  });
  m_started_at = m_child->started_at();
  m_child->on_exit([weak = weak_from_this()](core::process_exit e) {
    if (auto self = weak.lock()) self->on_exit(e);
  });
}

void execution_environment::retire() {
  // Signal the runtime before its connections close, so it does not see a refused /next first.
  if (m_child) {
    m_child->on_exit(nullptr);
    m_child->terminate(kill_grace);
  }
  if (m_server) m_server->stop();
}

void execution_environment::invoke(core::invocation inv, std::function<void(invoke_result)> done) {
  m_done = std::move(done);
  m_request_id = inv.request_id;
  m_delivered = false;
  // Only the cold invocation is kept: an init past its limit is retried with it.
  if (m_state == state::starting) m_first = inv;
  m_server->broker().submit(std::move(inv)); // delivered now if the runtime is parked on /next
}

void execution_environment::on_init_done(clock::time_point t) {
  if (!m_suppressed_init) {
    m_init_ms = ms_between(m_started_at, t);
    m_timer.cancel();
  }
  m_state = state::ready;
  sample_memory();
}

void execution_environment::on_delivered(clock::time_point t) {
  m_state = state::invoking;
  m_delivered = true;
  m_first.reset();
  log("START RequestId: " + m_request_id + " Version: " + m_fn.version);
  if (m_suppressed_init) return; // the clock started when init went past its limit
  m_invoke_start = t;
  arm(m_timer, t + m_fn.timeout, &execution_environment::on_timeout);
}

void execution_environment::on_init_error(core::outcome o) {
  log(init_report_line(ms_between(m_started_at, clock::now()), "error", o.error_type));
  // "Runtime should exit after reporting the error" (PROTOCOL.md §1.5): die() makes sure it does.
  fail(std::move(o));
}

void execution_environment::on_exit(const core::process_exit& e) {
  if (m_state == state::dead) return;
  if (!m_done) {
    die(); // exited between invocations: the next event starts a fresh environment
    return;
  }
  core::outcome o = core::runtime_exit_outcome(m_request_id, e);
  if (!m_delivered) log(init_report_line(ms_between(m_started_at, clock::now()), "error", o.error_type));
  log(core::fault_log_line(o)); // Lambda's fault line: the message, then the error type
  fail(std::move(o));
}

void execution_environment::on_init_timer() {
  if (m_state != state::starting || !m_done || !m_first) return;
  // Init went past its limit: Lambda retries it within the first invocation (PROTOCOL.md §4.1).
  log(init_report_line(ms_between(m_started_at, clock::now()), "timeout", {}));
  m_suppressed_init = true;
  retire();
  m_invoke_start = clock::now();
  arm(m_timer, m_invoke_start + m_fn.timeout, &execution_environment::on_timeout);
  try {
    launch();
  } catch (const std::system_error& e) {
    log(std::string("lemu: cannot restart the runtime: ") + e.what());
    fail(core::runtime_exit_outcome(m_request_id, core::process_exit{}));
    return;
  }
  m_server->broker().submit(std::move(*m_first));
  m_first.reset();
}

void execution_environment::on_timeout() {
  if (!m_done) return;
  core::outcome o = core::timeout_outcome(m_request_id, m_fn.timeout);
  log(core::fault_log_line(o));
  fail(std::move(o));
}

void execution_environment::on_memory_tick() {
  if (m_state == state::dead || !m_child) return;
  const auto mem = process::sample_tree_memory(m_child->pid());
  m_max_memory_bytes = std::max(m_max_memory_bytes, mem.peak_bytes);
  const std::uint64_t limit = std::uint64_t{m_fn.memory_mb} << 20;
  if (mem.current_bytes > limit) {
    // Over --memory: killed as Lambda kills an out-of-memory runtime.
    m_child->on_exit(nullptr);
    m_child->signal_group(SIGKILL);
    m_max_memory_bytes = limit; // as Lambda reports an out-of-memory invocation: all of Memory Size
    m_memory_final = true;
    if (m_done) {
      core::outcome o = core::out_of_memory_outcome(m_request_id);
      log(core::fault_log_line(o));
      fail(std::move(o));
    } else {
      die();
    }
    return;
  }
  arm(m_memory_timer, clock::now() + memory_tick, &execution_environment::on_memory_tick);
}

void execution_environment::fail(core::outcome o) {
  sample_memory();
  if (m_done) finish(std::move(o), clock::now());
  die();
}

void execution_environment::finish(core::outcome o, clock::time_point end, completion how) {
  m_timer.cancel();
  if (m_child) m_child->drain(); // the runtime's lines from before it answered come before END/REPORT
  if (m_cold) sample_memory();
  invoke_result r;
  r.request_id = m_request_id;
  r.environment_id = m_id;
  r.cold = m_cold;
  if (m_cold && !m_suppressed_init) r.init_ms = m_init_ms;
  const bool began = m_delivered || m_suppressed_init;
  r.started_at = began ? m_invoke_start : end;
  r.duration_ms = began ? ms_between(m_invoke_start, end) : 0.0;
  r.max_memory_bytes = m_max_memory_bytes;
  r.outcome = std::move(o);
  r.log = std::move(m_log);
  m_log.clear();
  m_cold = false;
  m_suppressed_init = false;
  m_first.reset();
  if (m_state != state::dead) m_state = state::ready;
  auto done = std::move(m_done);
  m_done = nullptr;
  if (how == completion::direct) {
    done(std::move(r));
  } else {
    net::post(m_ex, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  }
}

void execution_environment::die() {
  if (m_child && m_state != state::dead) m_child->drain(); // what it printed while alive is kept
  m_state = state::dead;
  m_timer.cancel();
  m_memory_timer.cancel();
  retire();
}

void execution_environment::shutdown() {
  if (m_done) {
    // The run is stopping with an invocation in flight: it ends as the runtime does, killed.
    fail(core::runtime_exit_outcome(m_request_id, core::process_exit{true, 0, SIGKILL}));
    return;
  }
  die();
}

void execution_environment::log(std::string_view line) {
  m_out.log_line(line);
  if (!m_options.keep_log) return;
  m_log.append(line);
  m_log.push_back('\n');
  // Only the last log_keep_bytes can be returned: drop the front now and then (amortised).
  if (m_log.size() > 4 * log_keep_bytes) m_log.erase(0, m_log.size() - log_keep_bytes);
}

void execution_environment::sample_memory() {
  if (!m_child || !m_child->running() || m_memory_final) return;
  m_max_memory_bytes = std::max(m_max_memory_bytes, process::sample_tree_memory(m_child->pid()).peak_bytes);
}

} // namespace lemu::app
