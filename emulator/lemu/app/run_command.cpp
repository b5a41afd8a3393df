#include <lemu/app/run_command.hpp>

#include <lemu/app/capture.hpp>
#include <lemu/app/files.hpp>
#include <lemu/app/function_scheduler.hpp>
#include <lemu/app/invocation_record.hpp>
#include <lemu/app/output.hpp>
#include <lemu/app/run_outputs.hpp>
#include <lemu/core/errors.hpp>
#include <lemu/core/ids.hpp>
#include <lemu/app/test_outcome.hpp>
#include <lemu/events/source.hpp>
#include <lemu/events/sqs_batch.hpp>
#include <lemu/net/listener.hpp>
#include <lemu/process/bootstrap.hpp>
#include <lemu/process/watchdog.hpp>
#include <lemu/stats/environments.hpp>
#include <lemu/stats/summary.hpp>
#include <lemu/util/json_text.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdlib>
#include <deque>
#include <memory>
#include <system_error>

namespace lemu::app {

namespace asio = boost::asio;

namespace {

// Invocations that have finished ahead of an older one wait here (stdout stays in input order). Past
// these limits no new event is started until the oldest finishes: memory stays bounded whatever runs slow.
constexpr std::size_t max_waiting_outcomes = 4096;
constexpr std::size_t max_waiting_bytes = std::size_t{64} << 20;
// After the last invocation, how long the runtimes get to exit before everything is killed and lemu ends.
constexpr auto end_deadline = std::chrono::seconds(5);
// A capture line holds an event and an outcome (each up to ~6 MB, more once escaped as a JSON string).
constexpr std::uint64_t max_capture_line_bytes = std::uint64_t{64} << 20;

// The whole of one `lemu run` on one io_context: events are read only when an environment can take one
// (function_scheduler), and outcomes printed in input order.
class runner {
public:
  runner(asio::io_context& ioc, const run_options& opt, const events::event_plan& plan)
      : m_ioc(ioc), m_opt(opt), m_reader(plan), m_out(stdout, stderr), m_summary(opt.function.memory_mb),
        m_tick_timer(ioc), m_signals(ioc, SIGINT, SIGTERM), m_outputs(opt, m_out),
        m_total(plan.total_events() * opt.repeat), m_started(std::chrono::steady_clock::now()),
        m_scheduler(ioc.get_executor(), opt.function, m_out,
                    scheduler_options{opt.concurrency, 0, opt.cold, environment_options{opt.runtime_api_port, false}}) {
    for (const auto& text : opt.ignore) {
      try {
        m_diff_options.ignore.push_back(compare::path_pattern::parse(text));
      } catch (const std::invalid_argument& e) {
        throw core::usage_error("--ignore " + text + ": " + e.what());
      }
    }
    const char* no_color = std::getenv("NO_COLOR");
    m_color = m_out.err_is_terminal() && !(no_color && *no_color);
    for (const auto& w : plan.warnings()) m_out.log_line("lemu: warning: " + w);
  }

  int run() {
    wait_for_signal();
    schedule_tick();
    asio::post(m_ioc, [this] { pump(); });
    m_ioc.run();
    finish_output();
    if (m_interrupted) return core::exit_interrupted;
    if (m_stdout_closed) {
      m_out.log_line("lemu: stdout was closed: stopped after " + std::to_string(m_summary.invocations()) +
                     " invocations; no more events were sent (exit 141)");
      m_out.flush();
      return core::exit_stdout_closed;
    }
    if (m_opt.update) return core::exit_ok; // the differences are now the capture
    if (m_opt.replay) {
      m_out.log_line(replay_verdict(m_summary.invocations(), m_outputs.mismatches(), m_recorded_failures));
      m_out.flush();
      return m_outputs.mismatches() == 0 ? core::exit_ok : core::exit_failed;
    }
    return m_summary.succeeded() == m_summary.invocations() ? core::exit_ok : core::exit_failed;
  }

private:
  // One event's place in the output order.
  struct slot {
    events::event meta; // source and line (the payload has gone to the runtime)
    std::optional<std::vector<std::string>> sqs_ids; // message ids when the event is an SQS event
    bool done = false;
    bool cancelled = false;
    stats::invocation_record record;
    std::string line;   // the stdout line
    std::string payload;                  // the event, kept for --record
    std::optional<capture_entry> capture; // replay: the capture line and its recorded outcome
    core::outcome outcome;                // kept for --record, --update and reports
    std::vector<compare::difference> diffs; // replay: how the outcome differs from the recording
    bool mismatch = false;
    std::size_t pass = 0; // --repeat: 0 for the first pass over the events
  };

