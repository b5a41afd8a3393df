#include <lemu/app/serve_command.hpp>

#include <lemu/app/capture.hpp>
#include <lemu/app/files.hpp>
#include <lemu/app/function_scheduler.hpp>
#include <lemu/app/invocation_record.hpp>
#include <lemu/app/output.hpp>
#include <lemu/app/serve_records.hpp>
#include <lemu/app/sqs_endpoint.hpp>
#include <lemu/app/sqs_mapping.hpp>
#include <lemu/sqs/clock.hpp>
#include <lemu/sqs/remote_client.hpp>
#include <lemu/sqs/service.hpp>
#include <lemu/sqs/store.hpp>
#include <lemu/core/errors.hpp>
#include <lemu/core/exit_codes.hpp>
#include <lemu/core/ids.hpp>
#include <lemu/core/tenant.hpp>
#include <lemu/gateway/front_door_set.hpp>
#include <lemu/gateway/http_server.hpp>
#include <lemu/gateway/invoke_api.hpp>
#include <lemu/gateway/stream_answer.hpp>
#include <lemu/process/bootstrap.hpp>
#include <lemu/process/child.hpp>
#include <lemu/process/watchdog.hpp>
#include <lemu/stats/environments.hpp>
#include <lemu/stats/summary.hpp>
#include <lemu/util/json_text.hpp>
#include <lemu/util/text.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <deque>
#include <set>
#include <functional>
#include <memory>

namespace lemu::app {

namespace net = boost::asio;
namespace api = gateway::invoke_api;
using gateway::http_response;

namespace {

using clock = std::chrono::steady_clock;

// One function behind the server: its scheduler (environments and queue) and its statistics.
// A reload (--watch) gives the scheduler a new version of the function; a function a re-read template no
// longer has is `removed`: not found by name, finishing what it runs.
struct function_service {
  function_service(net::any_io_executor ex, const core::function_config& f, output& out, std::size_t concurrency,
                   std::size_t max_queue, std::uint16_t runtime_api_port)
      : scheduler(ex, f, out, scheduler_options{concurrency, max_queue, false, environment_options{runtime_api_port, true}}),
        stats(f.memory_mb) {}

