#pragma once
// The environment variables Lambda gives a provided.al2023 runtime (PROTOCOL.md §3, §8.8). Pure.

#include <lemu/core/function_config.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace lemu::process {

// A user variable that Lambda reserves (e.g. AWS_LAMBDA_RUNTIME_API): the message names it.
struct reserved_variable_error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Throws reserved_variable_error when `name` cannot be set by the user: a name Lambda reserves, or one Lambda
// refuses as a key (it must be a letter, then letters, digits and _, two characters at least).
void check_user_variable(const std::string& name);

// What to take from lemu's own environment: PATH, LD_LIBRARY_PATH and the AWS credentials.
struct host_environment {
  std::optional<std::string> path;
  std::optional<std::string> ld_library_path;
  std::optional<std::string> access_key_id, secret_access_key, session_token;

  static host_environment from_current_process();
};

// The runtime's environment, sorted by name. `log_stream` is AWS_LAMBDA_LOG_STREAM_NAME
// (make_log_stream_name()). Never sets _LAMBDA_SERVER_PORT or _X_AMZN_TRACE_ID, nor
// AWS_LAMBDA_MAX_CONCURRENCY unless the function has per_environment_concurrency (Lambda Managed Instances).
std::map<std::string, std::string> build_environment(const core::function_config& fn, std::uint16_t runtime_api_port,
                                                     const std::string& log_stream, const host_environment& host);

// An external extension's environment: the runtime's without the variables Lambda hides from extensions
// (PROTOCOL.md §2.1: AWS_EXECUTION_ENV, AWS_LAMBDA_LOG_GROUP_NAME, AWS_LAMBDA_LOG_STREAM_NAME,
// AWS_XRAY_CONTEXT_MISSING, AWS_XRAY_DAEMON_ADDRESS, LAMBDA_RUNTIME_DIR, LAMBDA_TASK_ROOT and every name
// starting with `_`, which covers _HANDLER and _AWS_XRAY_DAEMON_*).
std::map<std::string, std::string> extension_environment(std::map<std::string, std::string> runtime_env);

// "2026/11/26/[$LATEST]<32 hex>" as Lambda names log streams; `random` supplies the hex.
std::string make_log_stream_name(const std::string& version, std::uint64_t random_hi, std::uint64_t random_lo);

// "NAME=VALUE" strings for exec.
std::vector<std::string> to_envp(const std::map<std::string, std::string>& env);

} // namespace lemu::process
