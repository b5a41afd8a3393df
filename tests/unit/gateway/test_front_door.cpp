// The front door facade: its option checks, the stage default, one API id per door, the fixed answers.
#include "front_door_fixtures.hpp"

#include <gtest/gtest.h>

namespace lemu::gateway {
namespace {

using namespace fixtures;

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
