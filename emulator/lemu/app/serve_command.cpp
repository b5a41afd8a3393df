#include <lemu/app/serve_command.hpp>

#include <lemu/app/capture.hpp>
#include <lemu/app/environment_pool.hpp>
#include <lemu/app/invocation_record.hpp>
#include <lemu/app/output.hpp>
#include <lemu/app/run_command.hpp>
#include <lemu/core/errors.hpp>
#include <lemu/core/ids.hpp>
#include <lemu/gateway/http_server.hpp>
#include <lemu/gateway/invoke_api.hpp>
#include <lemu/gateway/redact.hpp>
#include <lemu/stats/environments.hpp>
#include <lemu/stats/report.hpp>
#include <lemu/stats/summary.hpp>
#include <lemu/util/text.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <nlohmann/json.hpp>

#include <csignal>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>

namespace lemu::app {

namespace net = boost::asio;
namespace api = gateway::invoke_api;
using gateway::http_response;

namespace {

using clock = std::chrono::steady_clock;

// What a finished invocation needs for its record, capture and log lines.
struct invocation_meta {
  std::string source;  // "invoke" or "GET /items/42"
  std::string payload; // the event, kept only when recording
};

// One function behind the server: its environments, the invocations waiting for one, its statistics.
struct function_service {
  function_service(net::any_io_executor ex, const core::function_config& f, output& out, std::size_t concurrency,
                   std::uint16_t runtime_api_port = 0)
      : fn(f), arn(f.function_arn()), pool(ex, fn, out, concurrency, environment_options{runtime_api_port, true}),
        summary(f.memory_mb) {}

  struct queued {
    core::invocation inv;
    std::function<void(invoke_result)> done;
  };

