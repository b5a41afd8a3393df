// Several APIs on one front door (lemu serve --template): routes matched together, conflicts refused.
#include "front_door_fixtures.hpp"

#include <lemu/gateway/front_door_set.hpp>

#include <gtest/gtest.h>

namespace lemu::gateway {
namespace {

front_door_options api(api_kind kind, std::vector<std::string> routes) {
  front_door_options o;
  o.kind = kind;
  for (const auto& r : routes) o.routes.push_back(parse_route(r));
  return o;
}

std::string error_of_set(std::vector<front_door_options> apis) {
  try {
    front_door_set set(std::move(apis));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(FrontDoorSet, TheMostSpecificRouteWinsAcrossApis) {
  const front_door_set set({api(api_kind::rest, {"GET /orders/{id}=Orders", "ANY /{proxy+}=Fallback"}),
                            api(api_kind::http, {"GET /orders/latest=Latest", "POST /orders=Orders"})});
  ASSERT_EQ(set.apis().size(), 2u);
  const auto latest = set.match("GET", "/orders/latest");
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->door->options().kind, api_kind::http);
  EXPECT_EQ(latest->match.matched->function, "Latest");

  const auto one = set.match("GET", "/orders/42");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->door->options().kind, api_kind::rest);
  EXPECT_EQ(one->match.matched->function, "Orders");
  ASSERT_EQ(one->match.path_parameters.size(), 1u);
  EXPECT_EQ(one->match.path_parameters[0].second, "42");

  const auto post = set.match("POST", "/orders");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->door->options().kind, api_kind::http);

  const auto other = set.match("DELETE", "/anything/else");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->match.matched->function, "Fallback");
  // The event of a match is the matching API's kind.
  http_request req = fixtures::get_item();
  req.method = "DELETE";
  req.target = "/anything/else";
  const auto event = other->door->make_event(req, other->match, fixtures::now_ms);
  EXPECT_EQ(event.at("resource"), "/{proxy+}");
}

TEST(FrontDoorSet, OneApiWithoutRoutesTakesEveryRequest) {
  const front_door_set set({api(api_kind::http, {})});
  const auto m = set.match("PATCH", "/x/y");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->match.matched, nullptr);
  EXPECT_FALSE(set.match("BREW", "/x")); // not an HTTP method API Gateway takes
}

TEST(FrontDoorSet, RefusesConflictsAndRoutelessApisAmongSeveral) {
  EXPECT_EQ(error_of_set({api(api_kind::rest, {"GET /orders=A"}), api(api_kind::http, {"GET /orders=B"})}),
            "route conflict: GET /orders is served by A (rest API) and by B (http API)");
  EXPECT_EQ(error_of_set({api(api_kind::rest, {"GET /orders=A"}), api(api_kind::http, {})}),
            "several APIs on one front door: each needs routes (the http API has none)");
  EXPECT_EQ(error_of_set({api(api_kind::rest, {"GET /x=A", "get /x=B"})}), "route 'GET /x' is given twice");
  EXPECT_EQ(error_of_set({}), "a front door needs at least one API");
}

} // namespace
} // namespace lemu::gateway
