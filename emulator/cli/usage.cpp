#include "usage.hpp"

#include <lemu/core/exit_codes.hpp>
#include <lemu/util/text.hpp>

#include <fmt/format.h>

#include <cstdio>

namespace lemu::cli {

namespace {

std::string number_text(double v) { return fmt::format("{}", v); }

// The command a parse error belongs to: "lemu", or "lemu run" when the subcommand was recognised.
std::string command_of(const CLI::App& cli) {
  std::string name = cli.get_name();
  const CLI::App* at = &cli;
  for (;;) {
    const auto selected = at->get_subcommands();
    if (selected.empty()) return name;
    at = selected.front();
    name += " " + at->get_name();
  }
}

std::string commands_list(const CLI::App& cli) {
  std::string out;
  for (const CLI::App* sub : cli.get_subcommands([](const CLI::App*) { return true; })) {
    out += (out.empty() ? "" : ", ") + sub->get_name();
  }
  return out;
}

std::string strip_prefix(std::string text, const std::string& prefix) {
  if (text.rfind(prefix, 0) == 0) text.erase(0, prefix.size());
  return text;
}

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

} // namespace

CLI::Validator between(double low, double high, const std::string& unit) {
  const std::string range = number_text(low) + " and " + number_text(high) + (unit.empty() ? "" : " " + unit);
  return CLI::Validator(
      [low, high, range](std::string& input) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(input, value) || !(value >= low && value <= high)) {
          return "must be between " + range + ", got '" + input + "'";
        }
        return {};
      },
      number_text(low) + ".." + number_text(high));
}

CLI::Validator at_least(std::uint64_t low) {
  return CLI::Validator(
      [low](std::string& input) -> std::string {
        std::uint64_t value = 0;
        if (input.empty() || input.front() == '-' || !CLI::detail::lexical_cast(input, value) || value < low) {
          return "must be a whole number of at least " + std::to_string(low) + ", got '" + input + "'";
        }
        return {};
      },
      ">=" + std::to_string(low));
}

CLI::Validator one_of(const std::vector<std::string>& choices) {
  std::string list, alternatives;
  for (const auto& c : choices) {
    list += (list.empty() ? "" : ", ") + c;
    alternatives += (alternatives.empty() ? "" : "|") + c;
  }
  return CLI::Validator(
      [choices, list](std::string& input) -> std::string {
        for (const auto& c : choices) {
          if (util::iequals(input, c)) return {};
        }
        return "must be one of " + list + " (any case), got '" + input + "'";
      },
      alternatives);
}

std::string parse_error_line(const CLI::App& cli, const CLI::ParseError& e) {
  const std::string command = command_of(cli);
  const std::string help = "; " + command + " --help lists the options";
  const std::string what = one_line(e.what());
  if (command == cli.get_name()) {
    // No subcommand recognised: name the one given, or say one is needed.
    const std::vector<std::string> rest = cli.remaining();
    const std::string commands = "commands: " + commands_list(cli);
    if (!rest.empty() && !rest.front().empty() && rest.front().front() != '-') {
      return "unknown command '" + rest.front() + "'; " + commands;
    }
    if (!rest.empty()) return "unknown option '" + rest.front() + "' (options go after the command); " + commands;
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) return "a command is required; " + commands;
    return what + "; " + commands;
  }
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    std::string extras = strip_prefix(strip_prefix(what, "The following argument was not expected: "),
                                      "The following arguments were not expected: ");
    const bool option = !extras.empty() && extras.front() == '-';
    return std::string(option ? "unknown option " : "unexpected argument ") + extras + " for " + command + help;
  }
  if (dynamic_cast<const CLI::ValidationError*>(&e) != nullptr) return what; // "--timeout: must be between ..."
  if (const std::string converted = strip_prefix(what, "Could not convert: "); converted != what) {
    const auto eq = converted.find(" = "); // "--memory = 64.5"
    if (eq != std::string::npos) {
      return converted.substr(0, eq) + ": cannot read '" + converted.substr(eq + 3) + "' as its type" + help + " and types";
    }
  }
  return what + help;
}

void check_lambda_limits(const lambda_limits_input& in) {
  std::vector<std::string> problems;
  if (in.timeout_seconds > 900) {
    problems.push_back("--timeout " + number_text(in.timeout_seconds) + ": Lambda allows at most 900 s");
  }
  if (in.memory_mb < 128 || in.memory_mb > 10240) {
    problems.push_back("--memory " + std::to_string(in.memory_mb) + ": Lambda allows 128 to 10240 MB");
  }
  if (in.ephemeral_storage_mb < 512) {
    problems.push_back("--ephemeral-storage " + std::to_string(in.ephemeral_storage_mb) + ": Lambda allows 512 to 10240 MB");
  }
  if (problems.empty()) return;
  if (in.strict) throw core::usage_error(problems.front() + " (--strict keeps to Lambda's limits)");
  for (const auto& p : problems) std::fprintf(stderr, "lemu: warning: %s; lemu will run it anyway\n", p.c_str());
}

} // namespace lemu::cli
