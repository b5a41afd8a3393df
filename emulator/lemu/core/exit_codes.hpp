#pragma once
// What every lemu command returns (README "Exit codes"), and the error that means "bad usage or input".

#include <stdexcept>

namespace lemu::core {

inline constexpr int exit_ok = 0;            // every invocation succeeded (serve: stopped by one Ctrl-C)
inline constexpr int exit_failed = 1;        // at least one invocation failed (replay: an outcome differs)
inline constexpr int exit_usage = 2;         // bad usage or bad input; nothing was run
inline constexpr int exit_interrupted = 130; // SIGINT/SIGTERM: functions stopped, partial summary printed
inline constexpr int exit_stdout_closed = 141; // run/replay: stdout's reader went away (128 + SIGPIPE, as a shell says)

// Bad usage or input, found before anything runs: the CLI prints "lemu: error: <what>" and exits 2.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

} // namespace lemu::core
