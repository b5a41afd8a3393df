#pragma once
// `lemu event`: prints a fresh event of a kind (or lists the kinds), and where the bundled events live.

#include <lemu/events/generators.hpp>

#include <CLI/CLI.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace lemu::cli {

struct event_command {
  CLI::App* command = nullptr;
  std::string kind;
  events::generator_options options;
  std::vector<std::string> attributes; // NAME=TYPE:VALUE
  std::vector<std::string> headers;    // "Name: value"
  std::string body_file;
  bool compact = false;
};

// Adds the subcommand to `cli`; the returned state is filled by parsing.
std::unique_ptr<event_command> add_event_command(CLI::App& cli);

// Prints the event (or the list of kinds) to stdout; returns the exit code. Throws on bad options.
int run_event_command(event_command& e);

// The folder of the bundled events: $LEMU_EVENTS_DIR, else <prefix>/share/lemu/events next to an
// installed lemu, else the source tree's events/ (a build that was not installed).
std::filesystem::path bundled_events_dir(const char* argv0);

// `--event NAME` for a bundled event: a spec that is not an existing path, "-", but a name like `sqs` or
// `sqs/batch`, becomes <events>/NAME.json or the folder <events>/NAME. Anything else is left as it is.
std::string resolve_event_spec(const std::string& spec, const std::filesystem::path& events_dir);

} // namespace lemu::cli
