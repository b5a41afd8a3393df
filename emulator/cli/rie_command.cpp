#include "rie_command.hpp"

#include <lemu/process/bootstrap.hpp>
#include <lemu/app/run_command.hpp>
#include <lemu/app/serve_command.hpp>
#include <lemu/process/environment.hpp>

#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>

#include <unistd.h>

extern char** environ;

namespace lemu::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* usage =
    "usage: aws-lambda-rie [--runtime-interface-emulator-address HOST:PORT] [--runtime-api-address HOST:PORT]\n"
    "                      [--log-level LEVEL] [--enable-init-caching] [BOOTSTRAP [ARGS...]]\n"
    "  (also: lemu rie ...) Serves POST /2015-03-31/functions/function/invocations for the function BOOTSTRAP\n"
    "  (default /var/runtime/bootstrap, else /opt/bootstrap) run with ARGS.\n"
    "  --runtime-interface-emulator-address  where invocations are served (default 0.0.0.0:8080)\n"
    "  --runtime-api-address                 the function's Runtime API (default 127.0.0.1:9001)\n"
    "  --log-level                           lemu's own diagnostics: debug, info, warn, error (default warn)\n"
    "  --enable-init-caching                 accepted and ignored\n"
    "  Environment: AWS_LAMBDA_FUNCTION_TIMEOUT (300), AWS_LAMBDA_FUNCTION_MEMORY_SIZE (3008),\n"
    "  AWS_LAMBDA_FUNCTION_NAME (test_function), AWS_LAMBDA_FUNCTION_VERSION ($LATEST), _HANDLER, AWS_REGION\n"
    "  (us-east-1), LAMBDA_TASK_ROOT (/var/task), AWS_LAMBDA_MAX_CONCURRENCY (set: Lambda Managed Instances, N\n"
    "  invocations at once, JSON logs); every other variable is passed to the function.\n";

struct rie_options {
  std::string emulator_address = "0.0.0.0:8080";
  std::string runtime_api_address = "127.0.0.1:9001";
  std::string log_level;
  bool init_caching = false;
  std::vector<std::string> command; // BOOTSTRAP ARGS...
};

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

template <typename T> T number(const std::string& text, const std::string& what) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) {
    throw core::usage_error(what + ": expected a positive whole number, got '" + text + "'");
  }
  return value;
}

// HOST:PORT (an IPv6 host in brackets).
std::pair<std::string, std::uint16_t> host_port(const std::string& text, const std::string& flag) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    throw core::usage_error(flag + ": expected HOST:PORT, got '" + text + "'");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  const std::string digits = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port > 65535) {
    throw core::usage_error(flag + ": expected a port (0 to 65535; 0: any free port), got '" + digits + "'");
  }
  return {host, static_cast<std::uint16_t>(port)};
}

// RIE's flags, `--flag VALUE` or `--flag=VALUE` (one dash works too, as with Go's flag parsers), up to
// the first argument that is not a flag; `--` ends them.
rie_options parse(const std::vector<std::string>& args) {
  rie_options o;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;
    a = a.substr(a[1] == '-' ? 2 : 1);
    std::optional<std::string> value;
    if (const auto eq = a.find('='); eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    const auto take = [&]() -> std::string {
      if (value) return *value;
      if (i + 1 >= args.size()) throw core::usage_error("--" + a + " needs a value");
      return args[++i];
    };
    if (a == "runtime-interface-emulator-address") {
      o.emulator_address = take();
    } else if (a == "runtime-api-address") {
      o.runtime_api_address = take();
    } else if (a == "log-level") {
      o.log_level = take();
    } else if (a == "enable-init-caching") {
      o.init_caching = !value || *value == "true" || *value == "1";
    } else if (a == "h" || a == "help") {
      std::fputs(usage, stdout);
      std::exit(0);
    } else {
      throw core::usage_error("unknown flag " + args[i] + " (aws-lambda-rie --help lists them)");
    }
  }
  o.command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return o;
}

void set_log_level(const std::string& level) {
  if (level.empty()) return;
  static const std::map<std::string, spdlog::level::level_enum> levels = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},   {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},   {"warning", spdlog::level::warn}, {"error", spdlog::level::err},
      {"fatal", spdlog::level::critical}, {"panic", spdlog::level::critical}};
  const auto it = levels.find(level);
  if (it == levels.end()) throw core::usage_error("--log-level: unknown level '" + level + "'");
  spdlog::set_level(it->second);
}

// The container's variables for the function: all but those Lambda sets itself (reserved), those lemu
// sets (PATH, LD_LIBRARY_PATH, TZ, LANG and the credentials, taken from its own environment anyway) and
// a shell's bookkeeping.
std::vector<std::pair<std::string, std::string>> container_variables() {
  static const std::set<std::string> skipped = {"PATH", "LD_LIBRARY_PATH", "TZ", "LANG", "HOSTNAME", "HOME", "PWD",
                                                "OLDPWD", "SHLVL", "TERM", "_", "AWS_ACCESS_KEY_ID",
                                                "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"};
  std::vector<std::pair<std::string, std::string>> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    std::string name = kv.substr(0, eq);
    if (skipped.count(name) != 0 || name.rfind("AWS_LAMBDA_", 0) == 0) continue;
    try {
      process::check_user_variable(name);
    } catch (const process::reserved_variable_error&) {
      continue;
    }
    vars.emplace_back(std::move(name), kv.substr(eq + 1));
  }
  return vars;
}

