#include "cli.hpp"
#include "event_command.hpp"

#include <lemu/app/run_command.hpp>
#include <lemu/events/source.hpp>
#include <lemu/process/environment.hpp>
#include <lemu/util/text.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/cfg/env.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

namespace lemu::cli {

namespace {

constexpr const char* version = "0.1.0";

std::pair<std::string, std::string> split_assignment(const std::string& text, const std::string& where) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw app::usage_error(where + ": expected NAME=VALUE, got '" + text + "'");
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
}

// KEY=VALUE lines; blank lines and lines starting with # are skipped; `export ` prefixes and one pair of
// surrounding quotes around the value are removed.
std::vector<std::pair<std::string, std::string>> read_env_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw app::usage_error(path + ": cannot read env file");
  std::vector<std::pair<std::string, std::string>> vars;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string_view t = util::trim(line);
    if (t.empty() || t.front() == '#') continue;
    if (t.substr(0, 7) == "export ") t = util::trim(t.substr(7));
    auto [name, value] = split_assignment(std::string(t), path + ":" + std::to_string(number));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    vars.emplace_back(std::string(util::trim(name)), value);
  }
  return vars;
}

std::string default_function_name(const std::filesystem::path& bootstrap) {
  const std::string dir = bootstrap.parent_path().filename().string();
  std::string name;
  for (char c : dir) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') name.push_back(c);
  }
  if (name.empty()) name = "function";
  return name.substr(0, 64);
}

// What `run` and `replay` share: every option of a run, as parsed, before it becomes run_options.
struct run_command_line {
  CLI::App* command = nullptr;
  app::run_options run;
  std::string bootstrap, env_file;
  std::vector<std::string> env_vars;
  double timeout_seconds = 3.0;
  double init_timeout_seconds = 10.0;
};

void add_run_options(CLI::App* cmd, run_command_line& c) {
  app::run_options& run = c.run;
  c.command = cmd;
  cmd->add_option("--repeat,-n", run.repeat, "Run the whole event list N times")->check(CLI::PositiveNumber);
  cmd->add_option("--timeout", c.timeout_seconds, "Function timeout in seconds (fractions allowed)")
      ->check(CLI::Range(0.001, 86400.0));
  cmd->add_option("--init-timeout", c.init_timeout_seconds,
                  "Init limit in seconds before init is retried within the first invocation (Lambda: 10)")
      ->check(CLI::Range(0.001, 86400.0));
  cmd->add_option("--runtime-api-port", run.runtime_api_port,
                  "Serve the Runtime API on this port of 127.0.0.1 instead of an ephemeral one")
      ->check(CLI::Range(1, 65535));
  cmd->add_option("--memory", run.function.memory_mb, "Memory size in MB (AWS_LAMBDA_FUNCTION_MEMORY_SIZE)")
      ->check(CLI::Range(1, 1048576));
  cmd->add_option("--handler", run.function.handler, "_HANDLER");
  cmd->add_option("--function-name", run.function.function_name,
                  "AWS_LAMBDA_FUNCTION_NAME (default: the bootstrap's folder name)");
  cmd->add_option("--region", run.function.region, "AWS_REGION and the region of the function ARN");
  cmd->add_option("--env", c.env_vars, "Set a variable in the function's environment: NAME=VALUE; repeatable");
  cmd->add_option("--env-file", c.env_file, "Read NAME=VALUE lines for the function's environment");
  cmd->add_option("--json", run.json_report, "Write one JSON record per invocation (JSON Lines) to FILE");
  cmd->add_option("--junit", run.junit_file, "Write a JUnit XML report (one test case per event) to FILE");
  cmd->add_option("--html", run.html_file, "Write a self-contained HTML report (summary, histograms, timeline) to FILE");
  cmd->add_option("--record", run.record_file, "Write a capture (JSON Lines: event, outcome, meta) to FILE");
  cmd->add_option("--concurrency,-c", run.concurrency, "Execution environments at most at once")
      ->check(CLI::Range(1, 1024));
  cmd->add_flag("--cold", run.cold, "A fresh execution environment for every event (each invocation a cold start)");
  cmd->add_flag("--quiet,-q", run.quiet, "No progress line on a terminal");
}

