#include <lemu/app/run_command.hpp>

#include <lemu/app/capture.hpp>
#include <lemu/app/environment_pool.hpp>
#include <lemu/app/invocation_record.hpp>
#include <lemu/app/output.hpp>
#include <lemu/app/run_outputs.hpp>
#include <lemu/core/errors.hpp>
#include <lemu/core/ids.hpp>
#include <lemu/app/test_outcome.hpp>
#include <lemu/events/source.hpp>
#include <lemu/events/sqs_batch.hpp>
#include <lemu/stats/environments.hpp>
#include <lemu/stats/report.hpp>
#include <lemu/stats/summary.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <deque>
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

// Invocations that have finished ahead of an older one wait here (stdout stays in input order). Past
// these limits no new event is started until the oldest finishes: memory stays bounded whatever runs slow.
constexpr std::size_t max_waiting_outcomes = 4096;
constexpr std::size_t max_waiting_bytes = std::size_t{64} << 20;

// The whole of one `lemu run` on one io_context: a scheduler that hands events to idle environments,
// starts new ones up to the concurrency limit, and prints outcomes in input order.
class runner {
public:
  runner(net::io_context& ioc, const run_options& opt, const events::event_plan& plan)
      : m_ioc(ioc), m_opt(opt), m_reader(plan), m_out(stdout, stderr), m_summary(opt.function.memory_mb),
        m_tick_timer(ioc), m_signals(ioc, SIGINT, SIGTERM), m_outputs(opt, m_out), m_total(plan.total_events() * opt.repeat),
        m_started(std::chrono::steady_clock::now()) {
    if (!opt.json_report.empty()) {
      m_json.open(opt.json_report, std::ios::out | std::ios::trunc);
      if (!m_json) throw usage_error(opt.json_report + ": cannot open for writing");
    }
    for (const auto& text : opt.ignore) {
      try {
        m_diff_options.ignore.push_back(compare::path_pattern::parse(text));
      } catch (const std::invalid_argument& e) {
        throw usage_error("--ignore " + text + ": " + e.what());
      }
    }
    const char* no_color = std::getenv("NO_COLOR");
    m_color = m_out.err_is_terminal() && !(no_color && *no_color);
  }

  int run() {
    m_signals.async_wait([this](boost::system::error_code ec, int) {
      if (!ec) interrupt();
    });
    schedule_tick();
    net::post(m_ioc, [this] { pump(); });
    m_ioc.run();
    finish_output();
    if (m_interrupted) return exit_interrupted;
    if (m_opt.update) return exit_ok; // the differences are now the capture
    if (m_opt.replay) {
      if (m_outputs.mismatches() > 0) m_out.log_line("lemu: replay: " + std::to_string(m_outputs.mismatches()) + " of " +
                                           std::to_string(m_summary.invocations()) + " outcomes differ from the capture");
      m_out.flush();
      return m_outputs.mismatches() == 0 ? exit_ok : exit_failed;
    }
    return m_summary.succeeded() == m_summary.invocations() ? exit_ok : exit_failed;
  }

private:
  // One event's place in the output order.
  struct slot {
    events::event meta; // source and line (the payload has gone to the runtime)
    std::optional<std::vector<std::string>> sqs_ids; // message ids when the event is an SQS event
    bool done = false;
    stats::invocation_record record;
    std::string line;   // the stdout line
    std::string payload;                  // the event, kept for --record
    std::optional<capture_entry> capture; // replay: the capture line and its recorded outcome
    core::outcome outcome;                // kept for --record, --update and reports
    std::vector<compare::difference> diffs; // replay: how the outcome differs from the recording
    bool mismatch = false;
  };

  // Starts as many events as there are environments for, then returns.
  void pump() {
    while (!m_stopping && !m_input_done && m_window.size() < max_waiting_outcomes && m_waiting_bytes < max_waiting_bytes) {
      if (!m_pool.has_capacity()) return; // all busy: wait for one
      std::optional<events::event> ev = next_event();
      if (!ev) {
        m_input_done = true;
        break;
      }
      const std::size_t index = m_next_index++;
      if (m_opt.replay) {
        capture_entry entry = parse_capture_line(ev->payload); // validated before the run started
        ev->payload = std::move(entry.payload);
        m_window.push_back(slot{});
        m_window.back().capture = std::move(entry);
      } else {
        m_window.push_back(slot{});
      }
      slot& fresh = m_window.back();
      fresh.meta = events::event{{}, ev->source, ev->line};
      fresh.sqs_ids = events::sqs_message_ids(ev->payload);
      if (!m_opt.record_file.empty()) fresh.payload = ev->payload;

      core::invocation inv;
      inv.request_id = m_ids.request_id();
      inv.function_arn = m_arn;
      inv.trace_id = m_ids.trace_id();
      inv.timeout = m_opt.function.timeout;
      if (ev->payload.size() > core::max_event_bytes) {
        reject(index, inv.request_id, ev->payload.size());
        continue;
      }
      inv.payload = std::move(ev->payload);
      const std::shared_ptr<execution_environment> env = m_pool.acquire();
      ++m_in_flight;
      env->invoke(std::move(inv), [this, index, env](invoke_result r) { completed(index, env, std::move(r)); });
    }
    if (m_input_done && m_in_flight == 0) stop();
  }

