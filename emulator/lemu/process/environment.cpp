#include <lemu/process/environment.hpp>

#include <lemu/util/text.hpp>
#include <lemu/util/time.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string_view>

namespace lemu::process {

namespace {

// Variables Lambda reserves and sets itself (its documentation's list of reserved keys), plus the two lemu
// controls (_LAMBDA_SERVER_PORT is not a valid key anyway). The AWS credentials (AWS_ACCESS_KEY,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) are reserved in Lambda too, but lemu lets the
// user set them: locally they are the user's own.
constexpr std::array reserved = {
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "_LAMBDA_SERVER_PORT",
    "AWS_LAMBDA_MAX_CONCURRENCY",
};

std::optional<std::string> get(const char* name) {
  const char* v = std::getenv(name);
  if (!v) return std::nullopt;
  return std::string(v);
}

} // namespace

void check_user_variable(const std::string& name) {
  for (const char* r : reserved) {
    if (name == r) throw reserved_variable_error(name + " is reserved by Lambda and cannot be set");
  }
  // Lambda's rule for keys: a letter, then letters, digits and underscores, two characters at least.
  const bool well_formed = name.size() >= 2 && std::isalpha(static_cast<unsigned char>(name[0])) &&
                           std::all_of(name.begin(), name.end(), [](char c) {
                             return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                           });
  if (!well_formed) {
    throw reserved_variable_error("invalid environment variable name '" + name +
                                  "': Lambda allows a letter, then letters, digits and _ (two characters at least)");
  }
}

host_environment host_environment::from_current_process() {
  return host_environment{get("PATH"), get("LD_LIBRARY_PATH"), get("AWS_ACCESS_KEY_ID"),
                          get("AWS_SECRET_ACCESS_KEY"), get("AWS_SESSION_TOKEN")};
}

std::string make_log_stream_name(const std::string& version, std::uint64_t random_hi, std::uint64_t random_lo) {
  std::string s = util::utc_time(util::epoch_ms(), "%Y/%m/%d") + "/[" + version + "]";
  util::append_hex(s, random_hi, 16);
  util::append_hex(s, random_lo, 16);
  return s;
}

std::map<std::string, std::string> build_environment(const core::function_config& fn, std::uint16_t runtime_api_port,
                                                     const std::string& log_stream, const host_environment& host) {
  // In the sandbox the function sees Lambda's paths; outside it, the host's (and the layers where they are).
  const std::string task_root = fn.sandboxed ? "/var/task" : fn.task_root().string();
  const std::string runtime_dir = fn.sandboxed ? "/var/runtime" : task_root;
  std::map<std::string, std::string> env;
  // Unreserved defaults a user may override (Lambda's values, with the host's PATH so local tools resolve).
  env["LANG"] = "en_US.UTF-8";
  env["TZ"] = ":UTC";
  const std::string lambda_path = "/usr/local/bin:/usr/bin/:/bin:/opt/bin";
  std::string library_path;
  if (fn.sandboxed) {
    // Lambda's PATH (provided.al2), then what else the host's has; Lambda's LD_LIBRARY_PATH, then the host's.
    std::string path = lambda_path;
    const std::string have = ":" + lambda_path + ":/usr/bin:";
    const std::string host_path = host.path.value_or("");
    for (const auto piece : util::split(host_path, ':')) {
      const std::string part(piece);
      if (!part.empty() && have.find(":" + part + ":") == std::string::npos && (":" + path + ":").find(":" + part + ":") == std::string::npos) {
        path += ":" + part;
      }
    }
    env["PATH"] = path;
    library_path = "/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib";
  } else {
    std::string path = host.path.value_or(lambda_path);
    library_path = task_root + ":" + task_root + "/lib";
    // No /opt here: each layer's own folders, the last layer first (it would win at /opt).
    for (auto it = fn.layers.rbegin(); it != fn.layers.rend(); ++it) {
      library_path += ":" + (*it / "lib").string();
      path += ":" + (*it / "bin").string();
    }
    env["PATH"] = path;
  }
  env["LD_LIBRARY_PATH"] = library_path + (host.ld_library_path ? ":" + *host.ld_library_path : std::string());
  if (host.access_key_id) env["AWS_ACCESS_KEY_ID"] = *host.access_key_id;
  if (host.secret_access_key) env["AWS_SECRET_ACCESS_KEY"] = *host.secret_access_key;
  if (host.session_token) env["AWS_SESSION_TOKEN"] = *host.session_token;
  env["AWS_XRAY_CONTEXT_MISSING"] = "LOG_ERROR";
  env["AWS_XRAY_DAEMON_ADDRESS"] = "127.0.0.1:2000";
  env["_AWS_XRAY_DAEMON_ADDRESS"] = "127.0.0.1";
  env["_AWS_XRAY_DAEMON_PORT"] = "2000";

  for (const auto& [name, value] : fn.env) env[name] = value;

  // Reserved: always lemu's.
  env["AWS_LAMBDA_RUNTIME_API"] = "127.0.0.1:" + std::to_string(runtime_api_port);
  env["_HANDLER"] = fn.handler;
  env["LAMBDA_TASK_ROOT"] = task_root;
  env["LAMBDA_RUNTIME_DIR"] = runtime_dir;
  env["AWS_LAMBDA_FUNCTION_NAME"] = fn.function_name;
  env["AWS_LAMBDA_FUNCTION_VERSION"] = fn.version;
  env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = std::to_string(fn.memory_mb);
  env["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/" + fn.function_name;
  env["AWS_LAMBDA_LOG_STREAM_NAME"] = log_stream;
  env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "on-demand";
  if (fn.per_environment_concurrency > 0) { // Lambda Managed Instances (PROTOCOL.md §9.1)
    env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "lambda-managed-instances";
    env["AWS_LAMBDA_MAX_CONCURRENCY"] = std::to_string(fn.per_environment_concurrency);
  }
  env["AWS_REGION"] = fn.region;
  env["AWS_DEFAULT_REGION"] = fn.region;
  // Advanced logging controls: set only with the JSON format (a recorded provided.al2023 dump with LogFormat
  // Text has neither). The values' casing, JSON and the level in capitals, is [unverified] (PROTOCOL.md §7).
  if (fn.log_format == core::log_format::json) {
    env["AWS_LAMBDA_LOG_FORMAT"] = core::to_string(core::log_format::json);
    env["AWS_LAMBDA_LOG_LEVEL"] = core::to_string(fn.log_thresholds().application);
  }
  return env;
}

std::vector<std::string> to_envp(const std::map<std::string, std::string>& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [name, value] : env) out.push_back(name + "=" + value);
  return out;
}

std::map<std::string, std::string> extension_environment(std::map<std::string, std::string> env) {
  static constexpr const char* hidden[] = {"AWS_EXECUTION_ENV",        "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
                                           "AWS_XRAY_CONTEXT_MISSING", "AWS_XRAY_DAEMON_ADDRESS",  "LAMBDA_RUNTIME_DIR",
                                           "LAMBDA_TASK_ROOT"};
  for (const char* name : hidden) env.erase(name);
  std::erase_if(env, [](const auto& kv) { return !kv.first.empty() && kv.first.front() == '_'; });
  return env;
}

} // namespace lemu::process
