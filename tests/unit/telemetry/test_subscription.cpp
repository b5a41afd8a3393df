// telemetry: the subscription bodies of the Telemetry API and the Logs API, their defaults, and every
// answer byte for byte (validation errors, closed, both APIs, the subscriber limit, "OK").
#include <lemu/telemetry/hub.hpp>
#include <lemu/telemetry/subscription.hpp>

#include <boost/asio/io_context.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

namespace lemu::telemetry {
namespace {

const std::string valid_http =
    R"({"schemaVersion":"2022-12-13","types":["platform","function"],)"
    R"("destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:8080/lambda_logs"}})";

subscription parse_ok(api which, const std::string& body) {
  auto r = parse_subscription(which, body);
  if (auto* refused = std::get_if<reply>(&r)) {
    ADD_FAILURE() << "refused: " << refused->body;
    return {};
  }
  return std::get<subscription>(r);
}

reply parse_refused(api which, const std::string& body) {
  auto r = parse_subscription(which, body);
  if (std::holds_alternative<subscription>(r)) {
    ADD_FAILURE() << "accepted: " << body;
    return {};
  }
  return std::get<reply>(r);
}

std::string telemetry_error(const std::string& message) {
  return R"({"errorType":"ValidationError","errorMessage":")" + message + "\"}\n";
}

std::string logs_error(const std::string& message) {
  return R"({"errorType":"Logs.ValidationError","errorMessage":")" + message + "\"}\n";
}

// A telemetry body with `destination` and `rest` (members after it, with their leading comma).
std::string with(const std::string& destination, const std::string& rest = R"(,"types":["platform"])") {
  return R"({"schemaVersion":"2025-01-29","destination":)" + destination + rest + "}";
}

TEST(TelemetrySubscription, defaults_and_destination_of_a_valid_body) {
  const subscription s = parse_ok(api::telemetry, valid_http);
  EXPECT_EQ(s.schema_version, "2022-12-13");
  EXPECT_THAT(s.types, ::testing::ElementsAre("platform", "function"));
  EXPECT_TRUE(s.wants_category(category::platform));
  EXPECT_TRUE(s.wants_category(category::function));
  EXPECT_FALSE(s.wants_category(category::extension));
  EXPECT_EQ(s.buffer.max_items, 10000u);
  EXPECT_EQ(s.buffer.max_bytes, 262144u);
  EXPECT_EQ(s.buffer.timeout_ms, 1000u);
  EXPECT_EQ(s.dest.proto, destination::protocol::http);
  EXPECT_EQ(s.dest.port, 8080);
  EXPECT_EQ(s.dest.host_header, "sandbox.localdomain:8080");
  EXPECT_EQ(s.dest.target, "/lambda_logs");
}

TEST(TelemetrySubscription, every_schema_version_of_each_api) {
  for (const char* v : {"2022-07-01", "2022-12-13", "2025-01-29"}) {
    const std::string body = std::string(R"({"schemaVersion":")") + v +
                             R"(","types":["function"],"destination":{"protocol":"TCP","port":9000}})";
    EXPECT_EQ(parse_ok(api::telemetry, body).schema_version, v);
  }
  for (const char* v : {"2020-08-15", "2021-03-18"}) {
    const std::string body = std::string(R"({"schemaVersion":")") + v +
                             R"(","types":["platform"],"destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:1234"}})";
    EXPECT_EQ(parse_ok(api::logs, body).schema_version, v);
  }
  EXPECT_EQ(parse_refused(api::logs, valid_http).body,
            logs_error(R"(schemaVersion \"2022-12-13\" is not supported: use 2020-08-15 or 2021-03-18)"));
  const std::string logs_version = R"({"schemaVersion":"2020-08-15","types":["platform"],"destination":{"protocol":"TCP","port":1}})";
  EXPECT_EQ(parse_refused(api::telemetry, logs_version).body,
            telemetry_error(R"(schemaVersion \"2020-08-15\" is not supported: use 2022-07-01, 2022-12-13 or 2025-01-29)"));
  EXPECT_EQ(parse_refused(api::telemetry, R"({"types":["platform"],"destination":{"protocol":"TCP","port":1}})").body,
            telemetry_error("schemaVersion is not provided"));
}

