#pragma once
// The HTTP front door of `lemu serve`: an HTTP request becomes the event a Lambda function gets behind API
// Gateway REST (payload 1.0), an HTTP API (payload 2.0) or a function URL (PROTOCOL.md §5.4, §5.5), and the
// function's response payload becomes the HTTP response the client gets (§5.6). Pure: no I/O, no clock (the
// time is a parameter); ids are random.
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
//
// Local URLs carry no stage: `GET /items/42` on lemu is `GET /prod/items/42` on a REST API's execute-api
// domain, and the event shows what AWS would show for the latter (requestContext.path "/prod/items/42" for
// REST; for an HTTP API with a named stage, rawPath "/dev/items/42").

#include <lemu/gateway/http_message.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lemu::gateway {

enum class api_kind { rest, http, url };

// "rest" | "http" | "url" (exact, lower case); nullopt for anything else.
std::optional<api_kind> parse_api_kind(std::string_view text);
std::string_view to_string(api_kind k);

// A --route: "GET /items/{id}", "ANY /files/{path+}", "POST /orders", optionally "=FUNCTION" at the end naming
// the function that serves it ("GET /items/{id}=orders"). Method: GET HEAD POST PUT PATCH DELETE OPTIONS or ANY
// (case-insensitive in, upper case stored). Path: starts with '/', segments may be {name} or, last only,
// {name+}; no empty segments (so no trailing '/', but "/" itself is a route), no '?', '#', spaces or control
// characters; parameter names are letters, digits, '_', '-' and '.', each used once.
struct route {
  std::string method, path, function; // function "" = the default (first) function
  std::string key() const;            // "GET /items/{id}"
};

// Throws std::invalid_argument with a message ready to print ("bad route 'GET items': the path must ...").
route parse_route(std::string_view text);

struct route_match {
  const route* matched = nullptr; // nullptr when no routes are configured (catch-all: REST /{proxy+}, HTTP $default)
  std::vector<std::pair<std::string, std::string>> path_parameters; // in path order, values percent-decoded
};

struct front_door_options {
  api_kind kind = api_kind::http;
  std::vector<route> routes; // empty: every request goes to the default function (catch-all)
  std::string region = "us-east-1", account_id = "123456789012";
  std::string stage; // "" = the kind's default ("prod" for rest, "$default" for http and url)
};

// Whether a body with this Content-Type value goes into the event as text (else base64): text/*,
// application/json, application/*+json, application/xml, application/*+xml, application/javascript,
// application/x-www-form-urlencoded, and no Content-Type at all (nullopt). Parameters (";charset=...") and the
// case of the media type do not matter.
bool is_textual_content_type(std::optional<std::string_view> content_type);

// Strict UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

class front_door {
public:
  // Throws std::invalid_argument with a message ready to print: routes with kind url (function URLs have no
  // routes), the same route key twice, a stage the kind cannot have ("$default" for rest, a named stage for
  // url, a malformed name), a bad region or account id.
  explicit front_door(front_door_options o);

  // The options as given, except that an empty stage is replaced by the kind's default.
  const front_door_options& options() const { return m_options; }

  // Which route serves METHOD PATH (path without query, raw: percent-encoded). nullopt: none matches (also
  // for a method other than GET HEAD POST PUT PATCH DELETE OPTIONS, or a path not starting with '/').
  // Matching like API Gateway: the most specific path wins, segment by segment from the left (a literal
  // segment beats {param}, {param} beats {proxy+}); between routes with the same path an exact method beats
  // ANY. Literal segments are compared percent-decoded on both sides; {param} matches one
  // non-empty segment, {proxy+} one or more (the rest of the path, never empty). With no routes configured,
  // every request matches (route_match with matched == nullptr).
  std::optional<route_match> match(std::string_view method, std::string_view path) const;

  // The event for the function, as the real service builds it (PROTOCOL.md §5.4/§5.5), through
  // events::make_event and then adjusted to the real request:
  //   - method, raw path and query (parsed from target), multi-value headers and query (rest), cookies and
  //     headers joined with "," (payload 2.0), sourceIp = req.source_ip;
  //   - the client's headers as sent, plus what the gateway adds: X-Amzn-Trace-Id, X-Forwarded-For (the
  //     source IP, appended to the client's own X-Forwarded-For), X-Forwarded-Port 443 and
  //     X-Forwarded-Proto https (replacing the client's), Content-Length for payload 2.0 when the client sent
  //     none; hop-by-hop headers (Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding,
  //     Upgrade) are dropped; no User-Agent/Accept is invented (identity.userAgent null / http.userAgent "");
  //   - body: base64 with isBase64Encoded true when the Content-Type is not textual (is_textual_content_type)
  //     or the body is not valid UTF-8; empty body: null for rest, absent for payload 2.0;
  //   - requestContext: fresh request ids, times from now_ms, the API id of this front door (the same for
  //     every request), domainName = the Host header's host part (without port) when present, else the
  //     API's execute-api / lambda-url domain, domainPrefix = its first label;
  //   - the match: rest: resource / requestContext.resourcePath = the route's path and pathParameters = its
  //     parameters (null when none); catch-all: resource "/{proxy+}" with pathParameters {"proxy": path
  //     without its leading '/', decoded}, or "/" with null for the root. http: routeKey and
  //     requestContext.routeKey = the route's key and pathParameters when the route has parameters;
  //     catch-all: "$default" and no pathParameters. url: routeKey "$default", no pathParameters.
  // Strings that are not valid UTF-8 (header values, decoded query or path parameters) get U+FFFD in place
  // of the bad bytes, so the event always serializes.
  // Throws std::invalid_argument for a request no API Gateway would pass on (method outside the list, a
  // target that is not a path, control characters in it, a malformed header name); the server answers 400.
  nlohmann::ordered_json make_event(const http_request& req, const route_match& m, std::int64_t now_ms) const;

  struct mapped {
    http_response response;
    std::string error; // non-empty when the payload was not a valid proxy response: why (for a log line);
                       // response is then the 502
  };

  // The function's successful response payload (raw bytes from the runtime) as the HTTP response
  // (PROTOCOL.md §5.6); see front_door.cpp for the rules of each payload version.
  mapped map_response(std::string_view payload) const;

  // What the client gets when the function failed (error, timeout, crash): 502 {"message":"Internal server
  // error"} with Content-Type application/json.
  http_response function_failed() const;

  // No route matched: rest 403 {"message":"Missing Authentication Token"}, http 404 {"message":"Not Found"}
  // (Content-Type application/json). (url never gets here.)
  http_response not_found() const;

  // The API id in every event's requestContext.apiId (10 characters; 32 for a function URL).
  const std::string& api_id() const { return m_api_id; }

private:
  front_door_options m_options;
  std::string m_api_id;
};

} // namespace lemu::gateway
