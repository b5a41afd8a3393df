#pragma once
// An execution environment (DESIGN.md §2): one runtime process and everything it starts (its
// containment: a cgroup, else its process tree), its own Runtime API listener on 127.0.0.1, and the
// lifecycle Lambda gives it:
//
//   created --start()--> initializing --first GET /next--> idle --invoke()--> invoking --/response|/error--> idle
//   initializing | invoking --timeout, runtime exit, /init/error, out of memory--> dead   (the invocation fails)
//   initializing --init limit passed, an invocation waiting--> initializing (suppressed init: restarted,
//                  within the invocation, which the function timeout then bounds)
//   created --start() could not start the runtime--> dead (the first invocation fails: Runtime.InvalidEntrypoint)
//   any --stop()--> dead                                   (an invocation in flight ends cancelled)
//
// A dead environment is never reused: the caller starts a fresh one (a cold start).
//
// With extensions (PROTOCOL.md §2.1; the function's external ones, and internal ones the runtime registers):
// the external extensions start first and the runtime once each of them has registered; init ends when the
// runtime and every extension have called next (Init Duration covers it all). An invocation's caller is
// answered when the runtime answers (`answered`), but the environment stays busy until every extension
// subscribed to INVOKE has called /event/next again: Duration and the timeout cover both, and the
// extensions' part is post_runtime_extensions_ms. An extension that exits or reports init/error or
// exit/error fails the invocation (Extension.Crash, .InitError, .ExitError) and the environment. A retired
// environment goes through Lambda's shutdown phase (shutdown_phase.hpp).
// Timing: Init Duration = process start -> first /next; Duration = event delivered -> /response or /error
// received. The function timeout runs from delivery.
// Memory: the containment is sampled every memory_tick, when init finishes and when an invocation ends:
// Max Memory Used is its peak. Going over --memory (the kernel's OOM kill in a cgroup, or the watcher's
// sum) ends the invocation as Runtime.OutOfMemory and the environment with it.
// Lambda Managed Instances (function_config::per_environment_concurrency N, PROTOCOL.md §9.1): the
// environment runs up to N invocations at once, each with its own deadline and timeout. Init ends at the
// first /next (and every extension's); its limit is max(130 s, timeout), at most 15 minutes, and is not
// retried. An invocation whose timeout passes fails alone (Sandbox.Timedout) and the environment lives on:
// the runtime worker's late answer is accepted and dropped, and until it comes that worker's place is
// taken (capacity is N minus such late ones). A crash, a memory kill or an extension's failure fails
// every invocation in flight, each with its own outcome. No extension takes INVOKE.
// Single-threaded: everything runs on the io_context's thread.

#include <lemu/app/environment_log.hpp>
#include <lemu/app/invoke_result.hpp>
#include <lemu/app/output.hpp>
#include <lemu/app/shutdown_phase.hpp>
#include <lemu/core/function_config.hpp>
#include <lemu/core/invocation.hpp>
#include <lemu/process/child.hpp>
#include <lemu/runtime_api/server.hpp>
#include <lemu/sandbox/sandbox.hpp>
#include <lemu/telemetry/hub.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>
#include <memory>
#include <optional>
#include <string>

namespace lemu::app {

struct environment_options {
  std::uint16_t runtime_api_port = 0; // 0: an ephemeral port
  bool keep_log = false;              // keep each invocation's log lines (X-Amz-Log-Type: Tail)
};

class execution_environment : public std::enable_shared_from_this<execution_environment> {
public:
  using clock = std::chrono::steady_clock;
  using completion = std::function<void(invoke_result)>;
  // The runtime answered (before the INVOKE extensions are done): what the Invoke caller gets now, and the
  // invocation's log lines so far (X-Amz-Log-Type: Tail; END and REPORT come later).
  using answer_callback = std::function<void(const core::outcome&, const std::string& log_so_far)>;
  enum class state { created, initializing, idle, invoking, dead };

  static constexpr auto kill_grace = std::chrono::milliseconds(100);
  static constexpr auto memory_tick = std::chrono::milliseconds(20);
  // The runtime's connection ended mid-stream: its exit within this time makes the outcome Runtime.ExitError,
  // else it is Runtime.TruncatedResponse.
  static constexpr auto stream_cut_grace = std::chrono::milliseconds(200);

