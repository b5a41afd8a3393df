// An HTTP request as the event of each kind (PROTOCOL.md §5.4, §5.5): every field that matters, bodies,
// headers, and the requests no gateway passes on.
#include "front_door_fixtures.hpp"

#include <lemu/events/checksums.hpp>

#include <gtest/gtest.h>

namespace lemu::gateway {
namespace {

using namespace fixtures;

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

TEST(EventBody, IsTextualContentType) {
  EXPECT_TRUE(is_textual_content_type(std::nullopt));
  EXPECT_TRUE(is_textual_content_type("text/html"));
  EXPECT_TRUE(is_textual_content_type(" TEXT/HTML ;charset=latin1"));
  EXPECT_TRUE(is_textual_content_type("application/problem+json"));
  EXPECT_TRUE(is_textual_content_type("application/soap+xml; charset=utf-8"));
  EXPECT_FALSE(is_textual_content_type(""));
  EXPECT_FALSE(is_textual_content_type("image/svg+xml")); // only application/*+xml
  EXPECT_FALSE(is_textual_content_type("application/json-seq"));
  EXPECT_FALSE(is_textual_content_type("audio/mpeg"));

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

} // namespace
} // namespace lemu::gateway
