#include <lemu/app/execution_environment.hpp>

#include <lemu/app/invocation_record.hpp>
#include <lemu/core/errors.hpp>
#include <lemu/core/ids.hpp>
#include <lemu/process/environment.hpp>

#include <boost/asio/post.hpp>


namespace lemu::app {

namespace asio = boost::asio;

namespace {

double ms_between(execution_environment::clock::time_point a, execution_environment::clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

} // namespace

execution_environment::execution_environment(asio::any_io_executor ex, const core::function_config& fn,
                                             std::uint32_t id, output& out, environment_options options)
    : m_ex(ex), m_fn(fn), m_id(id), m_log(out, fn.version, options.keep_log), m_options(options), m_timer(ex),
      m_memory_timer(ex) {}

execution_environment::~execution_environment() { stop_runtime(); }

template <class Handler>
void execution_environment::arm(asio::steady_timer& timer, clock::time_point at, Handler h) {
  timer.expires_at(at);
  timer.async_wait([weak = weak_from_this(), h](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec) ((*self).*h)();
  });
}

double execution_environment::ms_since_start(clock::time_point t) const { return ms_between(m_started_at, t); }

runtime_api::broker::callbacks execution_environment::make_callbacks() {
  runtime_api::broker::callbacks l;
  l.init_done = [this](clock::time_point t) { on_init_done(t); };
  l.delivered = [this](clock::time_point t) { on_delivered(t); };
  l.completed = [this](core::outcome o, clock::time_point t) { on_answer(std::move(o), t); };
  l.init_error = [this](core::outcome o) { on_init_error(std::move(o)); };
  return l;
}

void execution_environment::start() {
  m_state = state::initializing;
  try {
    launch();
  } catch (const process::spawn_error& e) {
    m_log.function_line("lemu: cannot start " + m_fn.bootstrap.string() + ": " + e.what());
    m_start_failure = core::invalid_entrypoint_outcome("", m_fn.bootstrap.string());
  } catch (const std::system_error& e) {
    m_log.function_line(std::string("lemu: cannot set up the execution environment: ") + e.what());
    m_start_failure = core::sandbox_failure_outcome("", e.what());
  }
  if (m_start_failure) {
    m_started_at = clock::now();
    stop_runtime();
    m_state = state::dead;
    return;
  }
  arm(m_timer, m_started_at + m_fn.init_timeout, &execution_environment::on_init_timer);
  arm(m_memory_timer, m_started_at + memory_tick, &execution_environment::on_memory_tick);
}

void execution_environment::launch() {
  // The listener is up before the runtime starts: clients give up at once when nothing listens.
  runtime_api::server_options server_options;
  server_options.port = m_options.runtime_api_port;
  m_server = runtime_api::server::create(m_ex, make_callbacks(), server_options);
  m_server->start();

  thread_local core::id_generator ids;
  const std::uint64_t hi = ids.next(), lo = ids.next();
  const auto env = process::build_environment(m_fn, m_server->port(), process::make_log_stream_name(m_fn.version, hi, lo),
                                              process::host_environment::from_current_process());
  process::spawn_request req{m_fn.bootstrap, m_fn.task_root(), process::to_envp(env), m_fn.args,
                             std::uint64_t{m_fn.memory_mb} << 20};
  // The function's lines go to stderr as they come; once the environment is dead (killed after a timeout,
  // or at the end of the run) what a dying runtime still prints is dropped, as Lambda drops it.
  m_child = process::child::spawn(m_ex, req, [weak = weak_from_this()](process::stream, std::string_view line) {
    if (auto self = weak.lock(); self && self->m_state != state::dead) self->m_log.function_line(line);
  });
  m_started_at = m_child->started_at();
  m_memory_method = m_child->containment().method();
  m_child->on_exit([weak = weak_from_this()](core::process_exit e) {
    if (auto self = weak.lock()) self->on_exit(e);
  });
}

void execution_environment::stop_runtime() {
  // Signal the runtime before its connections close, so it does not see a refused /next first.
  if (m_child) {
    m_child->on_exit(nullptr);
    m_child->terminate(kill_grace);
  }
  if (m_server) m_server->stop();
}

void execution_environment::invoke(core::invocation inv, completion done) {
  m_done = std::move(done);
  m_request_id = inv.request_id;
  m_delivered = false;
  if (m_start_failure) {
    // The runtime never started: Lambda reports the failed init, then fails the invocation.
    core::outcome o = m_start_failure->kind == core::outcome_kind::invalid_entrypoint
                          ? core::invalid_entrypoint_outcome(m_request_id, m_fn.bootstrap.string())
                          : core::sandbox_failure_outcome(m_request_id, "the execution environment could not be set up");
    m_log.init_report(0.0, "init", "error", o.error_type);
    m_log.start(m_request_id);
    m_log.fault(o);
    end_invocation(std::move(o), clock::now());
    return;
  }
  // Only the cold invocation is kept: an init past its limit is retried with it.
  if (m_state == state::initializing) m_first = inv;
  m_server->broker().submit(std::move(inv)); // delivered now if the runtime is parked on /next
}

void execution_environment::on_init_done(clock::time_point t) {
  if (!m_suppressed_init) {
    m_init_ms = ms_between(m_started_at, t);
    m_timer.cancel();
  }
  m_state = state::idle;
  sample_memory();
}

void execution_environment::on_delivered(clock::time_point t) {
  m_state = state::invoking;
  m_delivered = true;
  m_first.reset();
  m_log.start(m_request_id);
  if (m_suppressed_init) return; // the clock started when init went past its limit
  m_invoke_start = t;
  arm(m_timer, t + m_fn.timeout, &execution_environment::on_timeout);
}

void execution_environment::on_answer(core::outcome o, clock::time_point t) {
  // The runtime answered: the environment stays usable, so the caller may go on at once (no post).
  m_state = state::idle;
  end_invocation(std::move(o), t, completion_mode::direct);
}

void execution_environment::on_init_error(core::outcome o) {
  m_log.init_report(ms_since_start(clock::now()), m_suppressed_init ? "invoke" : "init", "error", o.error_type);
  // "Runtime should exit after reporting the error": fail() makes sure it does.
  fail(std::move(o));
}

void execution_environment::on_exit(const core::process_exit& e) {
  if (m_state == state::dead) return;
  // An out-of-memory kill by the kernel (cgroup) looks like any SIGKILL: the containment tells them apart.
  const bool out_of_memory = m_child && m_child->containment().sample().over_limit;
  if (!m_done) {
    die(); // exited between invocations: the next event starts a fresh environment
    return;
  }
  if (out_of_memory) {
    m_max_memory_bytes = std::uint64_t{m_fn.memory_mb} << 20;
    m_memory_final = true;
  }
  core::outcome o = out_of_memory ? core::out_of_memory_outcome(m_request_id) : core::runtime_exit_outcome(m_request_id, e);
  if (!m_delivered) m_log.init_report(ms_since_start(clock::now()), m_suppressed_init ? "invoke" : "init", "error", o.error_type);
  m_log.start(m_request_id);
  m_log.fault(o); // Lambda's fault line: the message, then the error type
  fail(std::move(o));
}

void execution_environment::on_init_timer() {
  if (m_state != state::initializing || !m_done || !m_first) return;
  // Init went past its limit: Lambda retries it within the first invocation, whose START this is.
  m_log.init_report(ms_since_start(clock::now()), "init", "timeout", {});
  m_log.start(m_request_id);
  m_suppressed_init = true;
  stop_runtime();
  m_invoke_start = clock::now();
  arm(m_timer, m_invoke_start + m_fn.timeout, &execution_environment::on_timeout);
  try {
    launch();
  } catch (const std::exception& e) { // spawn_error, or the listener's std::system_error
    m_log.function_line(std::string("lemu: cannot restart the runtime: ") + e.what());
    fail(core::invalid_entrypoint_outcome(m_request_id, m_fn.bootstrap.string()));
    return;
  }
  m_server->broker().submit(std::move(*m_first));
  m_first.reset();
}

void execution_environment::on_timeout() {
  if (!m_done) return;
  core::outcome o = core::timeout_outcome(m_request_id, m_fn.timeout);
  m_log.start(m_request_id);
  m_log.fault(o);
  fail(std::move(o));
}

void execution_environment::on_memory_tick() {
  if (m_state == state::dead || !m_child) return;
  const auto reading = m_child->containment().sample();
  m_max_memory_bytes = std::max(m_max_memory_bytes, reading.peak_bytes);
  if (reading.over_limit) {
    // Over --memory: everything is killed, as Lambda kills an out-of-memory runtime.
    m_child->on_exit(nullptr);
    m_child->kill();
    m_max_memory_bytes = std::uint64_t{m_fn.memory_mb} << 20; // as Lambda reports it: all of Memory Size
    m_memory_final = true;
    if (m_done) {
      core::outcome o = core::out_of_memory_outcome(m_request_id);
      m_log.start(m_request_id);
      m_log.fault(o);
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
  if (m_done) end_invocation(std::move(o), clock::now());
  die();
}

void execution_environment::end_invocation(core::outcome o, clock::time_point end, completion_mode how) {
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
  r.memory_method = m_memory_method;
  r.outcome = std::move(o);
  if (r.outcome.kind == core::outcome_kind::cancelled) {
    m_log.abandon();
  } else {
    stats::invocation_record rec;
    fill_record(rec, r, m_fn.memory_mb, r.started_at);
    r.log = m_log.end(rec);
  }
  m_cold = false;
  m_suppressed_init = false;
  m_first.reset();
  auto done = std::move(m_done);
  m_done = nullptr;
  if (how == completion_mode::direct) {
    done(std::move(r));
  } else {
    asio::post(m_ex, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  }
}

void execution_environment::die() {
  if (m_child && m_state != state::dead) m_child->drain(); // what it printed while alive is kept
  m_state = state::dead;
  m_timer.cancel();
  m_memory_timer.cancel();
  stop_runtime();
}

void execution_environment::stop() {
  if (m_done) {
    // lemu is stopping with an invocation in flight: it is cancelled, not the function's failure.
    sample_memory();
    end_invocation(core::cancelled_outcome(m_request_id), clock::now());
  }
  die();
}

void execution_environment::sample_memory() {
  if (!m_child || !m_child->running() || m_memory_final) return;
  m_max_memory_bytes = std::max(m_max_memory_bytes, m_child->containment().sample().peak_bytes);
}

} // namespace lemu::app
