#pragma once
// An HTTP request as the event a Lambda function gets behind API Gateway REST (payload 1.0), an HTTP API
// (payload 2.0) or a function URL (PROTOCOL.md §5.4, §5.5). Pure: no I/O, no clock (the time is a parameter).
//
// Local URLs carry no stage: `GET /items/42` on lemu is `GET /prod/items/42` on a REST API's execute-api
// domain, and the event shows what AWS would show for the latter (requestContext.path "/prod/items/42" for
// REST; for an HTTP API with a named stage, rawPath "/dev/items/42").

#include <lemu/gateway/http_message.hpp>
#include <lemu/gateway/routes.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lemu::gateway {

// The events generator's kind for an API kind: "apigw-rest", "apigw-http", "function-url".
std::string_view generator_kind(api_kind k);

// Whether a body with this Content-Type value goes into the event as text (else base64): text/*,
// application/json, application/*+json, application/xml, application/*+xml, application/javascript,
// application/x-www-form-urlencoded, and no Content-Type at all (nullopt). Parameters (";charset=...") and the
// case of the media type do not matter.
bool is_textual_content_type(std::optional<std::string_view> content_type);

// The event for the function of API `api` (whose stage is already set) with id `api_id`, as the real service
// builds it, through events::make_event and then adjusted to the real request:
//   - method, raw path and query (parsed from target), multi-value headers and query (rest), cookies and
//     headers joined with "," (payload 2.0), sourceIp = req.source_ip;
//   - the client's headers as sent, plus what the gateway adds: X-Amzn-Trace-Id, X-Forwarded-For (the
//     source IP, appended to the client's own X-Forwarded-For), X-Forwarded-Port 443 and
//     X-Forwarded-Proto https (replacing the client's), Content-Length for payload 2.0 when the client sent
//     none; hop-by-hop headers (Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding,
//     Upgrade) are dropped; no User-Agent/Accept is invented (identity.userAgent null / http.userAgent "");
//   - body: base64 with isBase64Encoded true when the Content-Type is not textual (is_textual_content_type)
//     or the body is not valid UTF-8; empty body: null for rest, absent for payload 2.0;
//   - requestContext: fresh request ids, times from now_ms, apiId = api_id, domainName = the Host header's
//     host part (without port) when present, else the API's execute-api / lambda-url domain, domainPrefix =
//     its first label;
//   - the match: rest: resource / requestContext.resourcePath = the route's path and pathParameters = its
//     parameters (null when none); catch-all: resource "/{proxy+}" with pathParameters {"proxy": path
//     without its leading '/', decoded}, or "/" with null for the root. http: routeKey and
//     requestContext.routeKey = the route's key and pathParameters when the route has parameters;
//     catch-all: "$default" and no pathParameters. url: routeKey "$default", no pathParameters.
// Strings that are not valid UTF-8 (header values, decoded query or path parameters) get U+FFFD in place
// of the bad bytes, so the event always serializes.
// Throws std::invalid_argument for a request no API Gateway would pass on (method outside the list, a
// target that is not a path, control characters in it, a malformed header name); the server answers 400.
nlohmann::ordered_json make_request_event(const front_door_options& api, const std::string& api_id,
                                          const http_request& req, const route_match& m, std::int64_t now_ms);

} // namespace lemu::gateway
