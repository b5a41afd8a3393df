// The front door's routes: --api kinds, --route parsing, and matching precedence as API Gateway matches.
#include "front_door_fixtures.hpp"

#include <gtest/gtest.h>

namespace lemu::gateway {
namespace {

using namespace fixtures;

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


TEST(Match, FreeFunctionPointsIntoTheGivenRoutes) {
  const std::vector<route> routes = {parse_route("GET /a/{x}"), parse_route("ANY /a/b")};
  const auto m = match_route(routes, "get", "/a/b");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->matched, &routes[1]); // literal beats {param}, whatever the method
  EXPECT_FALSE(match_route(routes, "TRACE", "/a/b"));
  EXPECT_FALSE(match_route(routes, "GET", "a/b"));
  EXPECT_TRUE(is_http_method("OPTIONS"));
  EXPECT_FALSE(is_http_method("ANY"));
  EXPECT_EQ(default_stage(api_kind::rest), "prod");
  EXPECT_EQ(default_stage(api_kind::url), "$default");
}

} // namespace
} // namespace lemu::gateway
