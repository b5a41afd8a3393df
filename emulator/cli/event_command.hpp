#pragma once
// `lemu event`: prints a fresh event of a kind (or lists the kinds).

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

} // namespace lemu::cli
