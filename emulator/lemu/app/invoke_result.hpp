#pragma once
// What one invocation in an execution environment measured and how it ended.

#include <lemu/core/invocation.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace lemu::app {

struct invoke_result {
  core::outcome outcome;
  std::string request_id;
  std::uint32_t environment_id = 0;    // 0: it never reached an environment (rejected before)
  bool cold = false;
  std::optional<double> init_ms;       // Init Duration, on the cold invocation of a normal init
  std::chrono::steady_clock::time_point started_at{}; // when Duration began
  double duration_ms = 0;              // delivery -> the runtime's answer and the INVOKE extensions' next call
  std::optional<double> post_runtime_extensions_ms; // the extensions' part of it, after the runtime answered
  // The invocation failed after the runtime answered (its extensions timed out, crashed or reported an
  // error): the caller had `outcome`; REPORT, the record and the summary count this failure instead.
  std::optional<core::outcome> failed_after_answer;
  // A streamed response (outcome.streamed): delivery -> the first body byte from the runtime (time to
  // first byte), and that byte -> the end of the stream.
  std::optional<double> ttfb_ms;
  std::optional<double> stream_ms;
  std::string tenant_id;               // the invocation's tenant (tenant isolation), "" without
  std::uint64_t max_memory_bytes = 0;  // peak of the environment's processes so far
  const char* memory_method = "";      // how it was measured: "cgroup v1", "watcher", ...
  // With environment_options::keep_log: this invocation's log lines ('\n'-terminated), START to REPORT,
  // a cold start's init output included, at most the last environment_log::tail_bytes.
  std::string log;
};

} // namespace lemu::app
