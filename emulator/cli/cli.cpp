#include "cli.hpp"
#include "event_command.hpp"
#include "report_command.hpp"
#include "rie_command.hpp"
#include "usage.hpp"

#include <lemu/app/function_sandbox.hpp>
#include <lemu/app/build_trees.hpp>
#include <lemu/app/run_command.hpp>
#include <lemu/app/sqs_simulate.hpp>
#include <lemu/app/template_functions.hpp>
#include <lemu/app/watch_loop.hpp>
#include <lemu/app/serve_command.hpp>
#include <lemu/core/exit_codes.hpp>
#include <lemu/core/log_config.hpp>
#include <lemu/core/tenant.hpp>
#include <lemu/events/bundled.hpp>
#include <lemu/events/source.hpp>
#include <lemu/process/bootstrap.hpp>
#include <lemu/process/env_file.hpp>
#include <lemu/process/environment.hpp>
#include <lemu/util/text.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/ip/address.hpp>
#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>

namespace lemu::cli {

namespace {

constexpr const char* version = "0.1.0";

std::pair<std::string, std::string> split_assignment(const std::string& text, const std::string& where,
                                                     const std::string& form = "NAME=VALUE") {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw core::usage_error(where + ": expected " + form + ", got '" + text + "'");
  }
  return {text.substr(0, eq), text.substr(eq + 1)};
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

// What every command that runs a function shares: the function's configuration, as parsed.
struct function_command_line {
  CLI::App* command = nullptr;
  core::function_config function;
  std::string bootstrap, env_file;
  std::vector<std::string> env_vars;
  std::vector<std::string> extensions; // --extension
  std::vector<std::string> layers;     // --layer
  bool sandbox = false, no_sandbox = false;
  double timeout_seconds = 3.0;
  double init_timeout_seconds = 10.0;
  bool strict = false; // --strict: Lambda's limits are errors, not warnings
  std::string log_format = "text", log_level, system_log_level; // --log-format, --log-level, --system-log-level
  // A SAM / CloudFormation template, a cargo-lambda build, --watch (README "Use your SAM / cargo-lambda project").
  std::string template_file;                    // --template [FILE] ("" with the option: the default search)
  std::vector<std::string> parameter_overrides; // --parameter-overrides K=V ...
  std::string sam_env_vars;                     // --env-vars FILE (SAM's format)
  std::string cargo_lambda;                     // --cargo-lambda NAME
  bool watch = false;                           // --watch
  unsigned watch_debounce_ms = 200;             // --watch-debounce MS
  std::string build;                            // --build 'CMD'
  bool uses_template() const { return command->count("--template") != 0; }
};

// The function options a template's values give way to, when given on the command line.
constexpr const char* overriding_options[] = {"--timeout", "--memory", "--handler", "--log-format", "--log-level",
                                              "--layer", "--architecture",
                                              "--system-log-level", "--per-environment-concurrency"};

void add_function_options(CLI::App* cmd, function_command_line& c) {
  c.command = cmd;
  core::function_config& fn = c.function;
  cmd->add_option("--timeout", c.timeout_seconds, "Function timeout in seconds (fractions allowed)")
      ->check(between(0.001, 86400, "seconds"));
  cmd->add_option("--init-timeout", c.init_timeout_seconds,
                  "Init limit in seconds before init is retried within the first invocation (Lambda: 10)")
      ->check(between(0.001, 86400, "seconds"));
  cmd->add_option("--memory", fn.memory_mb, "Memory size in MB (AWS_LAMBDA_FUNCTION_MEMORY_SIZE; Lambda: 128 to 10240)")
      ->check(between(1, 1048576, "MB"));
  cmd->add_flag("--strict", c.strict,
                "Refuse what Lambda refuses: --timeout over 900 s, --memory outside 128-10240 MB (else a warning)");
  cmd->add_option("--handler", fn.handler, "_HANDLER");
  cmd->add_option("--function-name", fn.function_name, "AWS_LAMBDA_FUNCTION_NAME (default: the bootstrap's folder name)")
      ->default_str("");
  cmd->add_option("--region", fn.region, "AWS_REGION and the region of the function ARN");
  cmd->add_option("--env", c.env_vars, "Set a variable in the function's environment: NAME=VALUE; repeatable");
  cmd->add_option("--env-file", c.env_file, "Read NAME=VALUE lines for the function's environment");
  cmd->add_option("--extension", c.extensions,
                  "Start this external extension before the runtime (after those in the task root's extensions/ "
                  "folder); repeatable, at most 10 in all");
  cmd->add_flag("--sandbox", c.sandbox,
                "Run the function in Lambda's filesystem: /var/task read-only, the layers at /opt, a private /tmp, the "
                "rest read-only (the default where the host allows user namespaces; with --sandbox, lemu fails where it cannot)");
  cmd->add_flag("--no-sandbox", c.no_sandbox, "Run the function in the host's filesystem, in its own folder");
  cmd->add_option("--ephemeral-storage", fn.ephemeral_storage_mb,
                  "The size of the sandbox's /tmp in MB (Lambda: 512 to 10240)")
      ->capture_default_str()
      ->check(between(1, 10240, "MB"));
  cmd->add_option("--layer", c.layers,
                  "A layer's folder (its unzipped content), merged at /opt; repeatable, in order (later ones win), at most 5")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--architecture", fn.architecture,
                  "The bootstrap's instruction set (default: read from its ELF header); arm64 runs through qemu-aarch64-static "
                  "on other machines")
      ->check(one_of({"x86_64", "arm64"}));
  cmd->add_flag("--cpu-like-lambda", fn.cpu_like_lambda,
                "Give the function the CPU share Lambda gives its --memory: memory / 1769 MB of one core (needs a cgroup "
                "with the cpu controller)");
  cmd->add_option("--log-format", c.log_format,
                  "Lambda's log format: json prints the platform lines as JSON objects and sets AWS_LAMBDA_LOG_FORMAT=JSON")
      ->check(one_of({"text", "json"}));
  cmd->add_option("--log-level", c.log_level,
                  "Application log level (needs --log-format json; default INFO; AWS_LAMBDA_LOG_LEVEL): the "
                  "function's JSON lines with a lower \"level\" are dropped")
      ->check(one_of({"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}));
  cmd->add_option("--system-log-level", c.system_log_level,
                  "System log level (needs --log-format json; default INFO): platform lines below it are not printed")
      ->check(one_of({"DEBUG", "INFO", "WARN"}));
  cmd->add_option("--per-environment-concurrency", fn.per_environment_concurrency,
                  "Lambda Managed Instances: invocations one execution environment runs at once "
                  "(AWS_LAMBDA_MAX_CONCURRENCY; implies --log-format json)")
      ->check(between(1, 1024));
  cmd->add_option("--stream-max-bytes", fn.streaming.max_bytes,
                  "Largest streamed response in bytes (Lambda: 200 MiB); beyond, Function.ResponseSizeTooLarge")
      ->capture_default_str()
      ->check(between(1, 1099511627776.0, "bytes"));
  cmd->add_option("--stream-rate", fn.streaming.rate_bytes_per_second,
                  "Bytes per second a streamed response may go at after its first 6 MiB (Lambda: about 2 MiB/s); 0: no cap")
      ->capture_default_str();
  cmd->add_option("--template", c.template_file,
                  "Take the function(s) from a SAM or CloudFormation template (no FILE: .aws-sam/build/template.yaml, "
                  "then template.yaml or template.yml here); options given on the command line win over its values")
      ->expected(0, 1)
      ->default_str("");
  cmd->add_option("--parameter-overrides", c.parameter_overrides,
                  "The template's parameters: Key=Value ... (or ParameterKey=K,ParameterValue=V, as SAM takes them)");
  cmd->add_option("--env-vars", c.sam_env_vars,
                  "SAM's environment file: {\"Parameters\": {...}, \"<LogicalId>\": {...}}; only variables the template "
                  "declares are set");
  cmd->add_option("--cargo-lambda", c.cargo_lambda,
                  "The bootstrap cargo lambda built for this binary: target/lambda/NAME/bootstrap of the cargo workspace "
                  "around the current folder");
  cmd->add_flag("--watch", c.watch,
                "Reload when the code changes: the function's folder, its layers and the template are watched; in-flight "
                "invocations finish on the old code (run and replay: run again)");
  cmd->add_option("--watch-debounce", c.watch_debounce_ms, "Milliseconds writes must have settled before a reload")
      ->capture_default_str()
      ->check(between(10, 60000, "ms"));
  cmd->add_option("--build", c.build,
                  "With --watch: run this build command (sh -c) when a source file changes; a failed build keeps the old "
                  "code running");
}

// --parameter-overrides: "Key=Value" words, or SAM's "ParameterKey=K,ParameterValue=V".
std::vector<std::pair<std::string, std::string>> parameter_overrides(const std::vector<std::string>& words) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& w : words) {
    if (w.rfind("ParameterKey=", 0) == 0) {
      const auto comma = w.find(",ParameterValue=");
      if (comma == std::string::npos) {
        throw core::usage_error("--parameter-overrides: expected ParameterKey=K,ParameterValue=V, got '" + w + "'");
      }
      out.emplace_back(w.substr(13, comma - 13), w.substr(comma + 16));
      continue;
    }
    out.push_back(split_assignment(w, "--parameter-overrides", "Key=Value"));
  }
  return out;
}

// --log-format, --log-level, --system-log-level into the function's configuration (values already checked).
void finish_log_options(const function_command_line& c, core::function_config& fn) {
  fn.log_format = core::parse_log_format(c.log_format).value_or(core::log_format::text);
  if (fn.per_environment_concurrency > 0) {
    // Lambda Managed Instances have only the JSON log format (PROTOCOL.md §9.1).
    if (fn.log_format == core::log_format::text && c.command->count("--log-format") != 0) {
      throw core::usage_error("--per-environment-concurrency: Lambda Managed Instances log only in JSON: drop "
                              "--log-format text");
    }
    fn.log_format = core::log_format::json;
  }
  if (fn.log_format == core::log_format::text) {
    for (const char* option : {"--log-level", "--system-log-level"}) {
      if (c.command->count(option) != 0) {
        throw core::usage_error(std::string(option) +
                                " needs --log-format json: Lambda filters log levels only in its JSON log format");
      }
    }
  }
  if (!c.log_level.empty()) fn.application_log_level = core::parse_log_level(c.log_level);
  if (!c.system_log_level.empty()) fn.system_log_level = core::parse_log_level(c.system_log_level);
}

// The command line's function settings, before a bootstrap: limits checked, timeouts, logging.
core::function_config base_function(const function_command_line& c) {
  core::function_config fn = c.function;
  check_lambda_limits({c.timeout_seconds, fn.memory_mb, c.strict, fn.ephemeral_storage_mb});
  if (c.sandbox && c.no_sandbox) throw core::usage_error("--sandbox and --no-sandbox: use one");
  fn.sandbox = c.sandbox      ? core::function_config::sandbox_mode::on
               : c.no_sandbox ? core::function_config::sandbox_mode::off
                              : core::function_config::sandbox_mode::automatic;
  for (const auto& l : c.layers) fn.layers.push_back(std::filesystem::absolute(l).lexically_normal());
  const auto seconds = [](double s) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(s));
  };
  fn.timeout = seconds(c.timeout_seconds);
  fn.init_timeout = seconds(c.init_timeout_seconds);
  finish_log_options(c, fn);
  return fn;
}

