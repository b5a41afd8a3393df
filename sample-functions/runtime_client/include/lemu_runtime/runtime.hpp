#pragma once
// A small Lambda Runtime API client (version 2018-06-01) for lemu's sample functions, modelled on
// aws-lambda-cpp's public surface: invocation_request, invocation_response::success/failure, a
// `runtime` with one verb per endpoint, and run_handler().
//
// It speaks plain HTTP/1.1 over one persistent keep-alive TCP connection (TCP_NODELAY), synchronously.
// Expected failures (server gone, non-2xx status, malformed reply) are returned as api_status values;
// no exception escapes the library for them.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace lemu_runtime {

// One invocation, as delivered by GET /runtime/invocation/next.
struct invocation_request {
  // The event, byte for byte (the body of the /next reply).
  std::string payload;
  // Lambda-Runtime-Aws-Request-Id: identifies the invocation in the /response and /error URLs.
  std::string request_id;
  // Lambda-Runtime-Invoked-Function-Arn: the ARN as invoked (may carry a version or alias).
  std::string function_arn;
  // Lambda-Runtime-Trace-Id: the X-Ray tracing header.
  std::string xray_trace_id;
  // Lambda-Runtime-Client-Context: JSON, only for invokes that carried a client context.
  std::string client_context;
  // Lambda-Runtime-Cognito-Identity: JSON, only for Cognito-authenticated invokes.
  std::string cognito_identity;
  // Lambda-Runtime-Aws-Tenant-Id: the tenant, only for a function with tenant isolation.
  std::string tenant_id;
  // Content-Type of the /next reply.
  std::string content_type;
  // Lambda-Runtime-Deadline-Ms (milliseconds since the Unix epoch). Left at the epoch when the header
  // is missing or is not a non-negative integer.
  std::chrono::system_clock::time_point deadline;

  // Time left until the deadline (negative once it has passed).
  std::chrono::milliseconds get_time_remaining() const;
};

// What a handler returns. Only the two factories build one, so no half-filled response exists.
class invocation_response {
public:
  // A successful result: the body posted to /response, with its Content-Type.
  static invocation_response success(std::string payload, std::string content_type);
  // A function error: posted to /error as application/json
  // {"errorMessage":<error_message>,"errorType":<error_type>,"stackTrace":[]}.
  static invocation_response failure(const std::string& error_message, const std::string& error_type);

  const std::string& get_payload() const { return m_payload; }
  const std::string& get_content_type() const { return m_content_type; }
  bool is_success() const { return m_success; }

private:
  invocation_response(std::string payload, std::string content_type, bool success);

  std::string m_payload;
  std::string m_content_type;
  bool m_success;
};

// Outcome of one Runtime API call: the HTTP status, or an error text when the call could not be made
// (transport failure: http_status is 0) or its reply was unusable (e.g. /next without a request id).
struct api_status {
  int http_status = 0;
  std::string error;
  std::string reply; // body of a non-2xx reply (the server's {"errorMessage",...}), for log lines

  bool ok() const { return error.empty() && http_status >= 200 && http_status < 300; }
  // "HTTP 413 {...}", "Runtime API 127.0.0.1:9001: Connection refused", ... for log lines.
  std::string describe() const;
};

// Outcome of get_next(): the invocation when the call succeeded, otherwise only the status.
struct next_outcome {
  api_status status;
  std::optional<invocation_request> request; // set exactly when status.ok()

  explicit operator bool() const { return request.has_value(); }
};

using handler_function = std::function<invocation_response(const invocation_request&)>;

class runtime;

// A streamed response (PROTOCOL.md §1.9), from runtime::stream_response(): POST /response with
// Lambda-Runtime-Function-Response-Mode: streaming and a chunked body. Each write() goes out at once as one
// chunk; finish() ends the body and returns the Runtime API's answer; fail() ends it with the error
// trailers Lambda-Runtime-Function-Error-Type and -Error-Body (base64 of error_json); fail_in_body() writes
// them into the body as a last chunk instead, as the Rust runtime client does; abandon() drops the
// connection mid-stream. After a failed write the others return that failure.
class response_writer {
public:
  api_status write(std::string_view bytes);
  api_status finish();
  api_status fail(const std::string& error_type, const std::string& error_json);
  api_status fail_in_body(const std::string& error_type, const std::string& error_json);
  void abandon();

private:
  friend class runtime;
  explicit response_writer(runtime& r) : m_runtime(r) {}
  api_status end(const std::string& trailers);
  runtime& m_runtime;
  api_status m_status{200, {}, {}};
};

class runtime {
public:
  // Talks to the Runtime API named by AWS_LAMBDA_RUNTIME_API (host:port). When the variable is missing
  // or malformed, construction still succeeds and every call returns an error status saying so.
  runtime();
  // Talks to `endpoint` (host:port).
  explicit runtime(std::string endpoint);
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  // GET /runtime/invocation/next. Blocks, with no timeout, until the Runtime API hands out an event.
  next_outcome get_next();
  // POST /runtime/invocation/{request_id}/response with the response's payload and Content-Type.
  api_status post_success(const std::string& request_id, const invocation_response& response);
  // POST /runtime/invocation/{request_id}/error with the response's payload and Content-Type.
  api_status post_failure(const std::string& request_id, const invocation_response& response);
  // POST /runtime/init/error with header Lambda-Runtime-Function-Error-Type: <error_type> and the body
  // of invocation_response::failure(error_message, error_type).
  api_status post_init_error(const std::string& error_type, const std::string& error_message);
  // Begins a streamed response for `request_id` (see response_writer); the head is sent at once.
  response_writer stream_response(const std::string& request_id, const std::string& content_type);

  // The event loop: get_next(), call `handler`, post its result; forever. Returns when /next fails
  // several times in a row (the Runtime API is gone or told the runtime to stop). A failed post is
  // logged to stderr and the loop goes on. A std::exception thrown by the handler is posted as a
  // failure with errorType "Runtime.HandlerException".
  void run_handler(const handler_function& handler);

private:
  friend class response_writer;
  struct impl; // the Beast connection
  std::unique_ptr<impl> m_impl;
};

// runtime{}.run_handler(handler): the usual whole main() of a function.
void run_handler(const handler_function& handler);

} // namespace lemu_runtime
