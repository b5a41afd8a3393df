// The front door of `lemu serve`: --api kinds and --route parsing, route matching precedence, the event built
// from a real HTTP request for each kind (every field that matters, and the structure against the real
// fixtures), and the mapping of the function's response payload to the HTTP response (PROTOCOL.md §5.4-§5.6).
// Also the events generator's source_ip option, which the front door relies on.
#include <lemu/gateway/front_door.hpp>

#include <lemu/events/checksums.hpp>
#include <lemu/events/generator_shape.hpp>
#include <lemu/events/generators.hpp>

#include <lemu_test_paths.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace lemu::gateway {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

constexpr std::int64_t now_ms = 1732606401000; // 2024-11-26T07:33:21Z
constexpr const char* now_clf = "26/Nov/2024:07:33:21 +0000";
constexpr const char* internal_error_body = R"({"message":"Internal server error"})";

std::string error_of_route(std::string_view text) {
  try {
    parse_route(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

std::string error_of_door(front_door_options o) {
  try {
    front_door door(std::move(o));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

front_door door_of(api_kind kind, const std::vector<std::string>& routes = {}, std::string stage = {}) {
  front_door_options o;
  o.kind = kind;
  for (const std::string& r : routes) o.routes.push_back(parse_route(r));
  o.stage = std::move(stage);
  return front_door(std::move(o));
}

std::vector<std::string> keys_of(const json& object) {
  std::vector<std::string> out;
  for (auto it = object.begin(); it != object.end(); ++it) out.push_back(it.key());
  return out;
}

std::string all_bytes() {
  std::string out;
  for (int i = 0; i < 256; ++i) out.push_back(static_cast<char>(i));
  return out;
}

// GET /items/42?a=1&a=2&b=%20x from curl through localhost:9000, with a repeated header, two Cookie headers and
// credentials.
http_request get_item() {
  http_request r;
  r.method = "GET";
  r.target = "/items/42?a=1&a=2&b=%20x";
  r.headers = {{"Host", "localhost:9000"}, {"User-Agent", "curl/8.1.2"},
               {"Accept", "*/*"},          {"X-Tag", "one"},
               {"x-tag", "two"},           {"Cookie", "session=abc; theme=dark"},
               {"Cookie", "lang=en"},      {"Authorization", "Bearer t0ken"}};
  r.source_ip = "127.0.0.1";
  return r;
}

http_request post_json() {
  http_request r;
  r.method = "POST";
  r.target = "/orders";
  r.headers = {{"Host", "127.0.0.1:9000"},
               {"User-Agent", "curl/8.1.2"},
               {"Accept", "*/*"},
               {"Content-Type", "application/json"},
               {"Content-Length", "37"}};
  r.body = R"({"orderId":"1042","amount":25.5,"x":1})";
  r.headers[4].second = std::to_string(r.body.size());
  r.source_ip = "192.0.2.10";
  return r;
}

http_request post_png() {
  http_request r;
  r.method = "POST";
  r.target = "/upload?name=pixel.png";
  r.headers = {{"Host", "localhost:9000"}, {"User-Agent", "curl/8.1.2"}, {"Content-Type", "image/png"}};
  r.body = all_bytes();
  r.source_ip = "::1";
  return r;
}

// ---------------------------------------------------------------------------------------------------------
// Kinds and routes

TEST(ApiKind, ParsesAndPrintsTheThreeKinds) {
  EXPECT_EQ(parse_api_kind("rest"), api_kind::rest);
  EXPECT_EQ(parse_api_kind("http"), api_kind::http);
  EXPECT_EQ(parse_api_kind("url"), api_kind::url);
  EXPECT_EQ(parse_api_kind("REST"), std::nullopt);
  EXPECT_EQ(parse_api_kind(""), std::nullopt);
  EXPECT_EQ(parse_api_kind("websocket"), std::nullopt);
  EXPECT_EQ(to_string(api_kind::rest), "rest");
  EXPECT_EQ(to_string(api_kind::http), "http");
  EXPECT_EQ(to_string(api_kind::url), "url");
}

TEST(ParseRoute, ReadsMethodPathAndFunction) {
  const route a = parse_route("GET /items/{id}");
  EXPECT_EQ(a.method, "GET");
  EXPECT_EQ(a.path, "/items/{id}");
  EXPECT_EQ(a.function, "");
  EXPECT_EQ(a.key(), "GET /items/{id}");

  const route b = parse_route("  any   /files/{path+}=files-fn ");
  EXPECT_EQ(b.method, "ANY");
  EXPECT_EQ(b.path, "/files/{path+}");
  EXPECT_EQ(b.function, "files-fn");
  EXPECT_EQ(b.key(), "ANY /files/{path+}");

  const route c = parse_route("post /orders=orders_v2");
  EXPECT_EQ(c.key(), "POST /orders");
  EXPECT_EQ(c.function, "orders_v2");

  EXPECT_EQ(parse_route("Delete /").key(), "DELETE /");
  EXPECT_EQ(parse_route("OPTIONS /a/{b}/c/{d.e-f_g}").key(), "OPTIONS /a/{b}/c/{d.e-f_g}");
  EXPECT_EQ(parse_route("GET /{proxy+}").path, "/{proxy+}");
  for (const char* m : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "ANY"})
    EXPECT_EQ(parse_route(std::string(m) + " /x").method, m);
}

TEST(ParseRoute, RejectsMalformedRoutesWithAMessage) {
  EXPECT_EQ(error_of_route("GET"), "bad route 'GET': expected 'METHOD /path', e.g. 'GET /items/{id}'");
  EXPECT_EQ(error_of_route("/items"), "bad route '/items': expected 'METHOD /path', e.g. 'GET /items/{id}'");
  EXPECT_EQ(
      error_of_route("FETCH /items"),
      "bad route 'FETCH /items': bad method 'FETCH': expected GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS or ANY");
  EXPECT_EQ(error_of_route("GET items"), "bad route 'GET items': the path must start with '/'");
  EXPECT_EQ(error_of_route("GET /items/"), "bad route 'GET /items/': empty path segment (a '//' or a trailing '/')");
  EXPECT_EQ(error_of_route("GET /a//b"), "bad route 'GET /a//b': empty path segment (a '//' or a trailing '/')");
  EXPECT_EQ(error_of_route("GET /a?b=1"), "bad route 'GET /a?b=1': the path must not hold spaces, control "
                                          "characters, '?' or '#'");
  EXPECT_EQ(error_of_route("GET /a b"), "bad route 'GET /a b': the path must not hold spaces, control characters, "
                                        "'?' or '#'");
  EXPECT_EQ(error_of_route("GET /{proxy+}/x"),
            "bad route 'GET /{proxy+}/x': '{proxy+}': a greedy parameter {name+} must be the last segment");
  EXPECT_EQ(error_of_route("GET /item{id}"),
            "bad route 'GET /item{id}': 'item{id}': a parameter is a whole segment, {name} or {name+}");
  EXPECT_EQ(error_of_route("GET /{a}{b}"),
            "bad route 'GET /{a}{b}': '{a}{b}': a parameter is a whole segment, {name} or {name+}");
  EXPECT_EQ(error_of_route("GET /{}"),
            "bad route 'GET /{}': bad parameter name in '{}': letters, digits, '_', '-' and '.'");
  EXPECT_EQ(error_of_route("GET /{+}"),
            "bad route 'GET /{+}': bad parameter name in '{+}': letters, digits, '_', '-' and '.'");
  EXPECT_EQ(error_of_route("GET /{a}/{a}"), "bad route 'GET /{a}/{a}': parameter 'a' appears twice");
  EXPECT_EQ(error_of_route("GET /x="), "bad route 'GET /x=': no function name after '='");
  EXPECT_EQ(error_of_route("GET /x=my fn"),
            "bad route 'GET /x=my fn': bad function name 'my fn': letters, digits, '-' and '_', at most 64");
  EXPECT_NE(error_of_route("GET /x=" + std::string(65, 'f')).find("at most 64"), std::string::npos);
  EXPECT_EQ(error_of_route("GET /x=" + std::string(64, 'f')), "(no error)");
}

TEST(FrontDoor, ConstructorChecksTheOptions) {
  front_door_options url;
  url.kind = api_kind::url;
  url.routes = {parse_route("GET /x")};
  EXPECT_EQ(error_of_door(url),
            "function URLs have no routes: every request goes to the function (drop --route or use --api rest or "
            "--api http)");

  front_door_options twice;
  twice.routes = {parse_route("GET /x=a"), parse_route("get /x=b")};
  EXPECT_EQ(error_of_door(twice), "route 'GET /x' is given twice");
  twice.routes[1] = parse_route("ANY /x=b");
  EXPECT_EQ(error_of_door(twice), "(no error)");

  front_door_options rest_default;
  rest_default.kind = api_kind::rest;
  rest_default.stage = "$default";
  EXPECT_NE(error_of_door(rest_default).find("REST APIs have no $default stage"), std::string::npos)
      << error_of_door(rest_default);

  front_door_options url_stage;
  url_stage.kind = api_kind::url;
  url_stage.stage = "dev";
  EXPECT_NE(error_of_door(url_stage).find("function URLs have no stages"), std::string::npos);

  front_door_options bad_stage;
  bad_stage.stage = "my stage";
  EXPECT_NE(error_of_door(bad_stage).find("bad stage 'my stage'"), std::string::npos);

  front_door_options bad_region;
  bad_region.region = "mars";
  EXPECT_NE(error_of_door(bad_region).find("bad region 'mars'"), std::string::npos);

  front_door_options bad_account;
  bad_account.account_id = "42";
  EXPECT_NE(error_of_door(bad_account).find("bad account id '42'"), std::string::npos);
}

TEST(FrontDoor, StageDefaultsPerKindAndApiIdIsStable) {
  EXPECT_EQ(door_of(api_kind::rest).options().stage, "prod");
  EXPECT_EQ(door_of(api_kind::http).options().stage, "$default");
  EXPECT_EQ(door_of(api_kind::url).options().stage, "$default");
  EXPECT_EQ(door_of(api_kind::http, {}, "dev").options().stage, "dev");
  EXPECT_EQ(door_of(api_kind::http, {"GET /a=f"}).options().routes.at(0).function, "f");

  const front_door rest = door_of(api_kind::rest);
  EXPECT_EQ(rest.api_id().size(), 10U);
  EXPECT_EQ(door_of(api_kind::url).api_id().size(), 32U);
  const auto m = rest.match("GET", "/x");
  ASSERT_TRUE(m);
  EXPECT_EQ(rest.make_event(get_item(), *m, now_ms)["requestContext"]["apiId"], rest.api_id());
  EXPECT_EQ(rest.make_event(post_json(), *m, now_ms)["requestContext"]["apiId"], rest.api_id());
}

// ---------------------------------------------------------------------------------------------------------
// Matching

std::string matched_key(const front_door& door, std::string_view method, std::string_view path) {
  const auto m = door.match(method, path);
  if (!m) return "(none)";
  return m->matched ? m->matched->key() : "(catch-all)";
}

TEST(Match, WithoutRoutesEverythingIsTheCatchAll) {
  for (const api_kind k : {api_kind::rest, api_kind::http, api_kind::url}) {
    const front_door door = door_of(k);
    const auto m = door.match("POST", "/any/path");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->matched, nullptr);
    EXPECT_TRUE(m->path_parameters.empty());
    EXPECT_EQ(matched_key(door, "GET", "/"), "(catch-all)");
    EXPECT_EQ(matched_key(door, "get", "/x"), "(catch-all)"); // methods are compared in upper case
    EXPECT_EQ(matched_key(door, "TRACE", "/x"), "(none)");    // not a method API Gateway passes on
    EXPECT_EQ(matched_key(door, "GET", "*"), "(none)");
  }
}

TEST(Match, LiteralBeatsParamBeatsGreedyAndMethodBeatsAny) {
  const front_door door =
      door_of(api_kind::http, {"ANY /{proxy+}", "GET /pets/{proxy+}", "GET /pets/dog/{id}", "GET /pets/dog/1",
                               "ANY /pets/dog/1", "POST /pets/{kind}/1", "GET /", "ANY /files/{path+}"});
  EXPECT_EQ(matched_key(door, "GET", "/pets/dog/1"), "GET /pets/dog/1");
  EXPECT_EQ(matched_key(door, "DELETE", "/pets/dog/1"), "ANY /pets/dog/1");
  EXPECT_EQ(matched_key(door, "GET", "/pets/dog/2"), "GET /pets/dog/{id}");
  EXPECT_EQ(matched_key(door, "GET", "/pets/cat/2"), "GET /pets/{proxy+}");
  EXPECT_EQ(matched_key(door, "GET", "/pets/cat"), "GET /pets/{proxy+}");
  EXPECT_EQ(matched_key(door, "POST", "/pets/cat/1"), "POST /pets/{kind}/1");
  // POST /pets/dog/1: the literal "dog" of ANY /pets/dog/1 beats {kind}.
  EXPECT_EQ(matched_key(door, "POST", "/pets/dog/1"), "ANY /pets/dog/1");
  EXPECT_EQ(matched_key(door, "PUT", "/pets/cat/2"), "ANY /{proxy+}");
  EXPECT_EQ(matched_key(door, "GET", "/pets"), "ANY /{proxy+}"); // {proxy+} needs at least one segment
  EXPECT_EQ(matched_key(door, "GET", "/"), "GET /");
  EXPECT_EQ(matched_key(door, "POST", "/"), "(none)"); // /{proxy+} does not match the root
  EXPECT_EQ(matched_key(door, "GET", "/files/a/b.txt"), "ANY /files/{path+}");
  EXPECT_EQ(matched_key(door, "TRACE", "/files/a"), "(none)");
}

TEST(Match, ParamsMatchOneNonEmptySegmentAndAreDecoded) {
  const front_door door =
      door_of(api_kind::rest, {"GET /items/{id}", "GET /items/{id}/parts/{part}", "ANY /files/{path+}"});
  auto m = door.match("GET", "/items/42");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->matched->key(), "GET /items/{id}");
  EXPECT_EQ(m->path_parameters, (std::vector<std::pair<std::string, std::string>>{{"id", "42"}}));

  m = door.match("GET", "/items/a%20b%2Fc/parts/p%2B1+2");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->matched->key(), "GET /items/{id}/parts/{part}");
  EXPECT_EQ(m->path_parameters, (std::vector<std::pair<std::string, std::string>>{{"id", "a b/c"}, {"part", "p+1+2"}}));

  m = door.match("DELETE", "/files/dir/sub%20dir/f.txt");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->path_parameters, (std::vector<std::pair<std::string, std::string>>{{"path", "dir/sub dir/f.txt"}}));

  EXPECT_EQ(matched_key(door, "GET", "/items/"), "(none)"); // {id} does not match an empty segment
  EXPECT_EQ(matched_key(door, "GET", "/items"), "(none)");
  EXPECT_EQ(matched_key(door, "GET", "/items/42/"), "(none)"); // a trailing '/' is another path
  EXPECT_EQ(matched_key(door, "GET", "/items/42/parts"), "(none)");
  EXPECT_EQ(matched_key(door, "GET", "/files/"), "(none)"); // {path+} needs something
  EXPECT_EQ(matched_key(door, "POST", "/items/42"), "(none)");
  EXPECT_EQ(matched_key(door, "GET", "/ITEMS/42"), "(none)"); // paths are case-sensitive
  EXPECT_EQ(matched_key(door, "GET", "/other"), "(none)");
}