// --env-file's variables, then --env's.
std::vector<std::pair<std::string, std::string>> command_line_env(const function_command_line& c) {
  std::vector<std::pair<std::string, std::string>> env;
  if (!c.env_file.empty()) {
    try {
      env = process::read_env_file(c.env_file);
    } catch (const process::env_file_error& e) {
      throw core::usage_error(e.what());
    }
  }
  for (const auto& text : c.env_vars) env.push_back(split_assignment(text, "--env"));
  return env;
}

// The function's configuration complete: bootstrap path, name, timeouts, environment. `name` overrides
// --function-name (lemu serve --function NAME=PATH).
core::function_config finish_function(const function_command_line& c, const std::string& bootstrap,
                                      const std::string& name = {}) {
  core::function_config fn = base_function(c);
  // A folder holding a bootstrap (cargo lambda's target/lambda/NAME) stands for it.
  std::filesystem::path path = std::filesystem::absolute(process::bootstrap_argument(bootstrap)).lexically_normal();
  fn.bootstrap = path;
  if (!name.empty()) {
    fn.function_name = name;
  } else if (c.command->count("--function-name") == 0) {
    fn.function_name = default_function_name(path);
  }
  fn.env = command_line_env(c);
  for (const auto& [var, value] : fn.env) process::check_user_variable(var);
  process::check_extensions(fn, c.extensions);
  for (const auto& w : app::prepare_function(fn)) std::fprintf(stderr, "lemu: warning: %s\n", w.c_str());
  return fn;
}