  const core::function_config& fn() const { return scheduler.config(); }
  std::string arn() const { return fn().function_arn(); }
  function_scheduler scheduler;
  function_statistics stats;
  bool removed = false;
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

sqs_endpoint_options sqs_options_of(const serve_options& opt) {
  sqs_endpoint_options o;
  o.host = opt.host;
  o.port = opt.sqs_port.value_or(0);
  for (const auto& q : opt.sqs_queues) o.queues.push_back(parse_sqs_queue(q));
  o.state_dir = opt.sqs_state == "none" ? std::string() : opt.sqs_state.empty() ? default_sqs_state_dir() : opt.sqs_state;
  o.fsync = opt.sqs_fsync == "always" ? sqs::fsync_policy::always : sqs::fsync_policy::interval;
  o.region = sqs_region_from_environment();
  o.max_connections = opt.max_connections;
  o.timeouts = opt.timeouts;
  return o;
}

class server_app {
public:
  server_app(net::io_context& ioc, const serve_options& opt)
      : m_ioc(ioc), m_opt(opt), m_out(stdout, stderr), m_signals(ioc, SIGINT, SIGTERM), m_tick(ioc),
        m_records(opt.record_file, opt.json_report, opt.record_secrets, m_out) {
    for (const auto& fn : opt.functions) {
      m_functions.push_back(std::make_unique<function_service>(ioc.get_executor(), fn, m_out, opt.concurrency, opt.max_queue,
                                                               opt.runtime_api_port));
    }
    if (opt.sqs_port) m_sqs = std::make_unique<sqs_endpoint>(ioc.get_executor(), sqs_options_of(opt));
    for (const std::string& spec : opt.sqs_triggers) m_triggers.push_back(trigger_of(spec));
    if (!opt.apis.empty()) m_doors = std::make_shared<const gateway::front_door_set>(opt.apis);
    gateway::http_server_options invoke_options = listener_options(opt.port, api::max_sync_payload + 1, "serve: invoke api");
    invoke_options.port_option = "--port";
    invoke_options.error_page = api::server_error_page;
    m_invoke_server = gateway::http_server::create(
        ioc.get_executor(), [this](gateway::received_request in, gateway::http_server::responder respond) {
          on_invoke(std::move(in), std::move(respond));
        },
        invoke_options);
    if (m_doors) {
      gateway::http_server_options api_options = listener_options(opt.api_port, core::max_event_bytes + 1, "serve: front door");
      api_options.port_option = "--api-port";
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
    if (m_sqs) m_sqs->start();
    announce();
    if (m_opt.watch.enabled) start_watching();
    wait_for_signal();
    schedule_tick();
    m_ioc.run();
    print_summary();
    return m_killing ? core::exit_interrupted : core::exit_ok;
  }

private:
  // What both listeners share: the host, the connection cap and the timeouts.
  gateway::http_server_options listener_options(std::uint16_t port, std::size_t body_limit, std::string name) const {
    gateway::http_server_options o;
    o.host = m_opt.host;
    o.port = port;
    o.body_limit = body_limit;
    o.max_connections = m_opt.max_connections;
    o.timeouts = m_opt.timeouts;
    o.name = std::move(name);
    return o;
  }

  void announce() {
    for (const auto& f : m_functions) {
      m_out.log_line("lemu: function " + f->fn().function_name + ": " + f->fn().bootstrap.string() + " (" + f->arn() +
                     ", concurrency " + std::to_string(m_opt.concurrency) +
                     (f->fn().tenant_isolation ? ", tenant isolation" : "") + ")");
    }
    const std::string base = "http://" + url_host() + ":";
    m_out.log_line("lemu: Invoke API on " + base + std::to_string(m_invoke_server->port()) +
                   " (aws lambda invoke --endpoint-url " + base + std::to_string(m_invoke_server->port()) +
                   " --function-name " + m_functions.front()->fn().function_name + " out.json)");
    if (m_api_server) {
      std::string kinds;
      for (const auto& door : m_doors->apis()) kinds += (kinds.empty() ? "" : ", ") + std::string(gateway::to_string(door.options().kind));
      m_out.log_line("lemu: HTTP front door (" + kinds + ") on " + base + std::to_string(m_api_server->port()) + "/");
      announce_routes();
    }
    if (m_sqs) {
      for (const std::string& line : m_sqs->describe()) m_out.log_line(line);
    }
    if (!is_loopback(m_opt.host)) {
      m_out.log_line("lemu: warning: listening on " + m_opt.host +
                     ": other machines can invoke the functions (no authentication); --host 127.0.0.1 keeps them local");
    }
    for (auto& t : m_triggers) start_trigger(*t); // their lines come before "ready"
    m_out.log_line("lemu: ready; Ctrl-C stops");
    m_out.flush();
  }

  void announce_routes() {
    const bool several = m_doors->apis().size() > 1;
    for (const auto& door : m_doors->apis()) {
      const auto& fd = door.options();
      if (fd.routes.empty()) m_out.log_line("lemu:   every request -> " + m_functions.front()->fn().function_name);
      for (const auto& r : fd.routes) {
        m_out.log_line("lemu:   " + r.key() + " -> " + (r.function.empty() ? m_functions.front()->fn().function_name : r.function) +
                       (several ? " (" + std::string(gateway::to_string(fd.kind)) + ")" : ""));
      }
    }
  }

  std::string url_host() const { return m_opt.host.find(':') != std::string::npos ? "[" + m_opt.host + "]" : m_opt.host; }

  function_service* find_function(std::string_view name) {
    if (!m_opt.invoke_alias.empty() && name == m_opt.invoke_alias) return m_functions.front().get();
    for (const auto& f : m_functions) {
      if (!f->removed && f->fn().function_name == name) return f.get();
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
    if (svc.fn().tenant_isolation != req.tenant_id.has_value()) {
      return refuse(svc.fn().tenant_isolation ? api::tenant_id_required(svc.fn().function_name)
                                            : api::tenant_id_unexpected(svc.fn().function_name),
                    request_id, respond);
    }
    if (req.streaming) return on_stream_invoke(svc, req, request_id, respond);

    http_response answer;
    with_header(answer, "Content-Type", "application/json");
    with_header(answer, "x-amzn-RequestId", request_id);
    with_header(answer, "X-Amz-Executed-Version", svc.fn().version);
    if (req.type == api::invocation_type::dry_run) {
      answer.status = 204;
      return respond(std::move(answer));
    }

    core::invocation inv = invocation_of(svc, req, request_id);
    invocation_meta meta{"invoke " + svc.fn().function_name, m_records.records_events() ? inv.payload : std::string()};

    if (req.type == api::invocation_type::event) {
      auto done = [this, &svc, meta = std::move(meta)](invoke_result r) mutable {
        if (r.outcome.kind == core::outcome_kind::cancelled) return svc.stats.summary.add_cancelled(); // recorded nowhere
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
    // The caller is answered once: when the runtime answers, or (extensions still running then) earlier.
    auto reply = std::make_shared<std::function<void(const core::outcome&, const std::string&)>>(
        [answer = std::move(answer), respond, tail](const core::outcome& o, const std::string& log) mutable {
          answer.status = 200;
          if (!o.ok()) with_header(answer, "X-Amz-Function-Error", "Unhandled");
          if (tail) with_header(answer, "X-Amz-Log-Result", api::log_result(log));
          answer.body = o.payload;
          respond(std::move(answer));
        });
    auto answered = [reply](const core::outcome& o, const std::string& log) {
      auto once = std::move(*reply);
      *reply = nullptr;
      if (once) once(o, log);
    };
    auto done = [this, &svc, meta = std::move(meta), respond, tail, request_id, answered](invoke_result r) mutable {
      if (r.outcome.kind == core::outcome_kind::cancelled) {
        svc.stats.summary.add_cancelled();
        return respond(api::error_response(api::cancelled(), request_id));
      }
      const std::string log = finished(svc, meta, r, tail);
      answered(r.outcome, log);
    };
    if (!submit(svc, std::move(inv), std::move(done), answered)) refuse(api::too_many_requests(), request_id, respond);
  }

  // InvokeWithResponseStream: the answer is an event stream (PayloadChunk events as the runtime streams, or
  // its whole response as one, then InvokeComplete), from the invocation's stream.
  void on_stream_invoke(function_service& svc, api::invoke_request& req, const std::string& request_id,
                        const gateway::http_server::responder& respond) {
    gateway::header_list head{{"x-amzn-RequestId", request_id}, {"X-Amz-Executed-Version", svc.fn().version}};
    if (req.type == api::invocation_type::dry_run) {
      http_response answer{204, std::move(head), {}};
      answer.headers.emplace(answer.headers.begin(), "Content-Type", "application/json");
      return respond(std::move(answer));
    }
    auto stream = std::make_shared<gateway::eventstream_answer>(respond, std::move(head));
    core::invocation inv = invocation_of(svc, req, request_id);
    inv.stream = stream;
    invocation_meta meta{"invoke " + svc.fn().function_name, m_records.records_events() ? inv.payload : std::string()};
    const bool tail = req.tail;
    // The caller is answered once (end() ignores a second call): when the runtime answers, or earlier.
    auto answered = [stream, tail](const core::outcome& o, const std::string& log) {
      stream->end(o, tail ? api::log_result(log) : std::string());
    };
    auto done = [this, &svc, meta = std::move(meta), stream, tail, request_id, answered](invoke_result r) {
      if (r.outcome.kind == core::outcome_kind::cancelled) {
        svc.stats.summary.add_cancelled();
        return stream->cancel(api::error_response(api::cancelled(), request_id));
      }
      answered(r.outcome, finished(svc, meta, r, tail));
    };
    if (!submit(svc, std::move(inv), std::move(done), answered)) refuse(api::too_many_requests(), request_id, respond);
  }

  // The invocation an Invoke API request asks for (Invoke and InvokeWithResponseStream alike); takes the
  // request's payload and client context.
  core::invocation invocation_of(const function_service& svc, api::invoke_request& req, const std::string& request_id) {
    core::invocation inv;
    inv.request_id = request_id;
    inv.function_arn = req.function.qualifier.empty() ? svc.arn() : svc.arn() + ":" + req.function.qualifier;
    inv.trace_id = m_ids.trace_id();
    inv.timeout = svc.fn().timeout;
    inv.client_context = std::move(req.client_context);
    inv.tenant_id = req.tenant_id.value_or("");
    inv.payload = std::move(req.payload);
    return inv;
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
    const core::function_config& first = m_functions.front()->fn();
    const std::string region = ref.region.value_or(first.region);
    const std::string account = ref.account_id.value_or(first.account_id);
    function_service* svc = find_function(ref.name);
    if (ref.region && *ref.region != (svc ? svc->fn().region : first.region)) {
      return {nullptr, api::api_error{404, "ResourceNotFoundException",
                                      "Functions from '" + *ref.region + "' are not reachable in this region ('" +
                                          (svc ? svc->fn().region : first.region) + "')", {}}};
    }
    const bool version_ok = ref.qualifier.empty() || (svc && (ref.qualifier == "$LATEST" || ref.qualifier == svc->fn().version));
    if (!svc || account != svc->fn().account_id || !version_ok) {
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
    const std::shared_ptr<const gateway::front_door_set> doors = m_doors; // a reload may replace m_doors meanwhile
    const auto found = doors->match(in.request.method, path);
    if (!found) {
      http_response r = doors->first().not_found();
      m_out.log_line("lemu: api: " + line + " -> " + std::to_string(r.status) + " (no route)");
      return respond(std::move(r));
    }
    const gateway::front_door& door = *found->door;
    const gateway::route_match& m = found->match;
    const std::string function_name = m.matched && !m.matched->function.empty() ? m.matched->function : std::string();
    function_service* target_fn = function_name.empty() ? m_functions.front().get() : find_function(function_name);
    if (!target_fn) { // a route of a function a reload just removed
      http_response r = door.not_found();
      m_out.log_line("lemu: api: " + line + " -> " + std::to_string(r.status) + " (no function " + function_name + ")");
      return respond(std::move(r));
    }
    function_service& svc = *target_fn;
    if (in.body_bytes > core::max_event_bytes) return too_large(line, respond);

    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    core::invocation inv;
    try {
      inv.payload = door.make_event(without_prefix(in.request, m), m, now_ms).dump();
    } catch (const std::invalid_argument& e) {
      m_out.log_line("lemu: api: " + line + " -> 400 (" + e.what() + ")");
      return respond(http_response{400, {{"Content-Type", "application/json"}}, R"({"message":"Bad Request"})"});
    }
    if (inv.payload.size() > core::max_event_bytes) return too_large(line, respond);
    if (svc.fn().tenant_isolation) {
      // The tenant comes from the request's X-Amz-Tenant-Id header (what a REST API's integration maps a
      // client value to); without a valid one the invoke fails, which API Gateway answers with a 500.
      const auto tenant = in.request.header("X-Amz-Tenant-Id");
      const std::string problem = tenant ? core::tenant_id_problem(*tenant) : std::string();
      if (!tenant || !problem.empty()) {
        m_out.log_line("lemu: api: " + line + " -> 500 (" + svc.fn().function_name + " has tenant isolation: " +
                       (tenant ? "X-Amz-Tenant-Id '" + std::string(*tenant) + "': " + problem
                               : std::string("the request needs an X-Amz-Tenant-Id header")) + ")");
        return respond(http_response{500, {{"Content-Type", "application/json"}}, R"({"message":"Internal server error"})"});
      }
      inv.tenant_id = std::string(*tenant);
    }
    inv.request_id = m_ids.request_id();
    inv.function_arn = svc.arn();
    inv.trace_id = m_ids.trace_id();
    inv.timeout = svc.fn().timeout;
    invocation_meta meta{line, m_records.records_events() ? inv.payload : std::string()};
    // RESPONSE_STREAM: what the runtime streams goes to the client as it comes (gateway::front_door_stream).
    std::shared_ptr<gateway::front_door_stream> stream;
    if (svc.fn().invoke_mode == core::invoke_mode::response_stream) {
      stream = std::make_shared<gateway::front_door_stream>(
          door.options().kind, respond, gateway::header_list{{"x-amzn-RequestId", inv.request_id}},
          [this, line](const std::string& why) { m_out.log_line("lemu: api: " + line + ": " + why); });
      inv.stream = stream;
    }

    // The client is answered once: when the runtime answers, or (extensions still running then) earlier.
    auto reply = std::make_shared<std::function<void(const core::outcome&)>>(
        [this, doors, &door, respond, line, started, request_id = inv.request_id, stream](const core::outcome& o) {
          if (stream && (o.streamed || stream->begun())) {
            const unsigned status = stream->end(o);
            m_out.log_line("lemu: api: " + line + " -> " + (status ? std::to_string(status) : std::string("aborted")) +
                           " (streamed, " + std::to_string(o.streamed_bytes) + " bytes; " +
                           util::fixed2(std::chrono::duration<double, std::milli>(clock::now() - started).count()) + " ms)");
            return;
          }
          http_response answer;
          if (o.ok()) {
            auto mapped = door.map_response(o.payload);
            if (!mapped.error.empty()) m_out.log_line("lemu: api: " + line + ": " + mapped.error);
            answer = std::move(mapped.response);
          } else {
            m_out.log_line("lemu: api: " + line + ": the function failed (" + o.error_type + ")");
            answer = door.function_failed();
          }
          with_header(answer, "x-amzn-RequestId", request_id);
          m_out.log_line("lemu: api: " + line + " -> " + std::to_string(answer.status) + " (" +
                         util::fixed2(std::chrono::duration<double, std::milli>(clock::now() - started).count()) + " ms)");
          respond(std::move(answer));
        });
    auto answered = [reply](const core::outcome& o, const std::string&) {
      auto once = std::move(*reply);
      *reply = nullptr;
      if (once) once(o);
    };
    auto done = [this, &svc, meta = std::move(meta), respond, answered, stream](invoke_result r) mutable {
      if (r.outcome.kind == core::outcome_kind::cancelled) {
        svc.stats.summary.add_cancelled();
        http_response unavailable{503, {{"Content-Type", "application/json"}}, R"({"message":"Service Unavailable"})"};
        if (stream) return stream->cancel(std::move(unavailable));
        return respond(std::move(unavailable));
      }
      finished(svc, meta, r);
      answered(r.outcome, {});
    };
    if (!submit(svc, std::move(inv), std::move(done), answered)) {
      m_out.log_line("lemu: api: " + line + " -> 429 (" + svc.fn().function_name + " is at its concurrency and its queue is full)");
      respond(http_response{429, {{"Content-Type", "application/json"}}, R"({"message":"Too Many Requests"})"});
    }
  }

  // A function URL under /lambda-url/NAME (a template's FunctionUrlConfig): the function sees its own path.
  static const gateway::http_request& without_prefix(const gateway::http_request& req, const gateway::route_match& m,
                                                     gateway::http_request&& copy = {}) {
    if (!m.matched || m.matched->strip_prefix.empty() || req.target.rfind(m.matched->strip_prefix, 0) != 0) return req;
    copy = req;
    copy.target.erase(0, m.matched->strip_prefix.size());
    if (copy.target.empty() || copy.target.front() == '?') copy.target.insert(0, "/");
    return copy;
  }

  void too_large(const std::string& line, const gateway::http_server::responder& respond) {
    m_out.log_line("lemu: api: " + line + " -> 413 (the event would be over Lambda's 6291456-byte limit)");
    respond(http_response{413, {{"Content-Type", "application/json"}}, R"({"message":"Request Entity Too Large"})"});
  }

  // ---- scheduling ----------------------------------------------------------------------------------------

  // Runs the invocation now, or queues it; false when the queue is full (nothing was run).
  bool submit(function_service& svc, core::invocation inv, std::function<void(invoke_result)> done,
              function_scheduler::answer_callback answered = nullptr) {
    return svc.scheduler.submit(
        std::move(inv),
        [this, done = std::move(done)](invoke_result r) {
          done(std::move(r));
          if (m_stopping) finish_if_idle();
        },
        std::move(answered));
  }

  // Records a finished invocation; returns its log when `want_log` (X-Amz-Log-Type: Tail), else "".
  std::string finished(function_service& svc, const invocation_meta& meta, const invoke_result& r, bool want_log = false) {
    m_records.add(svc.stats, svc.fn().memory_mb, meta, r);
    return want_log ? r.log : std::string();
  }

  // ---- --watch: reload on rebuild ---------------------------------------------------------------------

  std::vector<const core::function_config*> current_functions() const {
    std::vector<const core::function_config*> fns;
    for (const auto& f : m_functions) {
      if (!f->removed) fns.push_back(&f->fn());
    }
    return fns;
  }

  void start_watching() {
    m_watch = std::make_unique<code_watch>(m_ioc.get_executor(), m_out, m_opt.watch);
    m_watch->watch_code(code_trees(current_functions()), m_opt.template_file);
    m_watch->start([this](const code_change& c) { on_code_change(c); });
    m_out.log_line("lemu: watching " + std::to_string(code_trees(current_functions()).size()) + " code folder(s)" +
                   (m_opt.template_file.empty() ? std::string() : " and " + m_opt.template_file.filename().string()) +
                   (m_opt.watch.build_command.empty() ? std::string() : "; sources build with: " + m_opt.watch.build_command));
    m_out.flush();
  }

  // A settled change: every function (the template re-read when it changed) checked first, then all
  // reloaded at once; anything wrong keeps everything running as it was.
  void on_code_change(const code_change& c) {
    if (m_stopping) return;
    const std::string what = describe(c);
    serve_definition next;
    std::shared_ptr<const gateway::front_door_set> doors = m_doors;
    if (c.template_changed && m_opt.reread) {
      try {
        next = m_opt.reread();
        if (!next.apis.empty()) doors = std::make_shared<const gateway::front_door_set>(next.apis);
      } catch (const std::exception& e) {
        m_out.log_line("lemu: reload: " + m_opt.template_file.string() + ": " + e.what() + ": the running functions keep serving");
        return m_out.flush();
      }
    } else {
      for (const auto* fn : current_functions()) next.functions.push_back(*fn);
    }
    for (const auto& fn : next.functions) {
      if (const auto problem = process::bootstrap_problem(fn.bootstrap)) {
        m_out.log_line("lemu: reload: " + fn.function_name + ": " + fn.bootstrap.string() + " " + *problem +
                       ": the old code keeps serving until a good build arrives");
        return m_out.flush();
      }
    }
    std::size_t finishing = 0;
    std::string names;
    std::set<std::string> kept_names;
    for (const auto& fn : next.functions) kept_names.insert(fn.function_name);
    for (auto& fn : next.functions) {
      names += (names.empty() ? "" : ", ") + fn.function_name;
      function_service* svc = find_function(fn.function_name);
      if (svc) {
        finishing += svc->scheduler.reload(std::move(fn));
      } else {
        m_added.push_back(std::move(fn));
        m_functions.push_back(std::make_unique<function_service>(m_ioc.get_executor(), m_added.back(), m_out, m_opt.concurrency,
                                                                 m_opt.max_queue, m_opt.runtime_api_port));
      }
    }
    for (const auto& f : m_functions) {
      const bool kept = kept_names.contains(f->fn().function_name);
      if (!kept && !f->removed && c.template_changed) {
        f->removed = true; // what it runs finishes; nothing new reaches it
        f->scheduler.stop_idle();
        m_out.log_line("lemu: reload: " + f->fn().function_name + " is no longer in the template");
      }
    }
    if (c.template_changed && doors != m_doors) {
      m_doors = doors;
      if (m_api_server) announce_routes();
    }
    try {
      m_watch->watch_code(code_trees(current_functions()), m_opt.template_file);
    } catch (const std::exception& e) {
      m_out.log_line(std::string("lemu: watch: ") + e.what());
    }
    const double ms = std::chrono::duration<double, std::milli>(clock::now() - c.settled).count();
    m_out.log_line("lemu: reload: " + what + " changed: " + names + " reloaded in " + util::fixed2(ms) + " ms" +
                   (c.build_time ? " (after a " + std::to_string(c.build_time->count()) + " ms build)" : std::string()) +
                   (finishing ? "; " + std::to_string(finishing) + " environment(s) finish on the old code" : std::string()) +
                   "; new environments start on the next invocation");
    m_out.flush();
  }

  // One --sqs-trigger: its mapping once the queue is open (a remote queue's attributes are fetched first).
  struct trigger {
    sqs_trigger spec;
    function_service* svc = nullptr;
    bool local = true;
    std::unique_ptr<sqs_mapping> mapping;
    std::unique_ptr<net::steady_timer> retry; // a remote queue that could not be opened yet
  };

  // ---- --sqs-trigger: Lambda's event source mapping ---------------------------------------------------

  // Checked before anything starts: the function exists, a local queue exists (after --sqs-queue).
  std::unique_ptr<trigger> trigger_of(const std::string& spec) {
    auto t = std::make_unique<trigger>();
    t->spec = parse_sqs_trigger(spec);
    for (const auto& f : m_functions) {
      if (t->spec.function.empty() || f->fn().function_name == t->spec.function) {
        t->svc = f.get();
        break;
      }
    }
    if (!t->svc) throw core::usage_error("--sqs-trigger " + spec + ": no function is named " + t->spec.function);
    t->local = !is_queue_url(t->spec.queue);
    if (t->local) {
      if (!m_sqs) {
        throw core::usage_error("--sqs-trigger " + spec + ": a local queue needs the local SQS endpoint (--sqs-port PORT), "
                                "or give the queue's URL (with --sqs-endpoint URL for another endpoint)");
      }
      if (!m_sqs->store().exists(t->spec.queue)) {
        throw core::usage_error("--sqs-trigger " + spec + ": no queue is named " + t->spec.queue + " (declare it: --sqs-queue " +
                                t->spec.queue + ")");
      }
      attach(*t, sqs::local_queue(m_ioc.get_executor(), m_sqs->store(), m_sqs->poller(), t->spec.queue), m_sqs->clock());
      sqs_mapping* m = t->mapping.get();
      const std::string queue = t->spec.queue;
      m_sqs->store().observer([m, queue](const sqs::message_event& e) {
        if (e.kind == sqs::message_event::moved_to_dead_letter && e.queue == queue) m->count_dead_letter();
      });
    }
    return t;
  }

  void attach(trigger& t, std::unique_ptr<sqs::queue_client> q, sqs::clock& c) {
    function_service* svc = t.svc;
    const std::string source = "sqs " + q->info().name;
    auto submit = [this, svc, source](core::invocation inv, std::function<void(invoke_result)> done) {
      invocation_meta meta{source, m_records.records_events() ? inv.payload : std::string()};
      return this->submit(*svc, std::move(inv), [this, svc, meta = std::move(meta), done = std::move(done)](invoke_result r) {
        if (r.outcome.kind == core::outcome_kind::cancelled) {
          svc->stats.summary.add_cancelled();
        } else {
          finished(*svc, meta, r);
        }
        done(std::move(r));
      });
    };
    t.mapping = std::make_unique<sqs_mapping>(m_ioc.get_executor(), c, std::move(q), t.spec, svc->fn(), m_opt.concurrency,
                                              std::move(submit), m_out);
  }

  void start_trigger(trigger& t) {
    if (t.mapping) {
      m_out.log_line("lemu: sqs-trigger " + t.spec.queue + " -> " + t.svc->fn().function_name + " (batch " +
                     std::to_string(t.spec.batch_size) + (t.spec.window_s ? ", window " + std::to_string(t.spec.window_s) + " s" : "") +
                     (t.spec.report_failures ? ", ReportBatchItemFailures" : "") + ")");
      t.mapping->start();
      return;
    }
    if (m_stopping) return;
    // A queue of another endpoint: the user typed its URL; say where lemu polls, and that it deletes there.
    sqs::remote_options o;
    o.endpoint = m_opt.sqs_endpoint;
    o.queue_url = t.spec.queue;
    m_out.log_line("lemu: sqs-trigger " + t.spec.queue + " -> " + t.svc->fn().function_name + ": polling " +
                   (o.endpoint.empty() ? std::string("the queue's own endpoint") : o.endpoint) +
                   " (messages the function handles are deleted from that queue)");
    sqs::open_remote_queue(m_ioc.get_executor(), o, [this, &t](sqs::result<std::unique_ptr<sqs::queue_client>> r) {
      if (m_stopping) return finish_if_idle();
      if (!r.ok()) {
        m_out.log_line("lemu: sqs-trigger " + t.spec.queue + ": cannot open the queue: " + r.err().code + ": " + r.err().message +
                       " (trying again in 5 s)");
        t.retry = std::make_unique<net::steady_timer>(m_ioc, std::chrono::seconds(5));
        t.retry->async_wait([this, &t](boost::system::error_code ec) {
          if (!ec) start_trigger(t);
        });
        return;
      }
      if (!m_remote_clock) m_remote_clock = std::make_unique<sqs::real_clock>(m_ioc.get_executor());
      try {
        attach(t, std::move(r.value()), *m_remote_clock);
      } catch (const std::exception& e) {
        m_out.log_line(std::string("lemu: error: ") + e.what());
        return;
      }
      start_trigger(t);
    });
  }

  void stop_trigger(trigger& t) {
    if (t.retry) t.retry->cancel();
    if (t.mapping) t.mapping->stop([this] { finish_if_idle(); });
  }

  // ---- lifecycle ----------------------------------------------------------------------------------------

  void wait_for_signal() {
    m_signals.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      if (!m_stopping) {
        std::size_t in_flight = 0, queued = 0;
        for (const auto& f : m_functions) {
          in_flight += f->scheduler.in_flight();
          queued += f->scheduler.queued();
        }
        m_out.log_line("lemu: stopping: " + std::to_string(in_flight) + " invocations in flight, " +
                       std::to_string(queued) + " queued (Ctrl-C again to cancel them)");
        m_stopping = true;
        if (m_watch) m_watch->stop();
        m_invoke_server->stop();
        if (m_api_server) m_api_server->stop();
        for (auto& t : m_triggers) stop_trigger(*t); // no new batches; those in flight finish, then their deletes
        if (m_sqs) m_sqs->stop(); // long polls answer now, the journal is synced
        wait_for_signal();
        finish_if_idle();
      } else if (!m_killing) {
        m_out.log_line("lemu: stopping now: cancelling what is left");
        m_killing = true;
        for (const auto& f : m_functions) f->scheduler.stop_all(); // each caller gets its answer, cancelled
        wait_for_signal();
        finish_if_idle();
      } else {
        m_ioc.stop(); // a third: whatever is still running is killed as lemu exits
      }
      m_out.flush();
    });
  }

  void finish_if_idle() {
    if (m_finished) return;
    for (const auto& t : m_triggers) {
      if (t->mapping && !t->mapping->idle()) return;
    }
    for (const auto& f : m_functions) {
      if (f->scheduler.in_flight() > 0 || f->scheduler.queued() > 0) return;
    }
    m_finished = true;
    for (const auto& f : m_functions) f->scheduler.stop_all();
    m_tick.cancel();
    wait_for_runtimes(clock::now() + std::chrono::seconds(5));
  }

  // Ends the loop once every runtime is reaped (Ctrl-C still works meanwhile); past `deadline`, at once.
  void wait_for_runtimes(clock::time_point deadline) {
    if (process::child::running_count() == 0) {
      m_signals.cancel();
      return;
    }
    if (clock::now() > deadline) {
      m_ioc.stop();
      return;
    }
    m_tick.expires_after(std::chrono::milliseconds(5));
    m_tick.async_wait([this, deadline](boost::system::error_code ec) {
      if (!ec) wait_for_runtimes(deadline);
    });
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
    for (const auto& t : m_triggers) {
      if (!t->mapping) continue;
      std::string line = "lemu: sqs-trigger " + t->mapping->summary_line();
      if (t->local && m_sqs) {
        auto a = m_sqs->store().get_attributes(t->mapping->queue().name, {"ApproximateNumberOfMessages",
                                                                           "ApproximateNumberOfMessagesNotVisible"});
        if (a.ok()) {
          line += "; left in the queue " + a.value()["ApproximateNumberOfMessages"] + " visible, " +
                  a.value()["ApproximateNumberOfMessagesNotVisible"] + " not visible";
        }
      }
      m_out.log_line(line);
    }
    for (const auto& f : m_functions) {
      if (m_functions.size() > 1) m_out.text("function " + f->fn().function_name + ":\n");
      m_out.text(f->stats.summary.render_table());
      m_out.text(f->stats.environments.render_table());
    }
    m_out.flush();
  }

  net::io_context& m_ioc;
  const serve_options& m_opt;
  output m_out;
  net::signal_set m_signals;
  net::steady_timer m_tick;
  core::id_generator m_ids;
  std::vector<std::unique_ptr<function_service>> m_functions;
  std::deque<core::function_config> m_added; // functions a re-read template added (their services refer to them)
  std::unique_ptr<code_watch> m_watch;
  std::shared_ptr<const gateway::front_door_set> m_doors; // nullptr: no front door
  std::shared_ptr<gateway::http_server> m_invoke_server, m_api_server;
  std::unique_ptr<sqs_endpoint> m_sqs; // --sqs-port
  std::vector<std::unique_ptr<trigger>> m_triggers;
  std::unique_ptr<sqs::real_clock> m_remote_clock; // the clock of mappings from other endpoints
  serve_records m_records;
  bool m_stopping = false, m_killing = false, m_finished = false;
};

} // namespace

int serve(const serve_options& options) {
  if (options.functions.empty()) throw core::usage_error("no function given");
  for (const auto& fn : options.functions) process::check_bootstrap(fn);
  std::vector<named_path> inputs;
  for (const auto& fn : options.functions) inputs.push_back({"the bootstrap of " + fn.function_name, fn.bootstrap.string()});
  if (!options.env_file.empty()) inputs.push_back({"--env-file", options.env_file});
  std::vector<named_path> outputs;
  if (!options.record_file.empty()) outputs.push_back({"--record", options.record_file});
  if (!options.json_report.empty()) outputs.push_back({"--json", options.json_report});
  refuse_overlaps(inputs, outputs);
  for (std::size_t i = 0; i < options.functions.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (options.functions[i].function_name == options.functions[j].function_name) {
        throw core::usage_error("two functions are named " + options.functions[i].function_name + " (name them: --function NAME=PATH)");
      }
    }
  }
  if (options.concurrency == 0) throw core::usage_error("--concurrency must be at least 1");
  for (const auto& api : options.apis) {
    for (const auto& r : api.routes) {
      if (r.function.empty()) continue;
      const bool known = std::any_of(options.functions.begin(), options.functions.end(),
                                     [&](const auto& fn) { return fn.function_name == r.function; });
      if (!known) throw core::usage_error("--route " + r.key() + "=" + r.function + ": no function is named " + r.function);
    }
  }
  if (!options.sqs_port) {
    if (!options.sqs_queues.empty()) throw core::usage_error("--sqs-queue needs --sqs-port PORT (the local SQS endpoint)");
    if (!options.sqs_state.empty()) throw core::usage_error("--sqs-state needs --sqs-port PORT (the local SQS endpoint)");
  } else {
    if (options.sqs_port == options.port && options.port != 0)
      throw core::usage_error("--sqs-port " + std::to_string(*options.sqs_port) + " is also the Invoke API's --port");
    if (!options.apis.empty() && options.sqs_port == options.api_port && options.api_port != 0)
      throw core::usage_error("--sqs-port " + std::to_string(*options.sqs_port) + " is also the front door's --api-port");
    for (const auto& q : options.sqs_queues) parse_sqs_queue(q); // usage errors before anything starts
  }
  for (const auto& t : options.sqs_triggers) parse_sqs_trigger(t);
  if (!options.sqs_endpoint.empty()) {
    if (!is_queue_url(options.sqs_endpoint)) {
      throw core::usage_error("--sqs-endpoint " + options.sqs_endpoint + ": not an http:// or https:// URL");
    }
    const bool any_url = std::any_of(options.sqs_triggers.begin(), options.sqs_triggers.end(),
                                     [](const std::string& t) { return is_queue_url(parse_sqs_trigger(t).queue); });
    if (!any_url) throw core::usage_error("--sqs-endpoint is where queue URLs of --sqs-trigger are polled: add --sqs-trigger QUEUE_URL=FUNCTION");
  }
  std::signal(SIGPIPE, SIG_IGN);
  net::io_context ioc(1);
  process::watchdog::start();
  server_app app(ioc, options);
  return app.run();
}

} // namespace lemu::app
