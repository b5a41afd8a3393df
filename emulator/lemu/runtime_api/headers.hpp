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
inline constexpr const char* tenant_id = "Lambda-Runtime-Aws-Tenant-Id"; // tenant isolation (PROTOCOL.md §9.2)

// POST /invocation/{id}/error and /init/error request
inline constexpr const char* function_error_type = "Lambda-Runtime-Function-Error-Type";

// POST /invocation/{id}/response, streamed (PROTOCOL.md §1.9): the mode header, and the error trailers
inline constexpr const char* response_mode = "Lambda-Runtime-Function-Response-Mode";
inline constexpr const char* function_error_body = "Lambda-Runtime-Function-Error-Body";

} // namespace lemu::runtime_api::headers
