// HTTP requests (any bytes) through lemu serve's front door: route matching, the request -> API Gateway
// event mapping (v1 and v2 alternately), and the proxy response mapping, fed the request's body as if a
// function had returned it.
#include "loopback_harness.hpp"

#include <lemu/gateway/front_door.hpp>
#include <lemu/gateway/http_server.hpp>

#include <stdexcept>

using namespace lemu::gateway;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static boost::asio::io_context ioc(1);
  static unsigned round = 0;
  front_door_options fo;
  fo.kind = ++round % 3 == 0 ? api_kind::rest : round % 3 == 1 ? api_kind::http : api_kind::url;
  if (fo.kind != api_kind::url) { // a function URL has no routes
    fo.routes.push_back(parse_route("GET /items/{id}"));
    fo.routes.push_back(parse_route("ANY /{proxy+}"));
  }
  front_door door(fo);
  auto server = http_server::create(
      ioc.get_executor(),
      [&door](received_request in, http_server::responder respond) {
        const std::string target = in.request.target;
        const auto path = std::string_view(target).substr(0, target.find('?'));
        const auto m = door.match(in.request.method, path);
        if (!m) return respond(door.not_found());
        try {
          const std::string event = door.make_event(in.request, *m, 1700000000000).dump();
          auto mapped = door.map_response(in.request.body);
          mapped.response.body += event.substr(0, 16);
          respond(std::move(mapped.response));
        } catch (const std::invalid_argument&) {
          respond(http_response{400, {}, "bad"});
        }
      },
      http_server_options{});
  server->start();
  lemu::fuzz::exchange(ioc, server->port(), {reinterpret_cast<const char*>(data), size}, [&] { server->stop(); });
  return 0;
}