  execution_environment(boost::asio::any_io_executor ex, const core::function_config& fn, std::uint32_t id,
                        output& out, environment_options options = {});
  ~execution_environment();

  // Opens the listener and starts the runtime. Never throws: when either fails, the environment is dead
  // and the invocation given to it fails (Runtime.InvalidEntrypoint, or Sandbox.Failure for the listener).
  void start();

  // Runs one invocation; `done` is called exactly once, later (never from inside invoke()). When the
  // runtime answered, `done` runs before the answer's 202 goes out and may invoke() again at once.
  // `answered`, when given, is called when the runtime answers and extensions still run (never otherwise).
  void invoke(core::invocation inv, completion done, answer_callback answered = nullptr);

  // The environment is no longer wanted: the runtime is stopped (SIGTERM, then SIGKILL after kill_grace)
  // with everything it started, and the listener closed. An invocation in flight ends cancelled.
  void stop();

  state current_state() const { return m_state; }
  bool alive() const { return m_state != state::dead; }
  // Alive and able to take an invocation now: fewer in flight than its capacity (1; N under Lambda
  // Managed Instances, less the invocations whose worker has not answered since their timeout).
  bool idle() const { return alive() && m_flights.size() + m_late < m_capacity; }
  // Alive and running no invocation at all.
  bool unused() const { return alive() && m_flights.empty(); }
  std::size_t in_flight() const { return m_flights.size(); }
  std::uint32_t id() const { return m_id; }
  // Called (posted) when the environment can take an invocation again without one having ended: a late
  // answer freed a worker (Lambda Managed Instances).
  void on_capacity(std::function<void()> f) { m_capacity_listener = std::move(f); }
  // Its filesystem (function_config::sandboxed): given before start() to take over a crashed environment's
  // (its /tmp survives, as in Lambda's reset), else built by start().
  void use_sandbox(std::shared_ptr<sandbox::sandbox> box) { m_sandbox = std::move(box); }
  const std::shared_ptr<sandbox::sandbox>& sandbox() const { return m_sandbox; }

private:
  // One invocation given to the environment, until it ends.
  struct flight {
    explicit flight(const boost::asio::any_io_executor& ex) : timer(ex) {}
    std::string request_id, function_arn, trace_id, tenant_id;
    completion done;
    answer_callback answered;
    std::shared_ptr<core::response_stream> stream; // where its streamed response goes (nullptr: gathered)
    bool delivered = false;
    clock::time_point invoke_start{};
    boost::asio::steady_timer timer;                // its timeout (and a cut stream's grace)
    bool streaming = false;                         // the runtime began streaming its response
    std::optional<clock::time_point> first_byte_at;
    std::uint64_t streamed_bytes = 0;
    std::string gathered, gathered_type;            // a streamed response without a response_stream
  };
  using outcome_for = std::function<core::outcome(std::string_view request_id)>;
  flight* find(std::string_view request_id);
  flight* current() { return m_flights.empty() ? nullptr : m_flights.front().get(); } // the classic one
  bool managed() const { return m_fn.per_environment_concurrency > 0; }
  template <class Handler>
  void arm(flight& f, clock::time_point at, Handler h);

  void launch(); // a listener, the extensions and (without extensions) the runtime; throws what they throw
  void spawn_runtime(); // throws process::spawn_error
  void stop_runtime(); // retire the processes (signals, the shutdown phase), close the listener; nothing reported
  void on_extensions_changed();
  void on_event(telemetry::event e);
  runtime_api::reply on_subscribe(const runtime_api::subscription_request& req);
  void on_extension_exit(const std::string& name, const core::process_exit& e);
  void check_init();
  void finish_after_extensions();
  // The runtime's answer the caller already has, taken back to end the invocation with: the extensions'
  // part of it ends `now`.
  core::outcome take_answer(clock::time_point now);
  // An extension failed: the invocation in flight (if any) ends with `o`, or with the runtime's answer when
  // the caller already has it, and the environment dies.
  void extension_failed(const outcome_for& make);
  std::uint64_t environment_peak_bytes();
  runtime_api::broker::callbacks make_callbacks();