// The bootstrap a command runs: --cargo-lambda NAME's, else the one named.
std::string bootstrap_of(const function_command_line& c, const std::string& what = "pass its path") {
  if (!c.cargo_lambda.empty()) {
    if (!c.bootstrap.empty()) throw core::usage_error("--cargo-lambda " + c.cargo_lambda + " names the bootstrap: drop " + c.bootstrap);
    return app::find_cargo_lambda(c.cargo_lambda, std::filesystem::current_path()).string();
  }
  if (c.bootstrap.empty()) {
    throw core::usage_error("which function? " + what + ", --cargo-lambda NAME, or --template [FILE] for a SAM project");
  }
  return c.bootstrap;
}

// A template's functions (`only`: these logical ids; none: all), with the command line's settings.
app::template_request template_request_of(const function_command_line& c, std::vector<std::string> only, bool serve) {
  if (!c.cargo_lambda.empty()) throw core::usage_error("--cargo-lambda and --template: use one (the template names the code)");
  if (c.command->count("--function-name") != 0) {
    throw core::usage_error("--function-name and --template: the template names its functions (FunctionName)");
  }
  app::template_request r;
  r.file = c.template_file;
  r.search_dir = std::filesystem::current_path();
  r.load.parameter_overrides = parameter_overrides(c.parameter_overrides);
  r.load.region = c.function.region;
  r.env_vars = c.sam_env_vars;
  r.base = base_function(c);
  for (const char* option : overriding_options) {
    if (c.command->count(option) != 0) r.given.insert(option);
  }
  r.extra_env = command_line_env(c);
  r.extensions = c.extensions;
  r.only = std::move(only);
  r.serve = serve;
  return r;
}

app::template_functions load_template_functions(const app::template_request& r) {
  app::template_functions t = app::load_template(r);
  for (const auto& w : t.warnings) std::fprintf(stderr, "lemu: warning: %s: %s\n", t.file.filename().c_str(), w.c_str());
  return t;
}

