#pragma once
// The Lambda Invoke API as `lemu serve` answers it (PROTOCOL.md §1.9, §4.4, §4.5): reading a request to
//   POST /2015-03-31/functions/{FunctionName}/invocations[?Qualifier=...]                    (Invoke)
//   POST /2021-11-15/functions/{FunctionName}/response-streaming-invocations[?Qualifier=...] (InvokeWithResponseStream)
// (function name forms, invocation and log types, client context, payload limits and JSON checks) and
// the REST-JSON error answers AWS gives: {"Type":"User","Message":"..."} with x-amzn-ErrorType.
// Pure: the caller knows the functions and runs them.

#include <lemu/gateway/http_message.hpp>
#include <lemu/util/url.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace lemu::gateway::invoke_api {

// Limits (PROTOCOL.md §4.4).
inline constexpr std::size_t max_sync_payload = 6291456;  // RequestResponse and DryRun
inline constexpr std::size_t max_async_payload = 1048576; // Event (1 MB)
inline constexpr std::size_t max_client_context = 3583;   // bytes of base64

// An error answer: HTTP status, x-amzn-ErrorType, Message (and, for throttles, Reason).
struct api_error {
  unsigned status = 400;
  std::string type;    // "ResourceNotFoundException", ...
  std::string message;
  std::string reason;  // TooManyRequestsException only: "ConcurrentInvocationLimitExceeded"
};

// The HTTP answer for an error, with x-amzn-RequestId.
http_response error_response(const api_error& e, std::string_view request_id);

enum class invocation_type { request_response, event, dry_run };

// A FunctionName as given in the path (already percent-decoded): a name, name:qualifier, a partial ARN
// (123456789012:function:name[:qualifier]) or a full ARN (arn:aws:lambda:region:account:function:name[:qualifier]).
struct function_ref {
  std::string name;
  std::string qualifier;         // "" when none
  std::optional<std::string> region, account_id; // when given in an ARN
};

// Parses a FunctionName; a ValidationException (400) when it does not match Lambda's pattern or is too long.
std::variant<function_ref, api_error> parse_function_name(std::string_view text);

struct invoke_request {
  bool streaming = false;       // InvokeWithResponseStream (type is then request_response or dry_run)
  function_ref function;        // with the Qualifier query parameter folded in
  invocation_type type = invocation_type::request_response;
  bool tail = false;            // X-Amz-Log-Type: Tail
  std::string client_context;   // decoded X-Amz-Client-Context (compact JSON); "" when none
  std::optional<std::string> tenant_id; // X-Amz-Tenant-Id (tenant isolation); nullopt when absent
  std::string payload;          // the event: the body, "{}" when the body is empty
};

// What a request to the Invoke API port asks for: an invocation, or the error to answer with.
// `body_bytes` is how many body bytes the client sent (the body itself may have been cut at the limit).
// Checks, in AWS's order: route (404 UnknownOperationException), FunctionName (400 ValidationException),
// Qualifier (400 InvalidParameterValueException), X-Amz-Invocation-Type (InvokeWithResponseStream: no
// Event), X-Amz-Log-Type and X-Amz-Tenant-Id (400 ValidationException: 1 to 256 characters of
// core::tenant_id_pattern), size (413 RequestTooLargeException), X-Amz-Client-Context (400
// InvalidRequestContentException), payload JSON (400 InvalidRequestContentException).
std::variant<invoke_request, api_error> parse_request(const http_request& req, std::size_t body_bytes);

// What the Invoke API answers when the HTTP server itself refuses a request, in the API's REST-JSON shape:
// 413 RequestTooLargeException (the Event or synchronous limit, from the request's X-Amz-Invocation-Type),
// 431 RequestHeaderFieldsTooLarge, 400 InvalidRequestContentException, 501 and 500 ServiceException.
http_response server_error_page(unsigned status, const http_request* head);

// lemu stopped (a second Ctrl-C) before the invocation finished: 503 ServiceException.
api_error cancelled();

// "Function not found: arn:aws:lambda:<region>:<account>:function:<name>:<qualifier or $LATEST>" (404).
api_error function_not_found(std::string_view function_arn, std::string_view qualifier);

// Tenant isolation (lemu's texts: AWS's are not documented). 400 InvalidParameterValueException:
//   a function with tenant isolation invoked without X-Amz-Tenant-Id:
//     "The function NAME has tenant isolation: the request needs a tenant id (the X-Amz-Tenant-Id header; aws lambda invoke --tenant-id ID)"
//   a function without it invoked with one:
//     "The function NAME does not have tenant isolation: the request must not carry a tenant id (X-Amz-Tenant-Id)"
api_error tenant_id_required(std::string_view function_name);
api_error tenant_id_unexpected(std::string_view function_name);

// Lambda's answer when the function is at its concurrency and the queue is full (429).
api_error too_many_requests();

// Lambda's message for a body that is not JSON (PROTOCOL.md §4.5): "Could not parse request body into json:
// Could not parse payload into json: ..." with Jackson's wording for an unexpected first character.
std::string invalid_json_message(std::string_view body);
// What lemu adds to that message when the body looks like the AWS CLI's doing: binary bytes (the CLI v2
// base64-decoded a JSON --payload, as it does without --cli-binary-format raw-in-base64-out), or base64 of
// JSON text. "" otherwise.
std::string binary_format_hint(std::string_view body);

// X-Amz-Log-Result: base64 of the last 4096 bytes of an invocation's log.
std::string log_result(std::string_view log);

using util::percent_decode; // the FunctionName in the path and the Qualifier parameter

} // namespace lemu::gateway::invoke_api
