// Invoke API requests (any bytes) through lemu serve's HTTP server and the Invoke API's rules: function
// names and ARNs, qualifiers, invocation and log types, client context, payload checks, error answers.
#include "loopback_harness.hpp"

#include <lemu/gateway/http_server.hpp>
#include <lemu/gateway/invoke_api.hpp>

#include <variant>

namespace api = lemu::gateway::invoke_api;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static boost::asio::io_context ioc(1);
  lemu::gateway::http_server_options o;
  o.error_page = api::server_error_page;
  auto server = lemu::gateway::http_server::create(
      ioc.get_executor(),
      [](lemu::gateway::received_request in, lemu::gateway::http_server::responder respond) {
        auto parsed = api::parse_request(in.request, in.body_bytes);
        if (auto* e = std::get_if<api::api_error>(&parsed)) return respond(api::error_response(*e, "id"));
        const auto& req = std::get<api::invoke_request>(parsed);
        respond(lemu::gateway::http_response{200, {}, req.payload + api::log_result(req.client_context)});
      },
      o);
  server->start();
  lemu::fuzz::exchange(ioc, server->port(), {reinterpret_cast<const char*>(data), size}, [&] { server->stop(); });
  return 0;
}