  // A streamed response (PROTOCOL.md §1.9): gathered into the outcome's payload (the outcome line is the
  // whole body, as for a buffered response), or with --stream written to stdout as it arrives.
  class run_stream final : public core::response_stream {
  public:
    run_stream(output& out, bool raw) : m_out(out), m_raw(raw) {}
    void begin(std::string_view content_type) override { m_type = content_type; }
    void data(std::string_view bytes, std::function<void()> more) override {
      if (m_raw) {
        m_out.write_raw(bytes);
        m_ends_line = bytes.back() == '\n';
      } else {
        m_body.append(bytes);
      }
      more();
    }
    // The invocation ended with `o`: the stdout line for it.
    std::string finish(core::outcome& o) {
      if (!o.streamed) return format_outcome(o);
      if (!m_raw) {
        if (o.ok()) {
          o.payload = std::move(m_body);
          o.content_type = m_type;
        }
        return format_outcome(o);
      }
      if (o.ok()) return {}; // the body is out; its line ends here
      return (o.streamed_bytes > 0 && !m_ends_line ? "\n" : "") + format_outcome(o);
    }

  private:
    output& m_out;
    bool m_raw;
    bool m_ends_line = true;
    std::string m_type, m_body;
  };

  // Starts as many events as there are environments for, then returns.
  void pump() {
    while (!m_stopping && !m_input_done && m_window.size() < max_waiting_outcomes && m_waiting_bytes < max_waiting_bytes) {
      if (!m_scheduler.can_start_now()) return; // all busy: wait for one
      std::optional<events::event> ev = next_event();
      if (!ev) {
        m_input_done = true;
        break;
      }
      const std::size_t index = m_next_index++;
      m_window.push_back(slot{});
      slot& fresh = m_window.back();
      if (m_opt.replay) {
        capture_entry entry = parse_capture_line(ev->payload); // checked before the run started
        ev->payload = entry.event; // kept in the entry too: --update writes it back
        ev->oversize = ev->payload.size() > core::max_event_bytes ? ev->payload.size() : 0;
        if (ev->oversize) ev->payload.clear();
        fresh.capture = std::move(entry);
      }
      fresh.meta = events::event{{}, ev->source, ev->line, ev->oversize};
      fresh.pass = m_pass;
      if (!ev->oversize) fresh.sqs_ids = events::sqs_message_ids(ev->payload);
      if (m_keep_payloads) fresh.payload = ev->payload;

      core::invocation inv;
      inv.request_id = m_ids.request_id();
      inv.function_arn = m_arn;
      inv.trace_id = m_ids.trace_id();
      inv.timeout = m_opt.function.timeout;
      inv.tenant_id = fresh.capture && !fresh.capture->tenant_id.empty() ? fresh.capture->tenant_id : m_opt.tenant_id;
      if (ev->oversize) {
        reject(index, inv.request_id, inv.tenant_id, ev->oversize);
        continue;
      }
      inv.payload = std::move(ev->payload);
      auto stream = std::make_shared<run_stream>(m_out, m_opt.stream);
      inv.stream = stream;
      m_scheduler.submit(std::move(inv), [this, index, stream](invoke_result r) {
        std::string line = stream->finish(r.outcome);
        completed(index, std::move(r), std::move(line));
      });
    }
    if ((m_input_done || m_stopping) && m_scheduler.in_flight() == 0) finish();
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

  // An event over the synchronous invoke limit never reaches the function (Lambda checks size first).
  void reject(std::size_t index, const std::string& request_id, const std::string& tenant_id, std::uint64_t bytes) {
    const slot& s = slot_of(index);
    m_out.log_line("lemu: event " + s.meta.source + (s.meta.line ? ":" + std::to_string(s.meta.line) : "") + " is " +
                   std::to_string(bytes) + " bytes, over Lambda's 6291456-byte limit: not sent");
    nlohmann::ordered_json body;
    body["errorMessage"] = "Request must be smaller than 6291456 bytes for the InvokeFunction operation";
    body["errorType"] = "RequestTooLargeException";
    invoke_result r;
    r.request_id = request_id;
    r.tenant_id = tenant_id; // the record names its tenant, as one that ran does
    r.outcome = core::outcome{core::outcome_kind::rejected, body.dump(), "application/json", "RequestTooLargeException"};
    finished(index, r);
  }

  // Runs from the scheduler's completion, never inside submit(): the next event can go at once.
  void completed(std::size_t index, invoke_result r, std::string line) {
    finished(index, r, std::move(line));
    pump();
  }

  slot& slot_of(std::size_t index) { return m_window[index - m_first_index]; }

  void finished(std::size_t index, const invoke_result& r, std::optional<std::string> line = std::nullopt) {
    slot& s = slot_of(index);
    s.done = true;
    if (r.outcome.kind == core::outcome_kind::cancelled) {
      s.cancelled = true; // stopped by lemu: not an outcome of the function, recorded nowhere
      print_ready();
      return;
    }
    stats::invocation_record& rec = s.record;
    rec.index = index;
    rec.source = s.meta.source;
    rec.line = s.meta.line;
    fill_record(rec, r, m_opt.function.memory_mb, m_started);
    if (r.memory_method[0] != '\0') m_summary.set_memory_method(r.memory_method);
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
    if (s.capture && !s.capture->side.empty()) {
      s.diffs = compare_outcome(*s.capture, r.outcome, m_diff_options);
      s.mismatch = !s.diffs.empty();
      if (s.mismatch) {
        m_out.log_line("lemu: replay: " + where(s) + ": the outcome differs from the capture:");
        m_out.text(compare::render(s.diffs, m_color));
      } else if (s.capture->side == "error") {
        ++m_recorded_failures; // failed again, the same way: a match, though the summary counts it as failed
        m_out.log_line("lemu: replay: " + where(s) + ": matched (recorded failure)");
      }
    } else if (m_opt.replay && !r.outcome.ok()) {
      s.mismatch = true; // nothing recorded: the event is expected to succeed
      m_out.log_line("lemu: replay: " + where(s) + ": failed (" + std::string(stats::to_string(rec.status)) +
                     "), and the capture records no outcome: expected to succeed");
    }
    s.line = line ? std::move(*line) : format_outcome(r.outcome);
    if (m_keep_outcomes) s.outcome = r.outcome;
    m_waiting_bytes += s.line.size();
    ++m_finished;
    if (rec.status != stats::status::success) ++m_failed;
    print_ready();
  }

  // Prints the finished outcomes at the front of the window, in input order.
  void print_ready() {
    while (!m_window.empty() && m_window.front().done) {
      slot& s = m_window.front();
      if (s.cancelled) {
        m_summary.add_cancelled();
      } else {
        m_out.write_outcome(s.line);
        m_summary.add(s.record);
        m_environment_summary.add(s.record);
        const std::string name = case_name(s);
        m_outputs.add(finished_invocation{s.record, name, s.payload, s.outcome, s.capture ? &*s.capture : nullptr, s.diffs,
                                          s.mismatch, s.line});
        m_waiting_bytes -= s.line.size();
      }
      m_window.pop_front();
      ++m_first_index;
    }
    m_out.invocation_finished();
  }

  // The name of an event in reports: the capture's meta.name, else where it came from; " #2" from the
  // second pass of --repeat on, so that every JUnit case has its own name.
  static std::string case_name(const slot& s) {
    const std::string base = s.capture && !s.capture->name.empty() ? s.capture->name : location(s);
    return s.pass == 0 ? base : base + " #" + std::to_string(s.pass + 1);
  }
  static std::string location(const slot& s) {
    return s.meta.source + (s.meta.line ? ":" + std::to_string(s.meta.line) : std::string());
  }
  // An event in log lines: where it is, and its meta.name when it has one.
  static std::string where(const slot& s) {
    const std::string at = location(s);
    if (s.capture && !s.capture->name.empty() && s.capture->name != at) return at + " (" + s.capture->name + ")";
    return at;
  }

  void schedule_tick() {
    m_tick_timer.expires_after(std::chrono::milliseconds(100));
    m_tick_timer.async_wait([this](boost::system::error_code ec) {
      if (ec || m_finishing) return;
      update_progress();
      m_out.flush();
      if (m_out.stdout_closed()) stdout_closed();
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

  // Ctrl-C (or SIGTERM): the invocations in flight are cancelled and the functions stopped; the summary
  // follows. A second one stops at once, whatever is still running.
  void wait_for_signal() {
    m_signals.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      if (!m_interrupted) {
        m_interrupted = true;
        m_out.log_line("lemu: interrupted: stopping the function (Ctrl-C again to stop at once)");
        m_stopping = true;
        m_scheduler.stop_all();
        wait_for_signal();
      } else {
        m_out.log_line("lemu: stopping now");
        m_scheduler.stop_all();
        m_ioc.stop();
      }
      m_out.flush();
    });
  }

  // The reader of stdout is gone (`lemu run ... | head -1`): no outcome can be delivered any more, so no
  // event is sent; the invocations in flight are cancelled as by Ctrl-C, and the summary follows.
  void stdout_closed() {
    if (m_stdout_closed || m_interrupted) return;
    m_stdout_closed = true;
    m_stopping = true;
    m_scheduler.stop_all();
    if (m_scheduler.in_flight() == 0) finish();
  }

  // Every event ran (or the run was interrupted): stop the environments, then end the loop once every
  // runtime is reaped. Ctrl-C keeps working meanwhile; past end_deadline everything is killed at once.
  void finish() {
    if (m_finishing) return;
    m_finishing = true;
    m_scheduler.stop_idle();
    m_tick_timer.cancel();
    wait_for_runtimes(std::chrono::steady_clock::now() + end_deadline);
  }

  void wait_for_runtimes(std::chrono::steady_clock::time_point deadline) {
    if (process::child::running_count() == 0) {
      m_signals.cancel();
      return;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      m_scheduler.stop_all();
      m_ioc.stop();
      return;
    }
    m_tick_timer.expires_after(std::chrono::milliseconds(5));
    m_tick_timer.async_wait([this, deadline](boost::system::error_code ec) {
      if (!ec) wait_for_runtimes(deadline);
    });
  }

  void finish_output() {
    print_ready();
    m_outputs.finish(m_interrupted, m_summary);
    m_out.progress({});
    m_out.text(m_summary.render_table());
    m_out.text(m_environment_summary.render_table());
    m_out.flush();
  }

  asio::io_context& m_ioc;
  const run_options& m_opt;
  events::event_reader m_reader;
  output m_out;
  stats::run_summary m_summary;
  stats::environment_summary m_environment_summary;
  asio::steady_timer m_tick_timer;
  asio::signal_set m_signals;
  run_outputs m_outputs;
  compare::diff_options m_diff_options;
  bool m_color = false;
  const bool m_keep_outcomes = !m_opt.record_file.empty() || m_opt.update || !m_opt.junit_file.empty() || !m_opt.html_file.empty();
  const bool m_keep_payloads = !m_opt.record_file.empty();
  core::id_generator m_ids;
  const std::string m_arn = m_opt.function.function_arn();
  const std::size_t m_total;
  const std::chrono::steady_clock::time_point m_started;
  function_scheduler m_scheduler;

  std::deque<slot> m_window;     // from the oldest unprinted event to the newest started
  std::size_t m_first_index = 0; // index of m_window.front()
  std::size_t m_next_index = 0;
  std::size_t m_waiting_bytes = 0;
  std::size_t m_finished = 0, m_failed = 0;
  std::size_t m_pass = 0;
  bool m_input_done = false;
  bool m_stopping = false;
  bool m_finishing = false;
  bool m_interrupted = false;
  bool m_stdout_closed = false;
  std::size_t m_recorded_failures = 0; // replay: recorded failures that failed the same way again
};



// Every line of the captures must be a capture record, checked before anything runs.
void check_captures(const events::event_plan& plan) {
  events::event_reader reader(plan);
  while (auto ev = reader.next()) {
    const std::string where = ev->source + (ev->line ? ":" + std::to_string(ev->line) : std::string());
    if (ev->oversize) throw core::usage_error(where + ": a capture line over " + std::to_string(max_capture_line_bytes) + " bytes");
    try {
      (void)parse_capture_line(ev->payload);
    } catch (const std::invalid_argument& e) {
      throw core::usage_error(where + ": " + e.what());
    }
  }
}

} // namespace

int run(const run_options& options) {
  process::check_bootstrap(options.function);
  if (options.events.empty()) throw core::usage_error("no event given: pass --event FILE (a .json, .jsonl, a directory, or - for stdin)");
  if (options.repeat == 0) throw core::usage_error("--repeat must be at least 1");
  if (options.concurrency == 0) throw core::usage_error("--concurrency must be at least 1");
  if (options.concurrency > 1 && options.runtime_api_port != 0) {
    throw core::usage_error("--runtime-api-port serves one environment: it cannot be combined with --concurrency above 1");
  }
  if (options.update && options.repeat > 1) throw core::usage_error("--update rewrites each capture once: it cannot be combined with --repeat");
  events::input_options input;
  input.display_names = options.event_names;
  if (options.replay) {
    input.max_event_bytes = max_capture_line_bytes;
    input.max_depth = util::max_json_depth + 1; // an event at the limit, one level down in its line
    input.lines_only = true;             // a capture is JSON Lines whatever its name
    input.tolerate_cut_last_line = true; // a recorder killed mid-line leaves one
  }
  const events::event_plan plan = events::event_plan::prepare(options.events, input);
  if (options.replay) check_captures(plan);
  check_output_files(options, plan);

  std::signal(SIGPIPE, SIG_IGN); // a runtime that closes its connection must not kill lemu
  asio::io_context ioc(1);
  if (options.runtime_api_port != 0) {
    try {
      auto probe = net::listen_on(ioc.get_executor(), "127.0.0.1", options.runtime_api_port); // a port in use is bad usage
    } catch (const std::system_error& e) {
      std::string what = e.what();
      if (e.code() == std::errc::address_in_use) what += "; pick another port, or leave --runtime-api-port out (any free port)";
      throw core::usage_error(what);
    }
  }
  process::watchdog::start();
  runner r(ioc, options, plan);
  return r.run();
}

} // namespace lemu::app