// run_options complete: bootstrap path, name, timeouts, environment.
app::run_options finish_run_options(run_command_line& c) {
  app::run_options& run = c.run;
  std::filesystem::path path = std::filesystem::absolute(c.bootstrap).lexically_normal();
  run.function.bootstrap = path;
  if (c.command->count("--function-name") == 0) run.function.function_name = default_function_name(path);
  const auto seconds = [](double s) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(s));
  };
  run.function.timeout = seconds(c.timeout_seconds);
  run.function.init_timeout = seconds(c.init_timeout_seconds);
  if (!c.env_file.empty()) {
    for (auto& v : read_env_file(c.env_file)) run.function.env.push_back(std::move(v));
  }
  for (const auto& text : c.env_vars) run.function.env.push_back(split_assignment(text, "--env"));
  for (const auto& [name, value] : run.function.env) process::check_user_variable(name);
  return run;
}

} // namespace

int main(int argc, char** argv) {
  spdlog::set_pattern("lemu: %l: %v");
  spdlog::set_level(spdlog::level::warn);
  spdlog::cfg::load_env_levels(); // SPDLOG_LEVEL=debug for lemu's own diagnostics

  CLI::App cli{"lemu: run AWS Lambda functions locally, exactly as Lambda does", "lemu"};
  cli.set_version_flag("--version", version);
  cli.require_subcommand(1);

  auto event_cmd = add_event_command(cli);

  run_command_line run;
  auto* run_cmd = cli.add_subcommand("run", "Run a bootstrap on events, kept warm, and report init and invoke timing");
  run_cmd->add_option("bootstrap", run.bootstrap, "The function's bootstrap executable (its folder is the task root)")->required();
  run_cmd->add_option("--event,-e", run.run.events,
                      "Event input: a .json file (one event), a .jsonl file (one per line), a directory, - for stdin, "
                      "or a bundled event by name (sqs, sqs/batch, apigw-http/get, ...); repeatable")
      ->take_all();
  add_run_options(run_cmd, run);

  run_command_line replay;
  replay.run.replay = true;
  auto* replay_cmd = cli.add_subcommand(
      "replay", "Replay captures and compare every outcome with the recorded one (exit 1 on any difference)");
  replay_cmd->add_option("captures", replay.run.events, "Capture files (JSON Lines written by --record)")->required();
  replay_cmd->add_option("--bootstrap", replay.bootstrap, "The function's bootstrap executable")->required();
  replay_cmd->add_option("--ignore", replay.run.ignore,
                         "Skip a volatile field: a JSON Pointer (/response/body/id) or a path ($.response.headers.Date, "
                         "$.response.items[*].id); repeatable");
  replay_cmd->add_flag("--update", replay.run.update, "Rewrite the captures with the new outcomes");
  add_run_options(replay_cmd, replay);

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = cli.exit(e);
    return code == 0 ? 0 : app::exit_usage;
  }

  try {
    if (event_cmd->command->parsed()) return run_event_command(*event_cmd);
    if (run_cmd->parsed()) {
      const auto events_dir = bundled_events_dir(argv[0]);
      for (auto& spec : run.run.events) spec = resolve_event_spec(spec, events_dir);
      return app::run(finish_run_options(run));
    }
    if (replay_cmd->parsed()) return app::run(finish_run_options(replay));
  } catch (const std::exception& e) {
    // Bad usage or input (app::usage_error, events::input_error, process::reserved_variable_error) and
    // anything that stops a run from starting (a port in use, a runtime that cannot be spawned): exit 2.
    std::fflush(stdout);
    std::fprintf(stderr, "lemu: error: %s\n", e.what());
    return app::exit_usage;
  }
  return app::exit_usage;
}

} // namespace lemu::cli