TEST(Match, LiteralSegmentsCompareDecoded) {
  const front_door door = door_of(api_kind::http, {"GET /caf%C3%A9", "GET /x/{y}"});
  EXPECT_EQ(matched_key(door, "GET", "/caf%C3%A9"), "GET /caf%C3%A9");
  EXPECT_EQ(matched_key(door, "GET", "/caf%c3%a9"), "GET /caf%C3%A9");
  EXPECT_EQ(matched_key(door, "GET", "/cafe"), "(none)");
  const front_door plain = door_of(api_kind::http, {"GET /hello-world"});
  EXPECT_EQ(matched_key(plain, "GET", "/hello%2Dworld"), "GET /hello-world");
  EXPECT_EQ(matched_key(plain, "GET", "/hello-world"), "GET /hello-world");
  const auto m = door.match("GET", "/x/%E2%9C%93");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->path_parameters.at(0).second, "\xE2\x9C\x93");
}

// ---------------------------------------------------------------------------------------------------------
// Request -> event: REST (payload 1.0)

TEST(RestEvent, GetWithRouteQueryRepeatedHeadersAndCookies) {
  const front_door door = door_of(api_kind::rest, {"GET /items/{id}"});
  const http_request req = get_item();
  const auto m = door.match(req.method, "/items/42");
  ASSERT_TRUE(m && m->matched);
  const json e = door.make_event(req, *m, now_ms);

  EXPECT_EQ(keys_of(e),
            (std::vector<std::string>{"resource", "path", "httpMethod", "headers", "multiValueHeaders",
                                      "queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
                                      "stageVariables", "requestContext", "body", "isBase64Encoded"}));
  EXPECT_EQ(e["resource"], "/items/{id}");
  EXPECT_EQ(e["path"], "/items/42");
  EXPECT_EQ(e["httpMethod"], "GET");
  EXPECT_EQ(e["pathParameters"], json::parse(R"({"id":"42"})"));
  EXPECT_EQ(e["queryStringParameters"], json::parse(R"({"a":"2","b":" x"})"));
  EXPECT_EQ(e["multiValueQueryStringParameters"], json::parse(R"({"a":["1","2"],"b":[" x"]})"));
  EXPECT_TRUE(e["stageVariables"].is_null());
  EXPECT_TRUE(e["body"].is_null());
  EXPECT_EQ(e["isBase64Encoded"], false);

  // Names as the client spelled them (first spelling of a repeated name), last value in headers, all values
  // in multiValueHeaders; the gateway's own headers added.
  const json& mh = e["multiValueHeaders"];
  EXPECT_EQ(mh["Host"], json::array({"localhost:9000"}));
  EXPECT_EQ(mh["User-Agent"], json::array({"curl/8.1.2"}));
  EXPECT_EQ(mh["Accept"], json::array({"*/*"}));
  EXPECT_EQ(mh["X-Tag"], json::array({"one", "two"}));
  EXPECT_FALSE(mh.contains("x-tag"));
  EXPECT_EQ(mh["Cookie"], json::array({"session=abc; theme=dark", "lang=en"}));
  EXPECT_EQ(mh["Authorization"], json::array({"Bearer t0ken"}));
  EXPECT_EQ(mh["X-Forwarded-For"], json::array({"127.0.0.1"}));
  EXPECT_EQ(mh["X-Forwarded-Port"], json::array({"443"}));
  EXPECT_EQ(mh["X-Forwarded-Proto"], json::array({"https"}));
  ASSERT_TRUE(mh.contains("X-Amzn-Trace-Id"));
  EXPECT_EQ(mh["X-Amzn-Trace-Id"][0].get<std::string>().rfind("Root=1-", 0), 0U);
  EXPECT_EQ(mh.size(), 10U) << mh.dump();
  const json& h = e["headers"];
  EXPECT_EQ(keys_of(h), keys_of(mh));
  EXPECT_EQ(h["X-Tag"], "two");
  EXPECT_EQ(h["Cookie"], "lang=en");
  EXPECT_EQ(h["Host"], "localhost:9000");

  const json& ctx = e["requestContext"];
  EXPECT_EQ(ctx["resourcePath"], "/items/{id}");
  EXPECT_EQ(ctx["httpMethod"], "GET");
  EXPECT_EQ(ctx["path"], "/prod/items/42");
  EXPECT_EQ(ctx["stage"], "prod");
  EXPECT_EQ(ctx["accountId"], "123456789012");
  EXPECT_EQ(ctx["protocol"], "HTTP/1.1");
  EXPECT_EQ(ctx["domainName"], "localhost");
  EXPECT_EQ(ctx["domainPrefix"], "localhost");
  EXPECT_EQ(ctx["apiId"], door.api_id());
  EXPECT_EQ(ctx["requestTime"], now_clf);
  EXPECT_EQ(ctx["requestTimeEpoch"], now_ms);
  EXPECT_EQ(ctx["identity"]["sourceIp"], "127.0.0.1");
  EXPECT_EQ(ctx["identity"]["userAgent"], "curl/8.1.2");
  EXPECT_EQ(ctx["resourceId"].get<std::string>().size(), 6U);
  EXPECT_EQ(ctx["requestId"].get<std::string>().size(), 36U);

  // Fresh request ids, the same resource id for the same resource.
  const json again = door.make_event(req, *m, now_ms);
  EXPECT_NE(again["requestContext"]["requestId"], ctx["requestId"]);
  EXPECT_NE(again["requestContext"]["extendedRequestId"], ctx["extendedRequestId"]);
  EXPECT_EQ(again["requestContext"]["resourceId"], ctx["resourceId"]);
}

