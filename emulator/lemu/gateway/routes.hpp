#pragma once
// The routes of `lemu serve`'s front door: the three API kinds, the --route grammar, and matching a request's
// method and path against the routes as API Gateway does. Pure.

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

// The stage when none is given: "prod" for rest, "$default" for http and url.
std::string default_stage(api_kind k);

// GET HEAD POST PUT PATCH DELETE OPTIONS (upper case, exact).
bool is_http_method(std::string_view method);

// A --route: "GET /items/{id}", "ANY /files/{path+}", "POST /orders", optionally "=FUNCTION" at the end naming
// the function that serves it ("GET /items/{id}=orders"). Method: GET HEAD POST PUT PATCH DELETE OPTIONS or ANY
// (case-insensitive in, upper case stored). Path: starts with '/', segments may be {name} or, last only,
// {name+}; no empty segments (so no trailing '/', but "/" itself is a route), no '?', '#', spaces or control
// characters; parameter names are letters, digits, '_', '-' and '.', each used once.
struct route {
  std::string method, path, function; // function "" = the default (first) function
  // A function URL served under a path of the front door (lemu serve --template: /lambda-url/NAME/...): the
  // event sees the request's path without this prefix. "" for every other route.
  std::string strip_prefix;
  std::string key() const;            // "GET /items/{id}"
};

// Throws std::invalid_argument with a message ready to print ("bad route 'GET items': the path must ...").
route parse_route(std::string_view text);

struct route_match {
  const route* matched = nullptr; // nullptr when no routes are configured (catch-all: REST /{proxy+}, HTTP $default)
  std::vector<std::pair<std::string, std::string>> path_parameters; // in path order, values percent-decoded
};

// One API of the front door: its kind, its routes, and where it "runs".
struct front_door_options {
  api_kind kind = api_kind::http;
  std::vector<route> routes; // empty: every request goes to the default function (catch-all)
  std::string region = "us-east-1", account_id = "123456789012";
  std::string stage; // "" = the kind's default ("prod" for rest, "$default" for http and url)
};

// Which of `routes` serves METHOD PATH (path without query, raw: percent-encoded). nullopt: none matches
// (also for a method other than GET HEAD POST PUT PATCH DELETE OPTIONS, or a path not starting with '/').
// Matching like API Gateway: the most specific path wins, segment by segment from the left (a literal
// segment beats {param}, {param} beats {proxy+}); between routes with the same path an exact method beats
// ANY. Literal segments are compared percent-decoded on both sides; {param} matches one non-empty segment,
// {proxy+} one or more (the rest of the path, never empty). With no routes, every request matches
// (route_match with matched == nullptr). The result points into `routes`.
std::optional<route_match> match_route(const std::vector<route>& routes, std::string_view method,
                                       std::string_view path);

} // namespace lemu::gateway