// --watch, --watch-debounce, --build: where builds run (the template's folder, the cargo workspace, or here).
app::watch_settings watch_settings_of(const function_command_line& c, const std::filesystem::path& template_file) {
  if (!c.build.empty() && !c.watch) throw core::usage_error("--build runs on changes: use it with --watch");
  if (c.command->count("--watch-debounce") != 0 && !c.watch) throw core::usage_error("--watch-debounce needs --watch");
  if (!c.sam_env_vars.empty() && !c.uses_template()) {
    throw core::usage_error("--env-vars is SAM's file for a template's functions: use it with --template (--env-file "
                            "takes NAME=VALUE lines for any bootstrap)");
  }
  if (!c.parameter_overrides.empty() && !c.uses_template()) throw core::usage_error("--parameter-overrides needs --template");
  app::watch_settings w;
  w.enabled = c.watch;
  w.debounce = std::chrono::milliseconds(c.watch_debounce_ms);
  w.build_command = c.build;
  if (!template_file.empty()) {
    w.project_root = template_file.parent_path();
    if (w.project_root.filename() == "build" && w.project_root.parent_path().filename() == ".aws-sam") {
      w.project_root = w.project_root.parent_path().parent_path(); // a SAM build's template: the project is above
    }
  } else if (!c.cargo_lambda.empty()) {
    w.project_root = app::cargo_workspace(std::filesystem::current_path());
  }
  if (w.project_root.empty()) w.project_root = std::filesystem::current_path();
  return w;
}

// What `run` and `replay` share: every option of a run, as parsed, before it becomes run_options.
struct run_command_line : function_command_line {
  app::run_options run;
  std::string shard;       // --shard K/N
  std::string function_id; // replay --function ID: the template's function (run takes it as its argument)
  std::filesystem::path loaded_template; // the template the last finish_run_options() read
  // lemu run --sqs-simulate FILE (app/sqs_simulate.hpp)
  std::string sqs_simulate;
  std::vector<std::string> sqs_queues;
  std::string sqs_trigger;
  std::int64_t sqs_horizon = 900;
  std::vector<std::string> template_sqs_queues, template_sqs_triggers; // the template's, for --sqs-simulate
};

void add_run_options(CLI::App* cmd, run_command_line& c) {
  app::run_options& run = c.run;
  add_function_options(cmd, c);
  cmd->add_option("--repeat,-n", run.repeat, "Run the whole event list N times")->check(at_least(1));
  cmd->add_option("--runtime-api-port", run.runtime_api_port,
                  "Serve the Runtime API on this port of 127.0.0.1 (default: an ephemeral one)")
      ->check(between(1, 65535))
      ->default_str("");
  cmd->add_option("--json", run.json_report, "Write one JSON record per invocation (JSON Lines) to FILE");
  cmd->add_option("--junit", run.junit_file, "Write a JUnit XML report (one test case per event) to FILE");
  cmd->add_option("--html", run.html_file, "Write a self-contained HTML report (summary, histograms, timeline) to FILE");
  cmd->add_option("--record", run.record_file, "Write a capture (JSON Lines: event, outcome, meta) to FILE");
  cmd->add_option("--concurrency,-c", run.concurrency, "Execution environments at most at once")
      ->check(between(1, 1024));
  cmd->add_flag("--cold", run.cold, "A fresh execution environment for every event (each invocation a cold start)");
  cmd->add_flag("--quiet,-q", run.quiet, "No progress line on a terminal");
  cmd->add_option("--tenant-id", run.tenant_id,
                  "Invoke every event for this tenant (tenant isolation: Lambda-Runtime-Aws-Tenant-Id, environments "
                  "never shared between tenants); replay: the capture lines without a meta.tenant_id of their own");
  cmd->add_option("--shard", c.shard, "Run only shard K of N (K/N, 1-based): a stable share of the events, by event "
                                      "(see README); merge the shards' --json records with lemu report merge");
}

// A tenant id as Lambda's Invoke API takes it (core/tenant.hpp), else a usage error naming the option.
void check_tenant_id(const std::string& option, const std::string& id) {
  if (core::tenant_id_problem(id).empty()) return;
  throw core::usage_error(option + " '" + id + "': a tenant id is 1 to " + std::to_string(core::max_tenant_id) +
                          " characters: letters, digits, spaces and . _ : / = + - @");
}

// The one function of a run: the template's (named, or its only one), else the bootstrap's.
core::function_config run_function(run_command_line& c) {
  if (!c.uses_template()) {
    if (!c.function_id.empty()) throw core::usage_error("--function " + c.function_id + " names a template's function: add --template");
    return finish_function(c, bootstrap_of(c, c.run.replay ? "--bootstrap PATH" : "pass its path"));
  }
  const std::string id = c.run.replay ? c.function_id : c.bootstrap;
  app::template_request request =
      template_request_of(c, id.empty() ? std::vector<std::string>{} : std::vector<std::string>{id}, false);
  if (c.run.replay) request.name_one = "lemu replay --template FILE --function ID ...";
  app::template_functions t = load_template_functions(request);
  c.loaded_template = t.file;
  c.template_sqs_queues = t.sqs_queues;
  c.template_sqs_triggers = t.sqs_triggers;
  if (t.functions.size() != 1) {
    std::string names;
    for (const auto& f : t.functions) names += (names.empty() ? "" : ", ") + f.function_name;
    throw core::usage_error(t.file.string() + " has " + std::to_string(t.functions.size()) + " functions (" + names +
                            "): name one: lemu " + (c.run.replay ? "replay --template FILE --function ID ..." : "run --template FILE ID ..."));
  }
  return std::move(t.functions.front());
}

