#pragma once
// lemu's command line (CLI11): argv -> options -> one of the app module's commands (lemu_app: run, replay,
// serve; `lemu event` is cli/event_command), and the one place where errors become "lemu: error: ..." and
// exit codes.

namespace lemu::cli {

int main(int argc, char** argv);

// lemu's diagnostics on stderr as "lemu: LEVEL: ...", warnings and worse unless SPDLOG_LEVEL says otherwise.
void configure_logging();

} // namespace lemu::cli