TEST(RestEvent, CatchAllUsesProxyResourceWithDecodedPath) {
  const front_door door = door_of(api_kind::rest, {}, "v1");
  http_request req = get_item();
  req.target = "/hello/big%20world?x=1";
  const json e = door.make_event(req, route_match{}, now_ms);
  EXPECT_EQ(e["resource"], "/{proxy+}");
  EXPECT_EQ(e["requestContext"]["resourcePath"], "/{proxy+}");
  EXPECT_EQ(e["path"], "/hello/big%20world");
  EXPECT_EQ(e["pathParameters"], json::parse(R"({"proxy":"hello/big world"})"));
  EXPECT_EQ(e["requestContext"]["path"], "/v1/hello/big%20world");
  EXPECT_EQ(e["requestContext"]["stage"], "v1");

  req.target = "/";
  const json root = door.make_event(req, route_match{}, now_ms);
  EXPECT_EQ(root["resource"], "/");
  EXPECT_TRUE(root["pathParameters"].is_null());
  EXPECT_TRUE(root["queryStringParameters"].is_null());
  EXPECT_TRUE(root["multiValueQueryStringParameters"].is_null());
  EXPECT_NE(root["requestContext"]["resourceId"], e["requestContext"]["resourceId"]);
}

TEST(RestEvent, RouteWithoutParametersHasNullPathParameters) {
  const front_door door = door_of(api_kind::rest, {"POST /orders"});
  const auto m = door.match("POST", "/orders");
  ASSERT_TRUE(m);
  const json e = door.make_event(post_json(), *m, now_ms);
  EXPECT_EQ(e["resource"], "/orders");
  EXPECT_TRUE(e["pathParameters"].is_null());
  EXPECT_EQ(e["body"], post_json().body);
  EXPECT_EQ(e["isBase64Encoded"], false);
  EXPECT_EQ(e["httpMethod"], "POST");
  EXPECT_EQ(e["headers"]["Content-Type"], "application/json");
  EXPECT_EQ(e["headers"]["Content-Length"], std::to_string(post_json().body.size()));
  EXPECT_EQ(e["requestContext"]["identity"]["sourceIp"], "192.0.2.10");
  EXPECT_EQ(e["requestContext"]["domainName"], "127.0.0.1"); // an IP address is its own prefix
  EXPECT_EQ(e["requestContext"]["domainPrefix"], "127.0.0.1");
}