TEST(TelemetrySubscription, hosts_ports_paths_and_tcp) {
  subscription s = parse_ok(api::telemetry, with(R"({"protocol":"HTTP","URI":"http://127.0.0.1:9/a/b?x=1"})"));
  EXPECT_EQ(s.dest.port, 9);
  EXPECT_EQ(s.dest.target, "/a/b?x=1");
  s = parse_ok(api::telemetry, with(R"({"protocol":"HTTP","URI":"http://localhost:65535"})"));
  EXPECT_EQ(s.dest.port, 65535);
  EXPECT_EQ(s.dest.target, "/");
  EXPECT_EQ(s.dest.host_header, "localhost:65535");
  s = parse_ok(api::telemetry, with(R"({"protocol":"TCP","port":4243})"));
  EXPECT_EQ(s.dest.proto, destination::protocol::tcp);
  EXPECT_EQ(s.dest.port, 4243);
  s = parse_ok(api::telemetry, with(R"({"protocol":"TCP","URI":"tcp://sandbox.localdomain:4244"})"));
  EXPECT_EQ(s.dest.port, 4244);
}

TEST(TelemetrySubscription, every_destination_error_is_exact) {
  const auto refused = [](const std::string& destination) {
    return parse_refused(api::telemetry, with(destination)).body;
  };
  EXPECT_EQ(parse_refused(api::telemetry, R"({"schemaVersion":"2025-01-29","types":["platform"]})").body,
            telemetry_error("destination is not provided"));
  EXPECT_EQ(refused(R"("http://sandbox.localdomain:1")"),
            telemetry_error(R"(destination should be an object, not \"http://sandbox.localdomain:1\")"));
  EXPECT_EQ(refused(R"({"URI":"http://sandbox.localdomain:1"})"), telemetry_error("destination.protocol is not provided"));
  EXPECT_EQ(refused(R"({"protocol":"UDP","port":1})"),
            telemetry_error(R"(destination.protocol \"UDP\" is not supported: use HTTP or TCP)"));
  EXPECT_EQ(refused(R"({"protocol":"HTTP"})"), telemetry_error("URI is not provided"));
  EXPECT_EQ(refused(R"({"protocol":"HTTP","URI":""})"), telemetry_error(R"(URI should be a non-empty string, not \"\")"));
  EXPECT_EQ(refused(R"({"protocol":"HTTP","URI":"not a uri"})"), telemetry_error(R"(URI \"not a uri\" is not a valid URI)"));
  EXPECT_EQ(refused(R"({"protocol":"HTTP","URI":"https://sandbox.localdomain:443"})"),
            telemetry_error(R"(URI scheme \"https\" is not supported: use http)"));
  EXPECT_EQ(refused(R"({"protocol":"HTTP","URI":"http://example.com:80"})"),
            telemetry_error(R"(URI host \"example.com\" is not supported: use sandbox.localdomain)"));
  EXPECT_EQ(refused(R"({"protocol":"HTTP","URI":"http://sandbox.localdomain/logs"})"), telemetry_error("URI port is not provided"));
  EXPECT_EQ(refused(R"({"protocol":"HTTP","URI":"http://sandbox.localdomain:/logs"})"), telemetry_error("URI port is not provided"));
  EXPECT_EQ(refused(R"({"protocol":"HTTP","URI":"http://sandbox.localdomain:0"})"),
            telemetry_error(R"(URI port \"0\" should be between 1 and 65535)"));
  EXPECT_EQ(refused(R"({"protocol":"TCP"})"), telemetry_error("port is not provided"));
  EXPECT_EQ(refused(R"({"protocol":"TCP","port":70000})"),
            telemetry_error("port should be an integer between 1 and 65535, not 70000"));
  EXPECT_EQ(refused(R"({"protocol":"TCP","port":"9000"})"),
            telemetry_error(R"(port should be an integer between 1 and 65535, not \"9000\")"));
  EXPECT_EQ(refused(R"({"protocol":"TCP","URI":"http://sandbox.localdomain:1"})"),
            telemetry_error(R"(URI \"http://sandbox.localdomain:1\" is not supported for TCP: use \"port\" (or tcp://sandbox.localdomain:PORT))"));
}

TEST(TelemetrySubscription, every_types_error_is_exact) {
  const std::string tcp = R"({"protocol":"TCP","port":1})";
  EXPECT_EQ(parse_refused(api::telemetry, with(tcp, "")).body, telemetry_error("types is not provided"));
  EXPECT_EQ(parse_refused(api::telemetry, with(tcp, R"(,"types":[])")).body, telemetry_error("types should not be empty"));
  EXPECT_EQ(parse_refused(api::telemetry, with(tcp, R"(,"types":"platform")")).body,
            telemetry_error(R"(types should be an array, not \"platform\")"));
  EXPECT_EQ(parse_refused(api::telemetry, with(tcp, R"(,"types":["platform","logs",3])")).body,
            telemetry_error(R"(types \"logs\" is not supported: use platform, function or extension; )"
                            R"(types 3 is not supported: use platform, function or extension)"));
}

TEST(TelemetrySubscription, buffering_bounds_and_errors_are_exact) {
  const std::string tcp = R"({"protocol":"TCP","port":1})";
  const auto body = [&](const std::string& buffering) { return with(tcp, R"(,"types":["platform"],"buffering":)" + buffering); };
  subscription s = parse_ok(api::telemetry, body(R"({"maxItems":1000,"maxBytes":1048576,"timeoutMs":25})"));
  EXPECT_EQ(s.buffer.max_items, 1000u);
  EXPECT_EQ(s.buffer.max_bytes, 1048576u);
  EXPECT_EQ(s.buffer.timeout_ms, 25u);
  s = parse_ok(api::telemetry, body(R"({"maxItems":10000,"maxBytes":262144,"timeoutMs":30000})"));
  EXPECT_EQ(s.buffer.timeout_ms, 30000u);
  s = parse_ok(api::telemetry, body(R"({"timeoutMs":100})"));
  EXPECT_EQ(s.buffer.max_items, 10000u) << "an absent member keeps its default";
  EXPECT_EQ(s.buffer.max_bytes, 262144u);
  EXPECT_EQ(s.buffer.timeout_ms, 100u);

  EXPECT_EQ(parse_refused(api::telemetry, body(R"({"maxItems":999})")).body,
            telemetry_error("buffering.maxItems should be an integer between 1000 and 10000, not 999"));
  EXPECT_EQ(parse_refused(api::telemetry, body(R"({"maxItems":10001})")).body,
            telemetry_error("buffering.maxItems should be an integer between 1000 and 10000, not 10001"));
  EXPECT_EQ(parse_refused(api::telemetry, body(R"({"maxBytes":262143})")).body,
            telemetry_error("buffering.maxBytes should be an integer between 262144 and 1048576, not 262143"));
  EXPECT_EQ(parse_refused(api::telemetry, body(R"({"maxBytes":1048577})")).body,
            telemetry_error("buffering.maxBytes should be an integer between 262144 and 1048576, not 1048577"));
  EXPECT_EQ(parse_refused(api::telemetry, body(R"({"timeoutMs":24})")).body,
            telemetry_error("buffering.timeoutMs should be an integer between 25 and 30000, not 24"));
  EXPECT_EQ(parse_refused(api::telemetry, body(R"({"timeoutMs":30001})")).body,
            telemetry_error("buffering.timeoutMs should be an integer between 25 and 30000, not 30001"));
  EXPECT_EQ(parse_refused(api::telemetry, body(R"({"timeoutMs":100.5})")).body,
            telemetry_error("buffering.timeoutMs should be an integer between 25 and 30000, not 100.5"));
  EXPECT_EQ(parse_refused(api::telemetry, body(R"({"timeoutMs":-1})")).body,
            telemetry_error("buffering.timeoutMs should be an integer between 25 and 30000, not -1"));
  EXPECT_EQ(parse_refused(api::telemetry, body(R"({"maxItems":18446744073709551615})")).body,
            telemetry_error("buffering.maxItems should be an integer between 1000 and 10000, not 18446744073709551615"));
  EXPECT_EQ(parse_refused(api::telemetry, body("[]")).body, telemetry_error("buffering should be an object, not []"));
}

TEST(TelemetrySubscription, problems_are_joined_in_order_as_lambda_documents) {
  // Lambda's documented example, byte for byte.
  const std::string body = R"({"schemaVersion":"2022-07-01","types":[],"destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain"}})";
  EXPECT_EQ(parse_refused(api::telemetry, body).body,
            R"({"errorType":"ValidationError","errorMessage":"URI port is not provided; types should not be empty"})" "\n");
  const std::string logs = R"({"schemaVersion":"2021-03-18","types":[],"destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain"}})";
  const reply r = parse_refused(api::logs, logs);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.body, R"({"errorType":"Logs.ValidationError","errorMessage":"URI port is not provided; types should not be empty"})" "\n");
}

TEST(TelemetrySubscription, bodies_that_are_not_an_object) {
  EXPECT_EQ(parse_refused(api::telemetry, "").body, telemetry_error("request body is not valid JSON"));
  EXPECT_EQ(parse_refused(api::telemetry, "{\"a\":").body, telemetry_error("request body is not valid JSON"));
  EXPECT_EQ(parse_refused(api::logs, "[]").body, logs_error("request body should be a JSON object"));
  EXPECT_EQ(parse_refused(api::telemetry, std::string(5000, '[') + std::string(5000, ']')).body,
            telemetry_error("request body is not valid JSON"))
      << "nesting beyond lemu's JSON depth";
}

TEST(TelemetrySubscription, replies_are_exact) {
  EXPECT_EQ(replies::ok().status, 200u);
  EXPECT_EQ(replies::ok().body, "\"OK\"");
  EXPECT_EQ(replies::subscription_closed(api::telemetry).status, 403u);
  EXPECT_EQ(replies::subscription_closed(api::telemetry).body,
            R"({"errorMessage":"Telemetry API subscription is closed already","errorType":"Telemetry.SubscriptionClosed"})" "\n");
  EXPECT_EQ(replies::subscription_closed(api::logs).body,
            R"({"errorMessage":"Logs API subscription is closed already","errorType":"Logs.SubscriptionClosed"})" "\n");
  EXPECT_EQ(replies::too_many_subscribers(api::logs, 10).body,
            R"({"errorMessage":"Subscriber limit (10) reached","errorType":"Logs.TooManySubscribers"})" "\n");
  const auto dropped = nlohmann::json::parse(logs_dropped_event(1584040038123, 12, 3));
  EXPECT_EQ(dropped["time"], "2020-03-12T19:07:18.123Z");
  EXPECT_EQ(dropped["type"], "platform.logsDropped");
  EXPECT_EQ(dropped["record"], nlohmann::json::parse(R"({"droppedBytes":12,"droppedRecords":3,"reason":)"
                                                     R"("Some logs were dropped because the downstream consumer is slower than the logs production rate"})"));
}

TEST(TelemetrySubscription, hub_answers_closed_both_apis_replacement_and_the_limit) {
  boost::asio::io_context ioc;
  hub_options o;
  o.max_subscribers = 2;
  auto h = hub::create(ioc.get_executor(), o);
  EXPECT_FALSE(h->has_subscribers());

  subscribe_result r = h->subscribe("ext-a", api::telemetry, valid_http, false);
  EXPECT_EQ(r.answer.status, 403u);
  EXPECT_EQ(r.answer.body, replies::subscription_closed(api::telemetry).body);
  EXPECT_FALSE(r.subscribed());

  r = h->subscribe("ext-a", api::telemetry, valid_http, true);
  EXPECT_EQ(r.answer.status, 200u);
  EXPECT_EQ(r.answer.body, "\"OK\"");
  EXPECT_THAT(r.types, ::testing::ElementsAre("platform", "function"));
  EXPECT_TRUE(h->has_subscribers());

  const std::string logs_body = R"({"schemaVersion":"2021-03-18","types":["function"],"destination":{"protocol":"TCP","port":9}})";
  r = h->subscribe("ext-a", api::logs, logs_body, true);
  EXPECT_EQ(r.answer.status, 400u);
  EXPECT_EQ(r.answer.body,
            logs_error("extension ext-a is already subscribed to the Telemetry API; an extension subscribes with the "
                       "Telemetry API or the Logs API, not both"));
  EXPECT_TRUE(r.types.empty());

  r = h->subscribe("ext-a", api::telemetry, with(R"({"protocol":"TCP","port":9})", R"(,"types":["extension"])"), true);
  EXPECT_EQ(r.answer.status, 200u) << "the same extension and API: the new subscription replaces the old";
  EXPECT_THAT(r.types, ::testing::ElementsAre("extension"));

  r = h->subscribe("ext-b", api::logs, logs_body, true);
  EXPECT_EQ(r.answer.status, 200u);
  r = h->subscribe("ext-b", api::telemetry, valid_http, true);
  EXPECT_EQ(r.answer.body,
            telemetry_error("extension ext-b is already subscribed to the Logs API; an extension subscribes with the "
                            "Telemetry API or the Logs API, not both"));
  r = h->subscribe("ext-c", api::logs, logs_body, true);
  EXPECT_EQ(r.answer.status, 403u);
  EXPECT_EQ(r.answer.body, replies::too_many_subscribers(api::logs, 2).body);
  r = h->subscribe("ext-c", api::logs, "{}", true);
  EXPECT_EQ(r.answer.status, 400u) << "validation comes before the limit";

  h->close();
  EXPECT_FALSE(h->has_subscribers());
  r = h->subscribe("ext-d", api::telemetry, valid_http, true);
  EXPECT_EQ(r.answer.body, replies::subscription_closed(api::telemetry).body);
  ioc.run_for(std::chrono::milliseconds(20));
}

} // namespace
} // namespace lemu::telemetry
