#pragma once
// lemu's command line: argv -> options -> a command of lemu_core, and the one place where errors become
// "lemu: error: ..." and exit codes.

namespace lemu::cli {

int main(int argc, char** argv);

// lemu's diagnostics on stderr as "lemu: LEVEL: ...", warnings and worse unless SPDLOG_LEVEL says otherwise.
void configure_logging();

} // namespace lemu::cli