  const core::function_config& fn;
  const std::string arn;
  environment_pool pool;
  std::deque<queued> queue;
  std::size_t in_flight = 0;
  std::size_t next_index = 0;
  stats::run_summary summary;
  stats::environment_summary environments;
};

bool is_loopback(const std::string& host) {
  boost::system::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

http_response& with_header(http_response& r, std::string name, std::string value) {
  r.headers.emplace_back(std::move(name), std::move(value));
  return r;
}

class server_app {
public:
  server_app(net::io_context& ioc, const serve_options& opt)
      : m_ioc(ioc), m_opt(opt), m_out(stdout, stderr), m_signals(ioc, SIGINT, SIGTERM), m_tick(ioc), m_started(clock::now()) {
    for (const auto& fn : opt.functions) {
      m_functions.push_back(
          std::make_unique<function_service>(ioc.get_executor(), fn, m_out, opt.concurrency, opt.runtime_api_port));
    }
    if (opt.front_door) m_front_door.emplace(*opt.front_door);
    if (!opt.record_file.empty()) {
      m_record.open(opt.record_file, std::ios::out | std::ios::app);
      if (!m_record) throw usage_error(opt.record_file + ": cannot open for appending");
    }
    if (!opt.json_report.empty()) {
      m_json.open(opt.json_report, std::ios::out | std::ios::trunc);
      if (!m_json) throw usage_error(opt.json_report + ": cannot open for writing");
    }
    gateway::http_server_options invoke_options{opt.host, opt.port, api::max_sync_payload + 1};
    m_invoke_server = gateway::http_server::create(
        ioc.get_executor(), [this](gateway::received_request in, gateway::http_server::responder respond) {
          on_invoke(std::move(in), std::move(respond));
        },
        invoke_options);
    if (m_front_door) {
      gateway::http_server_options api_options{opt.host, opt.api_port, core::max_event_bytes + 1};
      m_api_server = gateway::http_server::create(
          ioc.get_executor(), [this](gateway::received_request in, gateway::http_server::responder respond) {
            on_api_request(std::move(in), std::move(respond));
          },
          api_options);
    }
  }

  int run() {
    m_invoke_server->start();
    if (m_api_server) m_api_server->start();
    announce();
    wait_for_signal();
    schedule_tick();
    m_ioc.run();
    print_summary();
    return exit_ok;
  }

private:
  void announce() {
    for (const auto& f : m_functions) {
      m_out.log_line("lemu: function " + f->fn.function_name + ": " + f->fn.bootstrap.string() + " (" + f->arn +
                     ", concurrency " + std::to_string(m_opt.concurrency) + ")");
    }
    const std::string base = "http://" + url_host() + ":";
    m_out.log_line("lemu: Invoke API on " + base + std::to_string(m_invoke_server->port()) +
                   " (aws lambda invoke --endpoint-url " + base + std::to_string(m_invoke_server->port()) +
                   " --function-name " + m_functions.front()->fn.function_name + " out.json)");
    if (m_api_server) {
      const auto& fd = m_front_door->options();
      m_out.log_line("lemu: HTTP front door (" + std::string(gateway::to_string(fd.kind)) + ") on " + base +
                     std::to_string(m_api_server->port()) + "/");
      if (fd.routes.empty()) m_out.log_line("lemu:   every request -> " + m_functions.front()->fn.function_name);
      for (const auto& r : fd.routes) {
        m_out.log_line("lemu:   " + r.key() + " -> " + (r.function.empty() ? m_functions.front()->fn.function_name : r.function));
      }
    }
    if (!is_loopback(m_opt.host)) {
      m_out.log_line("lemu: warning: listening on " + m_opt.host +
                     ": other machines can invoke the functions (no authentication); --host 127.0.0.1 keeps them local");
    }
    m_out.log_line("lemu: ready; Ctrl-C stops");
    m_out.flush();
  }

  std::string url_host() const { return m_opt.host.find(':') != std::string::npos ? "[" + m_opt.host + "]" : m_opt.host; }

  function_service* find_function(std::string_view name) {
    if (!m_opt.invoke_alias.empty() && name == m_opt.invoke_alias) return m_functions.front().get();
    for (const auto& f : m_functions) {
      if (f->fn.function_name == name) return f.get();
    }
    return nullptr;
  }

  // ---- the Invoke API --------------------------------------------------------------------------------

  void on_invoke(gateway::received_request in, gateway::http_server::responder respond) {
    const std::string request_id = m_ids.request_id();
    auto parsed = api::parse_request(in.request, in.body_bytes);
    if (auto* e = std::get_if<api::api_error>(&parsed)) return refuse(*e, request_id, respond);
    api::invoke_request& req = std::get<api::invoke_request>(parsed);
    const function_ref_check check = check_function(req.function);
    if (!check.service) return refuse(*check.error, request_id, respond);
    function_service& svc = *check.service;

    http_response answer;
    with_header(answer, "Content-Type", "application/json");
    with_header(answer, "x-amzn-RequestId", request_id);
    with_header(answer, "X-Amz-Executed-Version", svc.fn.version);
    if (req.type == api::invocation_type::dry_run) {
      answer.status = 204;
      return respond(std::move(answer));
    }

    core::invocation inv;
    inv.request_id = request_id;
    inv.function_arn = req.function.qualifier.empty() ? svc.arn : svc.arn + ":" + req.function.qualifier;
    inv.trace_id = m_ids.trace_id();
    inv.timeout = svc.fn.timeout;
    inv.client_context = std::move(req.client_context);
    inv.payload = std::move(req.payload);
    invocation_meta meta{"invoke " + svc.fn.function_name, m_record.is_open() ? inv.payload : std::string()};

    if (req.type == api::invocation_type::event) {
      auto done = [this, &svc, meta = std::move(meta)](invoke_result r) mutable {
        finished(svc, meta, r);
        if (!r.outcome.ok()) {
          m_out.log_line("lemu: asynchronous invocation " + r.request_id + " failed (" + r.outcome.error_type +
                         "); Lambda would retry it twice, lemu does not");
        }
      };
      if (!submit(svc, std::move(inv), std::move(done))) return refuse(api::too_many_requests(), request_id, respond);
      answer.status = 202;
      return respond(std::move(answer));
    }

    const bool tail = req.tail;
    auto done = [this, &svc, meta = std::move(meta), answer = std::move(answer), respond, tail](invoke_result r) mutable {
      const std::string log = finished(svc, meta, r, tail);
      answer.status = 200;
      if (!r.outcome.ok()) with_header(answer, "X-Amz-Function-Error", "Unhandled");
      if (tail) with_header(answer, "X-Amz-Log-Result", api::log_result(log));
      answer.body = std::move(r.outcome.payload);
      respond(std::move(answer));
    };
    if (!submit(svc, std::move(inv), std::move(done))) refuse(api::too_many_requests(), request_id, respond);
  }

  void refuse(const api::api_error& e, const std::string& request_id, const gateway::http_server::responder& respond) {
    m_out.log_line("lemu: invoke: " + std::to_string(e.status) + " " + e.type + ": " + e.message);
    respond(api::error_response(e, request_id));
  }

  struct function_ref_check {
    function_service* service = nullptr;
    std::optional<api::api_error> error;
  };

  // The function a FunctionName names, or the 404 AWS gives (another region, account, version, or name).
  function_ref_check check_function(const api::function_ref& ref) {
    const core::function_config& first = m_functions.front()->fn;
    const std::string region = ref.region.value_or(first.region);
    const std::string account = ref.account_id.value_or(first.account_id);
    function_service* svc = find_function(ref.name);
    if (ref.region && *ref.region != (svc ? svc->fn.region : first.region)) {
      return {nullptr, api::api_error{404, "ResourceNotFoundException",
                                      "Functions from '" + *ref.region + "' are not reachable in this region ('" +
                                          (svc ? svc->fn.region : first.region) + "')", {}}};
    }
    const bool version_ok = ref.qualifier.empty() || (svc && (ref.qualifier == "$LATEST" || ref.qualifier == svc->fn.version));
    if (!svc || account != svc->fn.account_id || !version_ok) {
      const std::string arn = "arn:aws:lambda:" + region + ":" + account + ":function:" + ref.name;
      return {nullptr, api::function_not_found(arn, ref.qualifier)};
    }
    return {svc, std::nullopt};
  }

  // ---- the front door ----------------------------------------------------------------------------------

  void on_api_request(gateway::received_request in, gateway::http_server::responder respond) {
    const auto started = clock::now();
    const std::string target = in.request.target;
    const std::string line = in.request.method + " " + target;
    const auto path = std::string_view(target).substr(0, target.find('?'));
    const auto m = m_front_door->match(in.request.method, path);
    if (!m) {
      http_response r = m_front_door->not_found();
      m_out.log_line("lemu: api: " + line + " -> " + std::to_string(r.status) + " (no route)");
      return respond(std::move(r));
    }
    const std::string function_name = m->matched && !m->matched->function.empty() ? m->matched->function : std::string();
    function_service& svc = function_name.empty() ? *m_functions.front() : *find_function(function_name);
    if (in.body_bytes > core::max_event_bytes) return too_large(line, respond);

    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    core::invocation inv;
    try {
      inv.payload = m_front_door->make_event(in.request, *m, now_ms).dump();
    } catch (const std::invalid_argument& e) {
      m_out.log_line("lemu: api: " + line + " -> 400 (" + e.what() + ")");
      return respond(http_response{400, {{"Content-Type", "application/json"}}, R"({"message":"Bad Request"})"});
    }
    if (inv.payload.size() > core::max_event_bytes) return too_large(line, respond);
    inv.request_id = m_ids.request_id();
    inv.function_arn = svc.arn;
    inv.trace_id = m_ids.trace_id();
    inv.timeout = svc.fn.timeout;
    invocation_meta meta{line, m_record.is_open() ? inv.payload : std::string()};

    auto done = [this, &svc, meta = std::move(meta), respond, line, started](invoke_result r) mutable {
      finished(svc, meta, r);
      http_response answer;
      if (r.outcome.ok()) {
        auto mapped = m_front_door->map_response(r.outcome.payload);
        if (!mapped.error.empty()) m_out.log_line("lemu: api: " + line + ": " + mapped.error);
        answer = std::move(mapped.response);
      } else {
        m_out.log_line("lemu: api: " + line + ": the function failed (" + r.outcome.error_type + ")");
        answer = m_front_door->function_failed();
      }
      with_header(answer, "x-amzn-RequestId", r.request_id);
      m_out.log_line("lemu: api: " + line + " -> " + std::to_string(answer.status) + " (" +
                     util::fixed2(std::chrono::duration<double, std::milli>(clock::now() - started).count()) + " ms)");
      respond(std::move(answer));
    };
    if (!submit(svc, std::move(inv), std::move(done))) {
      m_out.log_line("lemu: api: " + line + " -> 429 (" + svc.fn.function_name + " is at its concurrency and its queue is full)");
      respond(http_response{429, {{"Content-Type", "application/json"}}, R"({"message":"Too Many Requests"})"});
    }
  }

  void too_large(const std::string& line, const gateway::http_server::responder& respond) {
    m_out.log_line("lemu: api: " + line + " -> 413 (the event would be over Lambda's 6291456-byte limit)");
    respond(http_response{413, {{"Content-Type", "application/json"}}, R"({"message":"Request Entity Too Large"})"});
  }

  // ---- scheduling --------------------------------------------------------------------------------------

  // Runs the invocation now, or queues it; false when the queue is full (nothing was run).
  bool submit(function_service& svc, core::invocation inv, std::function<void(invoke_result)> done) {
    if (!svc.queue.empty() || !svc.pool.has_capacity()) {
      if (svc.queue.size() >= m_opt.max_queue) return false;
      svc.queue.push_back({std::move(inv), std::move(done)});
      return true;
    }
    start(svc, std::move(inv), std::move(done));
    return true;
  }

  void start(function_service& svc, core::invocation inv, std::function<void(invoke_result)> done) {
    std::shared_ptr<execution_environment> env;
    try {
      env = svc.pool.acquire();
    } catch (const std::system_error& e) {
      m_out.log_line(std::string("lemu: cannot start ") + svc.fn.function_name + ": " + e.what());
      invoke_result r;
      r.request_id = inv.request_id;
      r.outcome = core::runtime_exit_outcome(inv.request_id, core::process_exit{false, 127, 0});
      done(std::move(r));
      return;
    }
    ++svc.in_flight;
    env->invoke(std::move(inv), [this, &svc, env, done = std::move(done)](invoke_result r) {
      --svc.in_flight;
      svc.pool.release(env);
      done(std::move(r));
      pump(svc);
      if (m_stopping) finish_if_idle();
    });
  }

  void pump(function_service& svc) {
    while (!svc.queue.empty()) {
      if (m_killing) {
        // Stopping at once: what waits is never run; it ends as a killed runtime would.
        auto q = std::move(svc.queue.front());
        svc.queue.pop_front();
        invoke_result r;
        r.request_id = q.inv.request_id;
        r.outcome = core::runtime_exit_outcome(q.inv.request_id, core::process_exit{true, 0, SIGKILL});
        q.done(std::move(r));
        continue;
      }
      if (!svc.pool.has_capacity()) return;
      auto q = std::move(svc.queue.front());
      svc.queue.pop_front();
      start(svc, std::move(q.inv), std::move(q.done));
    }
  }

  // Records a finished invocation (END/REPORT, summary, JSON report, capture); returns its log when
  // `want_log` (X-Amz-Log-Type: Tail), else "".
  std::string finished(function_service& svc, const invocation_meta& meta, const invoke_result& r, bool want_log = false) {
    stats::invocation_record rec;
    rec.index = svc.next_index++;
    rec.source = meta.source;
    fill_record(rec, r, svc.fn.memory_mb, m_started);
    std::string log;
    if (want_log) log = r.log;
    if (r.environment_id != 0) { // it reached a runtime
      const std::string end = stats::end_line(rec.request_id), report = stats::report_line(rec);
      m_out.log_line(end);
      m_out.log_line(report);
      if (want_log) log += end + "\n" + report + "\n";
    }
    svc.summary.add(rec);
    svc.environments.add(rec);
    if (m_json.is_open()) m_json << stats::to_json(rec).dump() << '\n';
    if (m_record.is_open()) record(meta, r, rec);
    m_out.invocation_finished();
    return log;
  }

  // Secrets are redacted in the event and in the outcome (a function may echo them), so that a replay of
  // the capture (the redacted event) gives what was recorded.
  void record(const invocation_meta& meta, const invoke_result& r, const stats::invocation_record& rec) {
    std::string event = meta.payload;
    core::outcome outcome = r.outcome;
    if (!m_opt.record_secrets) {
      const auto redact = [](std::string& json_text) {
        auto doc = nlohmann::ordered_json::parse(json_text, nullptr, false);
        if (!doc.is_discarded() && gateway::redact_secrets(doc) > 0) json_text = doc.dump();
      };
      redact(event);
      redact(outcome.payload);
    }
    const capture_meta cm{meta.source, "serve", iso8601_now(), stats::to_string(rec.status), rec.duration_ms};
    m_record << capture_line(event, outcome, cm) << '\n';
    m_record.flush(); // a capture line is whole on disk as soon as its invocation ends
  }

  // ---- lifecycle ----------------------------------------------------------------------------------------

  void wait_for_signal() {
    m_signals.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      if (!m_stopping) {
        std::size_t in_flight = 0, queued = 0;
        for (const auto& f : m_functions) {
          in_flight += f->in_flight;
          queued += f->queue.size();
        }
        m_out.log_line("lemu: stopping: " + std::to_string(in_flight) + " invocations in flight, " +
                       std::to_string(queued) + " queued (Ctrl-C again to kill them)");
        m_stopping = true;
        m_invoke_server->stop();
        if (m_api_server) m_api_server->stop();
        wait_for_signal();
        finish_if_idle();
      } else {
        m_out.log_line("lemu: stopping now: killing the functions");
        m_killing = true;
        for (const auto& f : m_functions) {
          f->pool.shutdown_all();
          pump(*f);
        }
        finish_if_idle();
      }
      m_out.flush();
    });
  }