TEST(RestEvent, AnyRouteKeepsTheRequestMethodAndGreedyParameter) {
  const front_door door = door_of(api_kind::rest, {"ANY /files/{path+}"});
  http_request req = get_item();
  req.method = "DELETE";
  req.target = "/files/a/b%2Bc.txt";
  const auto m = door.match(req.method, "/files/a/b%2Bc.txt");
  ASSERT_TRUE(m);
  const json e = door.make_event(req, *m, now_ms);
  EXPECT_EQ(e["httpMethod"], "DELETE");
  EXPECT_EQ(e["requestContext"]["httpMethod"], "DELETE");
  EXPECT_EQ(e["resource"], "/files/{path+}");
  EXPECT_EQ(e["pathParameters"], json::parse(R"({"path":"a/b+c.txt"})"));
}

// ---------------------------------------------------------------------------------------------------------
// Request -> event: HTTP API and function URLs (payload 2.0)

TEST(HttpEvent, GetWithRouteQueryRepeatedHeadersAndCookies) {
  const front_door door = door_of(api_kind::http, {"GET /items/{id}"});
  const http_request req = get_item();
  const auto m = door.match(req.method, "/items/42");
  ASSERT_TRUE(m && m->matched);
  const json e = door.make_event(req, *m, now_ms);

  EXPECT_EQ(keys_of(e),
            (std::vector<std::string>{"version", "routeKey", "rawPath", "rawQueryString", "cookies", "headers",
                                      "queryStringParameters", "pathParameters", "requestContext", "isBase64Encoded"}));
  EXPECT_EQ(e["version"], "2.0");
  EXPECT_EQ(e["routeKey"], "GET /items/{id}");
  EXPECT_EQ(e["rawPath"], "/items/42");
  EXPECT_EQ(e["rawQueryString"], "a=1&a=2&b=%20x");
  EXPECT_EQ(e["cookies"], json::array({"session=abc", "theme=dark", "lang=en"}));
  EXPECT_EQ(e["queryStringParameters"], json::parse(R"({"a":"1,2","b":" x"})"));
  EXPECT_EQ(e["pathParameters"], json::parse(R"({"id":"42"})"));
  EXPECT_FALSE(e.contains("body"));
  EXPECT_EQ(e["isBase64Encoded"], false);

  const json& h = e["headers"];
  EXPECT_EQ(h["host"], "localhost:9000");
  EXPECT_EQ(h["user-agent"], "curl/8.1.2");
  EXPECT_EQ(h["accept"], "*/*");
  EXPECT_EQ(h["x-tag"], "one,two");
  EXPECT_EQ(h["authorization"], "Bearer t0ken");
  EXPECT_EQ(h["x-forwarded-for"], "127.0.0.1");
  EXPECT_EQ(h["x-forwarded-port"], "443");
  EXPECT_EQ(h["x-forwarded-proto"], "https");
  EXPECT_TRUE(h.contains("x-amzn-trace-id"));
  EXPECT_FALSE(h.contains("cookie"));
  EXPECT_FALSE(h.contains("content-length")); // no body
  EXPECT_EQ(h.size(), 9U) << h.dump();

  const json& ctx = e["requestContext"];
  EXPECT_EQ(ctx["routeKey"], "GET /items/{id}");
  EXPECT_EQ(ctx["stage"], "$default");
  EXPECT_EQ(ctx["accountId"], "123456789012");
  EXPECT_EQ(ctx["apiId"], door.api_id());
  EXPECT_EQ(ctx["domainName"], "localhost");
  EXPECT_EQ(ctx["domainPrefix"], "localhost");
  EXPECT_EQ(ctx["http"], json::parse(R"({"method":"GET","path":"/items/42","protocol":"HTTP/1.1",
                                         "sourceIp":"127.0.0.1","userAgent":"curl/8.1.2"})"));
  EXPECT_EQ(ctx["time"], now_clf);
  EXPECT_EQ(ctx["timeEpoch"], now_ms);
  EXPECT_EQ(ctx["requestId"].get<std::string>().size(), 16U); // "LV7fzho-PHcEJPw="
}

TEST(HttpEvent, CatchAllIsTheDefaultRouteWithoutPathParameters) {
  const front_door door = door_of(api_kind::http);
  const json e = door.make_event(get_item(), route_match{}, now_ms);
  EXPECT_EQ(e["routeKey"], "$default");
  EXPECT_EQ(e["requestContext"]["routeKey"], "$default");
  EXPECT_FALSE(e.contains("pathParameters"));

  const front_door routed = door_of(api_kind::http, {"GET /items/42"});
  const auto m = routed.match("GET", "/items/42");
  ASSERT_TRUE(m);
  const json r = routed.make_event(get_item(), *m, now_ms);
  EXPECT_EQ(r["routeKey"], "GET /items/42");
  EXPECT_FALSE(r.contains("pathParameters")); // a route without parameters
}

TEST(HttpEvent, NamedStageIsInRawPath) {
  const front_door door = door_of(api_kind::http, {"GET /items/{id}"}, "dev");
  const auto m = door.match("GET", "/items/42");
  ASSERT_TRUE(m);
  const json e = door.make_event(get_item(), *m, now_ms);
  EXPECT_EQ(e["rawPath"], "/dev/items/42");
  EXPECT_EQ(e["requestContext"]["http"]["path"], "/dev/items/42");
  EXPECT_EQ(e["requestContext"]["stage"], "dev");
  EXPECT_EQ(e["routeKey"], "GET /items/{id}");
}

TEST(HttpEvent, PostJsonBodyIsTextWithContentLength) {
  const front_door door = door_of(api_kind::http);
  const json e = door.make_event(post_json(), route_match{}, now_ms);
  EXPECT_EQ(e["body"], post_json().body);
  EXPECT_EQ(e["isBase64Encoded"], false);
  EXPECT_EQ(e["headers"]["content-type"], "application/json");
  EXPECT_EQ(e["headers"]["content-length"], std::to_string(post_json().body.size()));
  EXPECT_EQ(e["rawQueryString"], "");
  EXPECT_FALSE(e.contains("queryStringParameters"));
  EXPECT_FALSE(e.contains("cookies"));
  EXPECT_EQ(e["requestContext"]["http"]["method"], "POST");
  EXPECT_EQ(e["requestContext"]["http"]["sourceIp"], "192.0.2.10");
}

TEST(UrlEvent, GetHasDefaultRouteAndTheHostAsDomain) {
  const front_door door = door_of(api_kind::url);
  http_request req = get_item();
  req.headers[0].second = "abc123.lambda-url.us-east-1.localhost:9000";
  const json e = door.make_event(req, route_match{}, now_ms);
  EXPECT_EQ(e["version"], "2.0");
  EXPECT_EQ(e["routeKey"], "$default");
  EXPECT_EQ(e["rawPath"], "/items/42");
  EXPECT_EQ(e["rawQueryString"], "a=1&a=2&b=%20x");
  EXPECT_EQ(e["cookies"], json::array({"session=abc", "theme=dark", "lang=en"}));
  EXPECT_EQ(e["queryStringParameters"], json::parse(R"({"a":"1,2","b":" x"})"));
  EXPECT_EQ(e["headers"]["x-tag"], "one,two");
  EXPECT_EQ(e["headers"]["x-amzn-tls-version"], "TLSv1.3");
  EXPECT_FALSE(e.contains("pathParameters"));
  const json& ctx = e["requestContext"];
  EXPECT_EQ(ctx["accountId"], "anonymous");
  EXPECT_EQ(ctx["apiId"], door.api_id());
  EXPECT_EQ(ctx["domainName"], "abc123.lambda-url.us-east-1.localhost");
  EXPECT_EQ(ctx["domainPrefix"], "abc123");
  EXPECT_EQ(ctx["stage"], "$default");
  EXPECT_EQ(ctx["http"]["sourceIp"], "127.0.0.1");
  EXPECT_EQ(ctx["http"]["path"], "/items/42");
  EXPECT_EQ(ctx["requestId"].get<std::string>().size(), 36U);
}

// ---------------------------------------------------------------------------------------------------------
// Bodies and headers, every kind