app::run_options finish_run_options(run_command_line& c) {
  app::run_options run = c.run;
  run.function = run_function(c);
  run.env_file = c.env_file;
  if (run.stream && run.concurrency != 1) {
    throw core::usage_error("--stream writes each response to stdout as it arrives, so responses cannot overlap: use it "
                            "with --concurrency 1");
  }
  if (run.stream && !run.record_file.empty()) {
    throw core::usage_error("--stream sends the body to stdout, not into the capture: use --record without --stream");
  }
  if (c.command->count("--tenant-id") != 0) {
    check_tenant_id("--tenant-id", run.tenant_id);
    run.function.tenant_isolation = true;
  }
  if (!c.shard.empty()) {
    run.shard = app::shard_spec::parse(c.shard);
    if (!run.shard) throw core::usage_error("--shard: expected K/N with 1 <= K <= N, got '" + c.shard + "'");
  }
  return run;
}

// lemu run --sqs-simulate: the messages through a local queue and the event source mapping, on a virtual clock.
int simulate_command(run_command_line& c) {
  if (!c.run.events.empty()) throw core::usage_error("--sqs-simulate sends its messages to the queue: leave out --event");
  for (const char* o : {"--repeat", "--junit", "--html", "--cold", "--stream", "--shard", "--tenant-id", "--watch"}) {
    if (c.command->count(o) != 0) throw core::usage_error(std::string(o) + " does not go with --sqs-simulate");
  }
  app::sqs_simulate_options o;
  o.function = run_function(c);
  o.env_file = c.env_file;
  o.messages_file = c.sqs_simulate;
  // The template's queues and its SQS event (the function's first), then what the command line adds.
  o.queues = c.template_sqs_queues;
  o.queues.insert(o.queues.end(), c.sqs_queues.begin(), c.sqs_queues.end());
  o.trigger = !c.sqs_trigger.empty() || c.template_sqs_triggers.empty() ? c.sqs_trigger : c.template_sqs_triggers.front();
  o.concurrency = c.run.concurrency;
  o.json_report = c.run.json_report;
  o.record_file = c.run.record_file;
  o.horizon_s = c.sqs_horizon;
  return app::simulate_sqs(o);
}

// lemu run / replay, once, or again after each rebuild (--watch).
int run_command(run_command_line& c) {
  if (!c.sqs_simulate.empty()) return simulate_command(c);
  if (!c.sqs_queues.empty() || !c.sqs_trigger.empty()) {
    throw core::usage_error("--sqs-queue and --sqs-trigger go with --sqs-simulate FILE (lemu run) or lemu serve");
  }
  app::run_options first = finish_run_options(c);
  const app::watch_settings watch = watch_settings_of(c, c.loaded_template);
  if (!watch.enabled) return app::run(first);
  return app::run_watching(std::move(first), [&c] { return finish_run_options(c); }, watch, c.loaded_template);
}

// --host: an address; `localhost` is this machine's loopback address (lemu listens on one address, not on
// every address a name resolves to).
std::string listen_address(const std::string& host) {
  if (host == "localhost") return "127.0.0.1";
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(host, ec);
  if (ec) {
    throw core::usage_error("--host " + host + ": not an IP address; use an address: 127.0.0.1 (this machine only), ::1, "
                            "or 0.0.0.0 (every interface)");
  }
  return host;
}

// `lemu serve`, as parsed.
struct serve_command_line : function_command_line {
  app::serve_options serve;
  std::vector<std::string> functions; // --function NAME=PATH
  bool tenant_isolation = false;              // --tenant-isolation: every function
  std::vector<std::string> tenant_isolated;   // --tenant-isolated NAME: these functions only
  std::string api = "http";
  std::vector<std::string> routes;
  std::string stage;
  std::string invoke_mode = "BUFFERED"; // --invoke-mode
  double idle_timeout = 60, header_timeout = 10, body_timeout = 60;
};

