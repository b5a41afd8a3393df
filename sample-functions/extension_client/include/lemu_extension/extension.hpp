#pragma once
// A small Lambda Extensions API client (version 2020-01-01) for lemu's sample extensions, plus the
// subscription call of the Telemetry API (2022-07-01) and the Logs API (2020-08-15). PROTOCOL.md §2.
//
// One client is one extension: register_extension() once, then next_event() in a loop. It speaks plain
// HTTP/1.1 over one persistent keep-alive connection, synchronously; next_event() blocks with no timeout.
// Expected failures (server gone, non-2xx status, malformed reply) are returned as api_status values; no
// exception escapes the library for them.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lemu_extension {

// Outcome of one Extensions API call: the HTTP status and reply body, or an error text when the call could
// not be made (transport failure or misconfiguration: http_status is 0) or its reply was unusable.
struct api_status {
  int http_status = 0;
  std::string error;
  std::string body; // the reply body, whatever the status

  bool ok() const { return error.empty() && http_status >= 200 && http_status < 300; }
  // "HTTP 403 {...}", "Extensions API 127.0.0.1:9001: Connection refused", ... for log lines.
  std::string describe() const;
};

// Outcome of register_extension().
struct registration {
  api_status status;
  // Lambda-Extension-Identifier: passed on every later call (the client does that itself).
  std::string identifier;
  // Fields of the reply body ({"functionName","functionVersion","handler","accountId"?}); "" when absent.
  std::string function_name;
  std::string function_version;
  std::string handler;
  std::string account_id;

  bool ok() const { return status.ok(); }
};

// One event from GET /extension/event/next.
struct event {
  std::string event_type;           // "INVOKE" or "SHUTDOWN"
  std::int64_t deadline_ms = 0;     // milliseconds since the Unix epoch; 0 when missing
  std::string request_id;           // INVOKE only
  std::string invoked_function_arn; // INVOKE only
  std::string tracing_type;         // INVOKE with tracing only ("X-Amzn-Trace-Id")
  std::string tracing_value;
  std::string shutdown_reason;      // SHUTDOWN only: "SPINDOWN", "TIMEOUT", "FAILURE"
  std::string event_identifier;     // the Lambda-Extension-Event-Identifier reply header
  std::string json;                 // the event's JSON, byte for byte
};

// Outcome of next_event(): the event when the call succeeded, otherwise only the status.
struct next_outcome {
  api_status status;
  std::optional<event> value; // set exactly when status.ok()

  explicit operator bool() const { return value.has_value(); }
};

// An ErrorRequest body for init_error()/exit_error(): {"errorMessage":..,"errorType":..,"stackTrace":[]}.
std::string error_request(const std::string& error_message, const std::string& error_type);

// The subscription APIs' paths under the endpoint.
inline constexpr const char* telemetry_api = "2022-07-01/telemetry";
inline constexpr const char* logs_api = "2020-08-15/logs";

class client {
public:
  // Talks to the API named by AWS_LAMBDA_RUNTIME_API (host:port). When the variable is missing or malformed,
  // construction still succeeds and every call returns an error status saying so.
  client();
  // Talks to `endpoint` (host:port).
  explicit client(std::string endpoint);
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // POST /extension/register with Lambda-Extension-Name: <name> (an external extension must use its
  // executable's file name), body {"events":[...]} and, when `accept_features` is not empty,
  // Lambda-Extension-Accept-Feature: <comma list> (e.g. "accountId"). Keeps the identifier on success.
  registration register_extension(const std::string& name, const std::vector<std::string>& events,
                                  const std::vector<std::string>& accept_features = {});
  // The same with the request body given verbatim and no Content-Type, as aws-lambda-go sends it
  // (its WithEnableSIGTERM registration is {"events":null}).
  registration register_with_body(const std::string& name, const std::string& body,
                                  const std::vector<std::string>& accept_features = {});
  // GET /extension/event/next. Blocks, with no timeout, until the API hands out an event.
  next_outcome next_event();
  // POST /extension/init/error and /extension/exit/error with Lambda-Extension-Function-Error-Type:
  // <error_type> (e.g. "Extension.ConfigInvalid") and `body` (JSON, may be empty). After either the
  // extension should exit.
  api_status init_error(const std::string& error_type, const std::string& body);
  api_status exit_error(const std::string& error_type, const std::string& body);
  // PUT /<api_path> (telemetry_api or logs_api) with `json_body` as the subscription request.
  api_status subscribe(const std::string& api_path, const std::string& json_body);

  // The identifier of the last successful registration ("" before it).
  const std::string& identifier() const;

private:
  struct impl;
  std::unique_ptr<impl> m_impl;
};

} // namespace lemu_extension