TEST(EventBody, BinaryBodyIsBase64AndRoundTripsInEveryKind) {
  for (const api_kind k : {api_kind::rest, api_kind::http, api_kind::url}) {
    SCOPED_TRACE(std::string(to_string(k)));
    const front_door door = door_of(k);
    const json e = door.make_event(post_png(), route_match{}, now_ms);
    EXPECT_EQ(e["isBase64Encoded"], true);
    ASSERT_TRUE(e["body"].is_string());
    EXPECT_EQ(e["body"].get<std::string>().substr(0, 40), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd");
    const auto decoded = events::base64_decode(e["body"].get<std::string>());
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, all_bytes());
    if (k != api_kind::rest) {
      EXPECT_EQ(e["headers"]["content-length"], "256"); // the decoded size
    }
    EXPECT_NO_THROW((void)e.dump());
  }
}

TEST(EventBody, TextualContentTypesStayTextOthersAreBase64) {
  const front_door door = door_of(api_kind::http);
  const auto encoded = [&](std::optional<std::string> content_type, std::string body) {
    http_request r = post_json();
    r.headers = {{"Host", "localhost"}};
    if (content_type) r.headers.emplace_back("Content-Type", *content_type);
    r.body = std::move(body);
    return door.make_event(r, route_match{}, now_ms)["isBase64Encoded"].get<bool>();
  };
  EXPECT_FALSE(encoded(std::nullopt, "plain"));
  EXPECT_FALSE(encoded("text/plain", "plain"));
  EXPECT_FALSE(encoded("text/csv; charset=utf-8", "a,b"));
  EXPECT_FALSE(encoded("application/json", "{}"));
  EXPECT_FALSE(encoded("Application/JSON; charset=UTF-8", "{}"));
  EXPECT_FALSE(encoded("application/vnd.api+json", "{}"));
  EXPECT_FALSE(encoded("application/xml", "<a/>"));
  EXPECT_FALSE(encoded("application/atom+xml", "<a/>"));
  EXPECT_FALSE(encoded("application/javascript", "x()"));
  EXPECT_FALSE(encoded("application/x-www-form-urlencoded", "a=1&b=2"));
  EXPECT_FALSE(encoded("text/plain", "caf\xC3\xA9"));
  EXPECT_TRUE(encoded("application/octet-stream", "plain"));
  EXPECT_TRUE(encoded("image/png", "plain"));
  EXPECT_TRUE(encoded("multipart/form-data; boundary=x", "--x--"));
  EXPECT_TRUE(encoded("application/pdf", "%PDF"));
  EXPECT_TRUE(encoded("application/jsonp", "x"));
  // Not valid UTF-8 is base64 whatever the type says.
  EXPECT_TRUE(encoded("text/plain", "caf\xE9"));
  EXPECT_TRUE(encoded(std::nullopt, std::string("a\xC0\x80", 3)));

  http_request r = post_json();
  r.headers = {{"Content-Type", "text/plain"}};
  r.body = "caf\xE9";
  const json e = door.make_event(r, route_match{}, now_ms);
  EXPECT_EQ(e["body"], "Y2Fm6Q==");
}

TEST(EventBody, IsTextualContentTypeAndUtf8Validation) {
  EXPECT_TRUE(is_textual_content_type(std::nullopt));
  EXPECT_TRUE(is_textual_content_type("text/html"));
  EXPECT_TRUE(is_textual_content_type(" TEXT/HTML ;charset=latin1"));
  EXPECT_TRUE(is_textual_content_type("application/problem+json"));
  EXPECT_TRUE(is_textual_content_type("application/soap+xml; charset=utf-8"));
  EXPECT_FALSE(is_textual_content_type(""));
  EXPECT_FALSE(is_textual_content_type("image/svg+xml")); // only application/*+xml
  EXPECT_FALSE(is_textual_content_type("application/json-seq"));
  EXPECT_FALSE(is_textual_content_type("audio/mpeg"));

  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF")); // é € 😀 U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xC3"));                                                // truncated
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));                                            // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));                                        // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));                                        // surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));                                    // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\x80"));                                                // lone continuation byte
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));                                            // truncated
  EXPECT_FALSE(is_valid_utf8("\xFF"));
}

TEST(EventHeaders, GatewayAppendsForwardedForDropsHopByHopAndInventsNothing) {
  for (const api_kind k : {api_kind::rest, api_kind::http}) {
    SCOPED_TRACE(std::string(to_string(k)));
    const front_door door = door_of(k);
    http_request r;
    r.method = "POST";
    r.target = "/x";
    r.headers = {{"Host", "api.example.com"},   {"X-Forwarded-For", "198.51.100.1"}, {"X-Forwarded-Proto", "http"},
                 {"X-Forwarded-Port", "9000"},  {"Connection", "keep-alive"},        {"Transfer-Encoding", "chunked"},
                 {"Content-Type", "text/plain"}};
    r.body = "hello";
    r.source_ip = "10.0.0.7";
    const json e = door.make_event(r, route_match{}, now_ms);
    const json& h = e["headers"];
    const auto get = [&](const char* rest_name, const char* v2_name) {
      const char* name = k == api_kind::rest ? rest_name : v2_name;
      return h.contains(name) ? h[name].get<std::string>() : std::string("(absent)");
    };
    EXPECT_EQ(get("X-Forwarded-For", "x-forwarded-for"), "198.51.100.1, 10.0.0.7");
    EXPECT_EQ(get("X-Forwarded-Proto", "x-forwarded-proto"), "https");
    EXPECT_EQ(get("X-Forwarded-Port", "x-forwarded-port"), "443");
    EXPECT_EQ(get("Connection", "connection"), "(absent)");
    EXPECT_EQ(get("Transfer-Encoding", "transfer-encoding"), "(absent)");
    EXPECT_EQ(get("User-Agent", "user-agent"), "(absent)");
    EXPECT_EQ(get("Accept", "accept"), "(absent)");
    EXPECT_EQ(get("Content-Length", "content-length"), k == api_kind::rest ? "(absent)" : "5");
    EXPECT_EQ(e["requestContext"]["domainName"], "api.example.com");
    EXPECT_EQ(e["requestContext"]["domainPrefix"], "api");
    if (k == api_kind::rest) {
      EXPECT_TRUE(e["requestContext"]["identity"]["userAgent"].is_null());
      EXPECT_EQ(e["multiValueHeaders"]["X-Forwarded-For"], json::array({"198.51.100.1, 10.0.0.7"}));
    } else {
      EXPECT_EQ(e["requestContext"]["http"]["userAgent"], "");
    }
  }
}

TEST(EventHeaders, WithoutHostTheDomainIsTheApis) {
  for (const api_kind k : {api_kind::rest, api_kind::http, api_kind::url}) {
    SCOPED_TRACE(std::string(to_string(k)));
    const front_door door = door_of(k);
    http_request r;
    r.method = "GET";
    r.target = "/";
    r.source_ip = "127.0.0.1";
    const json e = door.make_event(r, route_match{}, now_ms);
    const std::string domain = k == api_kind::url ? door.api_id() + ".lambda-url.us-east-1.on.aws"
                                                  : door.api_id() + ".execute-api.us-east-1.amazonaws.com";
    EXPECT_EQ(e["requestContext"]["domainName"], domain);
    EXPECT_EQ(e["requestContext"]["domainPrefix"], door.api_id());
    EXPECT_EQ(e["headers"][k == api_kind::rest ? "Host" : "host"], domain);
  }
}

