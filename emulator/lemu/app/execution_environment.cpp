#include <lemu/app/execution_environment.hpp>

#include <lemu/app/function_sandbox.hpp>

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
      m_memory_timer(ex), m_capacity(std::max<std::uint32_t>(1, fn.per_environment_concurrency)) {
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

template <class Handler>
void execution_environment::arm(flight& f, clock::time_point at, Handler h) {
  f.timer.expires_at(at);
  f.timer.async_wait([weak = weak_from_this(), id = f.request_id, h](boost::system::error_code ec) {
    if (ec) return;
    auto self = weak.lock();
    if (!self) return;
    if (flight* found = self->find(id)) ((*self).*h)(*found);
  });
}

execution_environment::flight* execution_environment::find(std::string_view request_id) {
  for (auto& f : m_flights) {
    if (f->request_id == request_id) return f.get();
  }
  return nullptr;
}

double execution_environment::ms_since_start(clock::time_point t) const { return ms_between(m_started_at, t); }

runtime_api::broker::callbacks execution_environment::make_callbacks() {
  runtime_api::broker::callbacks l;
  l.init_done = [this](clock::time_point t) { on_init_done(t); };
  l.delivered = [this](std::string_view id, clock::time_point t) { on_delivered(id, t); };
  l.completed = [this](std::string_view id, core::outcome o, clock::time_point t) { on_answer(id, std::move(o), t); };
  l.init_error = [this](core::outcome o) { on_init_error(std::move(o)); };
  l.late_answer = [this](std::string_view) { on_late_answer(); };
  l.stream_began = [this](std::string_view id, std::string_view content_type, clock::time_point t) {
    on_stream_began(id, content_type, t);
  };
  l.stream_data = [this](std::string_view id, std::string_view bytes, std::function<void()> more) {
    return on_stream_data(id, bytes, std::move(more));
  };
  l.stream_cut = [this](std::string_view id) { on_stream_cut(id); };
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
  } catch (const sandbox::sandbox_error& e) {
    m_log.function_line(std::string("lemu: cannot build the sandbox: ") + e.what());
    m_start_failure = core::sandbox_failure_outcome("", std::string("cannot build the sandbox: ") + e.what());
  }
  if (m_start_failure) {
    m_started_at = clock::now();
    stop_runtime();
    m_state = state::dead;
    return;
  }
  // Lambda Managed Instances: init may take max(130 s, the timeout), at most 15 minutes.
  const auto init_limit = managed() ? std::min<std::chrono::nanoseconds>(std::max<std::chrono::nanoseconds>(std::chrono::seconds(130), m_fn.timeout),
                                                                          std::chrono::minutes(15))
                                    : m_fn.init_timeout;
  arm(m_timer, m_started_at + init_limit, &execution_environment::on_init_timer);
  arm(m_memory_timer, m_started_at + memory_tick, &execution_environment::on_memory_tick);
}

void execution_environment::launch() {
  // The listener is up before the runtime starts: clients give up at once when nothing listens.
  runtime_api::server_options server_options;
  server_options.port = m_options.runtime_api_port;
  server_options.streaming = m_fn.streaming;
  server_options.max_concurrency = m_capacity;
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
  // Lambda's filesystem: this environment's own, unless it takes over one whose runtime crashed (its /tmp).
  if (m_fn.sandboxed && !m_sandbox) m_sandbox = sandbox::sandbox::create(layout_of(m_fn));
  m_server = runtime_api::server::create(m_ex, make_callbacks(), server_options);
  if (managed()) m_server->extensions().refuse_invoke_events();
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
      const process::spawn_request req = spawn_request_for(m_fn, m_sandbox.get(), path, envp, {});
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
  const process::spawn_request req = spawn_request_for(m_fn, m_sandbox.get(), m_fn.bootstrap, process::to_envp(m_runtime_env), m_fn.args);
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
  auto slot = std::make_unique<flight>(m_ex);
  flight& f = *slot;
  f.request_id = inv.request_id;
  f.function_arn = inv.function_arn;
  f.trace_id = inv.trace_id;
  f.tenant_id = inv.tenant_id;
  f.stream = inv.stream;
  f.done = std::move(done);
  f.answered = std::move(answered);
  m_flights.push_back(std::move(slot));
  m_log.set_tenant(inv.tenant_id); // tenantId in platform.start, runtimeDone and report
  if (m_start_failure) {
    // The runtime never started: Lambda reports the failed init, then fails the invocation.
    core::outcome o = m_start_failure->kind == core::outcome_kind::invalid_entrypoint
                          ? core::invalid_entrypoint_outcome(f.request_id, m_fn.bootstrap.string())
                      : m_start_failure->kind == core::outcome_kind::extension_failure
                          ? core::extension_failure_outcome(f.request_id, m_start_failure->error_type, m_start_failure_what)
                          : core::sandbox_failure_outcome(f.request_id, "the execution environment could not be set up");
    m_log.init_report(0.0, "init", "error", o.error_type);
    m_log.start(f.request_id);
    m_log.fault(o);
    end_invocation(f, std::move(o), clock::now());
    return;
  }
  // Only the cold invocation is kept: an init past its limit is retried with it (not under Managed Instances).
  if (m_state == state::initializing && !managed()) m_first = inv;
  if (!m_fn.extensions.empty() && !m_init_complete) {
    m_held.push_back(std::move(inv)); // the runtime gets it when the extensions are ready too
    return;
  }
  if (m_state == state::idle) m_state = state::invoking;
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
  if (!m_flights.empty()) m_state = state::invoking;
  std::vector<core::invocation> held = std::move(m_held);
  m_held.clear();
  for (auto& inv : held) m_server->broker().submit(std::move(inv));
}

