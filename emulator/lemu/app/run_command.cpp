#include <lemu/app/run_command.hpp>

#include <lemu/app/execution_environment.hpp>
#include <lemu/app/output.hpp>
#include <lemu/core/errors.hpp>
#include <lemu/core/ids.hpp>
#include <lemu/events/source.hpp>
#include <lemu/stats/report.hpp>
#include <lemu/stats/summary.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <memory>
#include <system_error>
#include <unistd.h>

namespace lemu::app {

namespace net = boost::asio;

void check_bootstrap(const core::function_config& fn) {
  const std::string path = fn.bootstrap.string();
  std::error_code ec;
  const auto st = std::filesystem::status(fn.bootstrap, ec);
  std::string problem;
  if (!std::filesystem::exists(st)) {
    problem = "no such file";
  } else if (std::filesystem::is_directory(st)) {
    problem = "is a directory";
  } else if (::access(path.c_str(), X_OK) != 0) {
    problem = "not executable (chmod +x it)";
  }
  if (!problem.empty()) {
    throw usage_error("Runtime.InvalidEntrypoint: Couldn't find valid bootstrap(s): [" + path + "]: " + problem);
  }
}

namespace {

stats::status status_of(core::outcome_kind k) {
  switch (k) {
  case core::outcome_kind::success: return stats::status::success;
  case core::outcome_kind::timeout: return stats::status::timeout;
  case core::outcome_kind::runtime_exit:
  case core::outcome_kind::out_of_memory: return stats::status::crash;
  default: return stats::status::error;
  }
}

std::uint32_t to_mb(std::uint64_t bytes) {
  return static_cast<std::uint32_t>((bytes + (1u << 20) - 1) >> 20);
}

// The whole of one `lemu run`: a loop over the events on one io_context.
class runner {
public:
  runner(net::io_context& ioc, const run_options& opt, const events::event_plan& plan)
      : m_ioc(ioc), m_opt(opt), m_reader(plan), m_out(stdout, stderr), m_summary(opt.function.memory_mb),
        m_flush_timer(ioc), m_signals(ioc, SIGINT, SIGTERM) {
    if (!opt.json_report.empty()) {
      m_json.open(opt.json_report, std::ios::out | std::ios::trunc);
      if (!m_json) throw usage_error(opt.json_report + ": cannot open for writing");
    }
  }

  int run() {
    m_signals.async_wait([this](boost::system::error_code ec, int) {
      if (!ec) interrupt();
    });
    schedule_flush();
    net::post(m_ioc, [this] { next_event(); });
    m_ioc.run();
    finish_output();
    if (m_interrupted) return exit_interrupted;
    return m_summary.succeeded() == m_summary.invocations() ? exit_ok : exit_failed;
  }

private:
  void next_event() {
    if (m_stopping) return;
    std::optional<events::event> ev = m_reader.next();
    if (!ev && ++m_pass < m_opt.repeat) {
      m_reader.rewind();
      ev = m_reader.next();
    }
    if (!ev) {
      stop();
      return;
    }
    m_current = std::move(*ev);

    core::invocation inv;
    inv.request_id = m_ids.request_id();
    inv.function_arn = m_arn;
    inv.trace_id = m_ids.trace_id();
    inv.timeout = m_opt.function.timeout;
    if (m_current.payload.size() > core::max_event_bytes) {
      reject(inv.request_id);
      return;
    }
    inv.payload = std::move(m_current.payload);

    if (!m_env || !m_env->alive()) {
      m_env = std::make_shared<execution_environment>(m_ioc.get_executor(), m_opt.function, ++m_environments, m_out,
                                                      environment_options{m_opt.runtime_api_port});
      m_env->start();
    }
    m_env->invoke(std::move(inv), [this](invoke_result r) { completed(std::move(r)); });
  }

