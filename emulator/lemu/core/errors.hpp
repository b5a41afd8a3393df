#pragma once
// Lambda's exact error payloads and types (PROTOCOL.md §1.3, §4.3, §4.4), built in one place.

#include <lemu/core/invocation.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace lemu::core {

// Byte limits (PROTOCOL.md §1.2, §4.4).
inline constexpr std::size_t max_event_bytes = 6291456;    // synchronous invoke request
inline constexpr std::size_t max_response_bytes = 6291556; // 6 MiB + 100, accepted from the runtime

// {"errorType":"Sandbox.Timedout","errorMessage":"RequestId: <id> Error: Task timed out after 3.00 seconds"}
outcome timeout_outcome(std::string_view request_id, std::chrono::nanoseconds timeout);

// How the runtime process ended, in the words of Go's os.ProcessState (what Lambda prints).
struct process_exit {
  bool signaled = false;
  int code = 0;   // exit status when !signaled
  int signal = 0; // signal number when signaled
};

// "exited with error: exit status 2", "exited with error: signal: killed", "exited without providing a reason"
std::string exit_reason(const process_exit& e);

// {"errorType":"Runtime.ExitError","errorMessage":"RequestId: <id> Error: Runtime exited with error: exit status 2"}
outcome runtime_exit_outcome(std::string_view request_id, const process_exit& e);

// {"errorType":"Runtime.OutOfMemory","errorMessage":"RequestId: <id> Error: Runtime exited with error: signal: killed"}
outcome out_of_memory_outcome(std::string_view request_id);

// {"errorType":"Runtime.InvalidEntrypoint","errorMessage":"RequestId: <id> Error: Couldn't find valid bootstrap(s): [<path>]"}
outcome invalid_entrypoint_outcome(std::string_view request_id, std::string_view bootstrap);

// {"errorType":"Sandbox.Failure","errorMessage":"RequestId: <id> Error: <what>"}
outcome sandbox_failure_outcome(std::string_view request_id, std::string_view what);

// An invocation lemu stopped (Ctrl-C) before it finished: {"errorType":"Lemu.Cancelled",...}. Never shown as
// the function's outcome: commands count it apart and record nothing for it.
outcome cancelled_outcome(std::string_view request_id);

// An extension failed (PROTOCOL.md §2.1): `error_type` is Extension.Crash (its process exited),
// Extension.InitError / Extension.ExitError (it called /extension/init/error or /exit/error) or
// Extension.LaunchError (it could not be started); `what` says which extension and how.
outcome extension_failure_outcome(std::string_view request_id, std::string_view error_type, std::string_view what);

// {"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}
outcome response_too_large_outcome();

// The same for a streamed response beyond `limit` bytes (lemu's text, with that limit): "Response payload
// size exceeded maximum allowed payload size (209715200 bytes)."
outcome stream_too_large_outcome(std::uint64_t limit);

// A streamed response that ended with the error trailers (PROTOCOL.md §1.9): errorType from the
// Lambda-Runtime-Function-Error-Type trailer (else the body's, else "Unhandled"), payload the body trailer
// decoded from base64 (the JSON error object); a body that is not base64 of JSON gives
// {"errorMessage":"","errorType":<type>}.
outcome stream_error_outcome(std::string_view error_type, std::string_view error_body_base64);

// The runtime's connection ended before its streamed response did, and the runtime lives on (lemu's text):
// {"errorType":"Runtime.TruncatedResponse","errorMessage":"RequestId: <id> Error: the runtime closed the
// response stream before ending it"}.
outcome stream_truncated_outcome(std::string_view request_id);

// A function error or init error: the body posted by the runtime, verbatim; errorType read from the body's
// "errorType" (else the Lambda-Runtime-Function-Error-Type header, else "Unhandled").
outcome function_error_outcome(outcome_kind kind, std::string body, std::string_view header_error_type);

// Go's syscall.Signal.String() names ("killed", "aborted", "segmentation fault", ...); "signal N" otherwise.
std::string signal_name(int sig);

} // namespace lemu::core