void add_serve_options(CLI::App* cmd, serve_command_line& c) {
  app::serve_options& s = c.serve;
  add_function_options(cmd, c);
  cmd->add_option("bootstrap", c.bootstrap, "The function's bootstrap executable, or a folder holding one (its folder is the task root)");
  cmd->add_option("--function", c.functions,
                  "Serve another function: NAME=PATH (name and bootstrap); repeatable. The first function is the default");
  cmd->add_option("--port,-p", s.port, "Invoke API port (0: any free port)")->capture_default_str()->check(between(0, 65535));
  cmd->add_option("--api-port", s.api_port, "HTTP front door port (0: any free port)")->capture_default_str()->check(between(0, 65535));
  cmd->add_option("--host", s.host, "Address both listeners bind to (127.0.0.1: this machine only)")->capture_default_str();
  cmd->add_option("--api", c.api, "Front door event kind: http (HTTP API, payload 2.0), rest (REST API, payload 1.0), url "
                                  "(function URL), or none")
      ->capture_default_str()
      ->check(CLI::IsMember({"http", "rest", "url", "none"}));
  cmd->add_option("--route", c.routes,
                  "A front door route, 'GET /items/{id}' (ANY for every method, {name+} for the rest of the path), "
                  "'...=NAME' for another function; repeatable. None: every request goes to the default function");
  cmd->add_option("--stage", c.stage, "The API's stage in events (rest: prod, http: $default)");
  cmd->add_option("--invoke-mode", c.invoke_mode,
                  "How the front door answers (a function URL's InvokeMode): RESPONSE_STREAM sends what the function "
                  "streams as it comes (--api url or rest), BUFFERED its whole response")
      ->capture_default_str()
      ->check(CLI::IsMember({"BUFFERED", "RESPONSE_STREAM"}));
  cmd->add_option("--concurrency,-c", s.concurrency, "Execution environments per function, at most")->capture_default_str()
      ->check(between(1, 1024));
  cmd->add_option("--max-queue", s.max_queue,
                  "Invocations waiting for a busy function, at most; beyond, 429 TooManyRequestsException")
      ->capture_default_str()
      ->check(between(0, 1000000));
  cmd->add_flag("--tenant-isolation", c.tenant_isolation,
                "Tenant isolation for every function: each invocation must carry a tenant id (X-Amz-Tenant-Id), and "
                "an execution environment serves one tenant only");
  cmd->add_option("--tenant-isolated", c.tenant_isolated,
                  "Tenant isolation for this function only (its name); repeatable");
  cmd->add_option("--record", s.record_file, "Append a capture line (event, outcome, meta) per invocation to FILE");
  cmd->add_flag("--record-secrets", s.record_secrets,
                "Keep Authorization, Cookie and X-Amz-Security-Token values in --record (default: <redacted>)");
  cmd->add_option("--json", s.json_report, "Write one JSON record per invocation (JSON Lines) to FILE");
  cmd->add_option("--sqs-port", s.sqs_port, "Serve a local SQS endpoint (Query and JSON protocols) on this port (0: any "
                                            "free port); its queue URLs are http://HOST:PORT/000000000000/NAME")
      ->check(between(0, 65535));
  cmd->add_option("--sqs-queue", s.sqs_queues,
                  "A queue of the SQS endpoint, created at start: NAME[:Attribute=value,...] (VisibilityTimeout=5, "
                  "RedrivePolicy={...}, or deadLetterQueue=NAME,maxReceiveCount=N); repeatable");
  cmd->add_option("--sqs-state", s.sqs_state,
                  "Folder where the SQS endpoint keeps its queues across restarts, or none (memory only); default "
                  "$XDG_STATE_HOME/lemu/sqs or ~/.local/state/lemu/sqs");
  cmd->add_option("--sqs-trigger", s.sqs_triggers,
                  "Lambda's event source mapping: QUEUE[=FUNCTION][:batch=10,window=0,report-failures,max-concurrency=N] "
                  "from a local queue (--sqs-port), or from a queue URL; repeatable");
  cmd->add_option("--sqs-endpoint", s.sqs_endpoint,
                  "The SQS-compatible endpoint (ElasticMQ, LocalStack, AWS) that --sqs-trigger's queue URLs are polled at "
                  "(default: the queue URL's own); credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or ~/.aws");
  cmd->add_option("--sqs-fsync", s.sqs_fsync,
                  "always: every change is on disk before SQS answers; interval: written at once (survives a crash of "
                  "lemu), synced to disk once a second")
      ->capture_default_str()
      ->check(CLI::IsMember({"always", "interval"}));
  cmd->add_option("--max-connections", s.max_connections, "Connections open at once per listener; beyond, new ones wait")
      ->capture_default_str()
      ->check(between(1, 65536));
  cmd->add_option("--idle-timeout", c.idle_timeout, "Seconds a connection may stay open with no request")
      ->capture_default_str()
      ->check(between(0.05, 86400, "seconds"));
  cmd->add_option("--header-timeout", c.header_timeout, "Seconds a request's header may take to arrive, once it began")
      ->capture_default_str()
      ->check(between(0.05, 86400, "seconds"));
  cmd->add_option("--body-timeout", c.body_timeout, "Seconds a request's body may take to arrive")
      ->capture_default_str()
      ->check(between(0.05, 86400, "seconds"));
}