  // What the runtime and the timers do.
  void on_init_done(clock::time_point t);
  void on_delivered(std::string_view request_id, clock::time_point t);
  void on_answer(std::string_view request_id, core::outcome o, clock::time_point t);
  void on_late_answer();
  void on_init_error(core::outcome o);
  void on_exit(const core::process_exit& e);
  void on_init_timer();
  void on_timeout(flight& f);
  void on_memory_tick();
  // A streamed response (PROTOCOL.md §1.9): to the invocation's response_stream, else gathered whole.
  void on_stream_began(std::string_view request_id, std::string_view content_type, clock::time_point t);
  bool on_stream_data(std::string_view request_id, std::string_view bytes, std::function<void()> more);
  void on_stream_cut(std::string_view request_id);
  void on_stream_cut_grace(flight& f);

  // How the invocation in flight ends. `direct`: the runtime answered and the environment is idle again,
  // so `done` is called at once; otherwise it is posted (the environment may be dying).
  enum class completion_mode { posted, direct };
  void end_invocation(flight& f, core::outcome o, clock::time_point end, completion_mode how = completion_mode::posted);
  // Every invocation in flight ends with its outcome from `make` (after Lambda's fault line for it when
  // `fault_lines`, and INIT_REPORT first, once, when `failed_init` and one had not been delivered), and the
  // environment dies.
  void fail(const outcome_for& make, bool fault_lines = true, bool failed_init = false);
  void die();

  void sample_memory();
  double ms_since_start(clock::time_point t) const;
  template <class Handler>
  void arm(boost::asio::steady_timer& timer, clock::time_point at, Handler h);
  std::string_view init_phase() const { return m_suppressed_init ? "invoke" : "init"; }

  boost::asio::any_io_executor m_ex;
  const core::function_config& m_fn;
  std::uint32_t m_id;
  output& m_out;
  environment_log m_log;
  environment_options m_options;
  std::shared_ptr<sandbox::sandbox> m_sandbox;
  std::shared_ptr<runtime_api::server> m_server;
  std::shared_ptr<process::child> m_child;
  std::vector<extension_process> m_extensions;
  std::shared_ptr<telemetry::hub> m_hub;          // the Telemetry and Logs API subscribers (made at the first)
  std::vector<telemetry::event> m_init_events;    // produced during init, for the subscribers made meanwhile
  std::size_t m_init_events_bytes = 0;
  static constexpr std::size_t max_init_events = 10000;
  static constexpr std::size_t max_init_event_bytes = 4 << 20;
  std::map<std::string, std::string> m_runtime_env; // kept for a runtime started after the extensions registered
  shutdown_reason m_shutdown_reason = shutdown_reason::spindown;
  std::shared_ptr<bool> m_shutting_down; // the runtime's processes are in the shutdown phase
  bool m_runtime_ready = false;   // the runtime called its first /next
  bool m_init_complete = false;   // ... and every extension called /event/next
  std::vector<core::invocation> m_held;     // given before init completed, with extensions: submitted at its end
  boost::asio::steady_timer m_timer;        // the init limit
  boost::asio::steady_timer m_memory_timer; // memory sampling and the --memory limit

  state m_state = state::created;
  std::optional<core::outcome> m_start_failure; // start() failed: what the first invocation gets
  std::string m_start_failure_what;
  clock::time_point m_started_at{};
  std::optional<double> m_init_ms;   // set at the first /next, reported on the cold invocation
  bool m_suppressed_init = false;    // init went past its limit and is being retried
  bool m_cold = true;                // no invocation has completed in this environment yet

  // The invocations in flight, in the order given (at most one, or N under Lambda Managed Instances).
  std::vector<std::unique_ptr<flight>> m_flights;
  std::uint32_t m_capacity = 1;
  std::size_t m_late = 0; // timed out under Lambda Managed Instances, their workers' answers not yet in
  std::function<void()> m_capacity_listener;
  // The classic invocation's INVOKE extensions.
  bool m_extensions_busy = false;          // INVOKE sent to extensions that have not called next again
  std::optional<core::outcome> m_answer;   // the runtime's answer, while they finish
  clock::time_point m_answered_at{};
  std::optional<double> m_post_runtime_ms;
  std::optional<core::outcome> m_failed_after_answer;
  std::optional<core::invocation> m_first; // the cold invocation, kept until delivered (for an init retry)

  std::uint64_t m_max_memory_bytes = 0;
  bool m_memory_final = false; // killed for going over --memory: Max Memory Used is the limit
  const char* m_memory_method = "";
};

} // namespace lemu::app
