#pragma once
// An execution environment (DESIGN.md §2): one runtime process, its own Runtime API listener on
// 127.0.0.1, and the lifecycle Lambda gives it (PROTOCOL.md §4):
//
//   start() -> Starting --first /next--> Ready --invoke()--> Invoking --/response|/error--> Ready ...
//        any failure (timeout, runtime exit, /init/error, out of memory) --> Dead
//
// Timing: Init Duration = process start -> first /next; Duration = event delivered -> /response or /error
// received. The function timeout runs from delivery. Init is limited (10 s by default): past that limit
// Lambda retries init during the first invocation (a suppressed init): the runtime is restarted, the
// function timeout bounds init and invocation together, that time is the invocation's Duration and no
// Init Duration is reported.
// Memory: the process tree is sampled every memory_tick; Max Memory Used is its peak, and a tree whose
// resident memory goes over --memory is killed (Runtime.OutOfMemory).
// A dead environment is not reused: the caller starts a fresh one (a cold start).
// Single-threaded: everything runs on the io_context's thread.

#include <lemu/app/output.hpp>
#include <lemu/core/function_config.hpp>
#include <lemu/core/invocation.hpp>
#include <lemu/process/child.hpp>
#include <lemu/runtime_api/server.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace lemu::app {

struct invoke_result {
  core::outcome outcome;
  std::string request_id;
  std::uint32_t environment_id = 0;
  bool cold = false;
  std::optional<double> init_ms;       // Init Duration, on the cold invocation of a normal init
  std::chrono::steady_clock::time_point started_at{}; // when Duration began
  double duration_ms = 0;
  std::uint64_t max_memory_bytes = 0;  // peak of the process tree so far
  // With environment_options::keep_log: the log lines of this invocation ('\n'-terminated), from the end
  // of the previous one (a cold start's init output included) to its completion, at most the last
  // log_keep_bytes. END and REPORT are the caller's to add.
  std::string log;
};

struct environment_options {
  std::uint16_t runtime_api_port = 0; // 0: an ephemeral port
  bool keep_log = false;              // keep each invocation's log lines (X-Amz-Log-Type: Tail)
};

class execution_environment : public std::enable_shared_from_this<execution_environment> {
public:
  using clock = std::chrono::steady_clock;
  static constexpr auto kill_grace = std::chrono::milliseconds(100);
  static constexpr auto memory_tick = std::chrono::milliseconds(20);
  static constexpr std::size_t log_keep_bytes = 4096; // what X-Amz-Log-Result returns

  execution_environment(boost::asio::any_io_executor ex, const core::function_config& fn, std::uint32_t id,
                        output& out, environment_options options = {});
  ~execution_environment();

  // Opens the listener and starts the runtime. Throws std::system_error when either fails.
  void start();

  // Runs one invocation; `done` is called exactly once, later (never from inside invoke()). When the
  // runtime answered, `done` runs before the answer's 202 goes out and may invoke() again at once.
  void invoke(core::invocation inv, std::function<void(invoke_result)> done);

  bool alive() const { return m_state != state::dead; }
  // Alive and running no invocation: it can take one now.
  bool idle() const { return alive() && !m_done; }
  std::uint32_t id() const { return m_id; }

  // Stops the runtime (SIGTERM, then SIGKILL after kill_grace) and the listener. An invocation in flight
  // ends as a runtime killed by a signal.
  void shutdown();

private:
  enum class state { starting, ready, invoking, dead };

  void launch(); // a listener and a runtime process
  void retire(); // stop both, without reporting anything
  runtime_api::broker::listener make_listener();
  void on_init_done(clock::time_point t);
  void on_delivered(clock::time_point t);
  void on_init_error(core::outcome o);
  void on_exit(const core::process_exit& e);
  void on_init_timer();
  void on_timeout();
  void on_memory_tick();
  void fail(core::outcome o); // the invocation in flight ends with o and the environment dies
  // How `done` is called: posted (the environment may be dying, or we are deep in its state changes), or
  // directly when the runtime's answer completed the invocation and the environment is ready again.
  enum class completion { posted, direct };
  void finish(core::outcome o, clock::time_point end, completion how = completion::posted);
  void die();
  void sample_memory();
  void log(std::string_view line); // to stderr, and to the invocation's log with keep_log
  template <class Handler>
  void arm(boost::asio::steady_timer& timer, clock::time_point at, Handler h);

  boost::asio::any_io_executor m_ex;
  const core::function_config& m_fn;
  std::uint32_t m_id;
  output& m_out;
  environment_options m_options;
  std::shared_ptr<runtime_api::server> m_server;
  std::shared_ptr<process::child> m_child;
  boost::asio::steady_timer m_timer;        // init limit, then the invocation's timeout
  boost::asio::steady_timer m_memory_timer; // memory sampling and the --memory limit

  state m_state = state::starting;
  clock::time_point m_started_at{};
  std::optional<double> m_init_ms;   // set at the first /next, reported on the cold invocation
  bool m_suppressed_init = false;    // init went past its limit and is being retried
  bool m_cold = true;                // no invocation has completed in this environment yet

  // The invocation in flight.
  std::string m_request_id;
  std::function<void(invoke_result)> m_done;
  std::optional<core::invocation> m_first; // the cold invocation, kept until delivered (for an init retry)
  clock::time_point m_invoke_start{};
  bool m_delivered = false;

  std::uint64_t m_max_memory_bytes = 0;
  bool m_memory_final = false; // killed for going over --memory: Max Memory Used is the limit
  std::string m_log;           // keep_log: the lines since the previous invocation ended
};

} // namespace lemu::app