void execution_environment::on_extensions_changed() {
  if (m_state == state::dead || !m_server) return;
  auto& registry = m_server->extensions();
  if (const auto failed = registry.failure()) {
    const bool init = failed->state == extensions::state::init_error;
    const std::string what = "Extension " + failed->name + " reported " + (init ? "init" : "exit") + " error: " + failed->error_type;
    extension_failed([init, what](std::string_view id) {
      return core::extension_failure_outcome(id, init ? "Extension.InitError" : "Extension.ExitError", what);
    });
    return;
  }
  if (!m_init_complete) {
    if (!m_child && registry.externals_registered()) {
      try {
        spawn_runtime();
      } catch (const process::spawn_error& e) {
        m_log.function_line("lemu: cannot start " + m_fn.bootstrap.string() + ": " + e.what());
        m_shutdown_reason = shutdown_reason::failure;
        fail([this](std::string_view id) { return core::invalid_entrypoint_outcome(id, m_fn.bootstrap.string()); }, true, true);
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
  flight* f = current();
  if (!f) return;
  const auto now = clock::now();
  end_invocation(*f, take_answer(now), now, completion_mode::direct);
}

void execution_environment::extension_failed(const outcome_for& make) {
  m_shutdown_reason = shutdown_reason::failure;
  flight* f = current();
  if (!f) {
    die();
    return;
  }
  if (m_answer) {
    // The caller has the runtime's answer already: that stays the outcome; the environment is reset.
    m_log.fault(make(f->request_id));
    m_failed_after_answer = make(f->request_id);
    const auto now = clock::now();
    core::outcome answer = take_answer(now);
    sample_memory();
    end_invocation(*f, std::move(answer), now);
    die();
    return;
  }
  fail(make, true, true);
}

void execution_environment::on_extension_exit(const std::string& name, const core::process_exit& e) {
  if (m_state == state::dead) return;
  const std::string what = "Extension " + name + " " + core::exit_reason(e);
  extension_failed([what](std::string_view id) { return core::extension_failure_outcome(id, "Extension.Crash", what); });
}

void execution_environment::on_delivered(std::string_view request_id, clock::time_point t) {
  flight* f = find(request_id);
  if (!f) return;
  m_state = state::invoking;
  f->delivered = true;
  m_first.reset();
  m_log.start(f->request_id, f->trace_id);
  if (m_server && m_server->extensions().size() > 0 && !managed()) {
    // INVOKE goes to the extensions as the event goes to the runtime, with the same deadline.
    const auto deadline = std::chrono::system_clock::now() + m_fn.timeout;
    m_extensions_busy = m_server->extensions().send_invoke(
        {f->request_id, std::chrono::duration_cast<std::chrono::milliseconds>(deadline.time_since_epoch()).count(),
         f->function_arn, f->trace_id});
  }
  if (m_suppressed_init) return; // the clock started when init went past its limit
  f->invoke_start = t;
  arm(*f, t + m_fn.timeout, &execution_environment::on_timeout);
}

void execution_environment::on_answer(std::string_view request_id, core::outcome o, clock::time_point t) {
  flight* f = find(request_id);
  if (!f) return;
  if (m_extensions_busy) {
    // The caller is answered now; the invocation ends when the INVOKE extensions are done too.
    m_answer = std::move(o);
    m_answered_at = t;
    if (f->answered) f->answered(*m_answer, m_log.tail_so_far());
    if (m_server && m_server->extensions().all_ready()) finish_after_extensions();
    return;
  }
  // The runtime answered: the environment stays usable, so the caller may go on at once (no post).
  end_invocation(*f, std::move(o), t, completion_mode::direct);
}

void execution_environment::on_late_answer() {
  if (m_late > 0) --m_late;
  if (m_capacity_listener && alive()) asio::post(m_ex, m_capacity_listener);
}

void execution_environment::on_stream_began(std::string_view request_id, std::string_view content_type, clock::time_point) {
  flight* f = find(request_id);
  if (!f) return;
  f->streaming = true;
  f->streamed_bytes = 0;
  f->first_byte_at.reset();
  if (f->stream) {
    f->stream->begin(content_type);
  } else {
    f->gathered.clear();
    f->gathered_type = content_type;
  }
}

bool execution_environment::on_stream_data(std::string_view request_id, std::string_view bytes, std::function<void()> more) {
  flight* f = find(request_id);
  if (!f) {
    more();
    return false;
  }
  if (!f->first_byte_at) f->first_byte_at = clock::now();
  f->streamed_bytes += bytes.size();
  if (f->stream) {
    f->stream->data(bytes, std::move(more));
    return true;
  }
  // Nobody streams it on: Lambda buffers a streamed response for a plain Invoke, with the buffered limit.
  more();
  if (f->gathered.size() + bytes.size() > core::max_response_bytes) return false;
  f->gathered.append(bytes);
  return true;
}

void execution_environment::on_stream_cut(std::string_view request_id) {
  flight* f = find(request_id);
  if (!f) return;
  // The process may be exiting: a crash is reported as such when its exit comes soon.
  arm(*f, clock::now() + stream_cut_grace, &execution_environment::on_stream_cut_grace);
}

void execution_environment::on_stream_cut_grace(flight& f) {
  if (m_state == state::dead) return;
  if (managed()) {
    // The worker lives on: only this invocation fails.
    core::outcome o = core::stream_truncated_outcome(f.request_id);
    m_log.fault(o);
    if (m_server) m_server->broker().forget(f.request_id);
    end_invocation(f, std::move(o), clock::now());
    return;
  }
  m_shutdown_reason = shutdown_reason::failure;
  fail([](std::string_view id) { return core::stream_truncated_outcome(id); }, true);
}

void execution_environment::on_init_error(core::outcome o) {
  m_log.init_report(ms_since_start(clock::now()), init_phase(), "error", o.error_type);
  // "Runtime should exit after reporting the error": fail() makes sure it does.
  fail([&o](std::string_view) { return o; }, false);
}

void execution_environment::on_exit(const core::process_exit& e) {
  if (m_state == state::dead) return;
  m_shutdown_reason = shutdown_reason::failure;
  if (m_answer) {
    // Exited while extensions finished the invocation: the caller had its answer; the environment resets.
    extension_failed([e](std::string_view id) { return core::runtime_exit_outcome(id, e); });
    return;
  }
  // An out-of-memory kill by the kernel (cgroup) looks like any SIGKILL: the containment tells them apart.
  const bool out_of_memory = m_child && m_child->containment().sample().over_limit;
  if (m_flights.empty()) {
    die(); // exited between invocations: the next event starts a fresh environment
    return;
  }
  if (out_of_memory) {
    m_max_memory_bytes = std::uint64_t{m_fn.memory_mb} << 20;
    m_memory_final = true;
  }
  // Every invocation in flight fails, each with its own outcome (several under Managed Instances).
  fail([out_of_memory, e](std::string_view id) {
    return out_of_memory ? core::out_of_memory_outcome(id) : core::runtime_exit_outcome(id, e);
  }, true, true);
}

void execution_environment::on_init_timer() {
  if (m_state != state::initializing || m_flights.empty()) return;
  if (managed()) {
    // Managed Instances do not retry init: whatever waits for this environment fails.
    m_log.init_report(ms_since_start(clock::now()), "init", "timeout", {});
    m_shutdown_reason = shutdown_reason::timeout;
    const auto limit = std::min<std::chrono::nanoseconds>(std::max<std::chrono::nanoseconds>(std::chrono::seconds(130), m_fn.timeout),
                                                          std::chrono::minutes(15));
    fail([limit](std::string_view id) { return core::timeout_outcome(id, limit); });
    return;
  }
  flight* f = current();
  if (!m_first) return;
  // Init went past its limit: Lambda retries it within the first invocation, whose START this is.
  m_log.init_report(ms_since_start(clock::now()), "init", "timeout", {});
  m_log.start(f->request_id);
  m_suppressed_init = true;
  stop_runtime();
  m_log.init_start("invoke");
  f->invoke_start = clock::now();
  arm(*f, f->invoke_start + m_fn.timeout, &execution_environment::on_timeout);
  try {
    launch();
  } catch (const std::exception& e) { // spawn_error, or the listener's std::system_error
    m_log.function_line(std::string("lemu: cannot restart the runtime: ") + e.what());
    fail([this](std::string_view id) { return core::invalid_entrypoint_outcome(id, m_fn.bootstrap.string()); }, false);
    return;
  }
  if (!m_fn.extensions.empty()) {
    m_held.push_back(std::move(*m_first)); // the runtime gets it when the extensions are ready again
  } else {
    m_server->broker().submit(std::move(*m_first));
  }
  m_first.reset();
}

void execution_environment::on_timeout(flight& f) {
  core::outcome o = core::timeout_outcome(f.request_id, m_fn.timeout);
  if (managed()) {
    // Managed Instances: this invocation fails alone; the environment and the others go on. Its worker's
    // place is taken until it answers (late, accepted and dropped).
    m_log.start(f.request_id);
    m_log.fault(o);
    if (m_server) {
      m_server->broker().forget(f.request_id);
      if (f.delivered) ++m_late;
    }
    end_invocation(f, std::move(o), clock::now());
    return;
  }
  m_shutdown_reason = shutdown_reason::timeout;
  if (m_answer) {
    // The extensions outlived the timeout after the runtime answered: the caller had the answer, the REPORT
    // says timeout, and the environment resets.
    m_log.fault(o);
    m_failed_after_answer = o;
    sample_memory();
    const auto now = clock::now();
    end_invocation(f, take_answer(now), now);
    die();
    return;
  }
  fail([this](std::string_view id) { return core::timeout_outcome(id, m_fn.timeout); });
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
    fail([](std::string_view id) { return core::out_of_memory_outcome(id); });
    return;
  }
  arm(m_memory_timer, clock::now() + memory_tick, &execution_environment::on_memory_tick);
}

void execution_environment::fail(const outcome_for& make, bool fault_lines, bool failed_init) {
  sample_memory();
  bool init_reported = !failed_init;
  while (!m_flights.empty()) {
    flight& f = *m_flights.front();
    core::outcome o = make(f.request_id);
    if (!init_reported && !f.delivered) {
      m_log.init_report(ms_since_start(clock::now()), init_phase(), "error", o.error_type);
      init_reported = true;
    }
    if (fault_lines) {
      m_log.start(f.request_id);
      m_log.fault(o);
    }
    end_invocation(f, std::move(o), clock::now());
  }
  die();
}

void execution_environment::end_invocation(flight& f, core::outcome o, clock::time_point end, completion_mode how) {
  f.timer.cancel();
  if (m_child) m_child->drain(); // the runtime's lines from before it answered come before END/REPORT
  if (m_cold) sample_memory();
  invoke_result r;
  r.request_id = f.request_id;
  r.environment_id = m_id;
  r.cold = m_cold;
  if (m_cold && !m_suppressed_init) r.init_ms = m_init_ms;
  const bool began = f.delivered || m_suppressed_init;
  r.started_at = began ? f.invoke_start : end;
  r.duration_ms = began ? ms_between(f.invoke_start, end) : 0.0;
  r.post_runtime_extensions_ms = m_post_runtime_ms;
  r.failed_after_answer = std::move(m_failed_after_answer);
  r.max_memory_bytes = m_max_memory_bytes;
  r.memory_method = m_memory_method;
  r.tenant_id = f.tenant_id;
  if (f.streaming) {
    if (f.stream) {
      o.streamed = true;
      o.streamed_bytes = f.streamed_bytes;
    } else {
      o.streamed = false; // gathered: the caller gets it as a buffered response
      if (o.kind == core::outcome_kind::success) {
        o.payload = std::move(f.gathered);
        o.content_type = f.gathered_type;
      }
    }
    if (f.first_byte_at) {
      r.ttfb_ms = ms_between(f.invoke_start, *f.first_byte_at);
      r.stream_ms = ms_between(*f.first_byte_at, end);
    }
  }
  r.outcome = std::move(o);
  if (r.outcome.kind == core::outcome_kind::cancelled) {
    m_log.abandon();
  } else {
    stats::invocation_record rec;
    fill_record(rec, r, m_fn.memory_mb, r.started_at);
    if (!m_fn.emulator.empty()) rec.emulation = m_fn.emulator.filename().string() + " (arm64 on " + host_architecture() + ")";
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
  auto done = std::move(f.done);
  std::erase_if(m_flights, [&f](const auto& p) { return p.get() == &f; }); // f is gone from here on
  if (m_flights.empty() && (m_state == state::invoking || m_state == state::idle)) m_state = state::idle;
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
  if (m_answer && current()) {
    // lemu is stopping while extensions finish an invocation the caller has its answer for: it is kept.
    const auto now = clock::now();
    core::outcome answer = take_answer(now);
    sample_memory();
    end_invocation(*current(), std::move(answer), now);
  }
  // lemu is stopping with invocations in flight: they are cancelled, not the function's failure.
  if (!m_flights.empty()) sample_memory();
  while (!m_flights.empty()) {
    flight& f = *m_flights.front();
    end_invocation(f, core::cancelled_outcome(f.request_id), clock::now());
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
