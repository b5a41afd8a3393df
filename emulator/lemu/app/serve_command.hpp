#pragma once
// `lemu serve`: functions kept warm behind the Lambda Invoke API (for the AWS CLI and SDKs) and an HTTP
// front door that turns requests into API Gateway REST / HTTP API / function URL events (README "lemu serve").
//
// Each function has up to `concurrency` execution environments (function_scheduler); an invocation that
// finds them all busy waits in a queue of at most `max_queue` (then 429 TooManyRequestsException). Ctrl-C
// stops accepting, lets the invocations in flight and queued finish (or time out), stops the functions,
// prints the summary and returns 0; a second Ctrl-C cancels what is left (each caller gets a 503) and
// returns 130. Both listeners close connections that are idle or slow past their timeouts, and hold at
// most max_connections each.

#include <lemu/app/code_watch.hpp>
#include <lemu/core/function_config.hpp>
#include <lemu/gateway/front_door.hpp>
#include <lemu/net/connection_timeouts.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lemu::app {

// What a template gives lemu serve: its functions and its front door's APIs.
struct serve_definition {
  std::vector<core::function_config> functions;
  std::vector<gateway::front_door_options> apis;
};

struct serve_options {
  std::vector<core::function_config> functions; // the first is the default (front door without a named route)
  std::string host = "127.0.0.1";               // where both listeners bind
  std::uint16_t port = 3001;                    // Invoke API (sam local start-lambda's default)
  std::uint16_t api_port = 3000;                // front door (sam local start-api's default)
  // The front door's APIs: one (--api) or a template's (REST and HTTP APIs on one port); none: no front door.
  std::vector<gateway::front_door_options> apis;
  std::size_t concurrency = 1;                  // execution environments per function, at most
  std::size_t max_queue = 100;                  // invocations waiting per function, at most
  std::string record_file;                      // --record: append a capture line per invocation
  bool record_secrets = false;                  // keep Authorization, Cookie, X-Amz-Security-Token values
  std::string json_report;                      // --json: one JSON record per invocation
  std::string env_file;                         // --env-file: an input no output may overwrite
  std::size_t max_connections = 256;            // per listener, open at once
  net::timeout_limits timeouts;                 // idle, header and body timeouts of both listeners
  std::uint16_t runtime_api_port = 0;           // the Runtime API's port (0: ephemeral); concurrency 1 only
  std::string invoke_alias;                     // a FunctionName that also names the first function (RIE: "function")
  // --watch: the functions' code folders (and the template) are watched; a settled change reloads them
  // (README "Reload on rebuild"): in-flight invocations finish on the old code, the next ones start new
  // environments; ports, connections and the queue stay. A bootstrap that cannot start (missing, not
  // executable, empty, truncated) keeps the old code running.
  watch_settings watch;
  std::filesystem::path template_file;          // --template: watched; its change calls `reread`
  std::function<serve_definition()> reread;     // throws what reading the template throws
  // --sqs-port: a local SQS endpoint (app/sqs_endpoint.hpp) on this port (0: ephemeral); none: no endpoint.
  std::optional<std::uint16_t> sqs_port;
  std::vector<std::string> sqs_queues;          // --sqs-queue NAME[:Attribute=value,...], created at start
  std::string sqs_state;                        // --sqs-state DIR, "none" (memory only), "" (the default folder)
  std::string sqs_fsync = "interval";           // --sqs-fsync always|interval
  // --sqs-trigger QUEUE[=FUNCTION][:batch=…]: Lambda's event source mapping (app/sqs_mapping.hpp) from a
  // local queue (needs --sqs-port) or from a queue URL of another endpoint (--sqs-endpoint, else the URL's).
  std::vector<std::string> sqs_triggers;
  std::string sqs_endpoint;                     // --sqs-endpoint URL: where queue URLs of triggers are polled
};

// Serves until SIGINT/SIGTERM; returns the exit code (0). Throws usage_error for bad options and
// std::system_error when a port cannot be bound.
int serve(const serve_options& options);

} // namespace lemu::app
