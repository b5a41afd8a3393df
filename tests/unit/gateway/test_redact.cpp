// Redaction of secrets in recorded events: Authorization, Cookie and X-Amz-Security-Token values anywhere (any
// case, string or array of strings), the top-level cookies of payload 2.0 events, and nothing else.
#include <lemu/gateway/redact.hpp>

#include <lemu/gateway/front_door.hpp>

#include <gtest/gtest.h>

#include <string>

namespace lemu::gateway {
namespace {

using json = nlohmann::ordered_json;

http_request request_with_secrets() {
  http_request r;
  r.method = "POST";
  r.target = "/orders?token=query-is-not-redacted";
  r.headers = {{"Host", "localhost:9000"},
               {"User-Agent", "curl/8.1.2"},
               {"Authorization", "Bearer secret-1"},
               {"Cookie", "session=secret-2; theme=dark"},
               {"cookie", "lang=en"},
               {"X-Amz-Security-Token", "secret-3"},
               {"X-Api-Key", "kept"},
               {"Content-Type", "application/json"}};
  r.body = R"({"authorization":"in the body text, kept"})";
  r.source_ip = "127.0.0.1";
  return r;
}

TEST(Redact, RestEventHeadersAndMultiValueHeaders) {
  const front_door door([] {
    front_door_options o;
    o.kind = api_kind::rest;
    return o;
  }());
  json e = door.make_event(request_with_secrets(), route_match{}, 1732606401000);
  const json before = e;
  // headers: Authorization, Cookie (one name, last value), X-Amz-Security-Token = 3;
  // multiValueHeaders: Authorization 1 + Cookie 2 + X-Amz-Security-Token 1 = 4.
  EXPECT_EQ(redact_secrets(e), 7U);
  EXPECT_EQ(e["headers"]["Authorization"], "<redacted>");
  EXPECT_EQ(e["headers"]["Cookie"], "<redacted>");
  EXPECT_EQ(e["headers"]["X-Amz-Security-Token"], "<redacted>");
  EXPECT_EQ(e["multiValueHeaders"]["Authorization"], json::array({"<redacted>"}));
  EXPECT_EQ(e["multiValueHeaders"]["Cookie"], json::array({"<redacted>", "<redacted>"}));
  EXPECT_EQ(e["multiValueHeaders"]["X-Amz-Security-Token"], json::array({"<redacted>"}));
  // Everything else as it was.
  EXPECT_EQ(e["headers"]["X-Api-Key"], "kept");
  EXPECT_EQ(e["headers"]["User-Agent"], "curl/8.1.2");
  EXPECT_EQ(e["body"], before["body"]);
  EXPECT_EQ(e["queryStringParameters"], before["queryStringParameters"]);
  EXPECT_EQ(e["requestContext"], before["requestContext"]);
  json expected = before;
  for (const char* name : {"Authorization", "Cookie", "X-Amz-Security-Token"}) {
    expected["headers"][name] = "<redacted>";
    for (json& v : expected["multiValueHeaders"][name]) v = "<redacted>";
  }
  EXPECT_EQ(e, expected);
  EXPECT_EQ(e.dump().find("secret-"), std::string::npos);
}

TEST(Redact, PayloadTwoEventCookiesAndHeaders) {
  for (const api_kind k : {api_kind::http, api_kind::url}) {
    SCOPED_TRACE(std::string(to_string(k)));
    const front_door door([k] {
      front_door_options o;
      o.kind = k;
      return o;
    }());
    json e = door.make_event(request_with_secrets(), route_match{}, 1732606401000);
    ASSERT_EQ(e["cookies"], json::array({"session=secret-2", "theme=dark", "lang=en"}));
    ASSERT_FALSE(e["headers"].contains("cookie"));
    // headers: authorization, x-amz-security-token = 2; cookies: 3.
    EXPECT_EQ(redact_secrets(e), 5U);
    EXPECT_EQ(e["cookies"], json::array({"<redacted>", "<redacted>", "<redacted>"}));
    EXPECT_EQ(e["headers"]["authorization"], "<redacted>");
    EXPECT_EQ(e["headers"]["x-amz-security-token"], "<redacted>");
    EXPECT_EQ(e["headers"]["x-api-key"], "kept");
    EXPECT_EQ(e["body"], R"({"authorization":"in the body text, kept"})");
    EXPECT_EQ(e.dump().find("secret-"), std::string::npos);
  }
}

TEST(Redact, CookiesArrayOnlyInPayloadTwo) {
  json v1 = json::parse(R"({"cookies":["a=1"],"headers":{"x":"y"}})");
  EXPECT_EQ(redact_secrets(v1), 0U);
  EXPECT_EQ(v1["cookies"], json::array({"a=1"}));

  json v1_version = json::parse(R"({"version":"1.0","cookies":["a=1"]})");
  EXPECT_EQ(redact_secrets(v1_version), 0U);
  EXPECT_EQ(v1_version["cookies"], json::array({"a=1"}));

  // Every element, strings or not; only the top-level array.
  json v2 = json::parse(R"({"version":"2.0","cookies":["a=1",5,null],"nested":{"cookies":["b=2"]}})");
  EXPECT_EQ(redact_secrets(v2), 3U);
  EXPECT_EQ(v2, json::parse(R"({"version":"2.0","cookies":["<redacted>","<redacted>","<redacted>"],
                                "nested":{"cookies":["b=2"]}})"));
}

TEST(Redact, KeysMatchCaseInsensitivelyAnywhere) {
  json doc = json::parse(R"({
    "a": {"b": [{"AUTHORIZATION": "x"}, {"cookie": ["c1", "c2"]}]},
    "X-AMZ-SECURITY-TOKEN": "t",
    "Authorization-Extra": "kept",
    "MyCookie": "kept",
    "list": ["Authorization", "Cookie"],
    "Cookie": ["s", 7, null, {"k": "v"}],
    "authorization": {"Cookie": "inner", "other": "kept"},
    "x-amz-security-token": 12
  })");
  EXPECT_EQ(redact_secrets(doc), 1U + 2U + 1U + 1U + 1U);
  EXPECT_EQ(doc, json::parse(R"({
    "a": {"b": [{"AUTHORIZATION": "<redacted>"}, {"cookie": ["<redacted>", "<redacted>"]}]},
    "X-AMZ-SECURITY-TOKEN": "<redacted>",
    "Authorization-Extra": "kept",
    "MyCookie": "kept",
    "list": ["Authorization", "Cookie"],
    "Cookie": ["<redacted>", 7, null, {"k": "v"}],
    "authorization": {"Cookie": "<redacted>", "other": "kept"},
    "x-amz-security-token": 12
  })"));
}

TEST(Redact, EmptyValuesNonObjectsAndRepeatedRuns) {
  json empty = json::parse(R"({"Authorization":"","Cookie":[]})");
  EXPECT_EQ(redact_secrets(empty), 1U);
  EXPECT_EQ(empty, json::parse(R"({"Authorization":"<redacted>","Cookie":[]})"));

  json scalar = "Authorization";
  EXPECT_EQ(redact_secrets(scalar), 0U);
  EXPECT_EQ(scalar, "Authorization");
  json array = json::parse(R"([{"Cookie":"a"},{"Cookie":"b"}])");
  EXPECT_EQ(redact_secrets(array), 2U);
  EXPECT_EQ(array, json::parse(R"([{"Cookie":"<redacted>"},{"Cookie":"<redacted>"}])"));

  // A second run finds the same secret values and changes nothing.
  json doc = json::parse(R"({"version":"2.0","cookies":["a"],"headers":{"authorization":"b"}})");
  EXPECT_EQ(redact_secrets(doc), 2U);
  const json once = doc;
  EXPECT_EQ(redact_secrets(doc), 2U);
  EXPECT_EQ(doc, once);
  EXPECT_STREQ(redacted_value, "<redacted>");
}

} // namespace
} // namespace lemu::gateway
