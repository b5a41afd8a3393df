#include <lemu/core/errors.hpp>

#include <lemu/util/base64.hpp>
#include <lemu/util/text.hpp>

#include <nlohmann/json.hpp>

#include <csignal>

namespace lemu::core {

namespace {

outcome platform_error(outcome_kind kind, std::string_view type, std::string message) {
  // Key order as AWS returns these platform errors: errorType first (PROTOCOL.md §4.3).
  nlohmann::ordered_json body;
  body["errorType"] = type;
  body["errorMessage"] = std::move(message);
  return outcome{kind, body.dump(), "application/json", std::string(type)};
}

std::string request_prefix(std::string_view request_id) {
  return "RequestId: " + std::string(request_id) + " Error: ";
}

} // namespace

outcome timeout_outcome(std::string_view request_id, std::chrono::nanoseconds timeout) {
  const double seconds = std::chrono::duration<double>(timeout).count();
  return platform_error(outcome_kind::timeout, "Sandbox.Timedout",
                        request_prefix(request_id) + "Task timed out after " + util::fixed2(seconds) + " seconds");
}

std::string signal_name(int sig) {
  switch (sig) {
  case SIGHUP: return "hangup";
  case SIGINT: return "interrupt";
  case SIGQUIT: return "quit";
  case SIGILL: return "illegal instruction";
  case SIGTRAP: return "trace/breakpoint trap";
  case SIGABRT: return "aborted";
  case SIGBUS: return "bus error";
  case SIGFPE: return "floating point exception";
  case SIGKILL: return "killed";
  case SIGUSR1: return "user defined signal 1";
  case SIGSEGV: return "segmentation fault";
  case SIGUSR2: return "user defined signal 2";
  case SIGPIPE: return "broken pipe";
  case SIGALRM: return "alarm clock";
  case SIGTERM: return "terminated";
  case SIGXCPU: return "CPU time limit exceeded";
  case SIGXFSZ: return "file size limit exceeded";
  case SIGSYS: return "bad system call";
  default: return "signal " + std::to_string(sig);
  }
}

std::string exit_reason(const process_exit& e) {
  if (e.signaled) return "exited with error: signal: " + signal_name(e.signal);
  if (e.code != 0) return "exited with error: exit status " + std::to_string(e.code);
  return "exited without providing a reason";
}

outcome runtime_exit_outcome(std::string_view request_id, const process_exit& e) {
  return platform_error(outcome_kind::runtime_exit, "Runtime.ExitError",
                        request_prefix(request_id) + "Runtime " + exit_reason(e));
}

outcome out_of_memory_outcome(std::string_view request_id) {
  return platform_error(outcome_kind::out_of_memory, "Runtime.OutOfMemory",
                        request_prefix(request_id) + "Runtime exited with error: signal: killed");
}

outcome invalid_entrypoint_outcome(std::string_view request_id, std::string_view bootstrap) {
  return platform_error(outcome_kind::invalid_entrypoint, "Runtime.InvalidEntrypoint",
                        request_prefix(request_id) + "Couldn't find valid bootstrap(s): [" + std::string(bootstrap) + "]");
}

outcome sandbox_failure_outcome(std::string_view request_id, std::string_view what) {
  return platform_error(outcome_kind::sandbox_failure, "Sandbox.Failure", request_prefix(request_id) + std::string(what));
}

outcome extension_failure_outcome(std::string_view request_id, std::string_view error_type, std::string_view what) {
  return platform_error(outcome_kind::extension_failure, error_type, request_prefix(request_id) + std::string(what));
}

outcome cancelled_outcome(std::string_view request_id) {
  return platform_error(outcome_kind::cancelled, "Lemu.Cancelled",
                        request_prefix(request_id) + "lemu stopped before the invocation finished");
}

outcome response_too_large_outcome() { return stream_too_large_outcome(max_response_bytes); }

outcome stream_too_large_outcome(std::uint64_t limit) {
  // Key order as recorded from AWS (PROTOCOL.md §1.3): errorMessage first.
  nlohmann::ordered_json body;
  body["errorMessage"] = "Response payload size exceeded maximum allowed payload size (" + std::to_string(limit) + " bytes).";
  body["errorType"] = "Function.ResponseSizeTooLarge";
  return outcome{outcome_kind::too_large, body.dump(), "application/json", "Function.ResponseSizeTooLarge"};
}

outcome stream_error_outcome(std::string_view error_type, std::string_view error_body_base64) {
  const auto decoded = util::base64_decode(error_body_base64);
  std::string body;
  if (decoded && nlohmann::json::accept(*decoded)) body = *decoded;
  if (body.empty()) {
    nlohmann::ordered_json b;
    b["errorMessage"] = "";
    b["errorType"] = error_type.empty() ? "Unhandled" : std::string(error_type);
    body = b.dump();
  }
  outcome o = function_error_outcome(outcome_kind::function_error, std::move(body), error_type);
  if (!error_type.empty()) o.error_type = error_type; // the trailer names it, as RIE forwards it
  return o;
}

outcome stream_truncated_outcome(std::string_view request_id) {
  return platform_error(outcome_kind::function_error, "Runtime.TruncatedResponse",
                        request_prefix(request_id) + "the runtime closed the response stream before ending it");
}

outcome function_error_outcome(outcome_kind kind, std::string body, std::string_view header_error_type) {
  std::string type;
  const auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    const auto it = parsed.find("errorType");
    if (it != parsed.end() && it->is_string()) type = it->get<std::string>();
  }
  if (type.empty()) type = header_error_type;
  if (type.empty()) type = "Unhandled";
  const bool is_json = !parsed.is_discarded();
  return outcome{kind, std::move(body), is_json ? "application/json" : "application/octet-stream", std::move(type)};
}

} // namespace lemu::core