app::serve_options finish_serve_options(serve_command_line& c) {
  app::serve_options s = c.serve;
  s.env_file = c.env_file;
  s.host = listen_address(s.host);
  const auto duration = [](double seconds) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
  };
  s.timeouts = net::timeout_limits{duration(c.idle_timeout), duration(c.header_timeout), duration(c.body_timeout)};
  std::optional<app::template_request> from_template;
  if (c.uses_template()) {
    if (!c.functions.empty()) throw core::usage_error("--function and --template: the template names the functions");
    from_template = template_request_of(c, c.bootstrap.empty() ? std::vector<std::string>{} : std::vector<std::string>{c.bootstrap}, true);
    app::template_functions t = load_template_functions(*from_template);
    s.functions = std::move(t.functions);
    s.template_file = t.file;
    if (!t.sqs_triggers.empty() && !s.sqs_port) {
      std::string events;
      for (const auto& e : t.sqs_trigger_events) events += (events.empty() ? "" : ", ") + e;
      std::fprintf(stderr, "lemu: warning: %s: the SQS events (%s) need the local SQS endpoint: add --sqs-port PORT\n",
                   t.file.filename().c_str(), events.c_str());
    } else if (s.sqs_port) {
      // The template's queues and SQS events first: --sqs-queue and --sqs-trigger given on the command line add to them.
      s.sqs_queues.insert(s.sqs_queues.begin(), t.sqs_queues.begin(), t.sqs_queues.end());
      s.sqs_triggers.insert(s.sqs_triggers.begin(), t.sqs_triggers.begin(), t.sqs_triggers.end());
    }
    if (c.command->count("--api") == 0 && c.routes.empty()) {
      s.apis = std::move(t.apis); // the template's events; none: no front door
      c.api = "template";
    } else if (c.api != "none" || !c.routes.empty()) {
      throw core::usage_error("--api and --route with --template: the template's Api, HttpApi and FunctionUrlConfig are "
                              "the routes (--api none serves the Invoke API only)");
    }
  } else {
    if (!c.bootstrap.empty() || !c.cargo_lambda.empty()) s.functions.push_back(finish_function(c, bootstrap_of(c)));
    for (const auto& text : c.functions) {
      const auto [name, path] = split_assignment(text, "--function", "NAME=PATH");
      s.functions.push_back(finish_function(c, path, name));
    }
  }
  if (s.functions.empty()) {
    throw core::usage_error("no function given: pass a bootstrap, --function NAME=PATH, --cargo-lambda NAME, or --template [FILE]");
  }
  s.watch = watch_settings_of(c, s.template_file);
  if (from_template && c.watch) {
    s.reread = [r = *from_template] {
      app::template_functions t = load_template_functions(r);
      return app::serve_definition{std::move(t.functions), std::move(t.apis)};
    };
  }
  for (const auto& name : c.tenant_isolated) {
    const auto fn = std::find_if(s.functions.begin(), s.functions.end(), [&](const auto& f) { return f.function_name == name; });
    if (fn == s.functions.end()) throw core::usage_error("--tenant-isolated " + name + ": no function is named " + name);
    fn->tenant_isolation = true;
  }
  if (c.tenant_isolation) {
    for (auto& fn : s.functions) fn.tenant_isolation = true;
  }
  if (c.invoke_mode == "RESPONSE_STREAM" && c.api != "template") {
    // Function URLs (InvokeMode) and REST APIs (responseTransferMode STREAM) stream; HTTP APIs do not.
    if (c.api != "url" && c.api != "rest") {
      throw core::usage_error("--invoke-mode RESPONSE_STREAM needs --api url or --api rest: " +
                              (c.api == "none" ? std::string("there is no front door to stream through")
                                               : "API Gateway HTTP APIs do not stream responses") +
                              " (InvokeWithResponseStream on the Invoke API streams with any --api)");
    }
    for (auto& fn : s.functions) fn.invoke_mode = core::invoke_mode::response_stream;
  }
  if (c.api != "none" && c.api != "template") {
    gateway::front_door_options fd;
    fd.kind = *gateway::parse_api_kind(c.api);
    fd.region = s.functions.front().region;
    fd.account_id = s.functions.front().account_id;
    fd.stage = c.stage;
    for (const auto& text : c.routes) {
      try {
        fd.routes.push_back(gateway::parse_route(text));
      } catch (const std::invalid_argument& e) {
        throw core::usage_error(std::string("--route: ") + e.what());
      }
    }
    s.apis.push_back(std::move(fd));
  } else if (!c.routes.empty() && c.api != "template") {
    throw core::usage_error("--route needs a front door (--api http, rest or url)");
  }
  return s;
}

} // namespace

void configure_logging() {
  // lemu's own diagnostics are talk: stderr (spdlog's default logger writes to stdout, which is data).
  spdlog::set_default_logger(spdlog::stderr_logger_st("lemu"));
  spdlog::set_pattern("lemu: %l: %v");
  spdlog::set_level(spdlog::level::warn);
  spdlog::cfg::load_env_levels(); // SPDLOG_LEVEL=debug for lemu's own diagnostics
}