  std::optional<events::event> next_event() {
    for (;;) {
      std::optional<events::event> ev = m_reader.next();
      if (!ev && ++m_pass < m_opt.repeat) {
        m_reader.rewind();
        ev = m_reader.next();
      }
      if (!ev || !m_opt.shard || m_opt.shard->takes(ev->source, ev->line)) return ev; // --shard: this shard's only
    }
  }

  // An event over the synchronous invoke limit never reaches the function (PROTOCOL.md §4.4).
  void reject(std::size_t index, const std::string& request_id, std::size_t bytes) {
    const slot& s = slot_of(index);
    m_out.log_line("lemu: event " + s.meta.source + (s.meta.line ? ":" + std::to_string(s.meta.line) : "") + " is " +
                   std::to_string(bytes) + " bytes, over Lambda's 6291456-byte limit: not sent");
    nlohmann::ordered_json body;
    body["errorMessage"] = "Request must be smaller than 6291456 bytes for the InvokeFunction operation";
    body["errorType"] = "RequestTooLargeException";
    invoke_result r;
    r.request_id = request_id;
    r.outcome = core::outcome{core::outcome_kind::rejected, body.dump(), "application/json", "RequestTooLargeException"};
    finished(index, r, false);
  }

  // Runs from the environment's completion, never inside invoke(): the next event can go at once.
  void completed(std::size_t index, const std::shared_ptr<execution_environment>& env, invoke_result r) {
    --m_in_flight;
    m_pool.release(env, m_opt.cold); // --cold: every environment serves one event
    finished(index, r, true);
    pump();
  }

  slot& slot_of(std::size_t index) { return m_window[index - m_first_index]; }

  void finished(std::size_t index, const invoke_result& r, bool reached_runtime) {
    slot& s = slot_of(index);
    stats::invocation_record& rec = s.record;
    rec.index = index;
    rec.source = s.meta.source;
    rec.line = s.meta.line;
    fill_record(rec, r, m_opt.function.memory_mb, m_started);
    if (reached_runtime) {
      m_out.log_line(stats::end_line(rec.request_id));
      m_out.log_line(stats::report_line(rec));
    }
    if (s.sqs_ids) {
      const auto batch = events::evaluate_sqs_batch(*s.sqs_ids, r.outcome.ok(), r.outcome.payload);
      rec.sqs = stats::sqs_batch{batch.messages, batch.failed, batch.whole_batch_reason};
      if (!batch.failed.empty() && r.outcome.ok()) {
        std::string ids;
        for (const auto& id : batch.failed) ids += (ids.empty() ? "" : ", ") + id;
        m_out.log_line("lemu: SQS batch: " + std::to_string(batch.failed.size()) + " of " + std::to_string(batch.messages) +
                       " messages failed" + (batch.whole_batch_reason.empty() ? "" : " (" + batch.whole_batch_reason + ")") +
                       ": " + ids);
      }
    }
    if (s.capture && s.capture->expected) {
      s.diffs = compare_outcome(*s.capture->expected, r.outcome, m_diff_options);
      s.mismatch = !s.diffs.empty();
      if (s.mismatch) {
        m_out.log_line("lemu: replay: " + case_name(s) + ": the outcome differs from the capture:");
        m_out.text(compare::render(s.diffs, m_color));
      }
    } else if (m_opt.replay && !r.outcome.ok()) {
      s.mismatch = true; // nothing recorded: the event is expected to succeed
    }
    s.line = outcome_line(r.outcome);
    if (m_keep_outcomes) s.outcome = r.outcome;
    s.done = true;
    m_waiting_bytes += s.line.size();
    ++m_finished;
    if (rec.status != stats::status::success) ++m_failed;
    print_ready();
  }

  // Prints the finished outcomes at the front of the window, in input order.
  void print_ready() {
    while (!m_window.empty() && m_window.front().done) {
      slot& s = m_window.front();
      m_out.outcome_line(s.line);
      m_summary.add(s.record);
      m_environment_summary.add(s.record);
      if (m_json.is_open()) {
        m_json << json_record(s.record, to_test_case(s.record, case_name(s), m_opt.replay, s.mismatch, s.diffs, s.line))
                      .dump()
               << '\n';
      }
      m_outputs.add(finished_invocation{s.record, case_name(s), s.payload, s.outcome,
                                        s.capture ? &*s.capture : nullptr, s.diffs, s.mismatch, s.line});
      m_waiting_bytes -= s.line.size();
      m_window.pop_front();
      ++m_first_index;
    }
    m_out.invocation_finished();
  }