// A BOOTSTRAP without a slash is looked up in PATH, as RIE (and a shell) does; else it is a path.
fs::path resolve_command(const std::string& command) {
  if (command.find('/') == std::string::npos) {
    std::string_view path = std::getenv("PATH") ? std::getenv("PATH") : "/usr/local/bin:/usr/bin:/bin";
    while (!path.empty()) {
      const auto colon = path.find(':');
      const fs::path candidate = fs::path(path.substr(0, colon)) / command;
      if (::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) return candidate;
      path = colon == std::string_view::npos ? std::string_view() : path.substr(colon + 1);
    }
  }
  return fs::absolute(command).lexically_normal();
}

app::serve_options serve_options_for(const rie_options& o) {
  app::serve_options s;
  std::tie(s.host, s.port) = host_port(o.emulator_address, "--runtime-interface-emulator-address");
  const auto [api_host, api_port] = host_port(o.runtime_api_address, "--runtime-api-address");
  if (api_host != "127.0.0.1" && api_host != "localhost") {
    throw core::usage_error("--runtime-api-address: lemu serves the Runtime API on 127.0.0.1 only, not " + api_host);
  }
  s.runtime_api_port = api_port;
  s.invoke_alias = "function";
  s.apis.clear(); // RIE has no HTTP front door
  s.concurrency = 1;    // one execution environment, as in RIE; overlapping invocations queue

  core::function_config fn;
  if (o.command.empty()) {
    const std::vector<std::string> defaults = {"/var/runtime/bootstrap", "/opt/bootstrap"};
    for (const auto& candidate : defaults) {
      if (fs::exists(candidate)) {
        fn.bootstrap = candidate;
        break;
      }
    }
    if (fn.bootstrap.empty()) {
      throw core::usage_error("Runtime.InvalidEntrypoint: Couldn't find valid bootstrap(s): [/var/runtime/bootstrap "
                             "/opt/bootstrap]");
    }
  } else {
    fn.bootstrap = resolve_command(o.command.front());
    fn.args.assign(o.command.begin() + 1, o.command.end());
  }
  fn.function_name = env("AWS_LAMBDA_FUNCTION_NAME").value_or("test_function");
  fn.version = env("AWS_LAMBDA_FUNCTION_VERSION").value_or("$LATEST");
  fn.memory_mb = number<std::uint32_t>(env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").value_or("3008"),
                                       "AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
  fn.timeout = std::chrono::seconds(
      number<std::uint32_t>(env("AWS_LAMBDA_FUNCTION_TIMEOUT").value_or("300"), "AWS_LAMBDA_FUNCTION_TIMEOUT"));
  fn.region = env("AWS_REGION").value_or(env("AWS_DEFAULT_REGION").value_or("us-east-1"));
  if (const auto handler = env("_HANDLER")) fn.handler = *handler;
  // RIE switches to Lambda Managed Instances when the container sets AWS_LAMBDA_MAX_CONCURRENCY (JSON logs).
  if (const auto n = env("AWS_LAMBDA_MAX_CONCURRENCY")) {
    fn.per_environment_concurrency = number<std::uint32_t>(*n, "AWS_LAMBDA_MAX_CONCURRENCY");
    if (fn.per_environment_concurrency > 0) fn.log_format = core::log_format::json;
  }
  const fs::path task_root = env("LAMBDA_TASK_ROOT").value_or("/var/task");
  if (fs::is_directory(task_root)) fn.task_dir = task_root;
  fn.env = container_variables();
  // External extensions: the executables of /opt/extensions, as Lambda (and RIE) start them.
  fn.extensions = process::find_extensions("/opt");
  if (fn.extensions.size() > 10) {
    throw core::usage_error(std::to_string(fn.extensions.size()) + " extensions in /opt/extensions, Lambda allows at most 10");
  }
  s.functions.push_back(std::move(fn));
  return s;
}

} // namespace

bool invoked_as_rie(const char* argv0) {
  return argv0 != nullptr && fs::path(argv0).filename() == "aws-lambda-rie";
}

int rie_main(const std::vector<std::string>& args) {
  try {
    const rie_options o = parse(args);
    set_log_level(o.log_level);
    if (o.init_caching) {
      std::fputs("lemu: note: --enable-init-caching is accepted and ignored (lemu keeps the environment warm)\n", stderr);
    }
    return app::serve(serve_options_for(o));
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "lemu: error: %s\n", e.what());
    return core::exit_usage;
  }
}

} // namespace lemu::cli
