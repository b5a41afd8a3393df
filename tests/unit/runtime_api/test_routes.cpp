// The Runtime API route table (PROTOCOL.md §1.1): every path, query strings, wrong methods, request ids.
#include <lemu/runtime_api/routes.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lemu::runtime_api {
namespace {

constexpr const char* id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

std::string invocation(const std::string& rest) { return "/2018-06-01/runtime/invocation/" + rest; }

TEST(match_route, next) {
  const route r = match_route("GET", "/2018-06-01/runtime/invocation/next");
  EXPECT_EQ(r.kind, route_kind::next);
  EXPECT_EQ(r.request_id, "");
}

TEST(match_route, next_ignores_the_query_string) {
  EXPECT_EQ(match_route("GET", "/2018-06-01/runtime/invocation/next?x=1").kind, route_kind::next);
  EXPECT_EQ(match_route("GET", "/2018-06-01/runtime/invocation/next?").kind, route_kind::next);
  EXPECT_EQ(match_route("GET", "/2018-06-01/runtime/invocation/next?a=b&c=/d/response").kind, route_kind::next);
}

TEST(match_route, next_with_wrong_method_is_405) {
  for (const char* m : {"POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "get"}) {
    SCOPED_TRACE(m);
    const route r = match_route(m, "/2018-06-01/runtime/invocation/next");
    EXPECT_EQ(r.kind, route_kind::method_not_allowed);
    EXPECT_EQ(r.request_id, "");
  }
}

TEST(match_route, response_carries_the_request_id) {
  const route r = match_route("POST", invocation(std::string(id) + "/response"));
  EXPECT_EQ(r.kind, route_kind::response);
  EXPECT_EQ(r.request_id, id);
}

TEST(match_route, error_carries_the_request_id) {
  const route r = match_route("POST", invocation(std::string(id) + "/error"));
  EXPECT_EQ(r.kind, route_kind::error);
  EXPECT_EQ(r.request_id, id);
}

TEST(match_route, response_and_error_ignore_the_query_string) {
  route r = match_route("POST", invocation("abc/response?x=1"));
  EXPECT_EQ(r.kind, route_kind::response);
  EXPECT_EQ(r.request_id, "abc");
  r = match_route("POST", invocation("abc/error?y=/error"));
  EXPECT_EQ(r.kind, route_kind::error);
  EXPECT_EQ(r.request_id, "abc");
}

TEST(match_route, any_non_empty_id_segment_is_taken_verbatim) {
  // The broker, not the router, decides whether the id is the one in flight.
  for (const std::string rid : {"x", "next", "NOT-A-UUID", "1", "a.b_c~d"}) {
    SCOPED_TRACE(rid);
    const route r = match_route("POST", invocation(rid + "/response"));
    EXPECT_EQ(r.kind, route_kind::response);
    EXPECT_EQ(r.request_id, rid);
  }
}

TEST(match_route, response_and_error_with_wrong_method_are_405) {
  for (const char* m : {"GET", "PUT", "DELETE", "HEAD", "post"}) {
    SCOPED_TRACE(m);
    route r = match_route(m, invocation(std::string(id) + "/response"));
    EXPECT_EQ(r.kind, route_kind::method_not_allowed);
    EXPECT_EQ(r.request_id, "");
    r = match_route(m, invocation(std::string(id) + "/error"));
    EXPECT_EQ(r.kind, route_kind::method_not_allowed);
    EXPECT_EQ(r.request_id, "");
  }
}

TEST(match_route, init_error) {
  const route r = match_route("POST", "/2018-06-01/runtime/init/error");
  EXPECT_EQ(r.kind, route_kind::init_error);
  EXPECT_EQ(r.request_id, "");
  EXPECT_EQ(match_route("POST", "/2018-06-01/runtime/init/error?z=9").kind, route_kind::init_error);
}

TEST(match_route, init_error_with_wrong_method_is_405) {
  for (const char* m : {"GET", "PUT", "DELETE", "HEAD"}) {
    SCOPED_TRACE(m);
    EXPECT_EQ(match_route(m, "/2018-06-01/runtime/init/error").kind, route_kind::method_not_allowed);
  }
}

TEST(match_route, extensions_telemetry_and_logs_apis) {
  EXPECT_EQ(match_route("POST", "/2020-01-01/extension/register").kind, route_kind::extension_register);
  EXPECT_EQ(match_route("GET", "/2020-01-01/extension/event/next").kind, route_kind::extension_next);
  EXPECT_EQ(match_route("POST", "/2020-01-01/extension/init/error").kind, route_kind::extension_init_error);
  EXPECT_EQ(match_route("POST", "/2020-01-01/extension/exit/error").kind, route_kind::extension_exit_error);
  EXPECT_EQ(match_route("PUT", "/2022-07-01/telemetry").kind, route_kind::telemetry_subscribe);
  EXPECT_EQ(match_route("PUT", "/2020-08-15/logs").kind, route_kind::logs_subscribe);
  EXPECT_EQ(match_route("GET", "/2020-01-01/extension/register").kind, route_kind::method_not_allowed);
  EXPECT_EQ(match_route("POST", "/2020-01-01/extension/event/next").kind, route_kind::method_not_allowed);
  EXPECT_EQ(match_route("POST", "/2022-07-01/telemetry").kind, route_kind::method_not_allowed);
}

TEST(match_route, unknown_paths_are_404_whatever_the_method) {
  const std::vector<std::string> paths = {
      "",
      "/",
      "/ping",
      "/2018-06-01",
      "/2018-06-01/",
      "/2018-06-01/runtime",
      "/2018-06-01/runtime/",
      "/2018-06-01/runtime/invocation",
      "/2018-06-01/runtime/invocation/",
      "/2018-06-01/runtime/invocation/next/",
      "/2018-06-01/runtime/invocation/nextx",
      "/2018-06-01/runtime/invocation/NEXT",
      "/2018-06-01/runtime/invocation/abc",
      "/2018-06-01/runtime/invocation/abc/",
      "/2018-06-01/runtime/invocation/abc/respond",
      "/2018-06-01/runtime/invocation/abc/Response",
      "/2018-06-01/runtime/invocation/abc/response/",
      "/2018-06-01/runtime/invocation/abc/response/extra",
      "/2018-06-01/runtime/invocation/abc/error/extra",
      "/2018-06-01/runtime/invocation//response", // Go posts here when the request id header is missing
      "/2018-06-01/runtime/invocation//error",
      "/2018-06-01/runtime/init/error/",
      "/2018-06-01/runtime/init/errors",
      "/2018-06-01/runtime/init",
      "/2018-06-01/runtime/restore/next", // SnapStart only: not emulated
      "/2018-06-01/runtime/restore/error",
      "/2018-06-01/runtime/next",
      "/2018-06-02/runtime/invocation/next",
      "/2018-06-01//runtime/invocation/next",
      "//2018-06-01/runtime/invocation/next",
      "2018-06-01/runtime/invocation/next",
      "/2020-01-01/extension/register/",
      "/2020-01-01/extension/event",
      "/2020-01-01/extension/next",
      "/2022-07-01/telemetry/",
      "/2020-08-15/log",
      "/runtime/invocation/next",
      "?/2018-06-01/runtime/invocation/next",
      "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next",
  };
  for (const auto& p : paths) {
    for (const char* m : {"GET", "POST", "PUT", "DELETE"}) {
      SCOPED_TRACE(std::string(m) + " " + p);
      const route r = match_route(m, p);
      EXPECT_EQ(r.kind, route_kind::not_found);
      EXPECT_EQ(r.request_id, "");
    }
  }
}

TEST(match_route, default_route_is_not_found) {
  const route r;
  EXPECT_EQ(r.kind, route_kind::not_found);
  EXPECT_TRUE(r.request_id.empty());
}

} // namespace
} // namespace lemu::runtime_api