TEST(EventHeaders, Ipv6HostAndInvalidUtf8AreHandled) {
  const front_door door = door_of(api_kind::http);
  http_request r = get_item();
  r.target = "/q?name=%FF%FE&ok=%C3%A9";
  r.headers = {{"Host", "[::1]:9000"}, {"X-Latin1", "caf\xE9"}};
  r.source_ip = "::1";
  const json e = door.make_event(r, route_match{}, now_ms);
  EXPECT_EQ(e["requestContext"]["domainName"], "[::1]");
  EXPECT_EQ(e["requestContext"]["domainPrefix"], "[::1]");
  EXPECT_EQ(e["requestContext"]["http"]["sourceIp"], "::1");
  EXPECT_EQ(e["headers"]["x-forwarded-for"], "::1");
  EXPECT_EQ(e["headers"]["x-latin1"], "caf\xEF\xBF\xBD");
  EXPECT_EQ(e["queryStringParameters"]["name"], "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(e["queryStringParameters"]["ok"], "\xC3\xA9");
  EXPECT_EQ(e["rawQueryString"], "name=%FF%FE&ok=%C3%A9");
  EXPECT_NO_THROW((void)e.dump());
}

TEST(EventErrors, RequestsNoGatewayPassesOnThrow) {
  const front_door door = door_of(api_kind::http);
  http_request r = get_item();
  r.method = "TRACE";
  EXPECT_THROW(door.make_event(r, route_match{}, now_ms), std::invalid_argument);
  r = get_item();
  r.target = "*";
  EXPECT_THROW(door.make_event(r, route_match{}, now_ms), std::invalid_argument);
  r.target = "http://example.com/x";
  EXPECT_THROW(door.make_event(r, route_match{}, now_ms), std::invalid_argument);
  r = get_item();
  r.headers.emplace_back("Bad Name", "x");
  EXPECT_THROW(door.make_event(r, route_match{}, now_ms), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------------------
// Structure against the real fixtures (as tests/unit/events/test_generators_shape.cpp does)

json fixture(const std::string& relative) {
  std::ifstream in(fs::path(test::fixtures_dir) / "events" / relative, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read fixture " + relative);
  return json::parse(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
}

std::set<std::string> shape_differences(const std::string& fixture_file, const json& event,
                                        std::vector<std::string> map_paths) {
  std::set<std::string> out;
  for (const events::shape_difference& d : events::compare_shapes(fixture(fixture_file), event, {std::move(map_paths)}))
    out.insert(d.to_string());
  return out;
}

std::set<std::string> with(std::set<std::string> base, const std::set<std::string>& more) {
  base.insert(more.begin(), more.end());
  return base;
}

// Same allow-list as events/README.md for apigw-rest: no IAM/Cognito caller (identity fields null), no stage
// variables, authorizer, API key or client certificate; isBase64Encoded is missing from the Go fixture.
const std::set<std::string> rest_base = [] {
  std::set<std::string> out = {"type stageVariables: object -> null",
                               "missing requestContext.authorizer",
                               "missing requestContext.identity.apiKey",
                               "missing requestContext.identity.apiKeyId",
                               "missing requestContext.identity.clientCert",
                               "extra requestContext.identity.principalOrgId",
                               "extra isBase64Encoded"};
  for (const char* field : {"cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "accessKey",
                            "cognitoAuthenticationType", "cognitoAuthenticationProvider", "userArn", "user"})
    out.insert(std::string("type requestContext.identity.") + field + ": string -> null");
  return out;
}();

const std::vector<std::string> rest_maps = {
    "headers",        "multiValueHeaders", "queryStringParameters",    "multiValueQueryStringParameters",
    "pathParameters", "stageVariables",    "requestContext.authorizer"};
const std::vector<std::string> http_maps = {"headers", "queryStringParameters", "pathParameters", "stageVariables"};
const std::vector<std::string> url_maps = {"headers", "queryStringParameters", "requestContext.authorizer"};

TEST(EventShape, RestEventsHaveTheFixturesStructure) {
  const front_door door = door_of(api_kind::rest, {"GET /items/{id}", "POST /orders", "POST /upload"});
  const std::string file = "aws-lambda-go/apigw-request.json";
  const auto event_for = [&](const http_request& r) {
    const std::string path = r.target.substr(0, r.target.find('?'));
    const auto m = door.match(r.method, path);
    if (!m) throw std::runtime_error("no route for " + path);
    return door.make_event(r, *m, now_ms);
  };
  EXPECT_EQ(shape_differences(file, event_for(get_item()), rest_maps), with(rest_base, {"type body: string -> null"}));
  EXPECT_EQ(
      shape_differences(file, event_for(post_json()), rest_maps),
      with(rest_base, {"type queryStringParameters: object -> null",
                       "type multiValueQueryStringParameters: object -> null", "type pathParameters: object -> null"}));
  EXPECT_EQ(shape_differences(file, event_for(post_png()), rest_maps),
            with(rest_base, {"type pathParameters: object -> null"}));
}

TEST(EventShape, HttpEventsHaveTheFixturesStructure) {
  const front_door door = door_of(api_kind::http, {"GET /items/{id}", "POST /orders"});
  const std::string file = "aws-lambda-go/apigw-v2-request-no-authorizer.json";
  const auto m = door.match("GET", "/items/42");
  ASSERT_TRUE(m);
  EXPECT_EQ(shape_differences(file, door.make_event(get_item(), *m, now_ms), http_maps),
            (std::set<std::string>{"missing requestContext.authentication", "extra cookies",
                                   "extra queryStringParameters", "extra pathParameters"}));
  const auto post = door.match("POST", "/orders");
  ASSERT_TRUE(post);
  EXPECT_EQ(shape_differences(file, door.make_event(post_json(), *post, now_ms), http_maps),
            (std::set<std::string>{"missing requestContext.authentication", "extra body"}));
  // The IAM fixture has cookies, query and path parameters like the routed GET (and an authorizer, stage
  // variables and a body the local API and request do not have).
  const std::set<std::string> iam =
      shape_differences("aws-lambda-go/apigw-v2-request-iam.json", door.make_event(get_item(), *m, now_ms), http_maps);
  EXPECT_EQ(iam, (std::set<std::string>{"missing requestContext.authorizer", "missing requestContext.authentication",
                                        "missing stageVariables", "missing body"}));
}

TEST(EventShape, UrlEventsHaveTheFixturesStructure) {
  const front_door door = door_of(api_kind::url);
  const std::string file = "aws-lambda-go/lambda-urls-request.json";
  const std::set<std::string> url_base = {"missing requestContext.authorizer", "extra routeKey",
                                          "extra requestContext.routeKey", "extra requestContext.stage"};
  http_request r = get_item();
  r.method = "POST";
  r.headers.emplace_back("Content-Type", "text/plain");
  r.body = "Hello from client!";
  EXPECT_EQ(shape_differences(file, door.make_event(r, route_match{}, now_ms), url_maps), url_base);
  EXPECT_EQ(shape_differences(file, door.make_event(post_json(), route_match{}, now_ms), url_maps),
            with(url_base, {"missing cookies", "missing queryStringParameters"}));
}

// ---------------------------------------------------------------------------------------------------------
// The generator's source_ip option

TEST(GeneratorSourceIp, IsUsedForSourceIpAndForwardedForAndKeepsTheSeededIds) {
  events::generator_options o;
  o.seed = 5;
  o.now_ms = now_ms;
  const json random_ip = events::make_event("apigw-rest", o);
  EXPECT_EQ(random_ip["requestContext"]["identity"]["sourceIp"].get<std::string>().rfind("203.0.113.", 0), 0U);
  o.source_ip = "198.51.100.7";
  const json rest = events::make_event("apigw-rest", o);
  EXPECT_EQ(rest["requestContext"]["identity"]["sourceIp"], "198.51.100.7");
  EXPECT_EQ(rest["headers"]["X-Forwarded-For"], "198.51.100.7");
  EXPECT_EQ(rest["requestContext"]["requestId"], random_ip["requestContext"]["requestId"]);
  EXPECT_EQ(rest["requestContext"]["apiId"], random_ip["requestContext"]["apiId"]);
  EXPECT_EQ(events::make_event("apigw-http", o)["requestContext"]["http"]["sourceIp"], "198.51.100.7");
  EXPECT_EQ(events::make_event("function-url", o)["headers"]["x-forwarded-for"], "198.51.100.7");
  EXPECT_EQ(events::make_event("s3", o)["Records"][0]["requestParameters"]["sourceIPAddress"], "198.51.100.7");
  o.source_ip = "";
  EXPECT_THROW(events::make_event("apigw-rest", o), std::invalid_argument);
  o.source_ip = "1.2.3.4\r\nX: y";
  EXPECT_THROW(events::make_event("apigw-http", o), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------------------
// Response mapping: REST (payload 1.0)

header_list headers_of(const front_door::mapped& m) { return m.response.headers; }

void expect_internal_error(const front_door::mapped& m, const std::string& error) {
  EXPECT_EQ(m.response.status, 502U);
  EXPECT_EQ(m.response.body, internal_error_body);
  EXPECT_EQ(m.response.headers, (header_list{{"Content-Type", "application/json"}}));
  EXPECT_EQ(m.error, error);
}

TEST(RestResponse, MergesHeadersAndMultiValueHeaders) {
  const front_door door = door_of(api_kind::rest);
  const auto m = door.map_response(R"({
    "statusCode": 201,
    "headers": {"X-A": "1", "Set-Cookie": "single=1", "X-Num": 5, "X-Float": 1.5, "X-Bool": true, "x-m": "lost"},
    "multiValueHeaders": {"set-cookie": ["a=1; Path=/", "b=2"], "X-M": ["x", "y"], "X-Empty": []},
    "body": "created",
    "isBase64Encoded": false})");
  EXPECT_EQ(m.error, "");
  EXPECT_EQ(m.response.status, 201U);
  EXPECT_EQ(m.response.body, "created");
  EXPECT_EQ(headers_of(m), (header_list{{"X-A", "1"},
                                        {"X-Num", "5"},
                                        {"X-Float", "1.5"},
                                        {"X-Bool", "true"},
                                        {"set-cookie", "a=1; Path=/"},
                                        {"set-cookie", "b=2"},
                                        {"X-M", "x"},
                                        {"X-M", "y"},
                                        {"Content-Type", "application/json"}}));
}

TEST(RestResponse, RealFixtureResponseAndDefaults) {
  const front_door door = door_of(api_kind::rest);
  std::ifstream in(fs::path(test::fixtures_dir) / "events" / "aws-lambda-go" / "apigw-response.json");
  const std::string payload{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ASSERT_FALSE(payload.empty());
  const auto m = door.map_response(payload);
  EXPECT_EQ(m.error, "");
  EXPECT_EQ(m.response.status, 200U);
  EXPECT_EQ(m.response.body, "Hello World");
  EXPECT_EQ(m.response.headers.size(), 18U); // 17 names, each once (multiValueHeaders win), + Content-Type
  EXPECT_EQ(m.response.header("Via"), "1.1 fb7cca60f0ecd82ce07790c9c5eef16c.cloudfront.net (CloudFront)");
  EXPECT_EQ(m.response.header("Content-Type"), "application/json");

  const auto minimal = door.map_response(R"({"statusCode":204})");
  EXPECT_EQ(minimal.error, "");
  EXPECT_EQ(minimal.response.status, 204U);
  EXPECT_EQ(minimal.response.body, "");
  EXPECT_EQ(minimal.response.headers, (header_list{{"Content-Type", "application/json"}}));

  const auto nulls = door.map_response(
      R"({"statusCode":200,"headers":null,"multiValueHeaders":null,"body":null,"isBase64Encoded":null})");
  EXPECT_EQ(nulls.error, "");
  EXPECT_EQ(nulls.response.body, "");

  const auto typed = door.map_response(R"({"statusCode":200,"headers":{"content-type":"text/html"},"body":"<p>"})");
  EXPECT_EQ(typed.response.headers, (header_list{{"content-type", "text/html"}}));
  EXPECT_EQ(typed.response.body, "<p>");
}

TEST(RestResponse, DecodesBase64BodyAndDropsFraming) {
  const front_door door = door_of(api_kind::rest);
  json p = {{"statusCode", 200},
            {"headers", {{"Content-Type", "image/png"}, {"Content-Length", "344"}, {"transfer-encoding", "chunked"}}},
            {"multiValueHeaders", {{"content-length", json::array({"1"})}}},
            {"body", events::base64_encode(all_bytes())},
            {"isBase64Encoded", true}};
  const auto m = door.map_response(p.dump());
  EXPECT_EQ(m.error, "");
  EXPECT_EQ(m.response.body, all_bytes());
  EXPECT_EQ(m.response.headers, (header_list{{"Content-Type", "image/png"}}));

  p["isBase64Encoded"] = false;
  EXPECT_EQ(door.map_response(p.dump()).response.body, events::base64_encode(all_bytes()));
}

TEST(RestResponse, MalformedPayloadsAre502WithAReason) {
  const front_door door = door_of(api_kind::rest);
  const std::string prefix = "Malformed Lambda proxy response: ";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "the payload is not valid JSON"},
      {"", "the payload is not valid JSON"},
      {"[1,2]", "the payload is a JSON array, not an object"},
      {R"("hello")", "the payload is a JSON string, not an object"},
      {"null", "the payload is a JSON null, not an object"},
      {"{}", "statusCode is missing"},
      {R"({"body":"x"})", "statusCode is missing"},
      {R"({"statusCode":"200"})", R"(statusCode must be an integer, got "200")"},
      {R"({"statusCode":200.5})", "statusCode must be an integer, got 200.5"},
      {R"({"statusCode":null})", "statusCode must be an integer, got null"},
      {R"({"statusCode":99})", "statusCode must be from 100 to 599, got 99"},
      {R"({"statusCode":600})", "statusCode must be from 100 to 599, got 600"},
      {R"({"statusCode":-200})", "statusCode must be from 100 to 599, got -200"},
      {R"({"statusCode":200,"cookies":["a=1"]})", "unknown key 'cookies'"},
      {R"({"statusCode":200,"Body":"x"})", "unknown key 'Body'"},
      {R"({"statusCode":200,"headers":["a"]})", "headers must be an object, got array"},
      {R"({"statusCode":200,"headers":{"a":{}}})", "headers.a must be a string, number or boolean, got object"},
      {R"({"statusCode":200,"headers":{"a":null}})", "headers.a must be a string, number or boolean, got null"},
      {R"({"statusCode":200,"multiValueHeaders":"x"})", "multiValueHeaders must be an object, got string"},
      {R"({"statusCode":200,"multiValueHeaders":{"a":"x"}})", "multiValueHeaders.a must be an array, got string"},
      {R"({"statusCode":200,"multiValueHeaders":{"a":[[]]}})",
       "multiValueHeaders.a[] must be a string, number or boolean, got array"},
      {R"({"statusCode":200,"body":{"a":1}})", "body must be a string or null, got object"},
      {R"({"statusCode":200,"body":5})", "body must be a string or null, got number"},
      {R"({"statusCode":200,"isBase64Encoded":"true"})", R"(isBase64Encoded must be a boolean, got "true")"},
      {R"({"statusCode":200,"body":"@@@","isBase64Encoded":true})",
       "isBase64Encoded is true but body is not valid base64"},
      {R"({"statusCode":200,"headers":{"X":"a\r\nInjected: yes"}})",
       "the value of header 'X' holds a line break or NUL"},
      {R"({"statusCode":200,"headers":{"X Y":"a"}})", "header name 'X Y' is not a valid HTTP header name"},
      {R"({"statusCode":200,"multiValueHeaders":{"":["a"]}})", "header name '' is not a valid HTTP header name"},
  };
  for (const auto& [payload, why] : cases) {
    SCOPED_TRACE(payload);
    expect_internal_error(door.map_response(payload), prefix + why);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Response mapping: HTTP API and function URLs (payload 2.0)

TEST(V2Response, ProxyFormatWithCookiesFromTheRealFixture) {
  for (const api_kind k : {api_kind::http, api_kind::url}) {
    SCOPED_TRACE(std::string(to_string(k)));
    const front_door door = door_of(k);
    std::ifstream in(fs::path(test::fixtures_dir) / "events" / "aws-lambda-go" / "lambda-urls-response.json");
    const std::string payload{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const auto m = door.map_response(payload);
    EXPECT_EQ(m.error, "");
    EXPECT_EQ(m.response.status, 201U);
    EXPECT_EQ(m.response.body, R"({ "message": "Hello, world!" })");
    EXPECT_EQ(m.response.headers, (header_list{{"Content-Type", "application/json"},
                                               {"My-Custom-Header", "Custom Value"},
                                               {"Set-Cookie", "Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT"},
                                               {"Set-Cookie", "Cookie_2=Value2; Max-Age=78000"}}));
  }
}

TEST(V2Response, HeadersStayOneLineAndDefaultsApply) {
  const front_door door = door_of(api_kind::http);
  const auto m = door.map_response(
      R"({"statusCode":200,"headers":{"Vary":"Accept,Origin","X-N":7,"X-B":false,"Content-Length":"99"},"body":"ok"})");
  EXPECT_EQ(m.error, "");
  EXPECT_EQ(
      m.response.headers,
      (header_list{{"Vary", "Accept,Origin"}, {"X-N", "7"}, {"X-B", "false"}, {"Content-Type", "application/json"}}));
  EXPECT_EQ(m.response.body, "ok");

  const auto empty = door.map_response(R"({"statusCode":302,"headers":{"location":"/next"}})");
  EXPECT_EQ(empty.response.status, 302U);
  EXPECT_EQ(empty.response.body, "");
  EXPECT_EQ(empty.response.header("Location"), "/next");

  const auto null_body = door.map_response(R"({"statusCode":200,"body":null,"cookies":null})");
  EXPECT_EQ(null_body.error, "");
  EXPECT_EQ(null_body.response.body, "");

  // Keys payload 2.0 does not have are ignored (multiValueHeaders is a 1.0 field).
  const auto extra = door.map_response(R"({"statusCode":200,"multiValueHeaders":{"X":["a"]},"foo":1,"body":"b"})");
  EXPECT_EQ(extra.error, "");
  EXPECT_EQ(extra.response.headers, (header_list{{"Content-Type", "application/json"}}));
  EXPECT_EQ(extra.response.body, "b");

  const auto text = door.map_response(R"({"statusCode":200,"headers":{"CONTENT-TYPE":"text/plain"},"body":"hi"})");
  EXPECT_EQ(text.response.headers, (header_list{{"CONTENT-TYPE", "text/plain"}}));
}

TEST(V2Response, DecodesBase64Body) {
  const front_door door = door_of(api_kind::url);
  const json p = {{"statusCode", 200},
                  {"headers", {{"content-type", "image/png"}}},
                  {"body", events::base64_encode(all_bytes())},
                  {"isBase64Encoded", true}};
  const auto m = door.map_response(p.dump());
  EXPECT_EQ(m.error, "");
  EXPECT_EQ(m.response.body, all_bytes());
  EXPECT_EQ(m.response.headers, (header_list{{"content-type", "image/png"}}));
}

TEST(V2Response, InfersA200FromJsonWithoutStatusCode) {
  for (const api_kind k : {api_kind::http, api_kind::url}) {
    SCOPED_TRACE(std::string(to_string(k)));
    const front_door door = door_of(k);
    for (const std::string payload : {R"({ "message" : "Hello, world!" })", R"({"body":"x","headers":{"a":"b"}})",
                                      "[1, 2, 3]", "42", "true", "null", "{}\n"}) {
      SCOPED_TRACE(payload);
      const auto m = door.map_response(payload);
      EXPECT_EQ(m.error, "");
      EXPECT_EQ(m.response.status, 200U);
      EXPECT_EQ(m.response.headers, (header_list{{"Content-Type", "application/json"}}));
      EXPECT_EQ(m.response.body, payload); // the text as returned, untouched
    }
  }
}

TEST(V2Response, ATopLevelStringIsUnquotedForHttpButNotForUrls) {
  const auto http = door_of(api_kind::http).map_response(R"("Hello from Lambda!")");
  EXPECT_EQ(http.error, "");
  EXPECT_EQ(http.response.status, 200U);
  EXPECT_EQ(http.response.body, "Hello from Lambda!");
  EXPECT_EQ(http.response.headers, (header_list{{"Content-Type", "application/json"}}));
  EXPECT_EQ(door_of(api_kind::http).map_response(R"("line\nbreak \"q\"")").response.body, "line\nbreak \"q\"");

  const auto url = door_of(api_kind::url).map_response(R"("Hello, world!")");
  EXPECT_EQ(url.error, "");
  EXPECT_EQ(url.response.status, 200U);
  EXPECT_EQ(url.response.body, R"("Hello, world!")");
  EXPECT_EQ(url.response.body.size(), 15U); // the function URL docs' content-length
}

TEST(V2Response, InvalidJsonAndMalformedProxyResponsesAre502) {
  for (const api_kind k : {api_kind::http, api_kind::url}) {
    SCOPED_TRACE(std::string(to_string(k)));
    const front_door door = door_of(k);
    for (const char* bad : {"", "Hello", "{\"statusCode\":200", "{'a':1}", "[1,]", "\"unterminated"})
      expect_internal_error(door.map_response(bad), "invalid JSON in the function's response");

    const std::string prefix = "Malformed Lambda proxy response: ";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"statusCode":"200"})", R"(statusCode must be an integer, got "200")"},
        {R"({"statusCode":null,"body":"x"})", "statusCode must be an integer, got null"},
        {R"({"statusCode":700})", "statusCode must be from 100 to 599, got 700"},
        {R"({"statusCode":200,"headers":"x"})", "headers must be an object, got string"},
        {R"({"statusCode":200,"headers":{"a":["x","y"]}})", "headers.a must be a string, number or boolean, got array"},
        {R"({"statusCode":200,"cookies":"a=1"})", "cookies must be an array, got string"},
        {R"({"statusCode":200,"cookies":["a=1",2]})", "cookies must hold strings, got number"},
        {R"({"statusCode":200,"cookies":["a=1\r\nX: y"]})",
         "the value of header 'Set-Cookie' holds a line break or NUL"},
        {R"({"statusCode":200,"body":{"a":1}})", "body must be a string or null, got object"},
        {R"({"statusCode":200,"body":[]})", "body must be a string or null, got array"},
        {R"({"statusCode":200,"isBase64Encoded":1})", "isBase64Encoded must be a boolean, got 1"},
        {R"({"statusCode":200,"body":"abc","isBase64Encoded":true})",
         "isBase64Encoded is true but body is not valid base64"},
        {R"({"statusCode":200,"headers":{"a:b":"x"}})", "header name 'a:b' is not a valid HTTP header name"},
    };
    for (const auto& [payload, why] : cases) {
      SCOPED_TRACE(payload);
      expect_internal_error(door.map_response(payload), prefix + why);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Fixed responses

TEST(FixedResponses, FunctionFailedAndNotFound) {
  for (const api_kind k : {api_kind::rest, api_kind::http, api_kind::url}) {
    const http_response failed = door_of(k).function_failed();
    EXPECT_EQ(failed.status, 502U);
    EXPECT_EQ(failed.body, internal_error_body);
    EXPECT_EQ(failed.headers, (header_list{{"Content-Type", "application/json"}}));
  }
  const http_response rest = door_of(api_kind::rest).not_found();
  EXPECT_EQ(rest.status, 403U);
  EXPECT_EQ(rest.body, R"({"message":"Missing Authentication Token"})");
  EXPECT_EQ(rest.headers, (header_list{{"Content-Type", "application/json"}}));
  const http_response http = door_of(api_kind::http).not_found();
  EXPECT_EQ(http.status, 404U);
  EXPECT_EQ(http.body, R"({"message":"Not Found"})");
  EXPECT_EQ(http.headers, (header_list{{"Content-Type", "application/json"}}));
}

} // namespace
} // namespace lemu::gateway