  void finish_if_idle() {
    if (m_finished) return;
    for (const auto& f : m_functions) {
      if (f->in_flight > 0 || !f->queue.empty()) return;
    }
    m_finished = true;
    for (const auto& f : m_functions) f->pool.shutdown_all();
    m_signals.cancel();
    m_tick.cancel();
  }

  void schedule_tick() {
    m_tick.expires_after(std::chrono::milliseconds(100));
    m_tick.async_wait([this](boost::system::error_code ec) {
      if (ec || m_finished) return;
      m_out.flush();
      schedule_tick();
    });
  }

  void print_summary() {
    for (const auto& f : m_functions) {
      if (m_functions.size() > 1) m_out.text("function " + f->fn.function_name + ":\n");
      m_out.text(f->summary.render_table());
      m_out.text(f->environments.render_table());
    }
    m_out.flush();
    if (m_json.is_open()) m_json.flush();
  }

  net::io_context& m_ioc;
  const serve_options& m_opt;
  output m_out;
  net::signal_set m_signals;
  net::steady_timer m_tick;
  const clock::time_point m_started;
  core::id_generator m_ids;
  std::vector<std::unique_ptr<function_service>> m_functions;
  std::optional<gateway::front_door> m_front_door;
  std::shared_ptr<gateway::http_server> m_invoke_server, m_api_server;
  std::ofstream m_record, m_json;
  bool m_stopping = false, m_killing = false, m_finished = false;
};

} // namespace

int serve(const serve_options& options) {
  if (options.functions.empty()) throw usage_error("no function given");
  for (const auto& fn : options.functions) check_bootstrap(fn);
  for (std::size_t i = 0; i < options.functions.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (options.functions[i].function_name == options.functions[j].function_name) {
        throw usage_error("two functions are named " + options.functions[i].function_name + " (name them: --function NAME=PATH)");
      }
    }
  }
  if (options.concurrency == 0) throw usage_error("--concurrency must be at least 1");
  if (options.front_door) {
    for (const auto& r : options.front_door->routes) {
      if (r.function.empty()) continue;
      const bool known = std::any_of(options.functions.begin(), options.functions.end(),
                                     [&](const auto& fn) { return fn.function_name == r.function; });
      if (!known) throw usage_error("--route " + r.key() + "=" + r.function + ": no function is named " + r.function);
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  net::io_context ioc(1);
  server_app app(ioc, options);
  return app.run();
}

} // namespace lemu::app
