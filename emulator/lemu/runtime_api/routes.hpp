#pragma once
// The Runtime API route table (PROTOCOL.md §1.1), with the Extensions, Telemetry and Logs APIs served on the
// same endpoint (§2): every path appears here and only here. Pure.

#include <string>
#include <string_view>

namespace lemu::runtime_api {

enum class route_kind {
  next,             // GET  /2018-06-01/runtime/invocation/next
  response,         // POST /2018-06-01/runtime/invocation/{id}/response
  error,            // POST /2018-06-01/runtime/invocation/{id}/error
  init_error,       // POST /2018-06-01/runtime/init/error
  extension_register,   // POST /2020-01-01/extension/register
  extension_next,       // GET  /2020-01-01/extension/event/next
  extension_init_error, // POST /2020-01-01/extension/init/error
  extension_exit_error, // POST /2020-01-01/extension/exit/error
  telemetry_subscribe,  // PUT  /2022-07-01/telemetry
  logs_subscribe,       // PUT  /2020-08-15/logs
  not_found,        // any other path: 404
  method_not_allowed, // a known path with the wrong method: 405
};

struct route {
  route_kind kind = route_kind::not_found;
  std::string request_id; // for response and error
};

// `target` is the request target (path plus optional query); `method` the HTTP method name.
route match_route(std::string_view method, std::string_view target);

} // namespace lemu::runtime_api
