#include <lemu/app/execution_environment.hpp>

#include <lemu/app/invocation_record.hpp>
#include <lemu/core/errors.hpp>
#include <lemu/core/ids.hpp>
#include <lemu/process/environment.hpp>
#include <lemu/util/time.hpp>

#include <boost/asio/post.hpp>


namespace lemu::app {

namespace asio = boost::asio;

namespace {

// An external extension could not be started: what() names it and says why.
struct extension_launch_error : std::runtime_error {
  extension_launch_error(const std::string& name, const std::string& why) : std::runtime_error(name + ": " + why) {}
};

double ms_between(execution_environment::clock::time_point a, execution_environment::clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

} // namespace

execution_environment::execution_environment(asio::any_io_executor ex, const core::function_config& fn,
                                             std::uint32_t id, output& out, environment_options options)
    : m_ex(ex), m_fn(fn), m_id(id), m_out(out), m_log(out, fn, options.keep_log), m_options(options), m_timer(ex),
      m_memory_timer(ex) {
  // Platform events are built for telemetry only where a subscriber can exist: with external extensions
  // (from the start, so that they hear the whole init), or once an internal one subscribes.
  if (!fn.extensions.empty()) m_log.set_event_sink([this](telemetry::event e) { on_event(std::move(e)); });
}

execution_environment::~execution_environment() { stop_runtime(); }

void execution_environment::on_event(telemetry::event e) {
  if (m_init_complete) {
    if (m_hub) m_hub->publish(e);
    return;
  }
  // Subscriptions are made during init: what init produced goes to every subscriber once it is over, so
  // that a subscriber hears the whole init (bounded: beyond it, the rest of the init's events are dropped).
  if (m_init_events.size() >= max_init_events || m_init_events_bytes + e.json.size() > max_init_event_bytes) return;
  m_init_events_bytes += e.json.size() + e.logs_json.size();
  m_init_events.push_back(std::move(e));
}

runtime_api::reply execution_environment::on_subscribe(const runtime_api::subscription_request& req) {
  if (!m_hub) m_hub = telemetry::hub::create(m_ex);
  if (m_fn.extensions.empty()) m_log.set_event_sink([this](telemetry::event e) { on_event(std::move(e)); });
  const auto result = m_hub->subscribe(req.extension_name, req.logs_api ? telemetry::api::logs : telemetry::api::telemetry,
                                       req.body, !m_init_complete);
  if (result.subscribed()) {
    stats::events::subscription_facts f;
    f.time_ms = util::epoch_ms();
    f.name = req.extension_name;
    f.types = result.types;
    const auto logs = stats::events::logs_subscription(f);
    m_log.platform_event(stats::events::telemetry_subscription(f), &logs);
  }
  return runtime_api::reply{result.answer.status, result.answer.body};
}

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
  l.stream_began = [this](std::string_view content_type, clock::time_point t) { on_stream_began(content_type, t); };
  l.stream_data = [this](std::string_view bytes, std::function<void()> more) { return on_stream_data(bytes, std::move(more)); };
  l.stream_cut = [this] { on_stream_cut(); };
  return l;
}

void execution_environment::start() {
  m_state = state::initializing;
  m_log.init_start();
  try {
    launch();
  } catch (const extension_launch_error& e) {
    m_log.function_line(std::string("lemu: cannot start the extension ") + e.what());
    m_start_failure_what = e.what();
    m_start_failure = core::extension_failure_outcome("", "Extension.LaunchError", e.what());
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
  server_options.streaming = m_fn.streaming;
  server_options.extensions.metadata = {m_fn.function_name, m_fn.version, m_fn.handler, m_fn.account_id};
  // Posted: the registry calls it from inside a request, and what it starts may call the registry again.
  server_options.extensions.changed = [weak = weak_from_this(), ex = m_ex] {
    asio::post(ex, [weak] {
      if (auto self = weak.lock()) self->on_extensions_changed();
    });
  };
  server_options.extensions.subscribe = [weak = weak_from_this()](const runtime_api::subscription_request& req) {
    auto self = weak.lock();
    return self ? self->on_subscribe(req) : runtime_api::reply{500, "{\"errorMessage\":\"Internal Server Error\",\"errorType\":\"InternalServerError\"}\n"};
  };
  m_server = runtime_api::server::create(m_ex, make_callbacks(), server_options);
  m_server->start();
  m_runtime_ready = false;
  m_init_complete = false;

  thread_local core::id_generator ids;
  const std::uint64_t hi = ids.next(), lo = ids.next();
  m_runtime_env = process::build_environment(m_fn, m_server->port(), process::make_log_stream_name(m_fn.version, hi, lo),
                                             process::host_environment::from_current_process());
  m_started_at = clock::now();
  m_extensions.clear();
  if (!m_fn.extensions.empty()) {
    // External extensions first (Lambda's Extension init), in their environment (PROTOCOL.md §2.1).
    const auto envp = process::to_envp(process::extension_environment(m_runtime_env));
    for (const auto& path : m_fn.extensions) {
      const std::string name = path.filename().string();
      m_server->extensions().expect_external(name);
      process::spawn_request req{path, m_fn.task_root(), envp, {}, std::uint64_t{m_fn.memory_mb} << 20};
      std::shared_ptr<process::child> child;
      // What an extension prints is shown, during the shutdown phase too (when the environment may be gone).
      try {
        child = process::child::spawn(m_ex, req, [weak = weak_from_this(), out = &m_out](process::stream, std::string_view line) {
          if (auto self = weak.lock(); self && self->m_state != state::dead) {
            self->m_log.extension_line(line);
          } else {
            out->log_line(line);
          }
        });
      } catch (const process::spawn_error& e) {
        throw extension_launch_error(name, e.what());
      }
      child->on_exit([weak = weak_from_this(), name](core::process_exit e) {
        if (auto self = weak.lock()) self->on_extension_exit(name, e);
      });
      m_extensions.push_back({name, std::move(child)});
    }
    m_memory_method = m_extensions.front().child->containment().method();
    return; // the runtime starts once they have registered
  }
  spawn_runtime();
  m_started_at = m_child->started_at();
}

void execution_environment::spawn_runtime() {
  process::spawn_request req{m_fn.bootstrap, m_fn.task_root(), process::to_envp(m_runtime_env), m_fn.args,
                             std::uint64_t{m_fn.memory_mb} << 20};
  // The function's lines go to stderr as they come; once the environment is dead (killed after a timeout,
  // or at the end of the run) what a dying runtime still prints is dropped, as Lambda drops it.
  // With extensions, what it prints during the shutdown phase (its SIGTERM handler's lines) is shown.
  m_shutting_down = std::make_shared<bool>(false);
  m_child = process::child::spawn(m_ex, req, [weak = weak_from_this(), out = &m_out, shutting_down = m_shutting_down](
                                                 process::stream, std::string_view line) {
    if (auto self = weak.lock(); self && self->m_state != state::dead) {
      self->m_log.function_line(line);
    } else if (*shutting_down) {
      out->log_line(line);
    }
  });
  m_memory_method = m_child->containment().method();
  m_child->on_exit([weak = weak_from_this()](core::process_exit e) {
    if (auto self = weak.lock()) self->on_exit(e);
  });
}

void execution_environment::stop_runtime() {
  environment_processes parts{m_server, m_child, m_extensions, m_hub};
  m_hub.reset(); // a retried init subscribes again
  m_init_events.clear();
  m_init_events_bytes = 0;
  if (needs_shutdown_phase(parts)) {
    // The phase owns them now (and keeps the listener open for SHUTDOWN).
    if (m_shutting_down) *m_shutting_down = true;
    if (m_child) m_child->on_exit(nullptr);
    for (auto& x : m_extensions) x.child->on_exit(nullptr);
    m_server.reset();
    m_child.reset();
    m_extensions.clear();
    shut_down(m_ex, std::move(parts), m_shutdown_reason);
    return;
  }
  // Signal the runtime before its connections close, so it does not see a refused /next first.
  if (m_child) {
    m_child->on_exit(nullptr);
    m_child->terminate(kill_grace);
  }
  if (m_server) m_server->stop();
  if (parts.hub) parts.hub->close();
}

void execution_environment::invoke(core::invocation inv, completion done, answer_callback answered) {
  m_done = std::move(done);
  m_answered = std::move(answered);
  m_request_id = inv.request_id;
  m_function_arn = inv.function_arn;
  m_trace_id = inv.trace_id;
  m_tenant_id = inv.tenant_id;
  m_stream = inv.stream;
  m_log.set_tenant(inv.tenant_id); // tenantId in platform.start, runtimeDone and report
  m_delivered = false;
  if (m_start_failure) {
    // The runtime never started: Lambda reports the failed init, then fails the invocation.
    core::outcome o = m_start_failure->kind == core::outcome_kind::invalid_entrypoint
                          ? core::invalid_entrypoint_outcome(m_request_id, m_fn.bootstrap.string())
                      : m_start_failure->kind == core::outcome_kind::extension_failure
                          ? core::extension_failure_outcome(m_request_id, m_start_failure->error_type, m_start_failure_what)
                          : core::sandbox_failure_outcome(m_request_id, "the execution environment could not be set up");
    m_log.init_report(0.0, "init", "error", o.error_type);
    m_log.start(m_request_id);
    m_log.fault(o);
    end_invocation(std::move(o), clock::now());
    return;
  }
  // Only the cold invocation is kept: an init past its limit is retried with it.
  if (m_state == state::initializing) m_first = inv;
  if (!m_fn.extensions.empty() && !m_init_complete) {
    m_held = std::move(inv); // the runtime gets it when the extensions are ready too
    return;
  }
  m_server->broker().submit(std::move(inv)); // delivered now if the runtime is parked on /next
}

void execution_environment::on_init_done(clock::time_point) {
  m_runtime_ready = true;
  check_init();
}

void execution_environment::check_init() {
  if (m_init_complete || !m_runtime_ready || !m_server) return;
  auto& registry = m_server->extensions();
  if (!registry.externals_registered() || !registry.all_ready()) return;
  // Init ends when the runtime and every extension have called next.
  m_init_complete = true;
  registry.close_registration();
  if (m_hub) {
    for (auto& e : m_init_events) m_hub->publish(e);
  }
  m_init_events.clear();
  m_init_events_bytes = 0;
  for (const auto& x : registry.list()) {
    stats::events::extension_facts f;
    f.time_ms = util::epoch_ms();
    f.name = x.name;
    f.state = extensions::state_name(x.state);
    if (x.invoke) f.events.push_back("INVOKE");
    if (x.shutdown) f.events.push_back("SHUTDOWN");
    const auto logs = stats::events::extension_logs_api(f);
    m_log.platform_event(stats::events::extension(f), &logs);
  }
  const double init_ms = ms_since_start(clock::now());
  m_log.init_done(init_ms, m_suppressed_init ? "invoke" : "init");
  if (!m_suppressed_init) {
    m_init_ms = init_ms;
    m_timer.cancel();
  }
  m_state = state::idle;
  sample_memory();
  if (m_held) {
    core::invocation inv = std::move(*m_held);
    m_held.reset();
    m_server->broker().submit(std::move(inv));
  }
}

void execution_environment::on_extensions_changed() {
  if (m_state == state::dead || !m_server) return;
  auto& registry = m_server->extensions();
  if (const auto failed = registry.failure()) {
    const bool init = failed->state == extensions::state::init_error;
    extension_failed(core::extension_failure_outcome(
        m_request_id, init ? "Extension.InitError" : "Extension.ExitError",
        "Extension " + failed->name + " reported " + (init ? "init" : "exit") + " error: " + failed->error_type));
    return;
  }
  if (!m_init_complete) {
    if (!m_child && registry.externals_registered()) {
      try {
        spawn_runtime();
      } catch (const process::spawn_error& e) {
        m_log.function_line("lemu: cannot start " + m_fn.bootstrap.string() + ": " + e.what());
        m_shutdown_reason = shutdown_reason::failure;
        core::outcome o = core::invalid_entrypoint_outcome(m_request_id, m_fn.bootstrap.string());
        if (m_done) {
          m_log.init_report(ms_since_start(clock::now()), m_suppressed_init ? "invoke" : "init", "error", o.error_type);
          m_log.start(m_request_id);
          m_log.fault(o);
        }
        fail(std::move(o));
        return;
      }
    }
    check_init();
    return;
  }
  if (m_extensions_busy && m_answer && registry.all_ready()) finish_after_extensions();
}

core::outcome execution_environment::take_answer(clock::time_point now) {
  m_extensions_busy = false;
  m_post_runtime_ms = ms_between(m_answered_at, now);
  core::outcome o = std::move(*m_answer);
  m_answer.reset();
  return o;
}

void execution_environment::finish_after_extensions() {
  m_state = state::idle;
  const auto now = clock::now();
  end_invocation(take_answer(now), now, completion_mode::direct);
}

void execution_environment::extension_failed(core::outcome o) {
  m_shutdown_reason = shutdown_reason::failure;
  if (!m_done) {
    die();
    return;
  }
  if (m_answer) {
    // The caller has the runtime's answer already: that stays the outcome; the environment is reset.
    m_log.fault(o);
    m_failed_after_answer = std::move(o);
    const auto now = clock::now();
    core::outcome answer = take_answer(now);
    sample_memory();
    end_invocation(std::move(answer), now);
    die();
    return;
  }
  if (!m_delivered) m_log.init_report(ms_since_start(clock::now()), m_suppressed_init ? "invoke" : "init", "error", o.error_type);
  m_log.start(m_request_id);
  m_log.fault(o);
  fail(std::move(o));
}

void execution_environment::on_extension_exit(const std::string& name, const core::process_exit& e) {
  if (m_state == state::dead) return;
  extension_failed(core::extension_failure_outcome(m_request_id, "Extension.Crash",
                                                   "Extension " + name + " " + core::exit_reason(e)));
}

void execution_environment::on_delivered(clock::time_point t) {
  m_state = state::invoking;
  m_delivered = true;
  m_first.reset();
  m_log.start(m_request_id, m_trace_id);
  if (m_server && m_server->extensions().size() > 0) {
    // INVOKE goes to the extensions as the event goes to the runtime, with the same deadline.
    const auto deadline = std::chrono::system_clock::now() + m_fn.timeout;
    m_extensions_busy = m_server->extensions().send_invoke(
        {m_request_id, std::chrono::duration_cast<std::chrono::milliseconds>(deadline.time_since_epoch()).count(),
         m_function_arn, m_trace_id});
  }
  if (m_suppressed_init) return; // the clock started when init went past its limit
  m_invoke_start = t;
  arm(m_timer, t + m_fn.timeout, &execution_environment::on_timeout);
}

void execution_environment::on_answer(core::outcome o, clock::time_point t) {
  if (m_extensions_busy) {
    // The caller is answered now; the invocation ends when the INVOKE extensions are done too.
    m_answer = std::move(o);
    m_answered_at = t;
    if (m_answered) m_answered(*m_answer, m_log.tail_so_far());
    if (m_server && m_server->extensions().all_ready()) finish_after_extensions();
    return;
  }
  // The runtime answered: the environment stays usable, so the caller may go on at once (no post).
  m_state = state::idle;
  end_invocation(std::move(o), t, completion_mode::direct);
}

void execution_environment::on_stream_began(std::string_view content_type, clock::time_point) {
  m_streaming = true;
  m_streamed_bytes = 0;
  m_first_byte_at.reset();
  if (m_stream) {
    m_stream->begin(content_type);
  } else {
    m_gathered.clear();
    m_gathered_type = content_type;
  }
}

bool execution_environment::on_stream_data(std::string_view bytes, std::function<void()> more) {
  if (!m_first_byte_at) m_first_byte_at = clock::now();
  m_streamed_bytes += bytes.size();
  if (m_stream) {
    m_stream->data(bytes, std::move(more));
    return true;
  }
  // Nobody streams it on: Lambda buffers a streamed response for a plain Invoke, with the buffered limit.
  more();
  if (m_gathered.size() + bytes.size() > core::max_response_bytes) return false;
  m_gathered.append(bytes);
  return true;
}

void execution_environment::on_stream_cut() {
  if (!m_done) return;
  // The process may be exiting: a crash is reported as such when its exit comes soon.
  arm(m_timer, clock::now() + stream_cut_grace, &execution_environment::on_stream_cut_grace);
}

void execution_environment::on_stream_cut_grace() {
  if (!m_done || m_state == state::dead) return;
  core::outcome o = core::stream_truncated_outcome(m_request_id);
  m_log.fault(o);
  m_shutdown_reason = shutdown_reason::failure;
  fail(std::move(o));
}

void execution_environment::on_init_error(core::outcome o) {
  m_log.init_report(ms_since_start(clock::now()), m_suppressed_init ? "invoke" : "init", "error", o.error_type);
  // "Runtime should exit after reporting the error": fail() makes sure it does.
  fail(std::move(o));
}

void execution_environment::on_exit(const core::process_exit& e) {
  if (m_state == state::dead) return;
  m_shutdown_reason = shutdown_reason::failure;
  if (m_answer) {
    // Exited while extensions finished the invocation: the caller had its answer; the environment resets.
    extension_failed(core::runtime_exit_outcome(m_request_id, e));
    return;
  }
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
  m_log.init_start("invoke");
  m_invoke_start = clock::now();
  arm(m_timer, m_invoke_start + m_fn.timeout, &execution_environment::on_timeout);
  try {
    launch();
  } catch (const std::exception& e) { // spawn_error, or the listener's std::system_error
    m_log.function_line(std::string("lemu: cannot restart the runtime: ") + e.what());
    fail(core::invalid_entrypoint_outcome(m_request_id, m_fn.bootstrap.string()));
    return;
  }
  if (!m_fn.extensions.empty()) {
    m_held = std::move(*m_first); // the runtime gets it when the extensions are ready again
  } else {
    m_server->broker().submit(std::move(*m_first));
  }
  m_first.reset();
}

void execution_environment::on_timeout() {
  if (!m_done) return;
  m_shutdown_reason = shutdown_reason::timeout;
  core::outcome o = core::timeout_outcome(m_request_id, m_fn.timeout);
  if (m_answer) {
    // The extensions outlived the timeout after the runtime answered: the caller had the answer, the REPORT
    // says timeout, and the environment resets.
    m_log.fault(o);
    m_failed_after_answer = o;
    fail(take_answer(clock::now()));
    return;
  }
  m_log.start(m_request_id);
  m_log.fault(o);
  fail(std::move(o));
}

void execution_environment::on_memory_tick() {
  if (m_state == state::dead || !m_child) return;
  const auto reading = m_child->containment().sample();
  m_max_memory_bytes = std::max(m_max_memory_bytes, reading.peak_bytes);
  if (reading.over_limit) {
    m_shutdown_reason = shutdown_reason::failure;
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
  r.post_runtime_extensions_ms = m_post_runtime_ms;
  r.failed_after_answer = std::move(m_failed_after_answer);
  r.max_memory_bytes = m_max_memory_bytes;
  r.memory_method = m_memory_method;
  r.tenant_id = m_tenant_id;
  if (m_streaming) {
    if (m_stream) {
      o.streamed = true;
      o.streamed_bytes = m_streamed_bytes;
    } else {
      o.streamed = false; // gathered: the caller gets it as a buffered response
      if (o.kind == core::outcome_kind::success) {
        o.payload = std::move(m_gathered);
        o.content_type = m_gathered_type;
      }
    }
    if (m_first_byte_at) {
      r.ttfb_ms = ms_between(m_invoke_start, *m_first_byte_at);
      r.stream_ms = ms_between(*m_first_byte_at, end);
    }
  }
  m_streaming = false;
  m_stream.reset();
  m_gathered.clear();
  m_first_byte_at.reset();
  r.outcome = std::move(o);
  if (r.outcome.kind == core::outcome_kind::cancelled) {
    m_log.abandon();
  } else {
    stats::invocation_record rec;
    fill_record(rec, r, m_fn.memory_mb, r.started_at);
    invocation_extras extras;
    if (r.outcome.kind == core::outcome_kind::success || r.outcome.kind == core::outcome_kind::function_error)
      extras.produced_bytes = r.outcome.streamed ? r.outcome.streamed_bytes : r.outcome.payload.size();
    if (r.post_runtime_extensions_ms) extras.runtime_duration_ms = r.duration_ms - *r.post_runtime_extensions_ms;
    r.log = m_log.end(rec, extras);
  }
  m_cold = false;
  m_suppressed_init = false;
  m_first.reset();
  m_post_runtime_ms.reset();
  m_failed_after_answer.reset();
  m_answered = nullptr;
  auto done = std::move(m_done);
  m_done = nullptr;
  if (how == completion_mode::direct) {
    done(std::move(r));
  } else {
    asio::post(m_ex, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  }
}

void execution_environment::die() {
  if (m_state != state::dead) {
    if (m_child) m_child->drain(); // what it printed while alive is kept
    for (auto& x : m_extensions) x.child->drain();
  }
  m_state = state::dead;
  m_timer.cancel();
  m_memory_timer.cancel();
  stop_runtime();
}

void execution_environment::stop() {
  if (m_state != state::dead) m_shutdown_reason = shutdown_reason::spindown;
  if (m_answer) {
    // lemu is stopping while extensions finish an invocation the caller has its answer for: it is kept.
    const auto now = clock::now();
    core::outcome answer = take_answer(now);
    sample_memory();
    end_invocation(std::move(answer), now);
  }
  if (m_done) {
    // lemu is stopping with an invocation in flight: it is cancelled, not the function's failure.
    sample_memory();
    end_invocation(core::cancelled_outcome(m_request_id), clock::now());
  }
  die();
}

std::uint64_t execution_environment::environment_peak_bytes() {
  // Each process has its own containment: the environment's peak is taken as the sum of their peaks (an
  // overestimate when they peak at different times).
  std::uint64_t total = 0;
  if (m_child && m_child->running()) total += m_child->containment().sample().peak_bytes;
  for (auto& x : m_extensions) {
    if (x.child->running()) total += x.child->containment().sample().peak_bytes;
  }
  return total;
}

void execution_environment::sample_memory() {
  if (m_memory_final) return;
  if ((!m_child || !m_child->running()) && m_extensions.empty()) return;
  m_max_memory_bytes = std::max(m_max_memory_bytes, environment_peak_bytes());
}

} // namespace lemu::app
