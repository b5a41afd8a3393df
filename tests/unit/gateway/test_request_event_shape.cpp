// The front door's events against the structure of the real fixtures (as tests/unit/events/
// test_generators_shape.cpp does), and the events generator's source_ip option the front door relies on.
#include "front_door_fixtures.hpp"

#include <lemu/events/generator_shape.hpp>
#include <lemu/events/generators.hpp>

#include <set>

#include <gtest/gtest.h>

namespace lemu::gateway {
namespace {

using namespace fixtures;

// ---------------------------------------------------------------------------------------------------------
// Structure against the real fixtures (as tests/unit/events/test_generators_shape.cpp does)

json fixture(const std::string& relative) { return json::parse(fixture_text(relative)); }

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

} // namespace
} // namespace lemu::gateway
