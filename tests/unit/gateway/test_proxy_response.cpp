// The function's response payload as the HTTP response (PROTOCOL.md §5.6), payload 1.0 and 2.0.
#include "front_door_fixtures.hpp"

#include <lemu/events/checksums.hpp>

#include <gtest/gtest.h>

namespace lemu::gateway {
namespace {

using namespace fixtures;

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
  const std::string payload = fixture_text("aws-lambda-go/apigw-response.json");
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
    const std::string payload = fixture_text("aws-lambda-go/lambda-urls-response.json");
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
// The prelude of a streamed answer (application/vnd.awslambda.http-integration-response)

TEST(StreamPrelude, StatusHeadersAndCookiesBecomeTheHead) {
  const auto m = map_stream_prelude(api_kind::url, R"({"statusCode":201,"headers":{"Content-Type":"text/plain","X-N":5},"cookies":["a=1","b=2; Path=/"]})");
  EXPECT_EQ(m.error, "");
  EXPECT_EQ(m.response.status, 201U);
  EXPECT_EQ(m.response.body, "");
  EXPECT_EQ(m.response.headers, (header_list{{"Content-Type", "text/plain"}, {"X-N", "5"}, {"Set-Cookie", "a=1"},
                                             {"Set-Cookie", "b=2; Path=/"}}));
}

TEST(StreamPrelude, AnEmptyPreludeIs200OctetStream) {
  const auto m = map_stream_prelude(api_kind::url, "{}");
  EXPECT_EQ(m.error, "");
  EXPECT_EQ(m.response.status, 200U);
  EXPECT_EQ(m.response.headers, (header_list{{"Content-Type", "application/octet-stream"}}));
}

TEST(StreamPrelude, FramingHeadersAreDropped) {
  const auto m = map_stream_prelude(api_kind::url, R"({"headers":{"Content-Length":"5","Transfer-Encoding":"gzip","X-A":"b"}})");
  EXPECT_EQ(m.error, "");
  for (const auto& [name, value] : m.response.headers) {
    EXPECT_NE(name, "Content-Length");
    EXPECT_NE(name, "Transfer-Encoding");
  }
}

TEST(StreamPrelude, WhatIsNotAPreludeIsThe502) {
  for (const std::string bad : {"not json", "[1]", R"({"statusCode":"x"})", R"({"statusCode":99})", R"({"cookies":"a=1"})"}) {
    const auto m = map_stream_prelude(api_kind::url, bad);
    EXPECT_NE(m.error, "") << bad;
    EXPECT_EQ(m.response.status, 502U) << bad;
  }
}

} // namespace
} // namespace lemu::gateway