int main(int argc, char** argv) {
  configure_logging();
  // `lemu rie ...` takes RIE's own command line (rie_command.hpp), not CLI11's.
  if (argc > 1 && std::strcmp(argv[1], "rie") == 0) return rie_main(std::vector<std::string>(argv + 2, argv + argc));
  // `-- ARGS...`: the bootstrap's arguments (run, replay, serve), split off before CLI11 reads the rest.
  std::vector<char*> args(argv, argv + argc);
  std::vector<std::string> bootstrap_args;
  if (const auto dash = std::find_if(args.begin() + 1, args.end(), [](const char* a) { return std::strcmp(a, "--") == 0; });
      dash != args.end()) {
    bootstrap_args.assign(dash + 1, args.end());
    args.erase(dash, args.end());
  }

  CLI::App cli{"lemu: run AWS Lambda functions locally, exactly as Lambda does", "lemu"};
  cli.set_version_flag("--version", version);
  cli.require_subcommand(1);
  cli.option_defaults()->always_capture_default(); // --help shows every default, in every subcommand

  run_command_line run;
  auto* run_cmd = cli.add_subcommand("run", "Run a bootstrap on events, kept warm, and report init and invoke timing");
  run_cmd->add_option("bootstrap", run.bootstrap,
                      "The function's bootstrap executable, or a folder holding one (its folder is the task root); with "
                      "--template: the function's logical id (or FunctionName)");
  run_cmd->add_option("--event,-e", run.run.events,
                      "Event input: a .json file (one event), a .jsonl file (one per line), a directory, - for stdin, "
                      "or a bundled event by name (sqs, sqs/batch, apigw-http/get, ...); repeatable")
      ->take_all();
  add_run_options(run_cmd, run);
  run_cmd->add_flag("--stream", run.run.stream,
                    "Write a streamed response to stdout as it arrives, raw (needs --concurrency 1), instead of the "
                    "whole body as the outcome line");
  run_cmd->add_option("--sqs-simulate", run.sqs_simulate,
                      "Send the messages of FILE (JSON array, JSON Lines or an SQS event) to a local queue and deliver them "
                      "through Lambda's event source mapping on a virtual clock; stdout: each message's history");
  run_cmd->add_option("--sqs-queue", run.sqs_queues,
                      "With --sqs-simulate: a queue NAME[:Attribute=Value,...] (VisibilityTimeout=30, "
                      "maxReceiveCount=N,deadLetterQueue=DLQ, FifoQueue=true, ...); repeatable");
  run_cmd->add_option("--sqs-trigger", run.sqs_trigger,
                      "With --sqs-simulate: the mapping QUEUE[:batch=10,window=0,report-failures,max-concurrency=N] "
                      "(default: the first queue)");
  run_cmd->add_option("--sqs-horizon", run.sqs_horizon,
                      "With --sqs-simulate: virtual seconds after which the simulation ends")
      ->check(at_least(1));

  serve_command_line serve;
  auto* serve_cmd = cli.add_subcommand(
      "serve", "Serve functions on the Lambda Invoke API (aws lambda invoke, SDKs) and an HTTP front door "
               "(API Gateway / function URL events)");
  add_serve_options(serve_cmd, serve);

  run_command_line replay;
  replay.run.replay = true;
  auto* replay_cmd = cli.add_subcommand(
      "replay", "Replay captures and compare every outcome with the recorded one (exit 1 on any difference)");
  replay_cmd->add_option("captures", replay.run.events, "Capture files (JSON Lines written by --record)")->required();
  replay_cmd->add_option("--bootstrap", replay.bootstrap, "The function's bootstrap executable, or a folder holding one");
  replay_cmd->add_option("--function", replay.function_id, "With --template: the function (logical id or FunctionName) to replay");
  replay_cmd->add_option("--ignore", replay.run.ignore,
                         "Skip a volatile field: a JSON Pointer (/response/body/id) or a path ($.response.headers.Date, "
                         "$.response.items[*].id); repeatable");
  replay_cmd->add_flag("--update", replay.run.update, "Rewrite the captures with the new outcomes");
  add_run_options(replay_cmd, replay);

  auto event_cmd = add_event_command(cli);
  auto report_cmd = add_report_command(cli);
  cli.add_subcommand("rie", "Run as aws-lambda-rie, the Runtime Interface Emulator of Lambda container images "
                           "(lemu rie --help)");

  // An empty list has no default worth showing ("=[]").
  const std::function<void(CLI::App*)> hide_empty_lists = [&](CLI::App* app) {
    for (CLI::Option* opt : app->get_options([](CLI::Option*) { return true; })) {
      if (opt->get_default_str() == "[]") opt->default_str("");
    }
    for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) hide_empty_lists(sub);
  };
  hide_empty_lists(&cli);

  try {
    cli.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "lemu: error: %s\n", parse_error_line(cli, e).c_str());
    return core::exit_usage;
  }

  try {
    run.function.args = replay.function.args = serve.function.args = bootstrap_args;
    if (!bootstrap_args.empty() && (event_cmd->command->parsed() || report_cmd->command->parsed())) {
      throw core::usage_error("-- ARGS are the bootstrap's: only lemu run, replay and serve take them");
    }
    if (event_cmd->command->parsed()) return run_event_command(*event_cmd);
    if (report_cmd->command->parsed()) return run_report_command(*report_cmd);
    if (run_cmd->parsed()) {
      const auto events_dir = events::bundled_events_dir(argv[0], LEMU_SOURCE_EVENTS_DIR);
      for (auto& spec : run.run.events) {
        const std::string resolved = events::resolve_event_spec(spec, events_dir);
        run.run.event_names.push_back(resolved == spec ? std::string() : spec); // shown as the user named it
        spec = resolved;
      }
      return run_command(run);
    }
    if (replay_cmd->parsed()) return run_command(replay);
    if (serve_cmd->parsed()) return app::serve(finish_serve_options(serve));
  } catch (const std::exception& e) {
    // Bad usage or input (core::usage_error, events::input_error, process::reserved_variable_error) and
    // anything that stops a run from starting (a port in use, a runtime that cannot be spawned): exit 2.
    std::fflush(stdout);
    std::fprintf(stderr, "lemu: error: %s\n", e.what());
    return core::exit_usage;
  }
  return core::exit_usage;
}

} // namespace lemu::cli
