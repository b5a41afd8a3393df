#pragma once
// The HTTP front door of `lemu serve`, one API: its routes (routes.hpp), an HTTP request as the function's
// event (request_event.hpp) and the function's response payload as the HTTP response (proxy_response.hpp),
// with the options checked once and one API id for every request. Pure: no I/O, no clock (the time is a
// parameter); the API id is random.
//
//   front_door door({.kind = api_kind::http, .routes = {parse_route("GET /items/{id}")}});
//   if (const auto m = door.match(req.method, path_of(req.target))) {
//     const auto event = door.make_event(req, *m, now_ms);      // invoke the function with event.dump()
//     const auto out = door.map_response(payload);              // or door.function_failed() on an error
//     if (!out.error.empty()) log(out.error);                   // a 502 for a malformed proxy response
//     send(out.response);
//   } else {
//     send(door.not_found());
//   }

#include <lemu/gateway/http_message.hpp>
#include <lemu/gateway/proxy_response.hpp>
#include <lemu/gateway/request_event.hpp>
#include <lemu/gateway/routes.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lemu::gateway {

class front_door {
public:
  // Throws std::invalid_argument with a message ready to print: routes with kind url (function URLs have no
  // routes), the same route key twice, a stage the kind cannot have ("$default" for rest, a named stage for
  // url, a malformed name), a bad region or account id.
  explicit front_door(front_door_options o);

  // The options as given, except that an empty stage is replaced by the kind's default.
  const front_door_options& options() const { return m_options; }

  // match_route over this API's routes.
  std::optional<route_match> match(std::string_view method, std::string_view path) const;

  // make_request_event for this API.
  nlohmann::ordered_json make_event(const http_request& req, const route_match& m, std::int64_t now_ms) const;

  using mapped = mapped_response;
  // map_proxy_response for this API's kind.
  mapped map_response(std::string_view payload) const;
  // function_failed_response() and not_found_response() for this API's kind.
  http_response function_failed() const;
  http_response not_found() const;

  // The API id in every event's requestContext.apiId (10 characters; 32 for a function URL).
  const std::string& api_id() const { return m_api_id; }

private:
  front_door_options m_options;
  std::string m_api_id;
};

} // namespace lemu::gateway
