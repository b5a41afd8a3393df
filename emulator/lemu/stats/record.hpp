#pragma once
// One invocation's measured facts: what REPORT lines, the summary table and the JSON report are made of.
// Pure data; no I/O.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lemu::stats {

// How an invocation ended, as counted in the summary.
enum class status {
  success,   // the runtime posted /response
  error,     // the runtime posted /error or /init/error (a function error), or the event was rejected
  timeout,   // the function timeout passed (Sandbox.Timedout)
  crash,     // the runtime process exited or was killed (Runtime.ExitError, Runtime.OutOfMemory, ...)
};

// "success" | "error" | "timeout" | "crash"
const char* to_string(status s);

// The messages of an SQS event, and which of them failed (PROTOCOL.md §5.2).
struct sqs_batch {
  std::size_t messages = 0;
  std::vector<std::string> failed;  // message ids, in batch order
  std::string whole_batch_reason;   // why the whole batch failed; "" when failures were per item
};

struct invocation_record {
  std::size_t index = 0;                // 0-based position of the event in the whole run (repeats included)
  std::string source;                   // where the event came from: the path given, or "-" for stdin
  std::size_t line = 0;                 // 1-based line in a JSON Lines source; 0 for a whole-file event
  std::string request_id;               // Lambda-Runtime-Aws-Request-Id
  std::uint32_t environment_id = 1;     // execution environment that ran it (1-based)
  std::string tenant_id;                // the invocation's tenant (tenant isolation); "" without one
  bool cold = false;                    // first invocation of a freshly initialised environment
  std::optional<double> init_ms;        // Init Duration (process start -> first /next); only when cold
  double start_ms = 0;                  // when Duration began, in ms since the run started (for timelines)
  double duration_ms = 0;               // Duration (event delivered -> /response or /error received, and every
                                        // INVOKE extension called /event/next again)
  std::optional<double> post_runtime_extensions_ms; // of Duration, the extensions' time after the runtime answered
  // A streamed response: delivery -> its first byte (time to first byte), and that byte -> its end.
  std::optional<double> ttfb_ms, stream_ms;
  std::optional<std::uint64_t> streamed_bytes;
  std::uint64_t billed_ms = 0;          // Billed Duration = ceil(duration + init)
  std::uint32_t memory_size_mb = 128;   // configured memory (Memory Size)
  std::string emulation;                // the emulator an arm64 bootstrap ran through ("" natively): REPORT's last field
  std::uint32_t max_memory_used_mb = 0; // measured peak of the environment's process tree (Max Memory Used)
  stats::status status = stats::status::success;
  std::string error_type;               // e.g. "Runtime.ExitError", "Sandbox.Timedout", a function's errorType; "" on success
  std::optional<stats::sqs_batch> sqs;  // set when the event was an SQS event
};

} // namespace lemu::stats
