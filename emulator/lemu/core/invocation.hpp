#pragma once
// One invocation as the Runtime API hands it to a runtime, and the one outcome it ends with.

#include <lemu/core/response_stream.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace lemu::core {

// What GET /runtime/invocation/next delivers (PROTOCOL.md §1.2). Each field names its header.
struct invocation {
  std::string request_id;       // Lambda-Runtime-Aws-Request-Id (UUID v4)
  std::string payload;          // the body: the event bytes, verbatim
  std::string function_arn;     // Lambda-Runtime-Invoked-Function-Arn
  std::string trace_id;         // Lambda-Runtime-Trace-Id (Root=1-…;Parent=…;Sampled=0)
  std::string client_context;   // Lambda-Runtime-Client-Context (JSON), omitted when empty
  std::string cognito_identity; // Lambda-Runtime-Cognito-Identity (JSON), omitted when empty
  std::chrono::nanoseconds timeout{}; // the function timeout; Deadline-Ms = epoch ms at delivery + timeout
  std::string tenant_id;        // Lambda-Runtime-Aws-Tenant-Id (tenant isolation), omitted when empty
  // Where a streamed response goes as it arrives (response_stream.hpp); nullptr: gathered whole.
  std::shared_ptr<response_stream> stream;
};

// How an invocation ended. Exactly one per event.
enum class outcome_kind {
  success,        // /response posted
  function_error, // /error posted (payload = its body, verbatim)
  init_error,     // /init/error posted during init (payload = its body, verbatim)
  timeout,        // Sandbox.Timedout
  runtime_exit,   // Runtime.ExitError: the runtime process exited or was killed
  out_of_memory,  // Runtime.OutOfMemory: killed for going over --memory
  too_large,      // Function.ResponseSizeTooLarge: response over 6291556 bytes
  rejected,       // never delivered (e.g. event over 6291456 bytes); payload explains
  invalid_entrypoint, // Runtime.InvalidEntrypoint: the bootstrap could not be started
  sandbox_failure,    // Sandbox.Failure: lemu could not set the environment up (e.g. its port is taken)
  extension_failure,  // Extension.Crash, .InitError, .ExitError or .LaunchError: an extension failed
  cancelled,      // lemu stopped (Ctrl-C) before the invocation finished: not the function's outcome
};

struct outcome {
  outcome_kind kind = outcome_kind::success;
  std::string payload;      // what the Invoke caller receives (response body or error JSON)
  std::string content_type; // of the payload
  std::string error_type;   // "" on success; else the errorType (from the body for function errors)
  // The runtime streamed its response to invocation::stream (the body went there, not into payload; an
  // error's payload is still its JSON body), and how many body bytes it streamed.
  bool streamed = false;
  std::uint64_t streamed_bytes = 0;

  bool ok() const { return kind == outcome_kind::success; }
};

} // namespace lemu::core
