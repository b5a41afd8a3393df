#pragma once
// Runtime API header names (PROTOCOL.md §1.2–1.4). Matched case-insensitively (Beast's fields do that).

namespace lemu::runtime_api::headers {

// GET /runtime/invocation/next response
inline constexpr const char* request_id = "Lambda-Runtime-Aws-Request-Id";
inline constexpr const char* deadline_ms = "Lambda-Runtime-Deadline-Ms";
inline constexpr const char* invoked_function_arn = "Lambda-Runtime-Invoked-Function-Arn";
inline constexpr const char* trace_id = "Lambda-Runtime-Trace-Id";
inline constexpr const char* client_context = "Lambda-Runtime-Client-Context";
inline constexpr const char* cognito_identity = "Lambda-Runtime-Cognito-Identity";

// POST /invocation/{id}/error and /init/error request
inline constexpr const char* function_error_type = "Lambda-Runtime-Function-Error-Type";

} // namespace lemu::runtime_api::headers
