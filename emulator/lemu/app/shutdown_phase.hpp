#pragma once
// Lambda's shutdown phase for the processes of a retired execution environment (PROTOCOL.md §2.1): at the
// end of a run, after --cold's one invocation, after a crash or a timeout (a reset), when serve stops.
//
//   no extension                  (no phase: the environment gives its runtime SIGTERM, SIGKILL after 100 ms)
//   internal extensions only      SIGTERM, then SIGKILL after 500 ms
//   external extensions           the runtime gets SIGTERM and SIGKILL after 300 ms (500 ms when it also
//                                 has an internal extension); SHUTDOWN {shutdownReason, deadlineMs} goes to
//                                 every extension subscribed to it, and whatever still runs 2,000 ms after
//                                 the start of the phase is killed; extensions not subscribed to SHUTDOWN are
//                                 killed with the runtime
//
// The Runtime API listener stays open until the phase ends (the extensions read SHUTDOWN through it), and
// what the extensions print meanwhile is shown. The phase owns what it is given and lives until its last
// process is reaped: a command that waits for every runtime to be reaped waits for it.

#include <lemu/process/child.hpp>
#include <lemu/runtime_api/server.hpp>
#include <lemu/telemetry/hub.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace lemu::app {

enum class shutdown_reason { spindown, timeout, failure };
const char* to_string(shutdown_reason r); // SPINDOWN, TIMEOUT, FAILURE

struct extension_process {
  std::string name; // the executable's file name: the name it registers with
  std::shared_ptr<process::child> child;
};

struct environment_processes {
  std::shared_ptr<runtime_api::server> server;
  std::shared_ptr<process::child> runtime; // may be null (never started) or already exited
  std::vector<extension_process> extensions;
  std::shared_ptr<telemetry::hub> hub; // what the Telemetry/Logs API subscribers have still to get
};

struct shutdown_limits {
  std::chrono::milliseconds internal_only{500};
  std::chrono::milliseconds with_external{2000};
  std::chrono::milliseconds runtime_with_external{300};
  std::chrono::milliseconds runtime_with_both{500};
};

// Whether `parts` has extensions (external, or internal ones registered by the runtime): without any, the
// environment stops its runtime itself (SIGTERM, SIGKILL after 100 ms) and no phase is needed.
bool needs_shutdown_phase(const environment_processes& parts);

// Starts the phase (for parts that need one); returns at once. Never throws.
void shut_down(boost::asio::any_io_executor ex, environment_processes parts, shutdown_reason reason,
               const shutdown_limits& limits = {});

} // namespace lemu::app