  // The name of an event in diffs and reports: the capture's meta.name, else where it came from.
  static std::string case_name(const slot& s) {
    if (s.capture && !s.capture->name.empty()) return s.capture->name;
    return s.meta.source + (s.meta.line ? ":" + std::to_string(s.meta.line) : std::string());
  }

  void schedule_tick() {
    m_tick_timer.expires_after(std::chrono::milliseconds(100));
    m_tick_timer.async_wait([this](boost::system::error_code ec) {
      if (ec || m_stopping) return;
      update_progress();
      m_out.flush();
      schedule_tick();
    });
  }

  // "lemu: 1200/5000 events · 8412/s · 3 failed" on a terminal, after the first second.
  void update_progress() {
    if (m_opt.quiet || !m_out.err_is_terminal()) return;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count();
    if (elapsed < 1.0) return;
    std::string line = "lemu: " + std::to_string(m_finished);
    if (m_total) line += "/" + std::to_string(m_total);
    line += " events \u00b7 " + std::to_string(static_cast<long long>(static_cast<double>(m_finished) / elapsed)) +
            "/s \u00b7 " + std::to_string(m_failed) + " failed";
    m_out.progress(line);
  }

  void interrupt() {
    m_interrupted = true;
    m_out.log_line("lemu: interrupted: stopping the function");
    stop();
  }

  void stop() {
    if (m_stopping) return;
    m_stopping = true;
    // An invocation in flight ends (posted) as killed; its outcome is printed when it arrives.
    m_pool.shutdown_all();
    m_tick_timer.cancel();
    m_signals.cancel();
  }

  void finish_output() {
    print_ready();
    m_outputs.finish(m_interrupted, m_summary);
    m_out.progress({});
    m_out.text(m_summary.render_table());
    m_out.text(m_environment_summary.render_table());
    m_out.flush();
    if (m_json.is_open()) m_json.flush();
  }

  net::io_context& m_ioc;
  const run_options& m_opt;
  events::event_reader m_reader;
  output m_out;
  stats::run_summary m_summary;
  stats::environment_summary m_environment_summary;
  net::steady_timer m_tick_timer;
  net::signal_set m_signals;
  std::ofstream m_json;
  run_outputs m_outputs;
  compare::diff_options m_diff_options;
  bool m_color = false;
  const bool m_keep_outcomes = !m_opt.record_file.empty() || m_opt.update || !m_opt.junit_file.empty() || !m_opt.html_file.empty();
  core::id_generator m_ids;
  const std::string m_arn = m_opt.function.function_arn();
  const std::size_t m_total;
  const std::chrono::steady_clock::time_point m_started;

  environment_pool m_pool{m_ioc.get_executor(), m_opt.function, m_out, m_opt.concurrency,
                          environment_options{m_opt.runtime_api_port}};
  std::deque<slot> m_window;     // from the oldest unprinted event to the newest started
  std::size_t m_first_index = 0; // index of m_window.front()
  std::size_t m_next_index = 0;
  std::size_t m_waiting_bytes = 0;
  std::size_t m_in_flight = 0;
  std::size_t m_finished = 0, m_failed = 0;
  std::size_t m_pass = 0;
  bool m_input_done = false;
  bool m_stopping = false;
  bool m_interrupted = false;
};

} // namespace

// Every line of the captures must be a capture record, checked before anything runs.
static void check_captures(const events::event_plan& plan) {
  events::event_reader reader(plan);
  while (auto ev = reader.next()) {
    try {
      (void)parse_capture_line(ev->payload);
    } catch (const std::invalid_argument& e) {
      throw usage_error(ev->source + (ev->line ? ":" + std::to_string(ev->line) : std::string()) + ": " + e.what());
    }
  }
}

int run(const run_options& options) {
  check_bootstrap(options.function);
  if (options.events.empty()) throw usage_error("no event given: pass --event FILE (a .json, .jsonl, a directory, or - for stdin)");
  if (options.repeat == 0) throw usage_error("--repeat must be at least 1");
  if (options.concurrency == 0) throw usage_error("--concurrency must be at least 1");
  if (options.concurrency > 1 && options.runtime_api_port != 0) {
    throw usage_error("--runtime-api-port serves one environment: it cannot be combined with --concurrency above 1");
  }
  if (options.update && options.repeat > 1) throw usage_error("--update rewrites each capture once: it cannot be combined with --repeat");
  const events::event_plan plan = events::event_plan::prepare(options.events);
  if (options.replay) check_captures(plan);

  std::signal(SIGPIPE, SIG_IGN); // a runtime that closes its connection must not kill lemu
  net::io_context ioc(1);
  runner r(ioc, options, plan);
  return r.run();
}

} // namespace lemu::app
