#pragma once
// What Lambda knows about a function: its code, handler, name, memory, timeout, region and environment.

#include <lemu/core/log_config.hpp>
#include <lemu/core/response_stream.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lemu::core {

inline constexpr const char* default_account_id = "123456789012";

struct function_config {
  std::filesystem::path bootstrap;              // absolute path of the executable started as the runtime
  std::string handler = "function.handler";     // _HANDLER (opaque to Lambda)
  std::string function_name = "function";       // AWS_LAMBDA_FUNCTION_NAME
  std::string version = "$LATEST";              // AWS_LAMBDA_FUNCTION_VERSION
  std::string region = "us-east-1";             // AWS_REGION, and the region of the ARN
  std::string account_id = default_account_id;  // account in the function ARN
  std::uint32_t memory_mb = 128;                // AWS_LAMBDA_FUNCTION_MEMORY_SIZE, REPORT's Memory Size
  std::chrono::nanoseconds timeout = std::chrono::seconds(3); // function timeout (--timeout)
  std::chrono::nanoseconds init_timeout = std::chrono::seconds(10); // Lambda's init limit (--init-timeout)
  std::vector<std::pair<std::string, std::string>> env; // user variables (--env, --env-file), in order
  std::vector<std::string> args;                // the bootstrap's arguments (`-- ARGS...`, RIE's BOOTSTRAP ARGS...)
  std::filesystem::path task_dir;               // LAMBDA_TASK_ROOT when not the bootstrap's folder (RIE: /var/task)
  // External extensions (PROTOCOL.md §2.1): executables started before the runtime, in this order (the
  // task root's extensions/ folder, then --extension), at most 10.
  std::vector<std::filesystem::path> extensions;
  // Layers (--layer, a template's LayerVersion folders), in order: merged at /opt in the sandbox (later ones
  // win), else their lib/ and bin/ are on LD_LIBRARY_PATH and PATH; watched by --watch; their extensions/
  // executables are among `extensions`. At most 5.
  std::vector<std::filesystem::path> layers;

  // --- Lambda's execution environment (README "The sandbox") ---------------------------------------------
  // --sandbox / --no-sandbox; automatic: where the host allows it. `sandboxed` is what was decided at start
  // (app::prepare_sandbox): every environment then gets /var/task, /opt, a private /tmp.
  enum class sandbox_mode { automatic, on, off };
  sandbox_mode sandbox = sandbox_mode::automatic;
  bool sandboxed = false;
  std::uint32_t ephemeral_storage_mb = 512;      // --ephemeral-storage: the size of /tmp (Lambda: 512 to 10240)
  // --architecture (else the bootstrap's ELF header): arm64 on another machine runs through `emulator`.
  std::string architecture;                      // "x86_64" | "arm64"; empty: from the bootstrap
  std::filesystem::path emulator;                // qemu-aarch64-static, when the bootstrap needs one
  bool cpu_like_lambda = false;                  // --cpu-like-lambda: a CPU quota of memory_mb / 1769 of a core

  // --- Response streaming (PROTOCOL.md §1.9, §1.10, §9.3) ---------------------------------------------
  core::invoke_mode invoke_mode = core::invoke_mode::buffered; // --invoke-mode: the front door's mode
  core::stream_limits streaming;                               // --stream-max-bytes, --stream-rate
  // --- Lambda Managed Instances (PROTOCOL.md §9.1) ---------------------------------------------------
  // --per-environment-concurrency N: invocations one environment runs at once (AWS_LAMBDA_MAX_CONCURRENCY,
  // AWS_LAMBDA_INITIALIZATION_TYPE=lambda-managed-instances). 0: not set (on-demand, one at a time).
  std::uint32_t per_environment_concurrency = 0;
  // --- Tenant isolation (PROTOCOL.md §9.2) ------------------------------------------------------------
  // --tenant-isolation: every invocation carries a tenant id and an environment serves only one tenant.
  bool tenant_isolation = false;

  // arn:aws:lambda:<region>:<account>:function:<name>
  std::string function_arn() const;
  // LAMBDA_TASK_ROOT and the working directory: task_dir, else the folder holding the bootstrap.
  std::filesystem::path task_root() const { return task_dir.empty() ? bootstrap.parent_path() : task_dir; }

  // --- Advanced logging controls (Lambda's LoggingConfig; PROTOCOL.md §3, §9.5) ---------------------------
  // --log-format, --log-level, --system-log-level. The levels need the JSON format (the CLI refuses them
  // with text); unset, both are INFO under JSON. log_thresholds() gives the levels in force.
  core::log_format log_format = core::log_format::text;   // AWS_LAMBDA_LOG_FORMAT=JSON when json
  std::optional<core::log_level> application_log_level;   // AWS_LAMBDA_LOG_LEVEL; filters the function's JSON lines
  std::optional<core::log_level> system_log_level;        // DEBUG | INFO | WARN; filters the platform lines
  core::log_thresholds log_thresholds() const {
    return core::thresholds_of(log_format, application_log_level, system_log_level);
  }
};

} // namespace lemu::core