  // An event over the synchronous invoke limit never reaches the function (PROTOCOL.md §4.4).
  void reject(const std::string& request_id) {
    nlohmann::ordered_json body;
    body["errorMessage"] = "Request must be smaller than 6291456 bytes for the InvokeFunction operation";
    body["errorType"] = "RequestTooLargeException";
    invoke_result r;
    r.request_id = request_id;
    r.outcome = core::outcome{core::outcome_kind::rejected, body.dump(), "application/json", "RequestTooLargeException"};
    m_out.log_line("lemu: event " + m_current.source + (m_current.line ? ":" + std::to_string(m_current.line) : "") +
                   " is " + std::to_string(m_current.payload.size()) + " bytes, over Lambda's 6291456-byte limit: not sent");
    record(r, false);
    net::post(m_ioc, [this] { next_event(); });
  }

  // Runs from the environment's posted completion, never inside invoke(): the next event can go at once.
  void completed(invoke_result r) {
    record(r, true);
    next_event();
  }

  void record(const invoke_result& r, bool reached_runtime) {
    stats::invocation_record rec;
    rec.index = m_index++;
    rec.source = m_current.source;
    rec.line = m_current.line;
    rec.request_id = r.request_id;
    rec.environment_id = r.environment_id;
    rec.cold = r.cold;
    rec.init_ms = r.init_ms;
    rec.duration_ms = r.duration_ms;
    rec.billed_ms = stats::billed_duration_ms(r.duration_ms, r.init_ms);
    rec.memory_size_mb = m_opt.function.memory_mb;
    rec.max_memory_used_mb = to_mb(r.max_memory_bytes);
    rec.status = status_of(r.outcome.kind);
    rec.error_type = r.outcome.error_type;

    if (reached_runtime) {
      m_out.log_line(stats::end_line(rec.request_id));
      m_out.log_line(stats::report_line(rec));
    }
    m_out.outcome_line(outcome_line(r.outcome));
    m_out.invocation_finished();
    m_summary.add(rec);
    if (m_json.is_open()) m_json << stats::to_json(rec).dump() << '\n';
  }

  void schedule_flush() {
    m_flush_timer.expires_after(std::chrono::milliseconds(100));
    m_flush_timer.async_wait([this](boost::system::error_code ec) {
      if (ec || m_stopping) return;
      m_out.flush();
      schedule_flush();
    });
  }

  void interrupt() {
    m_interrupted = true;
    m_out.log_line("lemu: interrupted: stopping the function");
    stop();
  }

  void stop() {
    if (m_stopping) return;
    m_stopping = true;
    if (m_env) m_env->shutdown();
    m_flush_timer.cancel();
    m_signals.cancel();
  }

  void finish_output() {
    m_out.text(m_summary.render_table());
    m_out.flush();
    if (m_json.is_open()) m_json.flush();
  }

  net::io_context& m_ioc;
  const run_options& m_opt;
  events::event_reader m_reader;
  output m_out;
  stats::run_summary m_summary;
  net::steady_timer m_flush_timer;
  net::signal_set m_signals;
  std::ofstream m_json;
  core::id_generator m_ids;
  const std::string m_arn = m_opt.function.function_arn();

  std::shared_ptr<execution_environment> m_env;
  std::uint32_t m_environments = 0;
  events::event m_current;
  std::size_t m_index = 0;
  std::size_t m_pass = 0;
  bool m_stopping = false;
  bool m_interrupted = false;
};

} // namespace

int run(const run_options& options) {
  check_bootstrap(options.function);
  if (options.events.empty()) throw usage_error("no event given: pass --event FILE (a .json, .jsonl, a directory, or - for stdin)");
  if (options.repeat == 0) throw usage_error("--repeat must be at least 1");
  const events::event_plan plan = events::event_plan::prepare(options.events);

  std::signal(SIGPIPE, SIG_IGN); // a runtime that closes its connection must not kill lemu
  net::io_context ioc(1);
  runner r(ioc, options, plan);
  return r.run();
}

} // namespace lemu::app
