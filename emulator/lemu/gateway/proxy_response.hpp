#pragma once
// The function's response payload as the HTTP response the front door's client gets (PROTOCOL.md §5.6), and
// the gateway's own fixed answers. Pure.
//
//   rest (payload 1.0): the payload must be a JSON object with keys among statusCode (integer 100-599,
//     required), headers (object of string/number/boolean), multiValueHeaders (object of arrays of those),
//     body (string or null) and isBase64Encoded (boolean); anything else is a 502 {"message":"Internal server
//     error"} with error "Malformed Lambda proxy response: <why>". headers and multiValueHeaders are merged:
//     on the same name (case-insensitive) only the multiValueHeaders values survive, each its own header line.
//   http and url (payload 2.0): a JSON object with "statusCode" is a proxy response: statusCode (integer
//     100-599), headers (object of string/number/boolean; "a,b" stays one line), cookies (array of strings,
//     one Set-Cookie line each), body (string; absent or null is empty), isBase64Encoded (boolean); other keys
//     are ignored. Any other valid JSON is inferred as 200, Content-Type application/json, body = the payload
//     text as returned, except a top-level JSON string for http, whose body is the string's content (API
//     Gateway docs: "Hello from Lambda!" => Hello from Lambda!; the function URL docs keep the quotes, so url
//     does). Not JSON at all: 502 with error "invalid JSON in the function's response".
//   Both: null for headers, multiValueHeaders, cookies or isBase64Encoded is taken as absent (Python's None
//     for an optional field); header names must be HTTP tokens and values free of CR, LF and NUL (else 502:
//     they would break the response framing); isBase64Encoded true decodes the body (strict base64, else 502);
//     Content-Length and Transfer-Encoding from the function are dropped (the server frames the response);
//     without a Content-Type the client gets application/json.

#include <lemu/gateway/http_message.hpp>
#include <lemu/gateway/routes.hpp>

#include <string>
#include <string_view>

namespace lemu::gateway {

struct mapped_response {
  http_response response;
  std::string error; // non-empty when the payload was not a valid proxy response: why (for a log line);
                     // response is then the 502
};

// The function's successful response payload (raw bytes from the runtime) for an API of kind `kind`.
mapped_response map_proxy_response(api_kind kind, std::string_view payload);

// The JSON prelude of a streamed answer (Content-Type application/vnd.awslambda.http-integration-response,
// PROTOCOL.md §1.10) as the response head for an API of kind `kind`: an object with statusCode (integer
// 100-599; absent or null: 200), headers (object of string/number/boolean), cookies (array of strings, one
// Set-Cookie line each), multiValueHeaders for rest (arrays, as in payload 1.0), the same header rules as
// the buffered mappings (Content-Length and Transfer-Encoding dropped) and Content-Type
// application/octet-stream when none is given (aws-lambda-ric's default); other keys are ignored. The body
// is empty. Anything else: error says why, response is the 502.
mapped_response map_stream_prelude(api_kind kind, std::string_view prelude);

// What the client gets when the function failed (error, timeout, crash): 502 {"message":"Internal server
// error"} with Content-Type application/json.
http_response function_failed_response();

// No route matched: rest 403 {"message":"Missing Authentication Token"}, http 404 {"message":"Not Found"}
// (Content-Type application/json). (url never gets here.)
http_response not_found_response(api_kind kind);

} // namespace lemu::gateway
